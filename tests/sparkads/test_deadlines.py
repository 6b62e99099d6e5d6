"""The deal's deadlines follow TikTok's clock: a renewal mark, the end of a term and the end of
a held code's window are stored on TikTok's clock and found by a due query against
clock.now(), so when the sandbox clock jumps the due work runs at the next dispatcher tick,
and marks the jump skipped go out once each, in order."""

from __future__ import annotations

from datetime import timedelta

import pytest
import responses
import time_machine

from integrations.polling import POLLERS
from integrations.tiktok import clock
from sparkads import flows, ledger
from sparkads.models import AuditEvent, SparkAuthorization, SparkReminder
from tests.sparkads.test_flows import START, _status, ok, url
from tests.sparkads.test_renewal import _applied

pytestmark = pytest.mark.django_db
Status = SparkAuthorization.Status


@pytest.fixture
def tiktok_clock(settings, monkeypatch):
    """A sandbox deployment whose clock is moved by setting `offset` (days ahead of real time)."""
    settings.TIKTOK_SANDBOX = True
    offset = {"days": 0.0}
    monkeypatch.setattr(clock, "_sandbox_offset", lambda: offset["days"] * 86400)
    return offset


@pytest.fixture
def sixty_days(world, user_factory):
    world["account"].owner = user_factory(email="creator@example.test")
    world["account"].save()
    return _applied(world, 60)


def tick(run_jobs) -> None:
    """One beat of every registered dispatcher, with the tasks it enqueues run on commit. The
    daily sweep of the ads a live code feeds reads endpoints of its own (ad/get/, reports):
    tests/sparkads/test_spark_ad_sweep.py covers it, so it is left out here."""
    with run_jobs():
        for poller in POLLERS.values():
            if poller.key != "spark_ads":
                poller.dispatcher()


def test_a_clock_jump_to_a_renewal_mark_sends_its_reminder_at_the_next_tick(
    sixty_days, tiktok_clock, settings, mailoutbox, run_jobs
):
    with time_machine.travel(START + timedelta(hours=1), tick=False):
        with responses.RequestsMock():
            ledger.advance(sixty_days)  # the check after the apply schedules the next one
            tick(run_jobs)
            assert mailoutbox == []
            # The sandbox clock moves to 45 days before the end; real time moves a minute.
            tiktok_clock["days"] = 15
        with time_machine.travel(START + timedelta(hours=1, minutes=1), tick=False), responses.RequestsMock() as rsps:
            _status(settings, rsps, sixty_days.auth_end)
            tick(run_jobs)
    assert [m.subject for m in mailoutbox] == [
        f"Spark Ads authorization for video {sixty_days.video_id} ends in 45 days"
    ] * 2


def test_marks_skipped_by_a_jump_go_out_once_each_in_order_never_twice(
    sixty_days, tiktok_clock, settings, mailoutbox, run_jobs
):
    with time_machine.travel(START + timedelta(hours=1), tick=False), responses.RequestsMock() as rsps:
        _status(settings, rsps, sixty_days.auth_end)
        ledger.advance(sixty_days)
        tiktok_clock["days"] = 59  # past 45, 30 and 14 days before the end in one jump
        tick(run_jobs)
        tick(run_jobs)
    subjects = [m.subject for m in mailoutbox]
    assert subjects == [
        f"Spark Ads authorization for video {sixty_days.video_id} ends in {d} days" for d in (45, 45, 30, 30, 14, 14)
    ]
    assert SparkReminder.objects.filter(authorization=sixty_days).count() == 6
    assert AuditEvent.objects.filter(authorization=sixty_days, kind="reminded").count() == 3


def test_a_clock_jump_past_the_end_unbinds_the_post_at_the_next_tick(
    sixty_days, tiktok_clock, settings, mailoutbox, run_jobs
):
    with time_machine.travel(START + timedelta(hours=1), tick=False), responses.RequestsMock() as rsps:
        _status(settings, rsps, sixty_days.auth_end)
        unbind = rsps.post(url(settings, "tt_video/unbind/"), json=ok({}))
        ledger.advance(sixty_days)
        tiktok_clock["days"] = 61
        tick(run_jobs)
        tick(run_jobs)
    sixty_days.refresh_from_db()
    assert sixty_days.status == Status.UNBOUND
    assert unbind.call_count == 1
    assert [m.subject for m in mailoutbox].count(
        f"Spark Ads authorization for video {sixty_days.video_id} ends today"
    ) == 2


def test_a_held_code_whose_window_ends_on_tiktoks_clock_expires_at_the_next_tick(
    sixty_days, tiktok_clock, settings, mailoutbox, run_jobs
):
    brand = sixty_days.brand
    brand.spark_release_after_payment = True
    brand.save()
    SparkAuthorization.objects.filter(pk=sixty_days.pk).update(
        status=Status.APPROVED, payment_status=SparkAuthorization.Payment.UNPAID, fee_amount=100, fee_currency="USD"
    )
    with time_machine.travel(START + timedelta(hours=1), tick=False):
        assert flows.held_for_payment(sixty_days.pk)
        tiktok_clock["days"] = 61
        tick(run_jobs)
    sixty_days.refresh_from_db()
    assert sixty_days.status == Status.EXPIRED
    assert [m.subject for m in mailoutbox] == [f"Spark Ads: the code for video {sixty_days.video_id} expired unused"]
