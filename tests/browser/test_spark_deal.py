"""Journey: Spark codes for a whole campaign, without copy-paste, and usage rights that follow
the deal, seen from both sides at every step.

The brand asks for codes for every post of its campaign with one fee and duration and watches
the progress. The creator approves two in one click each on the platform and the third in
TikTok's notifications. With "release only after payment" on, the codes wait for the fee: two
are marked paid and released, one keeps waiting. The sandbox clock passes the 45/30/14/0-day
marks (reminders to brand and creator); the code made on the platform is extended with the
creator's authorization; the one approved in TikTok reaches its end and is unbound; the one
never paid expires unused. The brand's ledger and the creator's page tell the same story.
"""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.steps import (
    campaign_with_linked_posts,
    connect_tiktok,
    creator_connects_with_spark_codes,
    open_tiktok_app_screen,
    reload_until,
    sign_in,
)

pytestmark = pytest.mark.browser

PASSWORD = "marketer-pass-123"
TTO = "7200000000000000001"
HERE = "Approved by the creator here"
IN_TIKTOK = "Requested from the post"
HELD = "Approved — waiting for payment"


def _beat_polls_the_waiting_requests():
    """What beat does every minute, with the waiting requests' next poll reached."""
    from sparkads.models import SparkAuthorization
    from sparkads.tasks import dispatch_spark_polls

    SparkAuthorization.objects.filter(status="requested").update(next_poll_at=timezone.now())
    dispatch_spark_polls.delay()


def _days_pass_on_tiktok(site, days: float) -> None:
    """The sandbox's clock moves; the platform follows it (a sandbox deployment)."""
    from integrations.tiktok import clock

    site.sandbox.advance(hours=24 * days)
    clock.forget()


def _the_dispatcher_checks(auths) -> None:
    """The checks the dispatcher runs for these rows, here, so their mail lands in the outbox."""
    from sparkads.models import SparkAuthorization
    from sparkads.tasks import apply_spark_authorization, check_spark_authorization

    for auth in auths:
        auth.refresh_from_db()
        if auth.status == SparkAuthorization.Status.APPROVED:
            apply_spark_authorization(auth.pk)
        else:
            check_spark_authorization(auth.pk)


def test_a_campaigns_spark_codes_approved_two_ways_paid_or_held_reminded_extended_and_unbound_on_both_sides(
    site, new_page, user_factory, brand_factory, mailoutbox
):
    from sparkads.models import SparkAuthorization

    marketer = user_factory(email="deal.marketer@acme.test", password=PASSWORD)
    brand = brand_factory(name="Acme Deals", owner=marketer)
    page = new_page("brand")
    sign_in(page, site, marketer.email, PASSWORD)
    connect_tiktok(page, site, brand.slug, "demo-brand")
    posts = campaign_with_linked_posts(site, brand, TTO, 3)
    extended, held, in_app = posts  # approved here and extended; approved here, never paid; approved in TikTok

    star = user_factory(email="market.star@creators.test", password=PASSWORD)
    me = new_page("creator")
    creator_connects_with_spark_codes(me, site, star.email, PASSWORD)

    # The brand holds codes until their fee is paid.
    page.goto(site(f"/brands/{brand.slug}/spark-ads/"))
    page.get_by_label("Release codes to the ad account only after the fee is marked paid").check()
    page.locator("#release-setting").get_by_role("button", name="Save").click()
    expect(page.locator(".messages")).to_contain_text("Approved codes now wait until their fee is marked paid.")

    # One request for the whole campaign, with the terms for every post, and its live progress.
    bulk = page.locator("form.bulk-request")
    bulk.get_by_label("Duration").select_option("60")
    bulk.get_by_label("Fee (optional)").fill("500")
    bulk.get_by_label("Currency").fill("USD")
    bulk.get_by_role("button", name="Request Spark codes for every post in this campaign").click()
    expect(page.get_by_role("heading", name="Spark codes for Spring Launch")).to_be_visible()
    progress = page.locator("#bulk-progress")
    expect(progress.locator("tr.bulk-row.state-sent")).to_have_count(3, timeout=60_000)
    expect(progress).to_contain_text("3 sent")
    expect(progress).to_contain_text("To approve in TikTok's notifications: @market.star")
    for post in posts:
        expect(progress.locator(f"tr[data-video='{post.video_id}']")).to_contain_text("29")

    # The creator sees the three requests with their terms, and approves two here, one click each.
    me.get_by_role("link", name="My Spark Ads").click()
    waiting = {p.video_id: me.locator("#spark-requests tbody tr").filter(has_text=p.video_id) for p in posts}
    for row in waiting.values():
        expect(row).to_contain_text("Acme Deals")
        expect(row.locator("td.terms")).to_have_text("60 days · 500.00 USD · unpaid")
    for post in (extended, held):
        waiting[post.video_id].get_by_role("button", name="Approve for 60 days").click()
        expect(me.locator(".messages")).to_contain_text("once they mark your fee (500.00 USD) paid")
    expect(me.locator("#spark-requests tbody tr")).to_have_count(1)

    # ... and the third in TikTok's notifications.
    app = new_page("tiktok-app")
    open_tiktok_app_screen(app, site.sandbox.url, "/sandbox/tiktok/notifications/", "market.star")
    request = app.locator("tr").filter(has_text=in_app.video_id).filter(has=app.get_by_role("button", name="Approve"))
    request.get_by_role("button", name="Approve").click()
    expect(app.locator(".messages, .msg").first).to_contain_text("Approved")
    _beat_polls_the_waiting_requests()

    # Both sides: three codes waiting for the fee, and the path each came by.
    page.goto(site(f"/brands/{brand.slug}/spark-ads/"))
    ledger = {p.video_id: page.locator("#ledger tbody tr").filter(has_text=p.video_id) for p in posts}
    reload_until(page, lambda: ledger[in_app.video_id].locator(".badge").first, text=HELD)
    for post, path in ((extended, HERE), (held, HERE), (in_app, IN_TIKTOK)):
        expect(ledger[post.video_id].locator(".badge").first).to_have_text(HELD)
        expect(ledger[post.video_id].locator("td.terms")).to_contain_text("60 days · 500.00 USD · unpaid")
        expect(ledger[post.video_id]).to_contain_text(path)
    me.reload()
    expect(me.locator("#spark-requests")).to_contain_text("No requests waiting")
    mine = {p.video_id: me.locator("#spark-given tbody tr").filter(has_text=p.video_id) for p in posts}
    for post, path in ((extended, HERE), (held, HERE), (in_app, IN_TIKTOK)):
        expect(mine[post.video_id].locator(".badge")).to_have_text(HELD)
        expect(mine[post.video_id].locator("td.terms")).to_contain_text("60 days · 500.00 USD · unpaid")
        expect(mine[post.video_id]).to_contain_text(path)

    # Two fees are marked paid and those codes are released to the ad account; one waits.
    page.on("dialog", lambda dialog: dialog.accept())
    for post in (extended, in_app):
        ledger[post.video_id].get_by_role("button", name="Mark paid").click()
        expect(page.locator(".messages")).to_contain_text("Marked paid.")
        expect(ledger[post.video_id].locator(".badge").first).to_have_text("Active")
        expect(ledger[post.video_id].locator("td.terms")).to_contain_text("500.00 USD · paid")
        expect(ledger[post.video_id]).to_contain_text("Demo Brand US")
    expect(ledger[held.video_id].locator(".badge").first).to_have_text(HELD)
    me.reload()
    for post in (extended, in_app):
        expect(mine[post.video_id].locator(".badge")).to_have_text("Active")
        expect(mine[post.video_id].locator("td.terms")).to_contain_text("60 days · 500.00 USD · paid")
        expect(mine[post.video_id]).to_contain_text("ad account Demo Brand US")
    expect(mine[held.video_id].locator(".badge")).to_have_text(HELD)

    # The sandbox clock passes the 45-, 30- and 14-day marks: brand and creator hear each once.
    rows = {p.video_id: SparkAuthorization.objects.get(post=p, brand=brand) for p in posts}
    live = [rows[extended.video_id], rows[in_app.video_id]]
    for days, subject in [(15.05, "ends in 45 days"), (15, "ends in 30 days"), (16, "ends in 14 days")]:
        _days_pass_on_tiktok(site, days)
        before = len(mailoutbox)
        _the_dispatcher_checks(live)
        reminders = mailoutbox[before:]
        assert sorted(m.to[0] for m in reminders) == sorted([marketer.email, star.email] * 2), subject
        assert all(subject in m.subject for m in reminders), [m.subject for m in reminders]
    page.reload()
    expect(ledger[in_app.video_id].locator(".badge").first).to_have_text("Expiring")
    expect(ledger[in_app.video_id].locator("td.window")).to_contain_text("(13 days left)")

    # The code made here is extended only by an agreement: the brand proposes, nothing reaches
    # TikTok until the creator accepts on their page, and then the creator's authorization does.
    ledger[extended.video_id].locator("select[name=days]").select_option("30")
    ledger[extended.video_id].get_by_role("button", name="Propose extension").click()
    expect(page.locator(".messages")).to_contain_text("Proposed to @market.star")
    expect(ledger[extended.video_id].locator(".extension-proposed")).to_have_text("Extension proposed")
    me.reload()
    me.get_by_role("button", name="Accept").click()
    extended_name = SparkAuthorization.objects.get(pk=rows[extended.video_id].pk).post_name
    expect(me.locator(".messages")).to_contain_text(f"Extended: {extended_name} can run as a Spark Ad")
    page.reload()
    expect(ledger[extended.video_id].locator(".badge").first).to_have_text("Active")
    expect(ledger[extended.video_id].locator("td.window")).to_contain_text("(43 days left)")
    expect(ledger[extended.video_id].locator(".extension-pending")).to_have_count(0)
    new_end = SparkAuthorization.objects.get(pk=rows[extended.video_id].pk).auth_end
    me.reload()
    expect(mine[extended.video_id].locator("td.terms")).to_contain_text(f"→ {new_end:%Y-%m-%d}")
    expect(mine[extended.video_id].locator(".badge")).to_have_text("Active")

    # The end of the term: the unrenewed code gets its last-day reminder and is unbound; the
    # code never paid for expires unused, and the brand is told.
    _days_pass_on_tiktok(site, 14)
    before = len(mailoutbox)
    _the_dispatcher_checks([*live, rows[held.video_id]])
    mails = mailoutbox[before:]
    subjects = [m.subject for m in mails]
    named = {v: SparkAuthorization.objects.get(pk=row.pk).post_name for v, row in rows.items()}
    assert subjects.count(f"Spark Ads authorization for {named[in_app.video_id]} ends today") == 2
    assert f"Spark Ads: {named[in_app.video_id]} was unbound from Demo Brand US" in subjects
    unpaid = [m for m in mails if m.subject == f"Spark Ads: the code for {named[held.video_id]} expired unused"]
    assert [m.to for m in unpaid] == [[marketer.email]]
    # the extended code's new window
    assert subjects.count(f"Spark Ads authorization for {named[extended.video_id]} ends in 30 days") == 2

    page.reload()
    expect(ledger[in_app.video_id].locator(".badge").first).to_have_text("Unbound")
    expect(ledger[in_app.video_id]).to_contain_text("without a renewal")
    expect(ledger[extended.video_id].locator(".badge").first).to_have_text("Active")
    expect(ledger[held.video_id].locator(".badge").first).to_have_text("Expired")
    expect(ledger[held.video_id]).to_contain_text("while waiting for the fee to be paid")
    me.reload()
    expect(mine[in_app.video_id].locator(".badge")).to_have_text("Unbound")
    expect(mine[in_app.video_id]).to_contain_text("without a renewal")
    expect(mine[extended.video_id].locator(".badge")).to_have_text("Active")
    expect(mine[held.video_id].locator(".badge")).to_have_text("Expired")

    # One TikTok write per step: two codes made here, two applied, one extended, one unbound.
    def calls(path: str) -> int:
        return sum(r["path"] == f"/open_api/v1.3/{path}" for r in site.sandbox.requests(f"/open_api/v1.3/{path}"))

    assert calls("business/post/authorize/setting/") == 2
    assert calls("tt_video/authorize/") == 2
    assert calls("business/post/authorize/") == 1
    assert calls("tt_video/unbind/") == 1
