"""In a sandbox deployment the platform follows the sandbox's clock: advancing the sandbox alone
(no fake time on the platform) makes an invite overdue after 24 hours, ends TikTok's 2 hours
of processing and brings a token into its refresh margin, end to end; each is found at the
next dispatcher tick, once."""

from __future__ import annotations

from datetime import timedelta

import pytest

from creators.models import MarketplaceOnboarding
from integrations.models import Credential
from integrations.tiktok import BusinessClient, clock
from tests.sparkads.test_deadlines import tick

from .conftest import onboarding_of
from .test_onboarding_live import poll

pytestmark = [pytest.mark.integration, pytest.mark.django_db]
State = MarketplaceOnboarding.State


@pytest.fixture
def sandbox_deployment(settings, live_sandbox):
    settings.TIKTOK_SANDBOX = True
    settings.SANDBOX_URL = live_sandbox
    clock.forget()
    yield
    clock.forget()


def test_an_invite_is_overdue_after_24_hours_of_the_sandboxs_clock(
    sandbox_deployment,
    client_for,
    user_factory,
    authorize_tiktok,
    internal_tto,
    sandbox_api,
    django_capture_on_commit_callbacks,
):
    client = client_for(user_factory(email="young@example.test"))
    _, account = authorize_tiktok(client, "young.creator")  # its invite never arrives
    assert poll(account, django_capture_on_commit_callbacks) == State.WAITING

    sandbox_api("clock/advance", {"hours": 23}).raise_for_status()
    clock.forget()
    assert poll(account, django_capture_on_commit_callbacks) == State.WAITING

    sandbox_api("clock/advance", {"hours": 2}).raise_for_status()
    clock.forget()
    assert poll(account, django_capture_on_commit_callbacks) == State.OVERDUE
    assert "has not arrived after 24 hours" in client.get("/creator/").content.decode()


def test_a_sandbox_clock_jump_past_an_invites_24_hours_makes_it_overdue_at_the_next_tick_once(
    sandbox_deployment, client_for, user_factory, authorize_tiktok, internal_tto, sandbox_api, run_jobs
):
    client = client_for(user_factory(email="young@example.test"))
    _, account = authorize_tiktok(client, "young.creator")  # its invite never arrives
    tick(run_jobs)
    assert onboarding_of(account).state == State.WAITING  # the next poll is the back-off's, real time away

    sandbox_api("clock/advance", {"hours": 25}).raise_for_status()
    clock.forget()
    tick(run_jobs)
    overdue = onboarding_of(account)
    assert overdue.state == State.OVERDUE and overdue.due_at is None
    tick(run_jobs)
    assert onboarding_of(account).status_checked_at == overdue.status_checked_at  # not polled twice
    assert "has not arrived after 24 hours" in client.get("/creator/").content.decode()


def test_a_sandbox_clock_jump_past_tiktoks_two_hours_of_processing_polls_at_the_next_tick(
    sandbox_deployment, client_for, user_factory, authorize_tiktok, internal_tto, sandbox_api, run_jobs
):
    client = client_for(user_factory(email="dana@example.test"))
    _, account = authorize_tiktok(client, "demo.creator")
    tick(run_jobs)
    assert onboarding_of(account).state == State.WAITING
    sandbox_api("clock/advance", {"hours": 3}).raise_for_status()  # the invite arrives
    clock.forget()
    assert sandbox_api("helpers/invites/accept", {"handle": "demo.creator"}).status_code == 200
    client.post(f"/creator/accounts/{account.pk}/accepted/")
    accepted = onboarding_of(account)
    assert accepted.state == State.PROCESSING
    tick(run_jobs)
    assert onboarding_of(account).status_checked_at == accepted.status_checked_at  # nothing to ask yet

    sandbox_api("clock/advance", {"minutes": 150}).raise_for_status()
    clock.forget()
    tick(run_jobs)
    joined = onboarding_of(account)
    assert joined.state == State.IN_MARKETPLACE and joined.due_at is None
    assert "In the Creator Marketplace" in client.get("/creator/").content.decode()


def test_a_sandbox_clock_jump_into_a_tokens_refresh_margin_refreshes_it_at_the_next_tick_once(
    sandbox_deployment, client_for, user_factory, authorize_tiktok, internal_tto, sandbox_api, run_jobs
):
    _, account = authorize_tiktok(client_for(user_factory()), "demo.creator")
    credential = Credential.objects.get(pk=account.credential_id)
    tick(run_jobs)
    assert Credential.objects.get(pk=credential.pk).access_token == credential.access_token

    # To five minutes before the access token expires, by the sandbox's clock alone.
    left = credential.access_expires_at - clock.now() - timedelta(minutes=5)
    sandbox_api("clock/advance", {"minutes": int(left.total_seconds() // 60)}).raise_for_status()
    clock.forget()
    tick(run_jobs)
    refreshed = Credential.objects.get(pk=credential.pk)
    assert refreshed.access_token != credential.access_token
    assert refreshed.refresh_due_at > clock.now() + timedelta(hours=12)
    assert BusinessClient(refreshed.access_token).tt_user_token_info_get(refreshed.access_token)

    tick(run_jobs)
    assert Credential.objects.get(pk=credential.pk).access_token == refreshed.access_token  # once
