"""Fixtures for the TikTok client tests: a strict `responses` mock and URL helpers."""

from __future__ import annotations

import json
import uuid
from urllib.parse import parse_qs, urlparse

import pytest
import responses
from django.conf import settings

from integrations.models import Credential


@pytest.fixture
def mocked():
    """Every registered response must be used, and no request may escape to the network."""
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        yield rsps


@pytest.fixture
def sleeps(monkeypatch):
    """Backoff and budget waits are recorded instead of slept."""
    calls: list[float] = []
    monkeypatch.setattr("integrations.tiktok.clock.sleep", calls.append)
    return calls


@pytest.fixture
def biz():
    def url(path: str) -> str:
        return f"{settings.TIKTOK_BUSINESS_API_BASE_URL}/open_api/v1.3/{path}"

    return url


def ok(data, request_id: str = "req-1") -> dict:
    """The API for Business success envelope."""
    return {"code": 0, "message": "OK", "request_id": request_id, "data": data}


def fail(code: int, message: str = "error", request_id: str = "req-err") -> dict:
    return {"code": code, "message": message, "request_id": request_id, "data": {}}


def query_of(call) -> dict[str, str]:
    """The query string of a recorded call, one value per key."""
    return {k: v[0] for k, v in parse_qs(urlparse(call.request.url).query).items()}


def json_body(call) -> dict:
    return json.loads(call.request.body)


@pytest.fixture
def rate_prefix(settings):
    """A Redis key prefix no other test (or process) shares."""
    prefix = f"test:tiktok:{uuid.uuid4().hex}"
    settings.TIKTOK_RATE_BUDGET_KEY_PREFIX = prefix
    return prefix


@pytest.fixture
def credential_factory(db):
    def make(**fields) -> Credential:
        defaults = {
            "kind": Credential.Kind.TT_USER,
            "access_token": "act.old",
            "refresh_token": "rft.old",
            "open_id": "open-1",
            "scopes": "user.info.basic",
        }
        return Credential.objects.create(**(defaults | fields))

    return make
