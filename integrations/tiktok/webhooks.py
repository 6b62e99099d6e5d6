"""Webhook signature checks and the TCM_VIDEOS, API_SERVICE_STATUS and ads payloads.

Signature (https://developers.tiktok.com/doc/webhooks-verification): header
``TikTok-Signature: t=<unix seconds>,s=<hex>``, where ``s`` is HMAC-SHA256 keyed by the
app's secret over ``"<t>." + raw body``. Login Kit events use the client secret. TikTok does
not document API for Business signing; the sandbox signs TCM_VIDEOS the same way with the
Business app secret, so `verify_business_signature` uses that.

A delivery is read in this order: the signature over the raw bytes, then the JSON, then
each field's type. An unsigned body is never parsed, and a signed one that is not what
TikTok documents is a `WebhookPayloadError` (a 400), never an exception of the parser.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from django.conf import settings

SIGNATURE_HEADER = "TikTok-Signature"
TCM_VIDEOS_OBJECT = 10  # "object" of TikTok One video-linking events


class WebhookSignatureError(Exception):
    """Missing, malformed, wrong or stale signature: answer 400 and do nothing."""


class WebhookPayloadError(ValueError):
    """A signed body that is not the JSON TikTok documents: answer 400 and do nothing."""


def sign(raw_body: bytes, secret: str, timestamp: int | None = None) -> str:
    """The header value TikTok would send; used by tests and the sandbox."""
    t = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{t}.".encode() + raw_body, hashlib.sha256).hexdigest()
    return f"t={t},s={digest}"


def _parse_header(header: str) -> tuple[int, str]:
    parts = dict(p.strip().split("=", 1) for p in header.split(",") if "=" in p)
    try:
        return int(parts["t"]), parts["s"]
    except (KeyError, ValueError) as exc:
        raise WebhookSignatureError("Malformed TikTok-Signature header") from exc


def verify_signature(
    raw_body: bytes, header: str | None, secret: str, *, tolerance: int | None = None, now: float | None = None
) -> None:
    """Raise WebhookSignatureError unless ``header`` signs ``raw_body`` recently enough."""
    if not header:
        raise WebhookSignatureError("Missing TikTok-Signature header")
    timestamp, received = _parse_header(header)
    tolerance = settings.TIKTOK_WEBHOOK_TOLERANCE_SECONDS if tolerance is None else tolerance
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        raise WebhookSignatureError("Stale TikTok-Signature timestamp")  # replay protection
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + raw_body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, received):
        raise WebhookSignatureError("TikTok-Signature does not match")


def verify_login_kit_signature(raw_body: bytes, header: str | None, **kwargs: Any) -> None:
    verify_signature(raw_body, header, settings.TIKTOK_CLIENT_SECRET, **kwargs)


def verify_business_signature(raw_body: bytes, header: str | None, **kwargs: Any) -> None:
    verify_signature(raw_body, header, settings.TIKTOK_APP_SECRET, **kwargs)


def verify_either_app_signature(raw_body: bytes, header: str | None, **kwargs: Any) -> None:
    """Creator events come from either app, each signed with its own secret. The body names
    the app, but it is read only once signed, so the signature is tried with both secrets."""
    try:
        verify_login_kit_signature(raw_body, header, **kwargs)
    except WebhookSignatureError:
        verify_business_signature(raw_body, header, **kwargs)


def load_payload(raw_body: bytes | str) -> dict[str, Any]:
    """The signed body as a JSON object."""
    try:
        payload = json.loads(raw_body)
    except (ValueError, RecursionError) as exc:  # RecursionError: nested deeper than the parser goes
        raise WebhookPayloadError("Body is not JSON") from exc
    if not isinstance(payload, dict):
        raise WebhookPayloadError("Body is not a JSON object")
    return payload


# Longest value each field may have, its column's length. An id or handle longer than that
# is not one TikTok issued: refused (a 4xx, which TikTok does not retry). Open-ended text is
# kept, cut to fit: refusing it, or failing to store it (a 5xx), would lose the delivery.
REFUSED_PAST = {"video_id": 64, "campaign_id": 64, "tto_tcm_account_id": 64, "handle_name": 100, "incident_id": 64,
                "adv_id": 64, "ad_id": 64}  # fmt: skip
CUT_PAST = {"incident_title": 500, "incident_level": 40, "reject_reason": 500}


def text_field(data: dict[str, Any], key: str) -> str:
    """A string field; TikTok's ids may come as JSON numbers, anything else is refused, and
    so is an over-long id (`REFUSED_PAST`); over-long text is cut (`CUT_PAST`)."""
    value = data.get(key)
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise WebhookPayloadError(f"{key} is not a string")
    text = str(value)
    if len(text) > REFUSED_PAST.get(key, len(text)):
        raise WebhookPayloadError(f"{key} is longer than {REFUSED_PAST[key]} characters")
    return text[: CUT_PAST.get(key, len(text))]


def _event_time(value: Any) -> datetime | None:
    """TikTok documents TCM_VIDEOS event times as ISO 8601 ("2024-11-18T21:57:00.070272Z", Go
    SDK model/subscription/webhook/tto_tcm.go); unix seconds are read too, as other TikTok
    webhooks send times that way. A time without an offset is TikTok's UTC."""
    if value in (None, ""):
        return None
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError as exc:
            raise WebhookPayloadError("event_time is not an ISO 8601 time") from exc
        return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    # bool is an int to Python; 1e400 parses as float("inf"); neither is a time.
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**37:
        raise WebhookPayloadError("event_time is not a time")
    return datetime.fromtimestamp(value, UTC)


@dataclass(frozen=True)
class TcmVideoEvent:
    """One TCM_VIDEOS entry: a video uploaded to, or published in, a TikTok One campaign."""

    event_type: str  # tto_video_uploaded / tto_video_published
    video_id: str
    campaign_id: str
    handle_name: str
    tto_tcm_account_id: str
    event_time: datetime | None
    request_id: str


def parse_tcm_videos(raw_body: bytes | str | dict[str, Any]) -> list[TcmVideoEvent]:
    """Entries of a TCM_VIDEOS delivery; other event types are skipped. Delivery is
    at-least-once, so handlers must be idempotent (key on video_id + event_type).
    Raises WebhookPayloadError for anything but the documented shape."""
    payload = raw_body if isinstance(raw_body, dict) else load_payload(raw_body)
    request_id = text_field(payload, "request_id")
    entries = payload.get("entry") or []
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise WebhookPayloadError("entry is not a list of objects")
    events = []
    for entry in entries:
        if entry.get("event_type") != "tto_campaign_webhook":
            continue
        events.append(
            TcmVideoEvent(
                event_type=text_field(entry, "tto_campaign_event_type"),
                video_id=text_field(entry, "video_id"),
                campaign_id=text_field(entry, "campaign_id"),
                handle_name=text_field(entry, "handle_name"),
                tto_tcm_account_id=text_field(entry, "tto_tcm_account_id"),
                event_time=_event_time(entry.get("event_time")),
                request_id=request_id,
            )
        )
    return events


# --- API_SERVICE_STATUS: incidents of TikTok's API products -------------------------------

API_SERVICE_STATUS_OBJECT = 14  # "object" of API_SERVICE_STATUS deliveries (Go SDK webhook/request.go)
TIKTOK_ONE_API = "TIKTOK_ONE_API"  # the API product the platform depends on (enum APIServiceType)
# TikTok documents incident times as "YYYY-MM-DD HH:MM:SS" in UTC.
_INCIDENT_TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S")


@dataclass(frozen=True)
class ServiceStatusEvent:
    """One API_SERVICE_STATUS entry: an incident created, updated or resolved."""

    incident_id: str
    event_type: str  # CREATE / UPDATE / RESOLVE, kept as TikTok sent it
    title: str
    detail: str
    level: str  # LOW_DISRUPTION / MAJOR_DISRUPTION, kept as TikTok sent it
    products: tuple[str, ...]
    started_at: datetime | None
    resolved_at: datetime | None
    request_id: str

    @property
    def affects_tiktok_one(self) -> bool:
        return TIKTOK_ONE_API in self.products


def _incident_time(value: Any) -> datetime | None:
    """TikTok's documented format, or an ISO time or unix seconds; anything else is no time
    (an incident is still worth showing when its time cannot be read)."""
    if isinstance(value, bool) or value in (None, "", 0):
        return None
    if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
        seconds = int(value)
        return datetime.fromtimestamp(seconds, UTC) if 0 < seconds < 2**37 else None
    if not isinstance(value, str):
        return None
    for fmt in _INCIDENT_TIME_FORMATS:
        try:
            parsed = datetime.strptime(value.strip(), fmt)
        except ValueError:
            continue
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def _products(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(p, str) for p in value):
        raise WebhookPayloadError("incident_products is not a list of strings")
    return tuple(value)


def parse_api_service_status(raw_body: bytes | str | dict[str, Any]) -> list[ServiceStatusEvent]:
    """Entries of an API_SERVICE_STATUS delivery; an entry without an incident id is skipped.
    Raises WebhookPayloadError when the body or a field has the wrong JSON type."""
    payload = raw_body if isinstance(raw_body, dict) else load_payload(raw_body)
    request_id = text_field(payload, "request_id")
    entries = payload.get("entry") or []
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise WebhookPayloadError("entry is not a list of objects")
    events = []
    for entry in entries:
        incident_id = text_field(entry, "incident_id")
        if not incident_id:
            continue
        events.append(
            ServiceStatusEvent(
                incident_id=incident_id,
                event_type=text_field(entry, "incident_event_type").upper(),
                title=text_field(entry, "incident_title"),
                detail=text_field(entry, "incident_detail"),
                level=text_field(entry, "incident_level"),
                products=_products(entry.get("incident_products")),
                started_at=_incident_time(entry.get("incident_start_time")),
                resolved_at=_incident_time(entry.get("incident_resolve_time")),
                request_id=request_id,
            )
        )
    return events


# --- Ads: REPORT_DATA_CHANGE, AD (review status), CREATIVE_FATIGUE --------------------------
# Go SDK model/subscription/webhook/: request.go (the "object" of each), report_data_change.go,
# adgroup.go (AdEntity), creative_fatigure.go. The Go models type adv_id and ad ids as Uint64,
# which reads a JSON number or a string: both are read here, and kept as strings.

REPORT_DATA_CHANGE, AD, CREATIVE_FATIGUE = "REPORT_DATA_CHANGE", "AD", "CREATIVE_FATIGUE"
ADS_OBJECTS = {11: REPORT_DATA_CHANGE, 3: AD, 8: CREATIVE_FATIGUE}


@dataclass(frozen=True)
class AdsEvent:
    """One ad account's news: its report figures changed, an ad's review ended (a rejection
    has a ``reject_reason``), or ads fatigued (on ``fatigue_date``)."""

    entity: str
    advertiser_id: str
    ad_ids: tuple[str, ...] = ()
    reject_reason: str = ""
    fatigue_date: date | None = None
    request_id: str = ""


def _ad_ids(entry: dict[str, Any]) -> tuple[str, ...]:
    listed = entry.get("ad_ids")
    if listed is None:
        single = text_field(entry, "ad_id")
        return (single,) if single else ()
    if not isinstance(listed, list):
        raise WebhookPayloadError("ad_ids is not a list")
    return tuple(text_field({"ad_id": v}, "ad_id") for v in listed)


def _fatigue_date(value: Any) -> date | None:
    """TikTok's "YYYY-MM-DD"; a date that cannot be read is no date (the flag still counts)."""
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None


def parse_ads_events(raw_body: bytes | str | dict[str, Any]) -> list[AdsEvent]:
    """The events of a REPORT_DATA_CHANGE, AD or CREATIVE_FATIGUE delivery, one per ad account;
    other objects are skipped. Raises WebhookPayloadError for anything but the documented shape."""
    payload = raw_body if isinstance(raw_body, dict) else load_payload(raw_body)
    request_id = text_field(payload, "request_id")
    obj = payload.get("object")
    entity = ADS_OBJECTS.get(int(obj)) if isinstance(obj, int | str) and str(obj).isdigit() else None
    entries = payload.get("entry") or []
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise WebhookPayloadError("entry is not a list of objects")
    events: list[AdsEvent] = []
    for entry in entries:
        if entity == REPORT_DATA_CHANGE:
            changed = entry.get("changed_metrics_values") or {}
            if not isinstance(changed, dict):
                raise WebhookPayloadError("changed_metrics_values is not an object")
            for advertiser_id in changed:
                text_field({"adv_id": advertiser_id}, "adv_id")  # the same length check as any id
                events.append(AdsEvent(entity, advertiser_id, request_id=request_id))
        elif entity in (AD, CREATIVE_FATIGUE):
            advertiser_id = text_field(entry, "adv_id")
            ad_ids = _ad_ids(entry)
            if not advertiser_id or not ad_ids:
                continue  # fatigue of a whole ad group or account with no ad named: nothing to flag
            events.append(
                AdsEvent(
                    entity,
                    advertiser_id,
                    ad_ids,
                    reject_reason=text_field(entry, "reject_reason") if entity == AD else "",
                    fatigue_date=_fatigue_date(entry.get("date")) if entity == CREATIVE_FATIGUE else None,
                    request_id=request_id,
                )
            )
    return events
