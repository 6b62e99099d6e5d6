"""Journey 2: a creator authorizes TikTok and gets into the Creator Marketplace."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.steps import (
    answer_next_confirm,
    beat_dispatches_marketplace_polls,
    consent_as_creator,
    open_tiktok_app_screen,
    reload_until,
    sign_in,
)

pytestmark = pytest.mark.browser

PASSWORD = "creator-pass-123"


def test_a_creator_authorizes_tiktok_accepts_the_invite_and_lands_in_the_marketplace(
    site, new_page, user_factory, internal_tiktok_one_account
):
    user = user_factory(email="dana.creator@example.test", password=PASSWORD)
    page = new_page("platform")
    sign_in(page, site, user.email, PASSWORD)
    page.goto(site("/creator/"))
    page.get_by_role("button", name="Become a creator").click()
    page.get_by_role("button", name="Authorize TikTok").click()
    consent_as_creator(page, "demo.creator")

    page.wait_for_url("**/creator/**")
    account = page.locator("section.account").filter(has_text="@demo.creator")
    expect(account.locator("h2 .badge.ok")).to_have_text("Connected")
    # The worker reads the Marketplace status (NOT_IN), checks eligibility and requests the invite.
    beat_dispatches_marketplace_polls()
    reload_until(page, lambda: account.locator("h3"), text="Waiting for the invite")
    expect(account).to_contain_text("Inbox > Monetization")

    # TikTok delivers demo.creator's invite 3 hours (sandbox clock) after the request.
    site.sandbox.advance(hours=3)
    app = new_page("tiktok-app")
    open_tiktok_app_screen(app, site.sandbox.url, "/sandbox/tiktok/inbox/", "demo.creator")
    expect(app.locator("main, body").first).to_contain_text("you're invited to join")
    app.get_by_role("button", name="Accept").click()
    expect(app.locator("body")).to_contain_text("TikTok is processing your application")

    page.get_by_role("button", name="I accepted the invite").click()
    expect(account.locator("h3")).to_contain_text("TikTok is processing")
    expect(account).to_contain_text("2+ hours")

    # Authorizing again while TikTok still processes never moves the creator back.
    site.sandbox.advance(minutes=30)
    page.get_by_role("button", name="Authorize TikTok again").click()
    consent_as_creator(page, "demo.creator")
    page.wait_for_url("**/creator/**")
    expect(account.locator("h3 .badge")).to_have_text("TikTok is processing")
    expect(page.get_by_role("button", name="I accepted the invite")).to_have_count(0)
    expect(account.locator("ol.steps li.current")).to_have_count(1)
    expect(account.locator("ol.steps li.current")).to_contain_text("TikTok is processing")
    expect(account.locator("ol.steps li.done").filter(has_text="Invite accepted")).to_have_count(1)
    beat_dispatches_marketplace_polls()
    page.wait_for_timeout(1500)  # the worker's poll of the reconnected account (TikTok: INVITED)
    page.reload()
    expect(account.locator("h3 .badge")).to_have_text("TikTok is processing")

    # TikTok's processing ends 2 h 30 min after acceptance; the creator comes back and reconnects.
    site.sandbox.advance(hours=2, minutes=1)
    page.get_by_role("button", name="Authorize TikTok again").click()
    consent_as_creator(page, "demo.creator")
    page.wait_for_url("**/creator/**")
    beat_dispatches_marketplace_polls()
    reload_until(page, lambda: account.locator("h3"), text="In the Creator Marketplace")
    expect(account.locator("h3 .badge.ok")).to_have_text("In the Creator Marketplace")

    # A day later (sandbox clock) the access token has expired at TikTok: Disconnect refreshes
    # it first, revokes, and says so (never "TikTok did not answer").
    site.sandbox.advance(hours=25)
    asked = answer_next_confirm(page, accept=True)
    page.get_by_role("button", name="Disconnect").click()
    expect(page.locator(".messages")).to_contain_text("is disconnected; its tokens are revoked and deleted")
    expect(page.locator(".messages")).not_to_contain_text("did not answer")
    expect(account.locator("h2 .badge.bad")).to_have_text("Disconnected")
    assert asked and asked[0].startswith("Disconnect @demo.creator?")
