"""World events that happen on the sandbox clock, and TCM_VIDEOS webhooks about them."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time

import requests
from django.conf import settings

from tiktok_sandbox import clock, envelopes
from tiktok_sandbox.models import Subscription, Video


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
        "event_time": int(clock.now().timestamp()),
    }
    subs = Subscription.objects.filter(
        subscribe_entity="TCM_VIDEOS", tto_account=account, token__revoked_at__isnull=True
    ).select_related("token")
    for sub in subs:
        body = {"request_id": envelopes.request_id(), "object": 10, "time": int(time.time()), "entry": [entry]}
        # Each app's events are signed with that app's secret.
        secret = settings.SANDBOX_APPS.get(sub.token.client_key, "") if sub.token else settings.SANDBOX_APP_SECRET
        threading.Thread(target=_deliver, args=(sub.callback_url, body, secret), daemon=True).start()


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
