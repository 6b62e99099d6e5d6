"""The deal's deadlines follow TikTok's clock: a renewal mark, the end of a term and the end of
a held code's window are stored on TikTok's clock and found by a due query against
clock.now(), so when the sandbox clock jumps the due work runs at the next dispatcher tick,
and marks the jump skipped go out once each, in order."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
import responses
import time_machine
from django.urls import reverse

from integrations.models import CampaignPost
from integrations.polling import POLLERS
from integrations.tiktok import clock
from sparkads import flows, ledger
from sparkads.models import AuditEvent, SparkAd, SparkAuthorization, SparkReminder
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
        tiktok_clock["days"] = 58  # past 45, 30 and 14 days before the end (not the last day) in one jump
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


def test_a_clock_jump_into_the_last_day_sends_ends_today_while_the_code_still_runs(
    sixty_days, tiktok_clock, settings, mailoutbox, run_jobs
):
    """The last-day mark is reached when the last day begins (the page reads 0 days left), not
    at the end itself, where it would only arrive together with the unbind."""
    with time_machine.travel(START + timedelta(hours=1), tick=False), responses.RequestsMock() as rsps:
        _status(settings, rsps, sixty_days.auth_end)
        ledger.advance(sixty_days)
        tiktok_clock["days"] = 59.5  # twelve hours before the end on TikTok's clock
        tick(run_jobs)
        tick(run_jobs)
    sixty_days.refresh_from_db()
    assert sixty_days.status == Status.EXPIRING and sixty_days.days_left == 0
    subjects = [m.subject for m in mailoutbox]
    assert subjects.count(f"Spark Ads authorization for video {sixty_days.video_id} ends today") == 2
    assert not any("unbound" in s for s in subjects)
    assert sixty_days.due_at == sixty_days.auth_end  # the end of the term is the next deadline


def test_before_the_next_tick_a_code_past_its_end_on_tiktoks_clock_reads_ended_on_both_pages_not_0_days_left(
    sixty_days, tiktok_clock, client_for, alice
):
    tiktok_clock["days"] = 61
    with time_machine.travel(START + timedelta(hours=1), tick=False):
        mine = client_for(sixty_days.tiktok_account.owner).get(reverse("sparkads:creator_codes")).content.decode()
        theirs = client_for(alice).get(reverse("sparkads:ledger", args=[sixty_days.brand.slug])).content.decode()
    for page in (mine, theirs):
        assert "days left" not in page
        assert re.findall(r'class="badge [a-z]+">([^<]+)</span>', page) == ["Ended"]


def _feeding(auth: SparkAuthorization, daily: str, ad_id: str) -> None:
    SparkAd.objects.create(
        brand=auth.brand,
        ad_account=auth.ad_account,
        authorization=auth,
        ad_id=ad_id,
        tiktok_item_id=auth.item_id,
        identity_type="AUTH_CODE",
        operation_status="ENABLE",
        secondary_status="AD_STATUS_DELIVERY_OK",
        currency="USD",
        daily_spend=Decimal(daily),
    )


def test_a_renewal_reminder_states_the_spend_at_risk(sixty_days, tiktok_clock, settings, mailoutbox, run_jobs):
    _feeding(sixty_days, "20.00", "1801")
    with time_machine.travel(START + timedelta(hours=1), tick=False), responses.RequestsMock() as rsps:
        _status(settings, rsps, sixty_days.auth_end)
        ledger.advance(sixty_days)
        tiktok_clock["days"] = 15
        tick(run_jobs)
    assert mailoutbox and all("Spend at risk: 600.00 USD" in m.body for m in mailoutbox)


def test_codes_reaching_their_marks_together_are_worked_biggest_spend_at_risk_first(
    sixty_days, world, tiktok_clock, settings, mailoutbox, run_jobs
):
    post = CampaignPost.objects.create(
        campaign=world["campaign"], tiktok_account=world["account"], video_id="7700000000000000999"
    )
    bigger = SparkAuthorization.objects.create(
        brand=sixty_days.brand,
        post=post,
        video_id=post.video_id,
        status=Status.ACTIVE,
        ad_account=world["ad"],
        tiktok_account=world["account"],
        item_id=post.video_id,
        auth_start=START,
        auth_end=sixty_days.auth_end,
    )
    bigger.set_code("CODE-BIGGER")
    bigger.save()
    _feeding(sixty_days, "5.00", "small")
    _feeding(bigger, "50.00", "big")
    with time_machine.travel(START + timedelta(hours=1), tick=False), responses.RequestsMock() as rsps:
        _status(settings, rsps, sixty_days.auth_end)
        for auth in (sixty_days, bigger):
            ledger.advance(auth)
        tiktok_clock["days"] = 15
        tick(run_jobs)
    videos = [m.body.split("for video ", 1)[1].split(" ", 1)[0] for m in mailoutbox]
    assert videos == [bigger.video_id] * 2 + [sixty_days.video_id] * 2
