"""World events that happen on the sandbox clock, and the webhooks about them: TCM_VIDEOS for
campaign videos, API_SERVICE_STATUS for API incidents."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from datetime import UTC, datetime

import requests
from django.conf import settings

from tiktok_sandbox import clock, envelopes
from tiktok_sandbox.models import Incident, Subscription, Video


def tick() -> None:
    """Publish campaign videos whose content review has ended (once each)."""
    due = Video.objects.filter(
        campaign__isnull=False, published_notified=False, review_until__lte=clock.now()
    ).select_related("campaign__tto_account", "owner")
    for video in due:
        # The conditional update claims the event so concurrent requests send it once.
        if Video.objects.filter(pk=video.pk, published_notified=False).update(published_notified=True):
            video_event(video, "tto_video_published")


def video_event(video: Video, event_type: str) -> None:
    campaign = video.campaign
    account = campaign.tto_account
    entry = {
        "event_type": "tto_campaign_webhook",
        "tto_campaign_event_type": event_type,
        "video_id": video.video_id,
        "campaign_id": campaign.campaign_id,
        "handle_name": video.owner.handle,
        "tto_tcm_account_id": account.tto_tcm_account_id,
        # ISO 8601 in UTC, as TikTok documents it (Go SDK model/subscription/webhook/tto_tcm.go).
        "event_time": clock.now().astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z"),
    }
    subs = Subscription.objects.filter(
        subscribe_entity="TCM_VIDEOS", tto_account=account, token__revoked_at__isnull=True
    ).select_related("token")
    for sub in subs:
        body = {"request_id": envelopes.request_id(), "object": 10, "time": int(time.time()), "entry": [entry]}
        # Each app's events are signed with that app's secret.
        secret = settings.SANDBOX_APPS.get(sub.token.client_key, "") if sub.token else settings.SANDBOX_APP_SECRET
        threading.Thread(target=_deliver, args=(sub.callback_url, body, secret), daemon=True).start()


INCIDENT_TIME = "%Y-%m-%d %H:%M:%S"  # TikTok's format for incident times, in UTC


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(INCIDENT_TIME)


def incident_event(incident: Incident, event_type: str) -> int:
    """Send CREATE / UPDATE / RESOLVE of an incident to the API_SERVICE_STATUS subscriptions
    whose product filter (none = every product) covers one of its products; returns how many."""
    entry = {
        "incident_id": incident.incident_id,
        "incident_title": incident.title,
        "incident_products": incident.products,
        "incident_event_type": event_type,
        "incident_level": incident.level,
        "incident_start_time": _utc(incident.started_at),
        "incident_detail": incident.detail,
    }
    if incident.resolved_at is not None:
        entry["incident_resolve_time"] = _utc(incident.resolved_at)
    sent = 0
    for sub in Subscription.objects.filter(subscribe_entity="API_SERVICE_STATUS"):
        if sub.product_filters and not set(sub.product_filters) & set(incident.products):
            continue
        body = {"request_id": envelopes.request_id(), "object": 14, "time": int(time.time()), "entry": [entry]}
        secret = settings.SANDBOX_APPS.get(sub.app_id, settings.SANDBOX_APP_SECRET)
        threading.Thread(target=_deliver, args=(sub.callback_url, body, secret), daemon=True).start()
        sent += 1
    return sent


def signature(body: bytes, timestamp: int, secret: str) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},s={mac.hexdigest()}"


def _deliver(url: str, payload: dict, secret: str) -> None:
    raw = json.dumps(payload).encode()
    headers = {"Content-Type": "application/json", "TikTok-Signature": signature(raw, int(time.time()), secret)}
    try:
        requests.post(url, data=raw, headers=headers, timeout=5)
    except requests.RequestException:
        pass  # best effort, like a first delivery attempt
