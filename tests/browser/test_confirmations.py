"""Destructive actions ask first, and cancelling sends nothing; actions that wait on TikTok
show that they are working and end with a message."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.steps import answer_next_confirm, connect_tiktok, consent_as_creator, posts_sent, sign_in

pytestmark = pytest.mark.browser

PASSWORD = "confirm-pass-123"


def test_mark_rejected_and_remove_ask_first_and_cancelling_sends_nothing(site, new_page, user_factory, brand_factory):
    from integrations.models import AdAccount
    from sparkads.models import AdsManagerLink

    owner = user_factory(email="owner.confirm@acme.test", password=PASSWORD)
    brand = brand_factory(name="Acme Confirm", owner=owner)
    page = new_page("owner")
    sign_in(page, site, owner.email, PASSWORD)
    connect_tiktok(page, site, brand.slug, "demo-brand")

    page.goto(site(f"/brands/{brand.slug}/spark-ads/ads-manager/"))
    page.get_by_label("TikTok username").fill("demo.creator")
    page.get_by_role("button", name="Record request").click()
    row = page.locator("tr").filter(has_text="@demo.creator")
    expect(row.locator(".badge")).to_have_text("Waiting for the account owner")
    # The brand sends it from Ads Manager (TikTok's side), so TikTok lists it as waiting.
    site.sandbox.helper("ads-manager/link-requests", advertiser_id="7300000000000000001", handle="demo.creator")

    # "Check now" waits on TikTok: while TikTok is slow the button is disabled and says so.
    site.sandbox.add_fault(pattern="*identity/get*", latency_ms=2500, times=1)
    # What the page showed while it waited, written down as it is replaced by TikTok's answer.
    page.evaluate(
        """() => addEventListener('pagehide', () => { sessionStorage.busy = JSON.stringify(
             [...document.querySelectorAll('button:disabled')].map(b => b.textContent)) })"""
    )
    row.get_by_role("button", name="Check now").click()
    expect(page.locator(".messages")).to_contain_text("Checked with TikTok.")
    assert page.evaluate("JSON.parse(sessionStorage.busy)") == ["Working…"]

    sent = posts_sent(page)
    asked = answer_next_confirm(page, accept=False)
    row.get_by_role("button", name="Mark rejected").click()
    page.wait_for_timeout(500)
    assert asked and "rejected" in asked[0], asked
    assert sent == []
    expect(row.locator(".badge")).to_have_text("Waiting for the account owner")
    assert AdsManagerLink.objects.get(brand=brand).status == AdsManagerLink.Status.PENDING

    asked = answer_next_confirm(page, accept=True)
    row.get_by_role("button", name="Mark rejected").click()
    expect(page.locator(".messages")).to_contain_text("rejected the link")
    expect(page.locator("tr").filter(has_text="@demo.creator").locator(".badge")).to_have_text("Rejected")
    assert len(sent) == 1

    page.goto(site(f"/brands/{brand.slug}/integrations/tiktok/"))
    ads = AdAccount.objects.filter(brand=brand).count()
    sent.clear()
    asked = answer_next_confirm(page, accept=False)
    page.get_by_role("button", name="Remove").first.click()
    page.wait_for_timeout(500)
    assert asked and asked[0].startswith("Remove the ad account"), asked
    assert sent == [] and AdAccount.objects.filter(brand=brand).count() == ads


def test_disconnecting_tiktok_asks_first_and_cancelling_keeps_the_account(site, new_page, user_factory):
    from integrations.models import Credential

    user = user_factory(email="maker.confirm@acme.test", password=PASSWORD)
    page = new_page("creator")
    sign_in(page, site, user.email, PASSWORD)
    page.goto(site("/creator/"))
    page.get_by_role("button", name="Become a creator").click()
    page.get_by_role("button", name="Authorize TikTok").click()
    consent_as_creator(page, "demo.creator")
    page.wait_for_url("**/creator/**")
    account = page.locator("section.account").filter(has_text="@demo.creator")
    expect(account.locator("h2 .badge.ok")).to_have_text("Connected")

    sent = posts_sent(page)
    asked = answer_next_confirm(page, accept=False)
    account.get_by_role("button", name="Disconnect").click()
    page.wait_for_timeout(500)
    assert asked and asked[0].startswith("Disconnect @demo.creator?"), asked
    assert sent == []
    assert Credential.objects.get(user=user).status == Credential.Status.OK
    expect(account.locator("h2 .badge.ok")).to_have_text("Connected")
