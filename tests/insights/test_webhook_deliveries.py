"""TCM_VIDEOS deliveries: signature before parsing, strict payloads, de-duplication and one
pending poll per campaign however many deliveries arrive."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from aspire_tiktok.celery import beat_schedule
from integrations.insights import report
from integrations.insights.tasks import poll_campaign_report
from integrations.models import Campaign, WebhookDelivery
from integrations.tasks import purge_webhook_deliveries
from integrations.tiktok import webhooks

pytestmark = pytest.mark.django_db


def _entry(video_id: str = "7700000000000000999", **overrides) -> dict:
    entry = {
        "event_type": "tto_campaign_webhook", "tto_campaign_event_type": "tto_video_published",
        "video_id": video_id, "campaign_id": "7900000000000000001", "handle_name": "market.star",
        "tto_tcm_account_id": "7200000000000000001", "event_time": 1767225600,
    }  # fmt: skip
    entry.update(overrides)
    return entry


def _post(raw: bytes, *, signed: bool = True):
    url = reverse("integrations:insights_webhook")
    headers = {"TikTok-Signature": webhooks.sign(raw, settings.TIKTOK_APP_SECRET)} if signed else {}
    return Client(raise_request_exception=False).post(url, raw, content_type="application/json", headers=headers)


def _delivery(request_id: str = "r1", **entry) -> bytes:
    return json.dumps({"request_id": request_id, "object": 10, "time": 1, "entry": [_entry(**entry)]}).encode()


@pytest.fixture
def deliver(django_capture_on_commit_callbacks):
    """Post a signed delivery and commit it, as a request outside a test transaction would."""

    def post(raw: bytes):
        with django_capture_on_commit_callbacks(execute=True):
            return _post(raw)

    return post


@pytest.fixture
def sent(monkeypatch):
    """The poll tasks handed to the broker (not run)."""
    calls: list[int] = []
    monkeypatch.setattr(poll_campaign_report, "delay", calls.append)
    return calls


def test_a_deeply_nested_unsigned_body_is_a_400_and_never_parsed(campaign, sent, monkeypatch):
    parsed = []
    monkeypatch.setattr(webhooks.json, "loads", lambda *a, **k: parsed.append(a))
    response = _post(b"[" * 100_000 + b"]" * 100_000, signed=False)
    assert response.status_code == 400 and parsed == [] and sent == []


def test_a_deeply_nested_signed_body_is_a_400(campaign, sent):
    assert _post(b'{"entry": ' + b"[" * 100_000 + b"]" * 100_000 + b"}").status_code == 400
    assert sent == []


def test_a_body_over_the_upload_limit_is_a_400(campaign, sent, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    assert _post(b" " * 2000 + _delivery(), signed=False).status_code == 400
    assert sent == []


@pytest.mark.parametrize(
    "body",
    [
        b'{"request_id": "r1", "entry": [{"event_type": "tto_campaign_webhook", "event_time": 1e400}]}',
        _delivery(event_time="yesterday"),
        _delivery(event_time=True),
        _delivery(event_time=-5),
        _delivery(campaign_id={"id": 1}),
        _delivery(video_id=[1, 2]),
        json.dumps({"entry": "not a list"}).encode(),
        json.dumps({"entry": [1, 2]}).encode(),
        json.dumps([1, 2]).encode(),
        b"\xff\xfe not json",
    ],
    ids=["inf", "text", "bool", "negative", "object", "list", "entry-text", "entry-ints", "array", "bytes"],
)
def test_a_signed_body_of_the_wrong_shape_is_a_400(campaign, sent, body):
    assert _post(body).status_code == 400
    assert sent == [] and not WebhookDelivery.objects.exists()


def test_fifty_replays_of_one_delivery_queue_one_poll(campaign, sent, deliver):
    raw = _delivery()
    codes = {deliver(raw).status_code for _ in range(50)}
    assert codes == {200} and sent == [campaign.pk]
    assert WebhookDelivery.objects.count() == 1


def test_a_replay_after_the_poll_ran_is_acknowledged_without_work(campaign, sent, monkeypatch, deliver):
    from integrations.insights import tasks

    ran = []
    monkeypatch.setattr(tasks.report, "poll_campaign", lambda pk: ran.append(pk) or report.PollResult(status="ok"))
    raw = _delivery()
    assert deliver(raw).status_code == 200
    poll_campaign_report.run(campaign.pk)
    assert deliver(raw).status_code == 200
    assert ran == [campaign.pk] and sent == [campaign.pk]


def test_a_burst_of_deliveries_for_one_campaign_keeps_one_poll_pending(campaign, sent, monkeypatch, deliver):
    from integrations.insights import tasks

    ran = []
    monkeypatch.setattr(tasks.report, "poll_campaign", lambda pk: ran.append(pk) or report.PollResult(status="ok"))
    for i in range(80):
        assert deliver(_delivery(request_id=f"r{i}", video_id=f"77000000000000{i:05d}")).status_code == 200
        if i == 40:
            # A worker takes the pending poll: the next delivery may queue the next one.
            assert sent == [campaign.pk]
            poll_campaign_report.run(campaign.pk)
    assert sent == [campaign.pk, campaign.pk] and ran == [campaign.pk]
    assert WebhookDelivery.objects.count() == 80


def test_a_delivery_claims_the_campaign_so_the_dispatcher_does_not_queue_a_second_poll(campaign, sent, deliver):
    Campaign.objects.filter(pk=campaign.pk).update(next_poll_at=timezone.now() - timedelta(minutes=1))
    deliver(_delivery())
    assert sent == [campaign.pk]
    assert report.claim_due_campaigns() == []


def test_the_purge_forgets_deliveries_past_tiktoks_retry_window(campaign, sent):
    old = WebhookDelivery.objects.create(endpoint="tcm_videos", digest="a" * 64)
    WebhookDelivery.objects.filter(pk=old.pk).update(received_at=timezone.now() - timedelta(days=5))
    recent = WebhookDelivery.objects.create(endpoint="tcm_videos", digest="b" * 64)
    assert purge_webhook_deliveries() == 1
    assert list(WebhookDelivery.objects.values_list("pk", flat=True)) == [recent.pk]


def test_the_purge_runs_on_the_beat_schedule():
    tasks = {entry["task"] for entry in beat_schedule().values()}
    assert "integrations.tasks.purge_webhook_deliveries" in tasks
