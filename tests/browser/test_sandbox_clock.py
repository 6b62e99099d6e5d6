"""One clock: advancing the sandbox's clock moves the platform's pages with it. A creator's
invite is "not arrived after 24 hours" at the deadline poller's next tick, and a Spark Ads
code's window counts down, on the creator's page, the ledger and the brand home alike."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from integrations.models import Campaign, Collaboration, TikTokAccount
from integrations.tiktok import clock
from sparkads.models import SparkAuthorization
from tests.browser.steps import (
    beat_dispatches_marketplace_deadlines,
    beat_dispatches_marketplace_polls,
    consent_as_creator,
    reload_until,
    sign_in,
)

pytestmark = pytest.mark.browser

PASSWORD = "clock-pass-123"


def test_advancing_the_sandbox_clock_moves_invites_and_code_windows_on_the_platform(
    site, new_page, user_factory, brand_factory, internal_tiktok_one_account
):
    marketer = user_factory(email="marketer@clock.test", password=PASSWORD)
    brand = brand_factory(name="Clockwork", owner=marketer)
    creator = user_factory(email="young@clock.test", password=PASSWORD)

    page = new_page("creator")
    sign_in(page, site, creator.email, PASSWORD)
    page.goto(site("/creator/"))
    page.get_by_role("button", name="Become a creator").click()
    page.get_by_role("button", name="Authorize TikTok").click()
    consent_as_creator(page, "young.creator")  # not age verified: TikTok never delivers the invite
    page.wait_for_url("**/creator/**")
    account = page.locator("section.account").filter(has_text="@young.creator")
    beat_dispatches_marketplace_polls()
    reload_until(page, lambda: account.locator("h3"), text="Waiting for the invite")

    # The brand works with this creator and holds a 30-day Spark Ads code (TikTok's window).
    tiktok = TikTokAccount.objects.get(handle="young.creator")
    campaign = Campaign.objects.create(brand=brand, name="Autumn")
    Collaboration.objects.create(campaign=campaign, tiktok_account=tiktok)
    start = clock.now()
    SparkAuthorization.objects.create(
        brand=brand,
        tiktok_account=tiktok,
        video_id="7700000000000000301",
        status=SparkAuthorization.Status.ACTIVE,
        authorization_days=30,
        auth_start=start,
        auth_end=start + timedelta(days=30, hours=2),
    )
    brand_page = new_page("brand")
    sign_in(brand_page, site, marketer.email, PASSWORD)
    brand_page.goto(site(f"/brands/{brand.slug}/spark-ads/"))
    expect(brand_page.locator("table")).to_contain_text("(30 days left)")
    brand_page.goto(site(f"/brands/{brand.slug}/"))
    expect(brand_page.locator("#attention .attention-expiring")).to_have_count(0)  # 30 days left: nothing to warn of

    # A day passes on TikTok's side (the sandbox clock), and nowhere else. Nobody clicks: the
    # invite's 24 hours are a deadline on TikTok's clock, met at the deadline poller's next tick.
    site.sandbox.advance(hours=25)
    clock.forget()
    reload_until(
        page,
        lambda: account.locator("h3"),
        text="Invite not arrived after 24 hours",
        beat=beat_dispatches_marketplace_deadlines,
    )
    expect(account).to_contain_text("authorize TikTok again")

    # Sixteen more days: the code's window is inside the 14-day reminder range.
    site.sandbox.advance(hours=24 * 16)
    clock.forget()
    brand_page.goto(site(f"/brands/{brand.slug}/spark-ads/"))
    expect(brand_page.locator("table")).to_contain_text("(13 days left)")
    brand_page.goto(site(f"/brands/{brand.slug}/"))
    attention = brand_page.locator("#attention")
    expect(attention).to_contain_text("1 Spark Ads code expiring within 14 days")
    expect(attention).to_contain_text("The first ends in 13 days")
    expect(attention).to_contain_text("1 creator stuck joining the Creator Marketplace")
    expect(attention).to_contain_text("@young.creator")
    attention.get_by_role("link", name="See the campaign's creators").click()
    expect(brand_page.locator("main")).to_contain_text("@young.creator")
