"""An app without the legacy invite endpoint: TikTok answers `tcm/creator/invite/` with 41001
(interface offline), so the creator is led to join in the TikTok app while the platform keeps
polling `tto/tcm/creator/status/get/`. TikTok is mocked at the HTTP boundary."""

from __future__ import annotations

import json

import pytest
import responses
from django.conf import settings
from django.core import mail
from django.utils import timezone

from creators import marketplace, tasks
from creators.models import MarketplaceOnboarding
from integrations.models import Credential, TikTokAccount, TikTokOneAccount

pytestmark = pytest.mark.django_db
State = MarketplaceOnboarding.State
TTO_ID = "7200000000000000001"


def api(path: str) -> str:
    return f"{settings.TIKTOK_BUSINESS_API_BASE_URL}/open_api/v1.3/{path}"


def envelope(code: int = 0, message: str = "OK", data: dict | None = None) -> dict:
    return {"code": code, "message": message, "request_id": "20261201000000ABCDEF", "data": data or {}}


def status_answer(status: str, handle: str = "demo.creator") -> dict:
    return envelope(data={"onboarding_status": [{"handle_name": handle, "status": status}]})


@pytest.fixture
def internal_account():
    credential = Credential.objects.create(kind=Credential.Kind.BUSINESS, access_token="platform-token")
    return TikTokOneAccount.objects.create(
        tto_tcm_account_id=TTO_ID,
        name="Internal",
        is_internal=True,
        business_verification_status="VERIFIED",
        credential=credential,
    )


@pytest.fixture
def onboarding(user_factory, internal_account):
    creator = user_factory(email="dana@example.test")
    account = TikTokAccount.objects.create(
        handle="demo.creator",
        open_id="open-demo",
        owner=creator,
        follower_count=52_000,
        account_type=TikTokAccount.AccountType.CREATOR,
    )
    return marketplace.restart_onboarding(account)


@pytest.fixture
def mocked():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        yield rsps


@pytest.fixture
def run_poll(django_capture_on_commit_callbacks):
    """A due poll, run as a worker runs it (mail goes out on commit)."""

    def run(onboarding: MarketplaceOnboarding) -> str:
        MarketplaceOnboarding.objects.filter(pk=onboarding.pk).update(next_poll_at=timezone.now())
        with django_capture_on_commit_callbacks(execute=True):
            tasks.poll_onboarding.apply(args=[onboarding.pk])
        return MarketplaceOnboarding.objects.get(pk=onboarding.pk).state

    return run


def test_interface_offline_on_the_invite_leads_the_creator_to_join_in_the_tiktok_app(onboarding, mocked, run_poll):
    mocked.get(api("tto/tcm/creator/status/get/"), json=status_answer("NOT_IN"))
    invite = mocked.post(api("tcm/creator/invite/"), json=envelope(41001, "The interface is offline."))

    assert run_poll(onboarding) == State.JOIN_IN_APP

    assert invite.call_count == 1  # asked once, never retried: asking again cannot help
    assert json.loads(invite.calls[0].request.body)["handle_names"] == ["demo.creator"]
    row = MarketplaceOnboarding.objects.get(pk=onboarding.pk)
    assert row.join_in_app_at and row.invite_requested_at is None
    assert row.next_poll_at > timezone.now()  # still polled
    assert "TikTok Studio › Monetization › Creator Marketplace" in row.notice
    assert len(mail.outbox) == 1 and "Creator Marketplace › Join" in mail.outbox[0].body


@pytest.mark.parametrize(
    "answer",
    [
        {"json": envelope(40400, "Path is not found.")},  # TikTok's code table: route not found
        {"status": 404, "body": "<html><body>404 Not Found</body></html>", "content_type": "text/html"},
        {"status": 404, "json": envelope(40400, "Path is not found.")},
    ],
    ids=["code-40400", "http-404-page", "http-404-with-code"],
)
def test_a_route_tiktok_no_longer_knows_is_treated_like_the_interface_being_offline(
    onboarding, mocked, run_poll, answer
):
    mocked.get(api("tto/tcm/creator/status/get/"), json=status_answer("NOT_IN"))
    invite = mocked.post(api("tcm/creator/invite/"), **answer)

    assert run_poll(onboarding) == State.JOIN_IN_APP
    assert invite.call_count == 1


def test_while_the_creator_joins_in_the_app_polls_read_the_status_and_never_ask_for_an_invite(
    onboarding, mocked, run_poll
):
    mocked.get(api("tto/tcm/creator/status/get/"), json=status_answer("NOT_IN"))
    invite = mocked.post(api("tcm/creator/invite/"), json=envelope(41001, "The interface is offline."))
    assert run_poll(onboarding) == State.JOIN_IN_APP

    later_status = mocked.get(api("tto/tcm/creator/status/get/"), json=status_answer("NOT_IN"))
    assert run_poll(onboarding) == State.JOIN_IN_APP
    assert run_poll(onboarding) == State.JOIN_IN_APP
    assert invite.call_count == 1 and later_status.call_count == 2
    row = MarketplaceOnboarding.objects.get(pk=onboarding.pk)
    assert row.poll_attempts == 2  # backing off while nothing happens
    assert len(mail.outbox) == 1  # the join notice, once


def test_the_creator_who_joined_in_the_app_reaches_the_marketplace_once_tiktok_reads_in(onboarding, mocked, run_poll):
    mocked.get(api("tto/tcm/creator/status/get/"), json=status_answer("NOT_IN"))
    mocked.post(api("tcm/creator/invite/"), json=envelope(41001, "The interface is offline."))
    assert run_poll(onboarding) == State.JOIN_IN_APP

    mocked.get(api("tto/tcm/creator/status/get/"), json=status_answer("IN"))
    assert run_poll(onboarding) == State.IN_MARKETPLACE
    row = MarketplaceOnboarding.objects.get(pk=onboarding.pk)
    assert row.joined_at and row.next_poll_at is None and row.tiktok_status == "IN"
    steps = [s["label"] for s in row.steps()]
    assert any("Join in the TikTok app" in label for label in steps)
    assert not any("Invite requested" in label for label in steps)
    assert all(s["done"] for s in row.steps())


def test_the_join_in_app_state_never_moves_back_to_waiting_for_an_invite(onboarding, mocked, run_poll):
    mocked.get(api("tto/tcm/creator/status/get/"), json=status_answer("NOT_IN"))
    mocked.post(api("tcm/creator/invite/"), json=envelope(41001, "The interface is offline."))
    assert run_poll(onboarding) == State.JOIN_IN_APP
    row = MarketplaceOnboarding.objects.get(pk=onboarding.pk)

    assert marketplace.mark_accepted(row) is False  # no invite to accept on this path
    assert marketplace.request_invite(row, TikTokOneAccount.objects.get(is_internal=True)) is False
    mocked.get(api("tto/tcm/creator/status/get/"), json=status_answer("INVITED"))
    assert run_poll(onboarding) == State.JOIN_IN_APP


def test_an_app_with_the_invite_permission_keeps_the_invite_path(onboarding, mocked, run_poll):
    mocked.get(api("tto/tcm/creator/status/get/"), json=status_answer("NOT_IN"))
    mocked.post(
        api("tcm/creator/invite/"),
        json=envelope(data={"in_tcm": [], "invited": [True], "rejected": [False], "reject_reasons": {}}),
    )

    assert run_poll(onboarding) == State.WAITING
    row = MarketplaceOnboarding.objects.get(pk=onboarding.pk)
    assert row.invite_requested_at and row.join_in_app_at is None
    assert "Inbox > Monetization" in row.notice


def test_the_creator_page_shows_where_to_join_and_tiktoks_eligibility_checklist(
    onboarding, mocked, run_poll, client_for
):
    mocked.get(api("tto/tcm/creator/status/get/"), json=status_answer("NOT_IN"))
    mocked.post(api("tcm/creator/invite/"), json=envelope(41001, "The interface is offline."))
    run_poll(onboarding)
    TikTokAccount.objects.filter(pk=onboarding.tiktok_account_id).update(follower_count=8_000)

    html = client_for(onboarding.tiktok_account.owner).get("/creator/").content.decode()

    assert "TikTok Studio › Monetization › Creator Marketplace" in html
    for requirement in ("18 or older", "10,000 followers or more", "1,000 post views", "3 posts in the last 30 days"):
        assert requirement in html
    assert "personal or creator account" in html
    checklist = html.split('class="steps join-checklist"')[1].split("</ul>")[0]
    assert '<li class="current">10,000 followers or more <span class="muted">· not met yet' in checklist
    assert '<li class="done">A personal or creator account' in checklist
    assert "Check again now" in html
