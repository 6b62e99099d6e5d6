"""Journeys where TikTok's side goes wrong mid-flow: an owner rejects an Ads Manager link,
TikTok is down when the person comes back from its consent screen, and a post TikTok already
shows with views still reads as in review."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.steps import (
    approve_portal_auth,
    connect_tiktok,
    consent_as_creator,
    open_tiktok_app_screen,
    reload_until,
    sign_in,
)
from tests.browser.test_spark_ads import _campaign_post

pytestmark = pytest.mark.browser

PASSWORD = "marketer-pass-123"


@pytest.fixture
def marketer(site, new_page, user_factory, brand_factory):
    user = user_factory(email="faults.marketer@acme.test", password=PASSWORD)
    brand = brand_factory(name="Acme Faults", owner=user)
    page = new_page("brand")
    sign_in(page, site, user.email, PASSWORD)
    return page, brand


def said(page, text: str):
    return page.locator("ul.messages li").filter(has_text=text).last


def test_an_ads_manager_link_the_owner_rejects_on_tiktok_shows_rejected_with_what_to_do(site, new_page, marketer):
    page, brand = marketer
    connect_tiktok(page, site, brand.slug, "demo-brand")
    page.goto(site(f"/brands/{brand.slug}/spark-ads/ads-manager/"))
    page.get_by_label("TikTok username").fill("demo.creator")
    page.get_by_role("button", name="Record request").click()
    row = page.locator("tbody tr").filter(has_text="@demo.creator")
    expect(row.locator(".badge")).to_have_text("Waiting for the account owner")

    # The brand sends it from Ads Manager (TikTok's side); the owner rejects it in the TikTok app.
    site.sandbox.helper("ads-manager/link-requests", advertiser_id="7300000000000000001", handle="demo.creator")
    row.get_by_role("button", name="Check now").click()  # TikTok lists it, waiting for the owner
    expect(said(page, "Checked with TikTok")).to_be_visible()  # the check has come back
    expect(row.locator(".badge")).to_have_text("Waiting for the account owner")
    app = new_page("tiktok-app")
    open_tiktok_app_screen(app, site.sandbox.url, "/sandbox/tiktok/link-requests/", "demo.creator")
    app.get_by_role("button", name="Reject").first.click()

    row.get_by_role("button", name="Check now").click()
    expect(row.locator(".badge")).to_have_text("Rejected")
    expect(row).to_contain_text("Check that the username is right")
    row.get_by_role("button", name="Send again").click()
    expect(said(page, "Recorded again")).to_be_visible()
    waiting = page.locator("tbody tr").filter(has_text="@demo.creator").filter(has_text="Waiting for the account owner")
    expect(waiting).to_have_count(1)

    # "Mark rejected" asks first: dismissing changes nothing, accepting records it.
    page.once("dialog", lambda dialog: dialog.dismiss())
    waiting.get_by_role("button", name="Mark rejected").click()
    expect(waiting).to_have_count(1)
    page.once("dialog", lambda dialog: dialog.accept())
    waiting.get_by_role("button", name="Mark rejected").click()
    expect(said(page, "rejected the link")).to_be_visible()
    expect(page.locator("tbody tr .badge").filter(has_text="Waiting for the account owner")).to_have_count(0)


def test_coming_back_from_tiktok_while_it_is_down_offers_try_again_without_starting_over(
    site, new_page, marketer, user_factory
):
    page, brand = marketer
    page.goto(site(f"/brands/{brand.slug}/integrations/tiktok/"))
    page.get_by_role("button", name="Add TikTok One and Ad Account").click()
    site.sandbox.add_fault(pattern="*oauth2/access_token/", http_5xx=1)
    approve_portal_auth(page, "demo-brand")
    expect(page.get_by_role("heading", level=1)).to_have_text("TikTok is not answering right now")
    expect(page.locator("main")).to_contain_text("may be down")
    expect(page.locator("main")).not_to_contain_text("may have expired")
    page.get_by_role("button", name="Try again").click()  # still down: offered again
    expect(page.get_by_role("button", name="Try again")).to_be_visible()
    site.sandbox.clear_faults()
    page.get_by_role("button", name="Try again").click()
    page.wait_for_url(f"**/brands/{brand.slug}/integrations/tiktok/**")
    expect(said(page, "Connected to TikTok")).to_be_visible()

    creator = user_factory(email="faults.creator@example.test", password=PASSWORD)
    app = new_page("creator")
    sign_in(app, site, creator.email, PASSWORD)
    app.goto(site("/creator/"))
    app.get_by_role("button", name="Become a creator").click()
    app.get_by_role("button", name="Authorize TikTok").click()
    site.sandbox.add_fault(pattern="*tt_user/oauth2/token/", http_5xx=1)
    consent_as_creator(app, "demo.creator")
    expect(app.get_by_role("heading", level=1)).to_have_text("TikTok is not answering right now")
    site.sandbox.clear_faults()
    app.get_by_role("button", name="Try again").click()
    app.wait_for_url("**/creator/**")
    expect(said(app, "@demo.creator is connected")).to_be_visible()


def test_a_post_in_review_whose_insights_show_views_reads_published_after_fetch_now(site, marketer):
    page, brand = marketer
    connect_tiktok(page, site, brand.slug, "demo-brand")
    post = _campaign_post(brand)  # as the walk found it: still "reviewing" here
    page.goto(site(f"/brands/{brand.slug}/campaigns/{post.campaign_id}/"))
    row = page.locator("tr").filter(has_text=post.video_id)
    expect(row).to_contain_text("TikTok is reviewing this post")

    page.goto(site(f"/brands/{brand.slug}/insights/campaigns/{post.campaign_id}/"))
    page.get_by_role("button", name="Fetch now").click()
    page.goto(site(f"/brands/{brand.slug}/campaigns/{post.campaign_id}/"))
    reload_until(page, lambda: page.locator("tr").filter(has_text=post.video_id), text="Published")
    expect(row).not_to_contain_text("reviewing")
