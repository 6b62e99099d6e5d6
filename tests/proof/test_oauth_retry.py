"""An OAuth callback while TikTok is down says so and offers "Try again" with the same code;
the state's single use still holds. Against the live sandbox with faults injected on TikTok's
token endpoints, for both callbacks (brand connect and creator authorize)."""

from __future__ import annotations

import re
import threading

import pytest
import time_machine
from django.conf import settings
from django.db import connection, connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from . import test_oauth_state
from .test_oauth_state import FLOWS, _exchanges, _messages, _signed_in

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

# The same flows as the state tests (brand connect, creator authorize).
flows = test_oauth_state.flow_for

RETRY_URLS = {"brand connect": "integrations:tiktok_callback_retry", "creator authorize": "creators:callback_retry"}


def _tiktok_down(sandbox, flow) -> None:
    sandbox.add_fault(pattern=f"*{flow.token_path}", http_5xx=1)


def _retry_key(response) -> str:
    return re.search(r'name="key" value="([^"]+)"', response.content.decode()).group(1)


def _down_callback(flow, sandbox, client):
    state, redirect_uri = flow.start(client)
    code = flow.consent(state, redirect_uri)
    _tiktok_down(sandbox, flow)
    return state, code, flow.callback(client, state=state, code=code)


@pytest.mark.parametrize("flow_cls", FLOWS)
def test_a_callback_while_tiktok_is_down_says_so_and_offers_try_again(flows, sandbox, alice, flow_cls):
    flow = flows(flow_cls)
    client = _signed_in(alice)
    _, _, response = _down_callback(flow, sandbox, client)

    html = response.content.decode()
    assert response.status_code == 200  # a 5xx would not save the session that holds the code
    assert "not answering" in html and "may be down" in html
    assert "may have expired" not in html and "ConnectionError" not in html
    assert "Try again" in html and _retry_key(response)
    assert flow.connected() == 0


@pytest.mark.parametrize("flow_cls", FLOWS)
def test_try_again_exchanges_the_same_code_once_tiktok_answers(flows, sandbox, alice, flow_cls):
    flow = flows(flow_cls)
    client = _signed_in(alice)
    state, code, response = _down_callback(flow, sandbox, client)
    key = _retry_key(response)

    sandbox.clear_faults()
    page = client.post(reverse(RETRY_URLS[flow.name]), {"key": key}, follow=True)

    assert flow.connected() >= 1
    assert "connected" in _messages(page).lower() or "Connected" in _messages(page)
    # Single use, both ways: the key is spent, and the state cannot start another exchange.
    sent = _exchanges(sandbox, flow)
    again = client.post(reverse(RETRY_URLS[flow.name]), {"key": key}, follow=True)
    assert "can no longer be retried" in _messages(again)
    flow.callback(client, state=state, code=code)
    assert _exchanges(sandbox, flow) == sent


@pytest.mark.parametrize("flow_cls", FLOWS)
def test_try_again_while_tiktok_is_still_down_offers_it_again(flows, sandbox, alice, flow_cls):
    flow = flows(flow_cls)
    client = _signed_in(alice)
    _, _, response = _down_callback(flow, sandbox, client)

    second = client.post(reverse(RETRY_URLS[flow.name]), {"key": _retry_key(response)})
    assert "Try again" in second.content.decode()

    sandbox.clear_faults()
    client.post(reverse(RETRY_URLS[flow.name]), {"key": _retry_key(second)})
    assert flow.connected() >= 1


@pytest.mark.parametrize("flow_cls", FLOWS)
def test_a_retry_key_is_useless_in_another_session(flows, sandbox, alice, flow_cls):
    flow = flows(flow_cls)
    _, _, response = _down_callback(flow, sandbox, _signed_in(alice))
    sandbox.clear_faults()

    other = _signed_in(alice)  # the same person in another browser: no held code there
    page = other.post(reverse(RETRY_URLS[flow.name]), {"key": _retry_key(response)}, follow=True)

    assert "can no longer be retried" in _messages(page)
    assert flow.connected() == 0


@pytest.mark.parametrize("flow_cls", FLOWS)
def test_a_held_code_is_dropped_once_tiktoks_code_would_have_expired(flows, sandbox, alice, flow_cls):
    flow = flows(flow_cls)
    client = _signed_in(alice)
    _, _, response = _down_callback(flow, sandbox, client)
    sandbox.clear_faults()

    with time_machine.travel(timezone.now() + timezone.timedelta(hours=1, minutes=1)):
        page = client.post(reverse(RETRY_URLS[flow.name]), {"key": _retry_key(response)}, follow=True)

    assert "can no longer be retried" in _messages(page)
    assert flow.connected() == 0


@pytest.mark.parametrize("flow_cls", FLOWS)
def test_a_code_tiktok_refuses_on_retry_ends_the_retry_with_a_clear_message(flows, sandbox, alice, flow_cls):
    flow = flows(flow_cls)
    client = _signed_in(alice)
    _, code, response = _down_callback(flow, sandbox, client)
    sandbox.clear_faults()
    sandbox.advance(hours=2)  # TikTok's code has expired meanwhile

    page = client.post(reverse(RETRY_URLS[flow.name]), {"key": _retry_key(response)}, follow=True)

    said = _messages(page)
    assert "expired or was already used" in said and "start again" in said
    assert flow.connected() == 0
    again = client.post(reverse(RETRY_URLS[flow.name]), {"key": _retry_key(response)}, follow=True)
    assert "can no longer be retried" in _messages(again)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent requests need PostgreSQL")
@pytest.mark.parametrize("flow_cls", FLOWS)
def test_twenty_concurrent_try_agains_of_one_session_exchange_the_code_once(flows, sandbox, alice, flow_cls):
    flow = flows(flow_cls)
    client = _signed_in(alice)
    _, _, response = _down_callback(flow, sandbox, client)
    key, session = _retry_key(response), client.cookies[settings.SESSION_COOKIE_NAME].value
    sandbox.clear_faults()
    before = _exchanges(sandbox, flow)
    barrier, statuses = threading.Barrier(20), []

    def try_again() -> None:
        same_browser = Client()
        same_browser.cookies[settings.SESSION_COOKIE_NAME] = session
        try:
            barrier.wait()
            statuses.append(same_browser.post(reverse(RETRY_URLS[flow.name]), {"key": key}).status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=try_again) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)

    assert len(statuses) == 20 and all(status < 500 for status in statuses), statuses
    assert _exchanges(sandbox, flow) - before == 1
    assert flow.connected() >= 1
