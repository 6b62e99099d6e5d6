"""The creators' `authorization.removed` webhook: the signature is checked on the raw body
before it is parsed, a redelivery does no work twice, and no body is a 500."""

from __future__ import annotations

import json
import time

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from creators import flows
from integrations.models import WebhookDelivery
from integrations.tiktok import webhooks

pytestmark = pytest.mark.django_db


@pytest.fixture
def removed(monkeypatch):
    """The open ids `handle_authorization_removed` was called for."""
    calls: list[str] = []
    monkeypatch.setattr(flows, "handle_authorization_removed", calls.append)
    return calls


def _event(open_id="open-1", **overrides) -> bytes:
    event = {"client_key": settings.TIKTOK_CLIENT_KEY, "event": "authorization.removed",
             "create_time": int(time.time()), "user_openid": open_id, "content": json.dumps({"reason": 1})}  # fmt: skip
    event.update(overrides)
    return json.dumps(event).encode()


def _post(raw: bytes, secret: str | None = None):
    headers = {"TikTok-Signature": webhooks.sign(raw, secret)} if secret else {}
    client = Client(raise_request_exception=False)
    return client.post(reverse("creators:webhook"), raw, content_type="application/json", headers=headers)


def test_a_deeply_nested_unsigned_body_is_a_400(removed):
    assert _post(b"[" * 100_000 + b"]" * 100_000).status_code == 400
    assert removed == []


def test_an_unsigned_body_is_refused_before_it_is_parsed(removed, monkeypatch):
    parsed = []
    monkeypatch.setattr(webhooks.json, "loads", lambda *a, **k: parsed.append(a))
    assert _post(_event()).status_code == 400
    assert parsed == [] and removed == []


@pytest.mark.parametrize("secret_setting", ["TIKTOK_CLIENT_SECRET", "TIKTOK_APP_SECRET"])
def test_an_event_signed_by_either_app_is_handled_once_however_often_it_comes(removed, secret_setting):
    raw = _event()
    codes = [_post(raw, getattr(settings, secret_setting)).status_code for _ in range(5)]
    assert codes == [200] * 5 and removed == ["open-1"]
    assert WebhookDelivery.objects.filter(endpoint="creator_events").count() == 1


@pytest.mark.parametrize(
    "raw",
    [_event(open_id={"nested": 1}), _event(event=["authorization.removed"]), b"[1, 2]", b"{not json"],
    ids=["object-openid", "list-event", "array", "broken"],
)
def test_a_signed_body_of_the_wrong_shape_is_a_400(removed, raw):
    assert _post(raw, settings.TIKTOK_CLIENT_SECRET).status_code == 400
    assert removed == [] and not WebhookDelivery.objects.exists()


def test_an_event_without_an_open_id_touches_no_account(removed):
    assert _post(_event(open_id=""), settings.TIKTOK_CLIENT_SECRET).status_code == 200
    assert removed == []
