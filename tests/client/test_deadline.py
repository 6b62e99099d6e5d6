"""A person never waits on TikTok past the request deadline; a throttled task costs one call."""

from __future__ import annotations

import socket
import threading
import time

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from integrations.middleware import TikTokDeadlineMiddleware
from integrations.tiktok import BusinessClient, Kind, TikTokError
from integrations.tiktok import transport as transport_module
from integrations.tiktok.transport import request_deadline

from .conftest import fail, ok

TOKEN = "act.deadline-token"
ACCOUNT = "7200000000000000001"


def test_inside_a_request_a_transient_error_is_not_retried(mocked, biz, sleeps):
    mocked.get(biz("tto/oauth2/info/"), json=fail(50000, "System error"))

    with request_deadline(8), pytest.raises(TikTokError) as failure:
        BusinessClient(TOKEN).tto_oauth2_info(ACCOUNT)

    assert failure.value.kind == Kind.TRANSIENT
    assert len(mocked.calls) == 1
    assert sleeps == []


def test_inside_a_request_the_timeout_fits_in_what_is_left_of_the_deadline(mocked, biz, settings):
    settings.TIKTOK_HTTP_TIMEOUT = 30
    mocked.get(biz("bc/get/"), json=ok({"list": []}))

    with request_deadline(8):
        BusinessClient(TOKEN).bc_get()

    connect, read = mocked.calls[0].request.req_kwargs["timeout"]
    assert connect <= 3
    assert connect + read <= 8


def test_outside_a_request_the_same_error_is_retried(mocked, biz, sleeps):
    mocked.get(biz("tto/oauth2/info/"), json=fail(50000, "System error"))
    mocked.get(biz("tto/oauth2/info/"), json=ok({"account_name": "Demo"}))

    assert BusinessClient(TOKEN).tto_oauth2_info(ACCOUNT) == {"account_name": "Demo"}
    assert len(mocked.calls) == 2


def test_a_throttled_call_in_a_task_is_raised_with_tiktoks_wait_after_one_call(mocked, biz, sleeps, monkeypatch):
    monkeypatch.setattr(transport_module.ratelimit, "in_background", lambda: True)
    mocked.get(biz("tto/oauth2/info/"), json=fail(40100, "App reaches the QPS limit 10, current QPS is 11."))

    with pytest.raises(TikTokError) as failure:
        BusinessClient(TOKEN).tto_oauth2_info(ACCOUNT)

    assert len(mocked.calls) == 1
    assert failure.value.is_transient
    assert failure.value.retry_after >= 1


@pytest.fixture
def hanging_tiktok(settings):
    """A server that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    accepted = []
    stop = threading.Event()

    def accept():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    settings.TIKTOK_BUSINESS_API_BASE_URL = f"http://127.0.0.1:{server.getsockname()[1]}"
    yield
    stop.set()
    thread.join()
    for conn in accepted:
        conn.close()
    server.close()


def test_a_hanging_tiktok_ends_the_call_at_the_deadline_not_at_the_http_timeout(hanging_tiktok, settings):
    settings.TIKTOK_HTTP_TIMEOUT = 60
    started = time.monotonic()
    with request_deadline(1.5), pytest.raises(TikTokError) as failure:
        BusinessClient(TOKEN).bc_get()
    assert time.monotonic() - started < 10  # a minute if the deadline were ignored
    assert failure.value.kind == Kind.TRANSIENT


def test_the_middleware_puts_every_request_under_the_deadline(settings):
    settings.TIKTOK_REQUEST_DEADLINE_SECONDS = 4
    seen = []

    def view(request):
        seen.append(transport_module._deadline.get() - time.monotonic())
        return HttpResponse("ok")

    TikTokDeadlineMiddleware(view)(RequestFactory().get("/"))

    assert 3 < seen[0] <= 4
    assert transport_module._deadline.get() is None
