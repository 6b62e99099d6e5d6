"""Every OAuth callback rejects a missing, reused or foreign `state`, and never spends the code.

Against the live sandbox: a real consent gives a real, unused authorization code, so a
rejected callback is proven by the code never reaching TikTok's token endpoint (the
sandbox's request log) and no credential being stored.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
from django.test import Client
from django.urls import reverse

from integrations.models import Credential, TikTokOneAccount

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

BRAND_TOKEN_PATH = "/open_api/v1.3/oauth2/access_token/"
CREATOR_TOKEN_PATH = "/open_api/v1.3/tt_user/oauth2/token/"


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _query(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlparse(location).query).items()}


# --- brand connect: "Add TikTok One and Ad Account" -----------------------------------------


class BrandFlow:
    name = "brand connect"
    token_path = BRAND_TOKEN_PATH

    def __init__(self, sandbox, brand) -> None:
        self.sandbox, self.brand = sandbox, brand

    def start(self, client, brand=None) -> tuple[str, str]:
        """(state, redirect_uri) from the redirect to TikTok's consent screen."""
        response = client.post(reverse("integrations:tiktok_connect", args=[(brand or self.brand).slug]))
        assert response.status_code == 302, response.status_code
        q = _query(response["Location"])
        return q["state"], q["redirect_uri"]

    def consent(self, state: str, redirect_uri: str) -> str:
        answer = self.sandbox.helper("portal-auth", persona="demo-brand", redirect_uri=redirect_uri, state=state)
        return answer["auth_code"]

    def callback(self, client, *, state: str | None, code: str):
        params = {"auth_code": code}
        if state is not None:
            params["state"] = state
        return client.get(reverse("integrations:tiktok_callback"), params, follow=True)

    def connected(self) -> int:
        return TikTokOneAccount.objects.filter(brand__isnull=False).count()


class CreatorFlow:
    name = "creator authorize"
    token_path = CREATOR_TOKEN_PATH

    def __init__(self, sandbox, brand) -> None:
        self.sandbox = sandbox

    def start(self, client, brand=None) -> tuple[str, str]:
        response = client.post(reverse("creators:authorize"))
        assert response.status_code == 302, response.status_code
        q = _query(response["Location"])
        return q["state"], q["redirect_uri"]

    def consent(self, state: str, redirect_uri: str) -> str:
        answer = self.sandbox.helper(
            "authorize",
            handle="demo.creator",
            client_key="sandbox-business-app",
            redirect_uri=redirect_uri,
            state=state,
        )
        return answer["code"]

    def callback(self, client, *, state: str | None, code: str):
        params = {"code": code}
        if state is not None:
            params["state"] = state
        return client.get(reverse("creators:callback"), params, follow=True)

    def connected(self) -> int:
        return Credential.objects.filter(kind=Credential.Kind.TT_USER).count()


FLOWS = [pytest.param(BrandFlow, id="brand-connect"), pytest.param(CreatorFlow, id="creator-authorize")]


@pytest.fixture
def flow_for(sandbox, brand):
    def make(cls):
        return cls(sandbox, brand)

    return make


def _exchanges(sandbox, flow) -> int:
    return len(sandbox.requests(path=flow.token_path))


def _messages(response) -> str:
    return " ".join(str(m) for m in response.context["messages"]) if response.context else ""


@pytest.mark.parametrize("flow_cls", FLOWS)
def test_a_callback_without_state_is_refused_and_the_code_is_not_exchanged(flow_for, sandbox, alice, flow_cls):
    flow = flow_for(flow_cls)
    client = _signed_in(alice)
    state, redirect_uri = flow.start(client)
    code = flow.consent(state, redirect_uri)

    response = flow.callback(client, state=None, code=code)

    assert response.status_code == 200
    assert "state" in _messages(response).lower() or "did not start here" in _messages(response)
    assert _exchanges(sandbox, flow) == 0
    assert flow.connected() == 0


@pytest.mark.parametrize("flow_cls", FLOWS)
def test_a_state_is_single_use(flow_for, sandbox, alice, flow_cls):
    flow = flow_for(flow_cls)
    client = _signed_in(alice)
    state, redirect_uri = flow.start(client)
    flow.callback(client, state=state, code=flow.consent(state, redirect_uri))
    assert _exchanges(sandbox, flow) == 1
    connected = flow.connected()
    assert connected >= 1

    second_code = flow.consent(state, redirect_uri)  # a fresh, valid code replayed with the used state
    response = flow.callback(client, state=state, code=second_code)

    assert "already used" in _messages(response)
    assert _exchanges(sandbox, flow) == 1
    assert flow.connected() == connected


@pytest.mark.parametrize("flow_cls", FLOWS)
def test_a_state_from_another_session_is_refused(flow_for, sandbox, alice, charlie, other_brand, flow_cls):
    flow = flow_for(flow_cls)
    state, redirect_uri = flow.start(_signed_in(alice))
    code = flow.consent(state, redirect_uri)

    attacker = _signed_in(charlie)
    flow.start(attacker, other_brand)  # charlie has a state of his own; alice's is still foreign to him
    response = flow.callback(attacker, state=state, code=code)

    assert response.status_code == 200
    assert _messages(response)
    assert _exchanges(sandbox, flow) == 0
    assert flow.connected() == 0


@pytest.mark.parametrize("flow_cls", FLOWS)
def test_a_made_up_state_is_refused(flow_for, sandbox, alice, flow_cls):
    flow = flow_for(flow_cls)
    client = _signed_in(alice)
    state, redirect_uri = flow.start(client)
    code = flow.consent(state, redirect_uri)

    flow.callback(client, state="x" * 43, code=code)

    assert _exchanges(sandbox, flow) == 0
    assert flow.connected() == 0
