"""TikTok's API incidents that touch the TikTok One API: the app's API_SERVICE_STATUS
subscription, the incidents TikTok reports, and the open ones the banner shows.

Pages read the open incidents from the cache only, so the banner costs a page no query;
every delivery rewrites the cache after it commits, and a beat task every minute.
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.urls import reverse

from ..models import ApiIncident, ApiStatusSubscription
from ..models.service_status import level_name
from ..tiktok import BusinessClient, TikTokError
from ..tiktok.webhooks import TIKTOK_ONE_API, ServiceStatusEvent

ENTITY = "API_SERVICE_STATUS"
CACHE_KEY = "tiktok-one-open-incidents"
RESOLVE = "RESOLVE"


def subscribe() -> ApiStatusSubscription:
    """Subscribe the platform's app to TikTok One API incidents once; a failure is recorded
    (and tried again on the next call), never raised."""
    app_id = settings.TIKTOK_APP_ID
    existing = ApiStatusSubscription.objects.filter(app_id=app_id).first()
    if existing is not None and existing.subscription_id:
        return existing
    callback = settings.SITE_URL + reverse("integrations:api_status_webhook")
    sub, _ = ApiStatusSubscription.objects.get_or_create(app_id=app_id, defaults={"callback_url": callback})
    try:
        detail = {"product_filters": [TIKTOK_ONE_API]}
        sub.subscription_id = BusinessClient().subscription_subscribe(ENTITY, callback, detail)
        sub.last_error = ""
    except TikTokError as exc:
        sub.last_error = str(exc)[:2000]
    sub.callback_url = callback
    sub.save()
    return sub


def apply(events: list[ServiceStatusEvent]) -> list[str]:
    """Record each event of an incident that touches the TikTok One API; returns the incident
    ids that changed. Call inside the delivery's transaction.

    Delivery is at-least-once and unordered: a resolved incident stays resolved, so a late
    CREATE or UPDATE never reopens it.
    """
    changed = []
    for event in events:
        incident = ApiIncident.objects.select_for_update().filter(incident_id=event.incident_id).first()
        if incident is None and not event.affects_tiktok_one:
            continue  # another API product's incident; the subscription's filter should spare us these
        if incident is None:
            incident, _ = ApiIncident.objects.get_or_create(incident_id=event.incident_id)
            incident = ApiIncident.objects.select_for_update().get(pk=incident.pk)
        if _merge(incident, event):
            incident.save()
            changed.append(incident.incident_id)
    if changed:
        transaction.on_commit(refresh_cache)
    return changed


def _merge(incident: ApiIncident, event: ServiceStatusEvent) -> bool:
    before = (incident.title, incident.detail, incident.level, incident.products, incident.status,
              incident.started_at, incident.resolved_at)  # fmt: skip
    if incident.status == ApiIncident.Status.OPEN:
        incident.title = event.title or incident.title
        incident.detail = event.detail or incident.detail
        incident.level = event.level or incident.level
        incident.products = list(event.products) or incident.products
        incident.started_at = event.started_at or incident.started_at
    if event.event_type == RESOLVE or event.resolved_at is not None:
        incident.status = ApiIncident.Status.RESOLVED
        incident.resolved_at = incident.resolved_at or event.resolved_at
    after = (incident.title, incident.detail, incident.level, incident.products, incident.status,
             incident.started_at, incident.resolved_at)  # fmt: skip
    return before != after


def _open_from_db() -> list[dict]:
    rows = ApiIncident.objects.filter(status=ApiIncident.Status.OPEN).order_by("started_at", "pk")
    return [
        {**row, "level_name": level_name(row["level"])}
        for row in rows.values("incident_id", "title", "detail", "level", "started_at")
    ]


def refresh_cache() -> list[dict]:
    incidents = _open_from_db()
    cache.set(CACHE_KEY, incidents, timeout=None)
    return incidents


def open_incidents() -> list[dict]:
    """TikTok One API incidents open now, oldest first, as the cache holds them.

    Never a query: an empty cache (Redis restarted or flushed) shows no banner until the
    beat task `refresh_incident_banner` (every minute, and when beat starts) or the next
    delivery writes it again.
    """
    return cache.get(CACHE_KEY) or []
