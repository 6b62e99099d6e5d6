"""World events that happen on the sandbox clock, and the webhooks about them: TCM_VIDEOS for
campaign videos, API_SERVICE_STATUS for API incidents, REPORT_DATA_CHANGE, AD and
CREATIVE_FATIGUE for ads."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import requests
from django.conf import settings
from django.db.models import Min, QuerySet

from tiktok_sandbox import clock, envelopes
from tiktok_sandbox.models import Ad, Incident, Subscription, Video

# Every API call ticks, and nearly always nothing is due: tick() remembers the sandbox-clock
# time of the next thing that can fall due and does nothing before it. A video or subscription
# saved or deleted (the app's ready() connects forget() to those signals), or a wipe, makes it
# look again; the generation keeps a tick that read before such a change from storing its stale
# answer.
_lock = threading.Lock()
_quiet_until: datetime | None = None
_generation = 0
NOTHING_PENDING = datetime.max.replace(tzinfo=UTC)


def forget(**kwargs: object) -> None:
    global _quiet_until, _generation
    with _lock:
        _quiet_until = None
        _generation += 1


def tick() -> None:
    """Publish campaign videos whose content review has ended (once each); close the report
    windows that have run their time."""
    global _quiet_until
    now = clock.now()
    with _lock:
        if _quiet_until is not None and now < _quiet_until:
            return
        generation = _generation
    report_data_changes()
    due = Video.objects.filter(campaign__isnull=False, published_notified=False, review_until__lte=now).select_related(
        "campaign__tto_account", "owner"
    )
    for video in due:
        # The conditional update claims the event so concurrent requests send it once.
        if Video.objects.filter(pk=video.pk, published_notified=False).update(published_notified=True):
            video_event(video, "tto_video_published")
    next_due = _next_due()
    with _lock:
        if generation == _generation:
            _quiet_until = next_due


def _next_due() -> datetime:
    """When the next campaign video leaves review or the next report window ends (sandbox clock)."""
    reviews = Video.objects.filter(campaign__isnull=False, published_notified=False, review_until__isnull=False)
    times = [reviews.aggregate(first=Min("review_until"))["first"] or NOTHING_PENDING]
    for sub in _report_subscriptions():
        times.append(_window_end(sub) or clock.now())
    return min(times)


def _report_subscriptions() -> QuerySet[Subscription]:
    return Subscription.objects.filter(subscribe_entity="REPORT_DATA_CHANGE", token__revoked_at__isnull=True)


def _window_end(sub: Subscription) -> datetime | None:
    """When a REPORT_DATA_CHANGE subscription's window closes; None before its first opens."""
    from tiktok_sandbox.api.business import NOTIFY_FREQUENCIES

    if sub.window_started_at is None:
        return None
    return sub.window_started_at + timedelta(minutes=NOTIFY_FREQUENCIES.get(sub.notify_frequency, 5))


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


# --- ads: REPORT_DATA_CHANGE, AD, CREATIVE_FATIGUE ------------------------------------------
# Objects and entries: Go SDK model/subscription/webhook/request.go (object 3 = an ad's review,
# 8 = creative fatigue, 11 = report data change), adgroup.go (AdEntity), creative_fatigure.go,
# report_data_change.go. The Go models type adv_id and the ad ids as Uint64 and no source shows
# whether TikTok sends them as numbers or strings: the sandbox sends strings, as TikTok sends
# every other id (a 19-digit number does not survive a float), and the platform reads both.

AD_OBJECT, CREATIVE_FATIGUE_OBJECT, REPORT_DATA_CHANGE_OBJECT = 3, 8, 11
REPORT_METRICS = ("impressions", "clicks", "video_play_actions")  # with spend: what the event reports


def report_values(advertiser_ids: list[str], now: datetime | None = None) -> dict[str, dict[str, str]]:
    """Each ad account's spend, impressions, clicks and video plays today, summed over its ads,
    as the report would answer them (strings, money to the cent). The day is the account's
    calendar day: the sandbox's ad accounts are on UTC unless a test says otherwise."""
    from tiktok_sandbox import ads  # ads imports the API modules, which import this one
    from tiktok_sandbox.api.ads import figures
    from tiktok_sandbox.models import Ad

    values: dict[str, dict[str, str]] = {}
    rows = Ad.objects.filter(advertiser__advertiser_id__in=advertiser_ids).select_related(
        "advertiser", "authorization__auth_code"
    )
    totals: dict[str, dict[str, Decimal | int]] = {
        a: {"spend": Decimal("0.00"), **dict.fromkeys(REPORT_METRICS, 0)} for a in advertiser_ids
    }
    for ad in rows:
        spend = ads.spend_on(ad, ads.today(ad.advertiser, now), now)
        total = totals[ad.advertiser.advertiser_id]
        total["spend"] += spend
        for name, value in figures(ad, spend, list(REPORT_METRICS), False).items():
            total[name] += int(value)
    for advertiser_id, total in totals.items():
        values[advertiser_id] = {"spend": f"{total['spend']:.2f}", **{m: str(total[m]) for m in REPORT_METRICS}}
    return values


def report_data_changes() -> int:
    """Close each REPORT_DATA_CHANGE window that has run its time: one event naming the ad
    accounts whose figures changed in it, or none. A concurrent tick cannot close the same
    window twice: the conditional update claims it. Returns how many events were sent."""
    now = clock.now()
    sent = 0
    for sub in _report_subscriptions():
        window_end = _window_end(sub)
        if window_end is not None and now < window_end:
            continue
        current = report_values(sub.advertiser_ids, now)
        claimed = Subscription.objects.filter(pk=sub.pk, window_started_at=sub.window_started_at).update(
            window_started_at=now, last_values=current
        )
        changed = {a: v for a, v in current.items() if v != sub.last_values.get(a)}
        if not claimed or not changed:
            continue
        entry = {"data_level": "ADVERTISER", "changed_metrics_values": changed}
        _send_ads_event(sub, REPORT_DATA_CHANGE_OBJECT, entry)
        sent += 1
    return sent


def ad_review_event(ad: Ad) -> int:
    """TikTok's review of an ad ended: an AD event to the subscriptions on that ad. The entry
    carries no status; a rejection is told by its ``reject_reason``."""
    entry = {
        "log_id": envelopes.request_id(),
        "adv_id": ad.advertiser.advertiser_id,
        "campaign_id": ad.campaign_id,
        "campaign_name": ad.campaign_name,
        "adgroup_id": ad.adgroup_id,
        "adgroup_name": ad.adgroup_name,
        "ad_id": ad.ad_id,
        "ad_name": ad.ad_name,
    }
    if ad.review == "REJECTED":
        entry["reject_reason"] = "The ad does not meet the advertising policies."
    subs = Subscription.objects.filter(
        subscribe_entity="AD", ad_id=ad.ad_id, token__revoked_at__isnull=True
    ).select_related("token")
    for sub in subs:
        _send_ads_event(sub, AD_OBJECT, entry)
    return len(subs)


def creative_fatigue_event(ad: Ad) -> int:
    """An ad fatigued: a CREATIVE_FATIGUE event to the subscriptions on its ad account (lists of
    its ad group and ad) or on the ad itself (the ad and its ad group)."""
    day = ads_day(ad)
    sent = 0
    subs = Subscription.objects.filter(subscribe_entity="CREATIVE_FATIGUE", token__revoked_at__isnull=True)
    for sub in subs:
        if ad.advertiser.advertiser_id not in sub.advertiser_ids or sub.ad_id not in ("", ad.ad_id):
            continue
        entry: dict = {"adv_id": ad.advertiser.advertiser_id, "date": day}
        if sub.ad_id:
            entry |= {"adgroup_id": ad.adgroup_id, "ad_id": ad.ad_id}
        else:
            entry |= {"adgroup_ids": [ad.adgroup_id], "ad_ids": [ad.ad_id]}
        _send_ads_event(sub, CREATIVE_FATIGUE_OBJECT, entry)
        sent += 1
    return sent


def ads_day(ad: Ad) -> str:
    """The day fatigue was detected, "YYYY-MM-DD" (creative_fatigure.go), on the account's calendar."""
    from tiktok_sandbox import ads

    return ads.today(ad.advertiser, ad.fatigued_at).isoformat()


def _send_ads_event(sub: Subscription, obj: int, entry: dict) -> None:
    body = {"request_id": envelopes.request_id(), "object": obj, "time": int(time.time()), "entry": [entry]}
    secret = settings.SANDBOX_APPS.get(sub.app_id, settings.SANDBOX_APP_SECRET)
    threading.Thread(target=_deliver, args=(sub.callback_url, body, secret), daemon=True).start()
