"""A creator unticks scopes on TikTok's consent screen and is told what will not work."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.steps import sign_in

pytestmark = pytest.mark.browser

PASSWORD = "creator-pass-123"


def test_a_creator_who_unticks_stats_and_videos_is_told_what_will_not_work_and_can_authorize_again(
    site, new_page, user_factory, internal_tiktok_one_account
):
    user = user_factory(email="una.creator@example.test", password=PASSWORD)
    page = new_page("platform")
    sign_in(page, site, user.email, PASSWORD)
    page.goto(site("/creator/"))
    page.get_by_role("button", name="Become a creator").click()
    page.get_by_role("button", name="Authorize TikTok").click()
    page.wait_for_url("**/v2/auth/authorize/**")
    page.locator("input[type=radio][value='demo.creator']").check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Read your stats").uncheck()
    page.get_by_label("Read your public videos").uncheck()
    page.get_by_role("button", name="Authorize").click()

    page.wait_for_url("**/creator/**")
    expect(page.locator(".messages")).to_contain_text("You unticked “Read your stats” on TikTok")
    expect(page.locator(".messages")).to_contain_text("You unticked “Read your public videos” on TikTok")
    card = page.locator("section.account").filter(has_text="@demo.creator")
    expect(card.locator(".scope-unticked")).to_contain_text("by their ids only")

    card.locator(".scope-unticked").get_by_role("button", name="Authorize again").click()
    page.wait_for_url("**/v2/auth/authorize/**")
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url("**/creator/**")
    expect(card.locator(".scope-unticked")).to_have_count(0)
