"""Webhook signature checks and the TCM_VIDEOS payload.

Signature (https://developers.tiktok.com/doc/webhooks-verification): header
``TikTok-Signature: t=<unix seconds>,s=<hex>``, where ``s`` is HMAC-SHA256 keyed by the
app's secret over ``"<t>." + raw body``. Login Kit events use the client secret. TikTok does
not document API for Business signing; the sandbox signs TCM_VIDEOS the same way with the
Business app secret, so `verify_business_signature` uses that.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings

SIGNATURE_HEADER = "TikTok-Signature"
TCM_VIDEOS_OBJECT = 10  # "object" of TikTok One video-linking events


class WebhookSignatureError(Exception):
    """Missing, malformed, wrong or stale signature: answer 400 and do nothing."""


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


@dataclass(frozen=True)
class TcmVideoEvent:
    """One TCM_VIDEOS entry: a video uploaded to, or published in, a TikTok One campaign."""

    event_type: str  # tto_video_uploaded / tto_video_published
    video_id: str
    campaign_id: str
    handle_name: str
    tto_tcm_account_id: str
    event_time: int | None
    request_id: str


def parse_tcm_videos(raw_body: bytes | str | dict[str, Any]) -> list[TcmVideoEvent]:
    """Entries of a TCM_VIDEOS delivery; other event types are skipped. Delivery is
    at-least-once, so handlers must be idempotent (key on video_id + event_type)."""
    payload = raw_body if isinstance(raw_body, dict) else json.loads(raw_body)
    request_id = str(payload.get("request_id") or "")
    events = []
    for entry in payload.get("entry") or []:
        if entry.get("event_type") != "tto_campaign_webhook":
            continue
        event_time = entry.get("event_time")
        events.append(
            TcmVideoEvent(
                event_type=str(entry.get("tto_campaign_event_type") or ""),
                video_id=str(entry.get("video_id") or ""),
                campaign_id=str(entry.get("campaign_id") or ""),
                handle_name=str(entry.get("handle_name") or ""),
                tto_tcm_account_id=str(entry.get("tto_tcm_account_id") or ""),
                event_time=int(event_time) if event_time not in (None, "") else None,
                request_id=request_id,
            )
        )
    return events
