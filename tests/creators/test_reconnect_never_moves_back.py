"""Authorizing TikTok again never moves a creator back along the Marketplace steps: against
the live sandbox, with its clock advanced."""

from __future__ import annotations

import pytest

from creators.models import MarketplaceOnboarding

from .conftest import onboarding_of
from .test_onboarding_live import poll

pytestmark = [pytest.mark.integration, pytest.mark.django_db]
State = MarketplaceOnboarding.State


@pytest.fixture
def creator(user_factory):
    return user_factory(email="dana@example.test")


def _accepted(client, account, advance, sandbox_api, capture) -> None:
    assert poll(account, capture) == State.WAITING
    advance(3)
    assert sandbox_api("helpers/invites/accept", {"handle": account.handle}).status_code == 200
    client.post(f"/creator/accounts/{account.pk}/accepted/")
    assert onboarding_of(account).state == State.PROCESSING


def test_authorizing_again_while_tiktok_processes_keeps_the_creator_at_processing(
    client_for, creator, authorize_tiktok, internal_tto, advance, sandbox_api, django_capture_on_commit_callbacks
):
    client = client_for(creator)
    _, account = authorize_tiktok(client, "demo.creator")
    _accepted(client, account, advance, sandbox_api, django_capture_on_commit_callbacks)

    advance(0.5)  # TikTok still processing (INVITED)
    authorize_tiktok(client, "demo.creator")
    assert onboarding_of(account).state == State.PROCESSING
    assert poll(account, django_capture_on_commit_callbacks) == State.PROCESSING

    html = client.get("/creator/").content.decode()
    assert "Waiting for the invite" not in html and "I accepted the invite" not in html
    steps = {s["label"].split(" (")[0]: s for s in onboarding_of(account).steps()}
    assert (
        steps["Invite accepted"]["done"]
        and not steps["Invite arrives in the TikTok app under Inbox > Monetization"]["current"]
    )
    assert steps["TikTok is processing"]["current"]

    advance(2.1)  # processing ends: the next authorization lands in the Marketplace
    authorize_tiktok(client, "demo.creator")
    assert poll(account, django_capture_on_commit_callbacks) == State.IN_MARKETPLACE


def test_authorizing_again_while_waiting_for_the_invite_keeps_waiting(
    client_for, creator, authorize_tiktok, internal_tto, advance, sandbox_api, django_capture_on_commit_callbacks
):
    client = client_for(creator)
    _, account = authorize_tiktok(client, "demo.creator")
    assert poll(account, django_capture_on_commit_callbacks) == State.WAITING
    requested = onboarding_of(account).invite_requested_at
    authorize_tiktok(client, "demo.creator")
    ob = onboarding_of(account)
    assert ob.state == State.WAITING and ob.invite_requested_at == requested


def test_a_creator_who_disconnected_while_processing_resumes_at_processing(
    client_for, creator, authorize_tiktok, internal_tto, advance, sandbox_api, django_capture_on_commit_callbacks
):
    client = client_for(creator)
    _, account = authorize_tiktok(client, "demo.creator")
    _accepted(client, account, advance, sandbox_api, django_capture_on_commit_callbacks)
    client.post(f"/creator/accounts/{account.pk}/disconnect/")
    assert onboarding_of(account).state == State.DISCONNECTED

    authorize_tiktok(client, "demo.creator")
    assert onboarding_of(account).state == State.PROCESSING
    assert poll(account, django_capture_on_commit_callbacks) == State.PROCESSING


def test_authorizing_again_after_24_hours_without_an_invite_asks_for_another():
    """The one backward-looking move a new authorization makes is the one TikTok documents:
    past 24 hours, authorize again to request another invite (see the young creator's test in
    test_onboarding_live.py); it starts that attempt afresh."""
    ob = MarketplaceOnboarding(state=State.OVERDUE, accepted_at=None)
    assert ob.state_after_authorization() == State.AUTHORIZED
