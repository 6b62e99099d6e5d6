"""Journey: Spark codes for a whole campaign, and usage rights that follow the deal.

The brand asks for codes for every post of its campaign with one fee and duration and watches
the progress; the creator approves each in TikTok's notifications; with "release only after
payment" on, the codes wait until the fee is marked paid: two are paid and released, one
waits. The sandbox clock passes the 45/30/14/0-day marks (reminders to brand and creator), one
code is extended, the other reaches its end and is unbound from the ad account.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.steps import connect_tiktok, open_tiktok_app_screen, reload_until, sign_in

pytestmark = pytest.mark.browser

PASSWORD = "marketer-pass-123"
TTO = "7200000000000000001"
SPRING_LAUNCH = "7900000000000000001"


def _campaign_with_three_posts(site, brand) -> list:
    """Spring Launch as campaign sync stores it, with market.star's seeded linked post and two
    more of their videos linked (asked by the brand, approved by the creator)."""
    from integrations.models import Campaign, CampaignPost, TikTokAccount, TikTokOneAccount
    from integrations.tiktok import BusinessClient

    tto = TikTokOneAccount.objects.get(brand=brand, tto_tcm_account_id=TTO)
    client = BusinessClient(tto.credential.access_token)
    status = client.tto_tcm_campaign_link_status(TTO, campaign_ids=[SPRING_LAUNCH])
    first = next(str(r["video_id"]) for r in status["video_infos"] if r["status"] == "APPROVE")
    star = next(c for c in site.sandbox.personas()["creators"] if c["handle"] == "market.star")
    videos = [first, *[v for v in star["video_ids"] if v != first][:2]]
    for video_id in videos[1:]:
        link = client.tto_tcm_campaign_link(TTO, SPRING_LAUNCH, video_id)
        site.sandbox.helper("link-requests/confirm", link_request_id=link["link_request_id"], action="APPROVE")
    campaign = Campaign.objects.create(
        brand=brand, tiktok_one_account=tto, campaign_id=SPRING_LAUNCH, name="Spring Launch"
    )
    account, _ = TikTokAccount.objects.get_or_create(handle="market.star")
    return [
        CampaignPost.objects.create(
            campaign=campaign, tiktok_account=account, video_id=v, link_status=CampaignPost.LinkStatus.APPROVE
        )
        for v in videos
    ]


def _beat_polls_the_waiting_requests():
    """What beat does every minute, with the waiting requests' next poll reached."""
    from sparkads.models import SparkAuthorization
    from sparkads.tasks import dispatch_spark_polls

    SparkAuthorization.objects.filter(status="requested").update(next_poll_at=timezone.now())
    dispatch_spark_polls.delay()


class Clocks:
    """The sandbox clock, and the platform's moved with it for its daily checks."""

    def __init__(self, site) -> None:
        self.site, self.offset = site, timedelta(0)

    def advance(self, days: float) -> None:
        self.site.sandbox.advance(hours=24 * days)
        self.offset += timedelta(days=days)

    def daily_checks(self, auths) -> None:
        """The live authorizations' checks as the dispatcher would run them at sandbox time."""
        from sparkads.tasks import check_spark_authorization

        with time_machine.travel(timezone.now() + self.offset, tick=True):
            for auth in auths:
                check_spark_authorization(auth.pk)


def test_bulk_codes_for_a_campaign_paid_and_released_reminded_extended_and_unbound(
    site, new_page, user_factory, brand_factory, mailoutbox
):
    from sparkads.models import SparkAuthorization

    user = user_factory(email="deal.marketer@acme.test", password=PASSWORD)
    creator = user_factory(email="market.star@creators.test")
    brand = brand_factory(name="Acme Deals", owner=user)
    page = new_page("brand")
    sign_in(page, site, user.email, PASSWORD)
    connect_tiktok(page, site, brand.slug, "demo-brand")
    posts = _campaign_with_three_posts(site, brand)
    posts[0].tiktok_account.owner = creator
    posts[0].tiktok_account.save()

    # The brand holds codes until their fee is paid.
    page.goto(site(f"/brands/{brand.slug}/spark-ads/"))
    page.get_by_label("Release codes to the ad account only after the fee is marked paid").check()
    page.locator("#release-setting").get_by_role("button", name="Save").click()
    expect(page.locator(".messages")).to_contain_text("Approved codes now wait until their fee is marked paid.")

    # One request for the whole campaign, with the terms for every post.
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

    # The creator approves each in TikTok's notifications.
    app = new_page("tiktok-app")
    open_tiktok_app_screen(app, site.sandbox.url, "/sandbox/tiktok/notifications/", "market.star")
    for post in posts:
        row = app.locator("tr").filter(has_text=post.video_id).filter(has=app.get_by_role("button", name="Approve"))
        row.get_by_role("button", name="Approve").click()
        expect(app.locator(".messages, .msg").first).to_contain_text("Approved")

    _beat_polls_the_waiting_requests()
    page.goto(site(f"/brands/{brand.slug}/spark-ads/"))
    ledger = page.locator("#ledger")
    rows = [ledger.locator("tbody tr").filter(has_text=post.video_id) for post in posts]
    for row in rows:
        reload_until(page, lambda row=row: row.locator(".badge").first, text="Approved — waiting for payment")
        expect(row.locator("td.terms")).to_contain_text("60 days · 500.00 USD · unpaid")

    # Two are paid and released to the ad account; the third waits.
    page.on("dialog", lambda dialog: dialog.accept())
    for row in rows[:2]:
        row.get_by_role("button", name="Mark paid").click()
        expect(page.locator(".messages")).to_contain_text("Marked paid.")
        expect(row.locator(".badge").first).to_have_text("Active")
        expect(row.locator("td.terms")).to_contain_text("500.00 USD · paid")
    expect(rows[2].locator(".badge").first).to_have_text("Approved — waiting for payment")

    # The sandbox clock passes the 45-, 30- and 14-day marks: brand and creator hear each once.
    ending, extended = (SparkAuthorization.objects.get(post=p, status="active") for p in posts[:2])
    clocks = Clocks(site)
    for days, subject in [(15.05, "ends in 45 days"), (15, "ends in 30 days"), (16, "ends in 14 days")]:
        clocks.advance(days)
        before = len(mailoutbox)
        clocks.daily_checks([ending, extended])
        reminders = mailoutbox[before:]
        assert sorted(m.to[0] for m in reminders) == sorted([user.email, creator.email] * 2), subject
        assert all(subject in m.subject for m in reminders), [m.subject for m in reminders]

    # One is extended: pending until the creator approves in TikTok.
    page.reload()
    rows[1].locator("select[name=days]").select_option("30")
    rows[1].get_by_role("button", name="Extend").click()
    expect(page.locator(".messages")).to_contain_text("Extension requested")
    expect(rows[1].locator(".extension-pending")).to_have_text("Extension pending")
    app.reload()
    renewal_row = (
        app.locator("tr").filter(has_text=posts[1].video_id).filter(has=app.get_by_role("button", name="Approve"))
    )
    renewal_row.get_by_role("button", name="Approve").click()

    # The end of the term: the unrenewed one gets its last-day reminder and is unbound.
    clocks.advance(14)
    before = len(mailoutbox)
    clocks.daily_checks([ending, extended])
    subjects = [m.subject for m in mailoutbox[before:]]
    assert subjects.count(f"Spark Ads authorization for video {posts[0].video_id} ends today") == 2
    assert f"Spark Ads: video {posts[0].video_id} was unbound from Demo Brand US" in subjects
    page.reload()
    expect(rows[0].locator(".badge").first).to_have_text("Unbound")
    expect(rows[0]).to_contain_text("without a renewal")
    expect(rows[1].locator(".badge").first).to_have_text("Active")
    expect(rows[1].locator(".extension-pending")).to_have_count(0)
    expect(rows[2].locator(".badge").first).to_have_text("Approved — waiting for payment")
    assert len(site.sandbox.requests("/open_api/v1.3/tt_video/unbind/")) == 1
    assert len(site.sandbox.requests("/open_api/v1.3/tt_video/authorize/")) == 2
