"""A `tt_video/authorize/` whose answer was lost (garbled, cut off, or the worker died): TikTok
may have applied the code. Before authorizing again, the apply reads the ad account's Spark
Ads posts (`tt_video/list/`, by the post's id): a code listed there was applied, and is not
sent twice; a code not listed was not, and is sent again."""

from __future__ import annotations

from datetime import timedelta

import pytest
import responses
import time_machine
from django.utils import timezone
from responses import matchers

from aspire_tiktok.celery import app
from integrations.tiktok import TikTokError
from sparkads import flows, tasks, terms
from sparkads.models import SparkAuthorization
from tests.sparkads.test_flows import START, _approved, info, ok, url

from .conftest import MUSIC_CLEARED

pytestmark = pytest.mark.django_db
Status = SparkAuthorization.Status


def _listed(video_id: str, code: str) -> dict:
    return ok(
        {
            "list": [{"item_info": {"auth_code": code, "item_id": video_id, "item_type": "VIDEO"}}],
            "page_info": {"page": 1, "page_size": 50, "total_number": 1, "total_page": 1},
        }
    )


NOTHING_LISTED = ok({"list": [], "page_info": {"page": 1, "page_size": 50, "total_number": 0, "total_page": 0}})


def _as_celery_retries(auth_id: int) -> bool:
    """The task's run and its retries: a transient error is retried, as TikTokTask does."""
    for _ in range(3):
        try:
            return flows.apply_approved(auth_id)
        except TikTokError as exc:
            assert exc.is_transient
    raise AssertionError("still failing after three runs")


def test_a_garbled_answer_to_an_authorize_tiktok_processed_is_not_followed_by_a_second_authorize(world, settings):
    auth = _approved(world)
    with responses.RequestsMock() as rsps:
        rsps.get(url(settings, "identity/music/authorization/"), json=ok(MUSIC_CLEARED))
        authorize = rsps.post(url(settings, "tt_video/authorize/"), body="<html>502 Bad Gat", status=200)
        listed = rsps.get(
            url(settings, "tt_video/list/"),
            json=_listed(auth.video_id, "CODE-APPROVED"),
            match=[
                matchers.query_param_matcher(
                    {"advertiser_id": world["ad"].advertiser_id, "keyword": auth.video_id}, strict_match=False
                )
            ],
        )
        rsps.get(url(settings, "tt_video/info/"), json=info(START + timedelta(days=400), auth.video_id))

        assert _as_celery_retries(auth.pk) is True

    assert authorize.call_count == 1
    assert listed.call_count == 1
    auth.refresh_from_db()
    assert auth.status == Status.ACTIVE and auth.auth_code == "CODE-APPROVED" and auth.last_error == ""


def test_a_lost_answer_to_an_authorize_tiktok_never_processed_is_sent_again(world, settings):
    auth = _approved(world)
    with responses.RequestsMock() as rsps:
        rsps.get(url(settings, "identity/music/authorization/"), json=ok(MUSIC_CLEARED))
        rsps.post(url(settings, "tt_video/authorize/"), body="<html>502 Bad Gat", status=200)
        rsps.post(url(settings, "tt_video/authorize/"), json=ok({}))  # the second sending's answer
        rsps.get(url(settings, "tt_video/list/"), json=NOTHING_LISTED)
        rsps.get(url(settings, "tt_video/info/"), json=info(START + timedelta(days=400), auth.video_id))

        assert _as_celery_retries(auth.pk) is True
        sent = [c for c in rsps.calls if c.request.url.endswith("tt_video/authorize/")]

    assert len(sent) == 2
    auth.refresh_from_db()
    assert auth.status == Status.ACTIVE


def test_an_authorize_whose_answer_arrived_asks_tiktok_for_no_list(world, settings):
    auth = _approved(world)
    with responses.RequestsMock() as rsps:  # an unexpected tt_video/list/ call would fail here
        rsps.get(url(settings, "identity/music/authorization/"), json=ok(MUSIC_CLEARED))
        rsps.post(url(settings, "tt_video/authorize/"), json=ok({}))
        rsps.get(url(settings, "tt_video/info/"), json=info(START + timedelta(days=400), auth.video_id))

        assert flows.apply_approved(auth.pk) is True


class ProcessKilled(BaseException):
    """The process ends at this line (SIGKILL): nothing after it runs or is recorded."""


def test_a_held_code_whose_apply_died_after_mark_paid_is_applied_by_the_poller_and_never_sent_twice(
    world, alice, settings, monkeypatch, django_capture_on_commit_callbacks
):
    """Mark paid applies the held code in the person's request; if that process dies once TikTok
    applied it, the poller takes the row over when the claim runs out, finds the code listed and
    records it applied, rather than leaving it to "expire unused" at the end of its window."""
    auth = _approved(world)
    SparkAuthorization.objects.filter(pk=auth.pk).update(
        fee_amount=100, fee_currency="USD", payment_status=SparkAuthorization.Payment.UNPAID, next_poll_at=None
    )
    terms.set_release_after_payment(world["bc"].brand, alice, True)
    auth.refresh_from_db()
    send = flows._authorize_once

    def send_then_die(*args):
        send(*args)
        raise ProcessKilled

    monkeypatch.setattr(flows, "_authorize_once", send_then_die)
    with responses.RequestsMock() as rsps:
        rsps.get(url(settings, "identity/music/authorization/"), json=ok(MUSIC_CLEARED))
        rsps.get(url(settings, "tt_video/info/"), json=info(START + timedelta(days=400), auth.video_id))
        authorize = rsps.post(url(settings, "tt_video/authorize/"), json=ok({}))
        with pytest.raises(ProcessKilled):
            terms.mark_paid(auth, alice)
    monkeypatch.undo()

    monkeypatch.setitem(app.conf, "task_always_eager", True)  # the poller's task runs here
    with (
        time_machine.travel(timezone.now() + SparkAuthorization.CLAIM_STALE_AFTER + timedelta(seconds=1)),
        responses.RequestsMock() as rsps,
        django_capture_on_commit_callbacks(execute=True),
    ):
        rsps.get(url(settings, "identity/music/authorization/"), json=ok(MUSIC_CLEARED))
        rsps.get(url(settings, "tt_video/info/"), json=info(START + timedelta(days=400), auth.video_id))
        rsps.get(url(settings, "tt_video/list/"), json=_listed(auth.video_id, "CODE-APPROVED"))
        tasks.dispatch_spark_polls()

    assert authorize.call_count == 1
    auth.refresh_from_db()
    assert auth.status == Status.ACTIVE and auth.applied_at is not None
    assert auth.payment_status == SparkAuthorization.Payment.PAID
