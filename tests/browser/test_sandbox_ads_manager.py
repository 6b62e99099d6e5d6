"""The sandbox's Ads Manager in Chromium: a brand makes a Spark ad from a post whose code is
applied to its ad account, TikTok's side approves it, a sandbox day later it has spent, and
the brand pauses it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from integrations.tiktok import BusinessClient
from tests.browser.steps import create_sandbox_ad

pytestmark = pytest.mark.browser
ADV = "7300000000000000001"


def test_a_brand_creates_an_ad_through_the_screen_and_watches_it_spend(sandbox, new_page):
    video = sandbox.helper("ad-codes", video_id="7700000000000000001", days=30)
    grant = sandbox.helper("portal-auth", persona="demo-brand", redirect_uri="https://platform.example/cb/")
    brand = BusinessClient(BusinessClient().oauth2_access_token(grant["auth_code"]).access_token)
    brand.tt_video_authorize(ADV, video["auth_code"])

    page = new_page("ads-manager")
    create_sandbox_ad(page, sandbox.url, "demo-brand", "through its applied code", "Launch boost", "120.00")

    page.goto(f"{sandbox.url}/sandbox/control/ads/")
    page.locator("tr", has_text="Launch boost").get_by_role("button", name="Approve").click()
    expect(page.locator("tr", has_text="Launch boost")).to_contain_text("AD_STATUS_DELIVERY_OK")
    sandbox.advance(seconds=26 * 3600)

    page.goto(f"{sandbox.url}/sandbox/ads-manager/ads/")
    row = page.locator("tr", has_text="Launch boost")
    expect(row.locator(".spend-day").first).to_have_text(re.compile(r"\d{4}-\d\d-\d\d: \d+\.\d\d USD"))
    row.get_by_role("button", name="Pause").click()
    expect(page.locator(".msg")).to_contain_text("Paused Launch boost")
    expect(page.locator("tr", has_text="Launch boost")).to_contain_text("AD_STATUS_DISABLE")
