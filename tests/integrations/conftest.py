"""Brand-integration helpers: factories for connected accounts, and the portal consent
driven through the live sandbox with the state our own connect view put in the session."""

from __future__ import annotations

import itertools
import uuid
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from django.urls import reverse

from integrations.models import AdAccount, Credential, TikTokOneAccount
from integrations.tiktok.ratelimit import RateBudget, limits_for

_ids = itertools.count(1)


def exhaust_rate_budget(settings) -> None:
    """Turn the shared rate budget (real Redis) on and use up the app's day: one request a
    day, already taken, and no waiting for a slot."""
    settings.TIKTOK_RATE_BUDGET_ENABLED = True
    settings.TIKTOK_RATE_BUDGET_KEY_PREFIX = f"test:tiktok:{uuid.uuid4().hex}"
    settings.TIKTOK_RATE_BUDGET_MAX_WAIT = 0
    settings.TIKTOK_RATE_QPS = settings.TIKTOK_RATE_QPM = 0
    settings.TIKTOK_RATE_PER_DAY = 1
    budget = RateBudget(settings.REDIS_URL, prefix=settings.TIKTOK_RATE_BUDGET_KEY_PREFIX, max_wait=0)
    budget.acquire(f"business:{settings.TIKTOK_APP_ID}", limits_for(), background=False)


@pytest.fixture
def credential_factory():
    def make(brand=None, **extra):
        fields = {"kind": Credential.Kind.BUSINESS, "brand": brand, "access_token": f"tok-{next(_ids)}"}
        return Credential.objects.create(**{**fields, **extra})

    return make


@pytest.fixture
def tto_factory(credential_factory):
    def make(brand=None, verified=True, **extra):
        n = next(_ids)
        fields = {
            "tto_tcm_account_id": f"72{n:017d}",
            "name": f"TTO {n}",
            "brand": brand,
            "business_verification_status": "VERIFIED" if verified else "REVIEWING",
        }
        if "credential" not in extra:
            fields["credential"] = credential_factory(brand=brand)
        return TikTokOneAccount.objects.create(**{**fields, **extra})

    return make


@pytest.fixture
def ad_factory():
    def make(brand, tto=None, access=True, **extra):
        n = next(_ids)
        fields = {
            "advertiser_id": f"73{n:017d}",
            "name": f"Ads {n}",
            "brand": brand,
            "tiktok_one_account": tto,
            "tto_has_access": access,
            "credential": tto.credential if tto else None,
        }
        return AdAccount.objects.create(**{**fields, **extra})

    return make


def messages_of(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])


@pytest.fixture
def portal_auth(live_sandbox):
    """What TikTok's consent screen does for `persona`: an auth_code for our redirect URI."""

    def run(persona: str, state: str, redirect_uri: str) -> str:
        answer = requests.post(
            f"{live_sandbox}/sandbox/api/helpers/portal-auth",
            json={"persona": persona, "redirect_uri": redirect_uri, "state": state},
            timeout=30,
        )
        answer.raise_for_status()
        return answer.json()["auth_code"]

    return run


def start_connect(client, brand):
    """Click "Add TikTok One and Ad Account": returns (state, redirect_uri) from the redirect."""
    response = client.post(reverse("integrations:tiktok_connect", args=[brand.slug]))
    assert response.status_code == 302, response
    query = parse_qs(urlparse(response["Location"]).query)
    return query["state"][0], query["redirect_uri"][0]


@pytest.fixture
def connect_as(portal_auth):
    """Run the whole connect flow for `persona` as the logged-in `client`; returns the final page."""

    def run(client, brand, persona: str):
        state, redirect_uri = start_connect(client, brand)
        code = portal_auth(persona, state, redirect_uri)
        return client.get(reverse("integrations:tiktok_callback"), {"auth_code": code, "state": state}, follow=True)

    return run
