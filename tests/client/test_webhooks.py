"""TikTok-Signature verification and the TCM_VIDEOS payload."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import pytest

from integrations.tiktok.webhooks import (
    WebhookPayloadError,
    WebhookSignatureError,
    parse_tcm_videos,
    sign,
    verify_business_signature,
    verify_login_kit_signature,
    verify_signature,
)

BODY = json.dumps(
    {
        "request_id": "rq-1",
        "object": 10,
        "time": 1767225600,
        "entry": [
            {
                "event_type": "tto_campaign_webhook",
                "tto_campaign_event_type": "tto_video_published",
                "video_id": "7700000000000000001",
                "campaign_id": "7900000000000000001",
                "handle_name": "market.star",
                "tto_tcm_account_id": "7200000000000000001",
                "event_time": "2026-01-01T00:00:00.250000Z",
            }
        ],
    }
).encode()


def test_it_accepts_a_fresh_signature_over_t_dot_body(settings):
    verify_business_signature(BODY, sign(BODY, settings.TIKTOK_APP_SECRET))
    verify_login_kit_signature(BODY, sign(BODY, settings.TIKTOK_CLIENT_SECRET))


def test_it_matches_the_documented_hmac_construction():
    import hashlib
    import hmac

    digest = hmac.new(b"secret", b"1700000000." + BODY, hashlib.sha256).hexdigest()

    verify_signature(BODY, f"t=1700000000,s={digest}", "secret", now=1700000010)


@pytest.mark.parametrize(
    "header",
    [None, "", "garbage", "t=abc,s=00", "s=deadbeef"],
)
def test_it_rejects_a_missing_or_malformed_header(header):
    with pytest.raises(WebhookSignatureError):
        verify_signature(BODY, header, "secret")


def test_it_rejects_a_tampered_body_or_a_wrong_secret():
    header = sign(BODY, "secret")

    with pytest.raises(WebhookSignatureError):
        verify_signature(BODY + b" ", header, "secret")
    with pytest.raises(WebhookSignatureError):
        verify_signature(BODY, header, "other-secret")


def test_it_rejects_a_stale_timestamp_even_when_correctly_signed():
    header = sign(BODY, "secret", timestamp=int(time.time()) - 301)

    with pytest.raises(WebhookSignatureError, match="Stale"):
        verify_signature(BODY, header, "secret")


def test_it_parses_tcm_videos_entries_and_skips_other_events():
    payload = json.loads(BODY)
    payload["entry"].append({"event_type": "something_else"})

    events = parse_tcm_videos(json.dumps(payload))

    assert len(events) == 1
    event = events[0]
    assert (event.event_type, event.video_id, event.campaign_id) == (
        "tto_video_published",
        "7700000000000000001",
        "7900000000000000001",
    )
    assert (event.handle_name, event.tto_tcm_account_id, event.event_time, event.request_id) == (
        "market.star",
        "7200000000000000001",
        datetime(2026, 1, 1, 0, 0, 0, 250000, tzinfo=UTC),
        "rq-1",
    )


@pytest.mark.parametrize(
    ("sent", "moment"),
    [
        ("2024-11-18T21:57:00.070272Z", datetime(2024, 11, 18, 21, 57, 0, 70272, tzinfo=UTC)),
        ("2024-11-18T23:57:00+02:00", datetime(2024, 11, 18, 21, 57, tzinfo=UTC)),
        ("2024-11-18T21:57:00", datetime(2024, 11, 18, 21, 57, tzinfo=UTC)),  # no offset: TikTok's UTC
        (1731967020, datetime(2024, 11, 18, 21, 57, tzinfo=UTC)),
        ("1731967020", datetime(2024, 11, 18, 21, 57, tzinfo=UTC)),
        (None, None),
    ],
)
def test_an_event_time_is_read_as_iso_8601_as_tiktok_documents_it_or_as_unix_seconds(sent, moment):
    payload = json.loads(BODY)
    payload["entry"][0]["event_time"] = sent
    assert parse_tcm_videos(payload)[0].event_time == moment


@pytest.mark.parametrize("sent", ["yesterday", "2024-13-45T00:00:00Z", True, -5, 1.5, 10**30, ["2024-11-18"]])
def test_an_event_time_that_is_no_time_is_refused(sent):
    payload = json.loads(BODY)
    payload["entry"][0]["event_time"] = sent
    with pytest.raises(WebhookPayloadError):
        parse_tcm_videos(payload)
