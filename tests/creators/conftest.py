"""Creator test helpers: the platform's internal TikTok One account and a creator who
authorizes TikTok through the live sandbox's consent helper."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
import requests
import time_machine
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from creators import flows
from creators.models import MarketplaceOnboarding
from integrations.models import Credential, TikTokAccount, TikTokOneAccount
from integrations.tiktok import BusinessClient, tokens

DEMO_TTO_ID = "7200000000000000001"


@pytest.fixture
def internal_tto(live_sandbox):
    """The platform's internal TikTok One account (Demo Brand's in the sandbox), with a
    business token obtained the way the portal consent screen issues it to the platform's app."""
    answer = requests.post(
        f"{live_sandbox}/sandbox/api/helpers/portal-auth",
        json={"persona": "demo-brand", "redirect_uri": "http://127.0.0.1:8000/cb/", "app_id": settings.TIKTOK_APP_ID},
        timeout=30,
    )
    answer.raise_for_status()
    grant = BusinessClient().oauth2_access_token(answer.json()["auth_code"])
    credential = tokens.apply_grant(Credential(kind=Credential.Kind.BUSINESS), grant)
    return TikTokOneAccount.objects.create(
        tto_tcm_account_id=DEMO_TTO_ID,
        name="Internal",
        is_internal=True,
        business_verification_status="VERIFIED",
        credential=credential,
    )


@pytest.fixture
def sandbox_api(live_sandbox):
    def call(path: str, payload: dict | None = None, method: str = "post") -> requests.Response:
        return requests.request(method, f"{live_sandbox}/sandbox/api/{path}", json=payload or {}, timeout=30)

    return call


@pytest.fixture
def authorize_tiktok(sandbox_api):
    """Drive Authorize TikTok end to end for `handle` as the logged-in `client`."""

    def run(client, handle: str):
        start = client.post(reverse("creators:authorize"))
        assert start.status_code == 302
        state = parse_qs(urlparse(start["Location"]).query)["state"][0]
        answer = sandbox_api(
            "helpers/authorize",
            {
                "handle": handle,
                "client_key": settings.TIKTOK_APP_ID,
                "redirect_uri": flows.redirect_uri(),
                "state": state,
            },
        )
        answer.raise_for_status()
        response = client.get(reverse("creators:callback"), {"code": answer.json()["code"], "state": state})
        return response, TikTokAccount.objects.filter(handle=handle).first()

    return run


@pytest.fixture
def advance(sandbox_api):
    """Move the sandbox clock and the platform's clock forward together."""
    with time_machine.travel(timezone.now(), tick=True) as traveller:

        def step(hours: float) -> None:
            sandbox_api("clock/advance", {"minutes": int(hours * 60)}).raise_for_status()
            traveller.shift(timedelta(hours=hours))

        yield step


def onboarding_of(account: TikTokAccount) -> MarketplaceOnboarding:
    return MarketplaceOnboarding.objects.get(tiktok_account=account)
