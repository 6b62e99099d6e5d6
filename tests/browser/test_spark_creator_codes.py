"""A step of the Spark Ads journey: the creator approves a brand's request on the platform in
one click (the code is made with their TikTok token and reaches the brand's ad account), then
revokes it; the brand's ledger follows."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.steps import connect_tiktok, consent_as_creator, reload_until, sign_in
from tests.browser.test_spark_ads import _campaign_post

pytestmark = pytest.mark.browser

PASSWORD = "spark-creator-pass-123"


def test_the_creator_approves_a_brands_spark_request_in_one_click_and_revokes_it(
    site, new_page, user_factory, brand_factory
):
    marketer = user_factory(email="codes.marketer@acme.test", password=PASSWORD)
    brand = brand_factory(name="Acme Codes", owner=marketer)
    page = new_page("brand")
    sign_in(page, site, marketer.email, PASSWORD)
    connect_tiktok(page, site, brand.slug, "demo-brand")
    post = _campaign_post(brand)
    page.goto(site(f"/brands/{brand.slug}/spark-ads/"))
    row = page.locator("tr").filter(has_text=post.video_id).filter(has=page.get_by_role("button", name="Request"))
    row.locator("select[name=days]").select_option("60")
    row.get_by_role("button", name="Request").click()
    expect(page.locator(".messages")).to_contain_text("Request sent")

    # The creator authorizes TikTok; TikTok's screen lists the Spark Ads scope in plain words.
    creator = user_factory(email="star.codes@example.test", password=PASSWORD)
    me = new_page("creator")
    sign_in(me, site, creator.email, PASSWORD)
    me.goto(site("/creator/"))
    me.get_by_role("button", name="Become a creator").click()
    expect(me.locator("#spark-scope-explained")).to_contain_text("does not let us post")
    me.get_by_role("button", name="Authorize TikTok").click()
    me.wait_for_url("**/v2/auth/authorize/**")
    if me.get_by_role("button", name="Authorize").count() == 0:
        me.locator("input[type=radio][value='market.star']").check()
        me.get_by_role("button", name="Continue").click()
    expect(me.locator("label").filter(has_text="biz.spark.auth")).to_contain_text("Spark Ads codes")
    consent_as_creator(me, "market.star")
    me.wait_for_url("**/creator/**")

    # One click: the code is made with the creator's token; the worker takes it to the brand's ad account.
    me.get_by_role("link", name="My Spark Ads").click()
    waiting = me.locator("#spark-requests tr").filter(has_text=post.video_id)
    expect(waiting).to_contain_text("Acme Codes")
    waiting.get_by_role("button", name="Approve for 60 days").click()
    expect(me.locator(".messages")).to_contain_text("reaches their ad account shortly")
    expect(me.locator("#spark-requests")).to_contain_text("No requests waiting")
    given = me.locator("#spark-given tbody tr").filter(has_text=post.video_id)
    expect(given).to_contain_text("Approved by the creator here")
    # The worker applies the code after the approval commits: on a busy machine, after one reload.
    reload_until(me, lambda: me.locator("#spark-given tbody tr").filter(has_text=post.video_id), text="Active")

    page.reload()
    ledger_row = page.locator("#ledger tbody tr").filter(has_text=post.video_id)
    expect(ledger_row.locator(".badge")).to_have_text("Active")
    expect(ledger_row).to_contain_text("Approved by the creator here")
    expect(ledger_row).to_contain_text("Demo Brand US")

    # Revoke, after reading what it does to running ads.
    given.get_by_text("Revoke…").click()
    expect(given).to_contain_text("ads using it stop delivering")
    given.get_by_role("button", name="Yes, revoke").click()
    expect(me.locator(".messages")).to_contain_text("We told the brand")
    expect(me.locator("#spark-given tbody tr").filter(has_text=post.video_id)).to_contain_text("Revoked")

    page.reload()
    expect(page.locator("#ledger tbody tr").filter(has_text=post.video_id).locator(".badge")).to_have_text("Revoked")
