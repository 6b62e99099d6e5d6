"""Journey 1: a brand marketer connects TikTok One and ad accounts in a real browser."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.steps import connect_tiktok, sign_in

pytestmark = pytest.mark.browser

PASSWORD = "marketer-pass-123"


@pytest.fixture
def marketer(user_factory, brand_factory):
    user = user_factory(email="marketer@acme.test", password=PASSWORD)
    brand = brand_factory(name="Acme Journeys", owner=user)
    return user, brand


def said(page, text: str):
    """A message on the page (a full page and an htmx fragment may each show a list)."""
    return page.locator("ul.messages li").filter(has_text=text).last


def _connect(site, new_page, marketer, persona):
    user, brand = marketer
    page = new_page(persona)
    sign_in(page, site, user.email, PASSWORD)
    page.goto(site(f"/brands/{brand.slug}/integrations/tiktok/"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Not connected")
    connect_tiktok(page, site, brand.slug, persona)
    return page


def test_a_verified_brand_connects_and_sees_active_and_spark_ads_on(site, new_page, marketer):
    page = _connect(site, new_page, marketer, "demo-brand")
    account = page.locator("#accounts article.tto-account").filter(has_text="Demo Brand TikTok One")
    expect(account.locator("h3 .badge.ok:has(.dot.ok)")).to_have_text("Active")
    expect(account).to_contain_text("Verified by TikTok")
    capability = page.locator("#capability")
    expect(capability).to_contain_text("Spark Ads: on")
    expect(capability).to_contain_text("Demo Brand US")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Active")


def test_an_unverified_brand_connects_and_is_prompted_to_verify(site, new_page, marketer):
    page = _connect(site, new_page, marketer, "unverified-brand")
    account = page.locator("#accounts article.tto-account").filter(has_text="Unverified Brand TikTok One")
    expect(account).to_contain_text("Not verified by TikTok")
    capability = page.locator("#capability")
    expect(capability).to_contain_text("Spark Ads: off")
    expect(capability).to_contain_text("Verify your business")


def test_a_brand_without_ad_account_access_connects_and_sees_why_spark_ads_are_off(site, new_page, marketer):
    page = _connect(site, new_page, marketer, "no-access-brand")
    account = page.locator("#accounts article.tto-account").filter(has_text="No Access Brand TikTok One")
    expect(account.locator("h3 .badge.ok:has(.dot.ok)")).to_have_text("Active")
    capability = page.locator("#capability")
    expect(capability).to_contain_text("Spark Ads: off")
    expect(capability).to_contain_text("cannot access")


def test_a_removed_ad_account_comes_back_by_reconnecting_or_add_back(site, new_page, marketer):
    page = _connect(site, new_page, marketer, "demo-brand")
    page.on("dialog", lambda dialog: dialog.accept())  # "Remove the ad account …?"
    ads = page.locator("#accounts table.ad-accounts")
    eu = ads.locator("tr").filter(has_text="Demo Brand EU")
    eu.get_by_role("button", name="Remove").click()
    expect(said(page, "Removed the ad account")).to_be_visible()
    expect(eu).to_have_count(0)

    # The last usable one stays, and the refusal names both ways forward.
    ads.locator("tr").filter(has_text="Demo Brand US").get_by_role("button", name="Remove").click()
    expect(said(page, "At least one must remain")).to_be_visible()
    expect(said(page, "Add back")).to_be_visible()

    # Reconnecting and sharing it again lists it again.
    connect_tiktok(page, site, marketer[1].slug, "demo-brand")
    expect(said(page, "2 ad accounts")).to_be_visible()
    expect(eu).to_have_count(1)

    # Or "Add back", without going to TikTok.
    eu.get_by_role("button", name="Remove").click()
    expect(eu).to_have_count(0)
    page.locator(".removed-ad-accounts li").filter(has_text="Demo Brand EU").get_by_role(
        "button", name="Add back"
    ).click()
    expect(said(page, "is back")).to_be_visible()
    expect(eu).to_have_count(1)
