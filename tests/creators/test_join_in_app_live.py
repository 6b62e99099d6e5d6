"""The platform on the sandbox's app without the legacy invite permission: the creator is led
to join in TikTok Studio, and the platform's polls bring them into the Marketplace."""

from __future__ import annotations

import pytest
from django.core import mail

from creators.models import MarketplaceOnboarding
from creators.tasks import poll_onboarding

from .conftest import onboarding_of

pytestmark = [pytest.mark.integration, pytest.mark.django_db]
State = MarketplaceOnboarding.State


@pytest.fixture
def tto_app(live_sandbox, settings):
    """The platform configured with the sandbox's second app (set before any token is issued)."""
    settings.TIKTOK_APP_ID, settings.TIKTOK_APP_SECRET = "sandbox-tto-app", "sandbox-tto-secret"
    return settings.TIKTOK_APP_ID


def poll(account, capture) -> str:
    ob = onboarding_of(account)
    MarketplaceOnboarding.objects.filter(pk=ob.pk).update(next_poll_at=ob.state_changed_at)
    with capture(execute=True):
        poll_onboarding(ob.pk)
    return onboarding_of(account).state


def invite_calls(sandbox_api) -> list:
    log = sandbox_api("requests?path=/open_api/v1.3/tcm/creator/invite/&limit=100", method="get").json()
    log = log if isinstance(log, list) else log.get("requests", [])
    return [r for r in log if "tcm/creator/invite" in r.get("path", "")]


def test_without_the_invite_permission_the_creator_joins_in_the_app_and_reaches_the_marketplace(
    tto_app, client_for, user_factory, authorize_tiktok, internal_tto, advance, sandbox_api,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    client = client_for(user_factory(email="dana@example.test"))
    _, account = authorize_tiktok(client, "demo.creator")
    capture = django_capture_on_commit_callbacks

    assert poll(account, capture) == State.JOIN_IN_APP
    assert len(invite_calls(sandbox_api)) == 1  # TikTok answered 41001 once; no retries
    assert "TikTok Studio › Monetization › Creator Marketplace" in mail.outbox[-1].body
    page = client.get("/creator/").content.decode()
    assert "Join in the TikTok app" in page and "10,000 followers or more" in page

    assert poll(account, capture) == State.JOIN_IN_APP  # NOT_IN until the creator joins
    assert sandbox_api("helpers/marketplace/join", {"handle": "demo.creator"}).status_code == 200
    advance(1)
    assert poll(account, capture) == State.JOIN_IN_APP  # TikTok is still processing
    advance(2)
    assert poll(account, capture) == State.IN_MARKETPLACE
    assert len(invite_calls(sandbox_api)) == 1
    ob = onboarding_of(account)
    assert ob.tiktok_status == "IN" and ob.joined_at and ob.join_in_app_at and ob.invite_requested_at is None
    assert "In the Creator Marketplace" in client.get("/creator/").content.decode()
