"""One open TikTok One request per post. `tcm/tt_video/status/` answers for a post's latest
request without saying which request that is, so a request and a live code's EXTEND request
never wait together; rows that already do (from before the rule) read no answer until the
newer request is answered. TikTok is mocked at the HTTP boundary."""

from __future__ import annotations

from datetime import timedelta

import pytest
import responses
from django.urls import reverse
from django.utils import timezone

from integrations.errors import FlowError
from sparkads import bulk, flows, ledger
from sparkads.models import SparkAuthorization, UsageTerms
from tests.sparkads.test_flows import ok, url
from tests.sparkads.test_renewal import _applied

pytestmark = pytest.mark.django_db
Status = SparkAuthorization.Status


@pytest.fixture
def live(world):
    """A live requested code of the campaign post."""
    return _applied(world, 60, code="CODE-LIVE")


def _requested(world, alice, asked_at) -> SparkAuthorization:
    return SparkAuthorization.objects.create(
        brand=world["bc"].brand,
        post=world["post"],
        video_id=world["post"].video_id,
        tiktok_account=world["account"],
        requested_by=alice,
        requested_at=asked_at,
    )


def _extension_waiting(auth: SparkAuthorization, asked_at) -> None:
    auth.extension_requested_at = asked_at
    auth.save()


def _status_answer(settings, rsps, answer: dict):
    return rsps.get(url(settings, "tcm/tt_video/status/"), json=ok({"num_remaining_request": 28, **answer}))


# --- rows from before the rule: the older request reads no answer ---------------------------------


@pytest.mark.parametrize(
    "answer",
    [
        {"auth_status": "REJECTED"},
        {"auth_status": "ACCEPTED", "auth_code": "CODE-EXTENSION", "auth_code_status": "NOT_USED"},
    ],
    ids=["the extension rejected", "the extension approved"],
)
def test_a_request_older_than_another_rows_waiting_extension_is_not_answered_by_the_extensions_status(
    world, alice, live, settings, answer
):
    now = timezone.now()
    request = _requested(world, alice, now - timedelta(hours=2))
    _extension_waiting(live, now - timedelta(hours=1))
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        _status_answer(settings, rsps, answer)
        assert flows.poll_request(request.pk) == Status.REQUESTED
    request.refresh_from_db()
    assert request.status == Status.REQUESTED and request.code_hash == ""
    assert request.next_poll_at is not None and request.next_poll_at > now


def test_an_extension_older_than_another_rows_waiting_request_does_not_take_that_requests_code(
    world, alice, live, settings
):
    now = timezone.now()
    _extension_waiting(live, now - timedelta(hours=2))
    request = _requested(world, alice, now - timedelta(hours=1))
    new_end = live.auth_end + timedelta(days=30)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        _status_answer(
            settings,
            rsps,
            {
                "auth_status": "ACCEPTED",
                "auth_code": "CODE-NEW-REQUEST",
                "auth_code_status": "NOT_USED",
                "auth_code_end_time": new_end.strftime("%Y-%m-%d %H:%M:%S"),
            },
        )
        ledger.refresh_from_tiktok(live)
    live.refresh_from_db()
    assert live.auth_code == "CODE-LIVE" and live.extension_pending
    request.refresh_from_db()
    assert request.status == Status.REQUESTED


def test_the_ledger_says_a_waiting_row_is_read_once_the_newer_request_is_answered(world, alice, live, client):
    now = timezone.now()
    _requested(world, alice, now - timedelta(hours=2))
    _extension_waiting(live, now - timedelta(hours=1))
    client.force_login(alice)
    html = client.get(reverse("sparkads:ledger", args=[world["bc"].brand.slug])).content.decode()
    assert "read once the newer request for this post is answered" in html


# --- the rule: one open request per post ----------------------------------------------------------


def test_a_live_code_cannot_be_extended_while_a_request_for_its_post_waits_and_nothing_is_sent(
    world, alice, live, client
):
    _requested(world, alice, timezone.now())
    assert "extend_propose" not in live.actions
    assert "is waiting for @market.star's answer" in live.refusal("extend_propose")
    client.force_login(alice)
    with responses.RequestsMock():  # any call to TikTok fails the test
        page = client.post(
            reverse("sparkads:extend", args=[world["bc"].brand.slug, live.pk]), {"days": 30}, follow=True
        )
    assert "is waiting for @market.star&#x27;s answer" in page.content.decode()
    live.refresh_from_db()
    assert not live.extension_pending


def test_the_ledger_offers_no_extend_while_a_request_for_the_post_waits(world, alice, live, client):
    _requested(world, alice, timezone.now())
    client.force_login(alice)
    html = client.get(reverse("sparkads:ledger", args=[world["bc"].brand.slug])).content.decode()
    assert reverse("sparkads:extend", args=[world["bc"].brand.slug, live.pk]) not in html


def test_a_new_request_for_a_post_whose_extension_waits_is_refused_and_nothing_is_sent(world, alice, live):
    _extension_waiting(live, timezone.now())
    with responses.RequestsMock(), pytest.raises(FlowError, match="extension of .* is waiting"):
        flows.request_permission(world["post"], alice, 30)
    assert not SparkAuthorization.objects.filter(status=Status.REQUESTED).exists()


def test_a_bulk_request_skips_a_post_whose_extension_waits_and_says_why(world, alice, live):
    _extension_waiting(live, timezone.now())
    with responses.RequestsMock():
        row = bulk.request_one(world["post"], alice, 30, UsageTerms())
    assert row["state"] == "waiting" and "extension of" in row["detail"] and "is waiting" in row["detail"]
