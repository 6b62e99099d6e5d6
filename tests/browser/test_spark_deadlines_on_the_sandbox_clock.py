"""Journey: a Spark deal's deadlines on TikTok's clock, seen from both sides and in the mail.

The brand asks for codes for two posts of its campaign, with a fee, and holds codes until the
fee is paid. The creator approves both in TikTok's notifications; the brand pays one, which is
applied to the ad account, and leaves the other held. TikTok's clock (the sandbox's control
page) then moves to 45, 30, 14 and 0 days before the paid code's end and to a day after it;
after each move one beat of the dispatchers runs. At every step the brand's ledger and the
creator's Spark page read the same status and days left, the staff Outbox holds each reminder
once per side, and after the end the paid code reads unbound and the held one expired.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.browser.steps import (
    beat_runs_every_dispatcher,
    campaign_with_linked_posts,
    connect_tiktok,
    creator_connects_with_spark_codes,
    move_sandbox_clock_to,
    open_tiktok_app_screen,
    reload_until,
    sign_in,
)

pytestmark = pytest.mark.browser

PASSWORD = "deadline-pass-123"
TTO = "7200000000000000001"
HELD = "Approved — waiting for payment"


def _mails(outbox: Page, subject: str, to: str):
    return (
        outbox.locator(".sent-mail")
        .filter(has=outbox.get_by_role("heading", name=subject, exact=True))
        .filter(has_text=to)
    )


def _beat_until_mailed(outbox: Page, site, subject: str, recipients: list[str], attempts: int = 30) -> float:
    """Beats run until `subject` reached every recipient; returns the seconds it took."""
    started = time.monotonic()
    for _ in range(attempts):
        beat_runs_every_dispatcher()
        outbox.wait_for_timeout(1000)
        outbox.goto(site("/staff/outbox/"))
        if all(_mails(outbox, subject, to).count() for to in recipients):
            return time.monotonic() - started
    raise AssertionError(f"{subject!r} never reached {recipients}")


def _once_each(outbox: Page, site, subjects: list[str], recipients: list[str]) -> None:
    """One more beat changes nothing: each of these mails is in the Outbox once per recipient."""
    beat_runs_every_dispatcher()
    outbox.wait_for_timeout(3000)
    outbox.goto(site("/staff/outbox/"))
    for subject in subjects:
        for to in recipients:
            expect(_mails(outbox, subject, to)).to_have_count(1)


def test_a_paid_code_is_reminded_at_45_30_14_and_0_days_then_unbound_and_a_held_code_expires_on_both_sides(
    site, new_page, user_factory, brand_factory
):
    from integrations.models import SentMail
    from integrations.polling import POLLERS
    from sparkads.models import SparkAuthorization
    from sparkads.tasks import dispatch_spark_polls

    marketer = user_factory(email="clock.marketer@acme.test", password=PASSWORD)
    brand = brand_factory(name="Acme Clockwork", owner=marketer)
    page = new_page("brand")
    sign_in(page, site, marketer.email, PASSWORD)
    connect_tiktok(page, site, brand.slug, "demo-brand")
    paid, held = campaign_with_linked_posts(site, brand, TTO, 2)

    star = user_factory(email="market.star@clock.test", password=PASSWORD)
    me = new_page("creator")
    creator_connects_with_spark_codes(me, site, star.email, PASSWORD)
    staff = user_factory(email="staff@clock.test", password=PASSWORD, is_staff=True, is_superuser=True)
    outbox = new_page("outbox")
    sign_in(outbox, site, staff.email, PASSWORD)
    control = new_page("sandbox-control")

    # The brand holds codes until their fee is paid, and asks for both posts' codes at once.
    page.goto(site(f"/brands/{brand.slug}/spark-ads/"))
    page.get_by_label("Release codes to the ad account only after the fee is marked paid").check()
    page.locator("#release-setting").get_by_role("button", name="Save").click()
    expect(page.locator(".messages")).to_contain_text("Approved codes now wait until their fee is marked paid.")
    bulk = page.locator("form.bulk-request")
    bulk.get_by_label("Duration").select_option("60")
    bulk.get_by_label("Fee (optional)").fill("500")
    bulk.get_by_label("Currency").fill("USD")
    bulk.get_by_role("button", name="Request Spark codes for every post in this campaign").click()
    expect(page.locator("#bulk-progress tr.bulk-row.state-sent")).to_have_count(2, timeout=60_000)

    # The creator approves both in TikTok's notifications, on TikTok's side.
    app = new_page("tiktok-app")
    open_tiktok_app_screen(app, site.sandbox.url, "/sandbox/tiktok/notifications/", "market.star")
    for post in (paid, held):
        request = app.locator("tr").filter(has_text=post.video_id).filter(has=app.get_by_role("button", name="Approve"))
        request.get_by_role("button", name="Approve").click()
        expect(app.locator(".messages, .msg").first).to_contain_text("Approved")
    # The waiting requests' next poll (real time) is reached, and beat runs the dispatcher.
    SparkAuthorization.objects.filter(status="requested").update(next_poll_at=timezone.now())
    dispatch_spark_polls.delay()

    page.goto(site(f"/brands/{brand.slug}/spark-ads/"))
    ledger = {p.video_id: page.locator("#ledger tbody tr").filter(has_text=p.video_id) for p in (paid, held)}
    reload_until(page, lambda: ledger[held.video_id].locator(".badge").first, text=HELD)
    reload_until(page, lambda: ledger[paid.video_id].locator(".badge").first, text=HELD)

    # One fee is marked paid and its code applied to the ad account; the other stays held.
    page.on("dialog", lambda dialog: dialog.accept())
    ledger[paid.video_id].get_by_role("button", name="Mark paid").click()
    expect(page.locator(".messages")).to_contain_text("Marked paid.")
    expect(ledger[paid.video_id].locator(".badge").first).to_have_text("Active")
    live = SparkAuthorization.objects.get(post=paid, brand=brand)
    end = live.auth_end
    assert end is not None and live.authorization_days == 60

    me.get_by_role("link", name="My Spark Ads").click()
    # Mail names each post by its caption (kept from TikTok's answer about the code).
    held_row = SparkAuthorization.objects.get(post=held, brand=brand)
    paid_name, held_name = live.post_name, held_row.post_name
    mine = {p.video_id: me.locator("#spark-given tbody tr").filter(has_text=p.video_id) for p in (paid, held)}
    sides = [marketer.email, star.email]
    dispatcher_interval = POLLERS["spark_deadlines"].every
    waits: list[float] = []

    # TikTok's clock reaches each renewal mark: both sides read the same status and days left,
    # and each side is mailed once, within one dispatcher interval of the move.
    marks = [
        (end - timedelta(days=45, hours=-1), f"Spark Ads authorization for {paid_name} ends in 45 days", "Active", 44),
        (end - timedelta(days=30, hours=-1), f"Spark Ads authorization for {paid_name} ends in 30 days", "Active", 29),
        (
            end - timedelta(days=14, hours=-1),
            f"Spark Ads authorization for {paid_name} ends in 14 days",
            "Expiring",
            13,
        ),
        (end - timedelta(hours=12), f"Spark Ads authorization for {paid_name} ends today", "Expiring", 0),
    ]
    reminded: list[str] = []
    for moment, subject, status, days_left in marks:
        move_sandbox_clock_to(control, site.sandbox.url, moment)
        waits.append(_beat_until_mailed(outbox, site, subject, sides))
        reminded.append(subject)
        _once_each(outbox, site, reminded, sides)
        left = f"({days_left} day{'' if days_left == 1 else 's'} left)"
        page.reload()
        expect(ledger[paid.video_id].locator(".badge").first).to_have_text(status)
        expect(ledger[paid.video_id].locator("td.window")).to_contain_text(left)
        expect(ledger[held.video_id].locator(".badge").first).to_have_text(HELD)
        me.reload()
        expect(mine[paid.video_id].locator(".badge")).to_have_text(status)
        expect(mine[paid.video_id]).to_contain_text(left)
        expect(mine[held.video_id].locator(".badge")).to_have_text(HELD)
    assert max(waits) < dispatcher_interval, waits

    # A day after the end: the paid code is unbound and the held one expired unused, each said
    # once; neither reads as live with "0 days left".
    move_sandbox_clock_to(control, site.sandbox.url, end + timedelta(days=1))
    # Before the next beat records it, both sides already read the window as over.
    page.reload()
    me.reload()
    for side in (ledger, mine):
        expect(side[paid.video_id].locator(".badge").first).to_have_text("Ended")
        expect(side[held.video_id].locator(".badge").first).to_have_text("Expired")
        expect(side[paid.video_id]).not_to_contain_text("days left")
    unbound = f"Spark Ads: {paid_name} was unbound from Demo Brand US"
    expired = f"Spark Ads: the code for {held_name} expired unused"
    _beat_until_mailed(outbox, site, unbound, [marketer.email])
    _beat_until_mailed(outbox, site, expired, [marketer.email])
    _once_each(outbox, site, [unbound, expired], [marketer.email])
    _once_each(outbox, site, reminded, sides)
    assert SentMail.objects.filter(subject__in=reminded).count() == 2 * len(reminded)  # none for the held code

    page.reload()
    expect(ledger[paid.video_id].locator(".badge").first).to_have_text("Unbound")
    expect(ledger[paid.video_id]).to_contain_text("without a renewal")
    expect(ledger[held.video_id].locator(".badge").first).to_have_text("Expired")
    expect(ledger[held.video_id]).to_contain_text("while waiting for the fee to be paid")
    me.reload()
    expect(mine[paid.video_id].locator(".badge")).to_have_text("Unbound")
    expect(mine[paid.video_id]).to_contain_text("without a renewal")
    expect(mine[held.video_id].locator(".badge")).to_have_text("Expired")
    for row in (ledger[paid.video_id], ledger[held.video_id], mine[paid.video_id], mine[held.video_id]):
        expect(row).not_to_contain_text("days left")
    print(f"reminder mailed after a clock move, seconds: {[round(w, 1) for w in waits]}")
