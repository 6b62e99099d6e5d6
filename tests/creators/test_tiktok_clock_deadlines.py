"""The Marketplace waits (an invite's 24 hours, TikTok's 2+ hours of processing) and a creator
token's refresh margin are deadlines on TikTok's clock: stored in TikTok's time and found by a
due query against clock.now(), so when the sandbox clock jumps the work runs at the next
dispatcher tick, and once."""

from __future__ import annotations

from datetime import timedelta

import pytest
import responses
from django.conf import settings
from django.utils import timezone

from creators import marketplace
from creators.models import INVITE_DEADLINE, PROCESSING_TIME, MarketplaceOnboarding
from integrations.models import Credential, TikTokOneAccount
from integrations.tiktok import clock, tokens
from integrations.tiktok.base import TokenGrant
from tests.sparkads.test_deadlines import tick

from .test_pages import make_account

pytestmark = pytest.mark.django_db
State = MarketplaceOnboarding.State


def api(path: str) -> str:
    return f"{settings.TIKTOK_BUSINESS_API_BASE_URL}/open_api/v1.3/{path}"


def ok(data: dict) -> dict:
    return {"code": 0, "message": "OK", "request_id": "r", "data": data}


@pytest.fixture
def tiktok_clock(settings, monkeypatch):
    """A sandbox deployment whose clock is moved by setting `offset` (hours ahead of real time)."""
    settings.TIKTOK_SANDBOX = True
    settings.TIKTOK_MAX_RETRIES = 0
    offset = {"hours": 0.0}
    monkeypatch.setattr(clock, "_sandbox_offset", lambda: offset["hours"] * 3600)
    return offset


@pytest.fixture
def tiktok(tiktok_clock):
    """TikTok at the HTTP boundary, with the platform's TikTok One account that reads statuses."""
    TikTokOneAccount.objects.create(
        tto_tcm_account_id="7200000000000000099",
        name="Platform",
        is_internal=True,
        credential=Credential.objects.create(kind=Credential.Kind.BUSINESS, access_token="internal-token"),
    )
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


def status_is(rsps: responses.RequestsMock, handle: str, status: str) -> responses.BaseResponse:
    return rsps.get(
        api("tto/tcm/creator/status/get/"),
        json=ok({"onboarding_status": [{"handle_name": handle, "status": status}]}),
    )


def waiting_for_the_invite(user_factory) -> MarketplaceOnboarding:
    """A creator whose invite was just requested: TikTok says INVITED until it arrives."""
    account = make_account(user_factory(), state=State.AUTHORIZED)
    onboarding = MarketplaceOnboarding.objects.get(tiktok_account=account)
    # As request_invite leaves it: the next status poll after the back-off's longest wait.
    assert marketplace.transition(
        onboarding, State.WAITING, invite_requested_at=clock.now(), next_poll_at=timezone.now() + marketplace.POLL_MAX
    )
    return onboarding


def test_a_clock_jump_past_an_invites_24_hours_makes_it_overdue_at_the_next_tick(
    tiktok, tiktok_clock, user_factory, run_jobs
):
    onboarding = waiting_for_the_invite(user_factory)
    status = status_is(tiktok, onboarding.tiktok_account.handle, "INVITED")
    tick(run_jobs)
    assert status.call_count == 0  # the back-off's next poll is two real hours away

    tiktok_clock["hours"] = INVITE_DEADLINE / timedelta(hours=1) + 1
    tick(run_jobs)
    onboarding.refresh_from_db()
    assert onboarding.state == State.OVERDUE
    assert (
        onboarding.overdue_at is not None and onboarding.overdue_at >= onboarding.invite_requested_at + INVITE_DEADLINE
    )
    assert status.call_count == 1

    tick(run_jobs)
    assert status.call_count == 1  # the deadline is done: a jump never does it twice


def test_the_invites_deadline_is_stored_on_tiktoks_clock(tiktok_clock, user_factory):
    tiktok_clock["hours"] = 100  # far from real time, so a real-time deadline cannot pass
    onboarding = waiting_for_the_invite(user_factory)
    onboarding.refresh_from_db()
    assert onboarding.due_at == onboarding.invite_requested_at + INVITE_DEADLINE


def test_a_clock_jump_past_tiktoks_two_hours_of_processing_polls_at_the_next_tick(
    tiktok, tiktok_clock, user_factory, run_jobs
):
    onboarding = waiting_for_the_invite(user_factory)
    assert marketplace.mark_accepted(onboarding)
    status = status_is(tiktok, onboarding.tiktok_account.handle, "IN")
    tick(run_jobs)
    assert status.call_count == 0  # TikTok processes for 2+ hours: nothing to ask before

    tiktok_clock["hours"] = PROCESSING_TIME / timedelta(hours=1) + 0.1
    tick(run_jobs)
    onboarding.refresh_from_db()
    assert onboarding.state == State.IN_MARKETPLACE
    assert status.call_count == 1
    tick(run_jobs)
    assert status.call_count == 1


def test_processing_that_outlasts_its_two_hours_is_polled_once_at_the_deadline_then_on_the_back_off(
    tiktok, tiktok_clock, user_factory, run_jobs
):
    onboarding = waiting_for_the_invite(user_factory)
    assert marketplace.mark_accepted(onboarding)
    status = status_is(tiktok, onboarding.tiktok_account.handle, "INVITED")
    tiktok_clock["hours"] = 3
    tick(run_jobs)
    tick(run_jobs)
    onboarding.refresh_from_db()
    assert status.call_count == 1
    assert onboarding.state == State.PROCESSING and onboarding.due_at is None
    assert onboarding.next_poll_at > timezone.now()  # the next look is the back-off's, on real time


GRANT = {
    "open_id": "open-1",
    "scope": "user.info.basic",
    "access_token": "act.1",
    "expires_in": 86400,
    "refresh_token": "rft.1",
    "refresh_token_expires_in": 31536000,
    "token_type": "Bearer",
}


@pytest.fixture
def creator_grant(tiktok_clock, user_factory) -> Credential:
    """A creator's grant as TikTok issued it a moment ago: its access token lives 24 hours."""
    credential = Credential(kind=Credential.Kind.TT_USER, user=user_factory())
    return tokens.apply_grant(credential, TokenGrant.from_response(GRANT))


def test_a_tokens_refresh_deadline_is_stored_on_tiktoks_clock(tiktok_clock, user_factory):
    tiktok_clock["hours"] = 100
    credential = tokens.apply_grant(
        Credential(kind=Credential.Kind.TT_USER, user=user_factory()), TokenGrant.from_response(GRANT)
    )
    margin = timedelta(seconds=settings.TIKTOK_REFRESH_MARGIN_SECONDS)
    assert credential.refresh_due_at == credential.access_expires_at - margin


def test_a_clock_jump_into_a_tokens_refresh_margin_refreshes_it_at_the_next_tick_once(
    creator_grant, tiktok, tiktok_clock, run_jobs
):
    refresh = tiktok.post(
        api("tt_user/oauth2/refresh_token/"), json=ok(GRANT | {"access_token": "act.2", "refresh_token": "rft.2"})
    )
    tick(run_jobs)
    assert refresh.call_count == 0

    tiktok_clock["hours"] = 23.95  # three minutes before the access token expires on TikTok's clock
    tick(run_jobs)
    tick(run_jobs)
    creator_grant.refresh_from_db()
    assert refresh.call_count == 1
    assert creator_grant.access_token == "act.2"
    assert creator_grant.refresh_due_at > clock.now() + timedelta(hours=23)


def test_authorizing_again_while_tiktok_processes_keeps_the_wait_on_tiktoks_clock(tiktok_clock, user_factory):
    onboarding = waiting_for_the_invite(user_factory)
    assert marketplace.mark_accepted(onboarding)
    tiktok_clock["hours"] = 0.5
    resumed = marketplace.restart_onboarding(onboarding.tiktok_account)
    assert resumed.state == State.PROCESSING
    assert resumed.due_at == onboarding.accepted_at + PROCESSING_TIME
