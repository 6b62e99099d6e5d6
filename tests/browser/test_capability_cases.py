"""The five Spark Ads capability cases, each walked in a browser by connecting as the sandbox
persona made for it (docs/sandbox.md, "Personas"): what the brand reads matches TikTok's
consent screen, and no account that cannot be used is called "Active"."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.steps import pick_persona, sign_in

pytestmark = pytest.mark.browser

PASSWORD = "marketer-pass-123"

CASES = [
    # persona, title of the case, Spark Ads, badge of the brand's TikTok One account (None: no account), next step
    ("no-tto-brand", "No TikTok One account connected", "off", None, "Add TikTok One and Ad Account"),
    ("tto-only-brand", "No ad account linked", "off", "Active", "Ad accounts this app will manage"),
    ("demo-brand", "Spark Ads enabled", "on", "Active", "Request Spark Ads permission"),
    ("no-access-brand", "No access to an ad account", "off", "Active", "Business Center"),
    ("unverified-brand", "TikTok One account not verified", "off", "Not verified by TikTok", "Business verification"),
]


@pytest.mark.parametrize(("persona", "title", "spark", "badge", "next_step"), CASES, ids=[c[0] for c in CASES])
def test_each_capability_case_is_reachable_and_explained(
    site, new_page, user_factory, brand_factory, request, persona, title, spark, badge, next_step
):
    if badge is None:
        # A brand without its own account falls back to the platform's (here: Demo Brand's).
        request.getfixturevalue("internal_tiktok_one_account")
    user = user_factory(email="marketer@acme.test", password=PASSWORD)
    brand = brand_factory(name="Acme Cases", owner=user)
    page = new_page(persona)
    sign_in(page, site, user.email, PASSWORD)
    page.goto(site(f"/brands/{brand.slug}/integrations/tiktok/"))
    page.get_by_role("button", name="Add TikTok One and Ad Account").click()

    # TikTok's consent screen: the words the next step quotes are the ones shown here.
    page.wait_for_url("**/portal/auth**")
    pick_persona(page, persona)
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("body")).to_contain_text("Ad accounts this app will manage")
    if persona == "tto-only-brand":
        expect(page.locator("ul").first).to_have_text("none")
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url(f"**/brands/{brand.slug}/integrations/tiktok/**")
    expect(page.locator(".messages")).to_contain_text("Connected to TikTok")

    capability = page.locator("#capability")
    expect(capability).to_contain_text(title)
    expect(capability).to_contain_text(f"Spark Ads: {spark}")
    expect(capability).to_contain_text(next_step)
    accounts = page.locator("#accounts article.tto-account")
    if badge is None:
        expect(accounts).to_have_count(0)
        expect(capability).to_contain_text("the platform's own account")
    else:
        expect(accounts.locator("h3 .badge.standing")).to_have_text(badge)
    if badge == "Not verified by TikTok":
        expect(page.get_by_role("heading", level=1)).not_to_contain_text("Active")
        expect(accounts.locator(".standing-detail")).to_contain_text("Next step:")
