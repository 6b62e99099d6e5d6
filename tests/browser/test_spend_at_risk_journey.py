"""Journey: spend at risk, against the live sandbox over real HTTP, in Chromium.

A campaign's five posts get Spark codes (the creator makes each on TikTok, the brand pastes it
on the Spark Ads page); the one whose music is not licensed where the ad account advertises is
refused with the track named. The brand runs three ads on three codes in TikTok's Ads Manager,
in two ad accounts (the agency applied one code to its EU account in Ads Manager too), and a
fourth that TikTok rejects. A sandbox day later the ledger shows exactly those three ads, in
their ad accounts; the rejected ad and a fatigued one are flagged; the code 14 days from its end
with the biggest spender tops the renewal queue; the code that ends unrenewed is unbound and its
ad stops on TikTok's side and on the ledger; a spend change reaches the ledger within one
webhook window, every ad's spend equal to the sandbox's to the cent.
"""

from __future__ import annotations

import time
from datetime import timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from tests.browser.steps import (
    beat_runs_every_dispatcher,
    campaign_with_linked_posts,
    connect_tiktok,
    create_sandbox_ad,
    move_sandbox_clock_to,
    sign_in,
)

pytestmark = pytest.mark.browser

PASSWORD = "at-risk-journey-123"
TTO = "7200000000000000001"
US, EU = "7300000000000000001", "7300000000000000002"  # Demo Brand's two ad accounts
TRACK = "“Midnight Anthem” by The Loud Label"
REPORT_WINDOW = timedelta(minutes=5)  # the notify_frequency the platform subscribes with


def _beat_until(page: Page, locator_fn, text: str, attempts: int = 30) -> None:
    """Beats run (the worker does the work) until the reloaded locator contains `text`."""
    for _ in range(attempts):
        beat_runs_every_dispatcher()
        page.wait_for_timeout(1000)
        page.reload()
        if locator_fn().count() and text in locator_fn().inner_text():
            return
    expect(locator_fn()).to_contain_text(text)


def _swept_at(control: Page, site, page: Page, brand, moment) -> None:
    """TikTok's clock moves to `moment`; beats run until both ad accounts were swept there."""
    from integrations.models import AdAccount
    from integrations.tiktok import clock

    move_sandbox_clock_to(control, site.sandbox.url, moment)
    accounts = AdAccount.objects.filter(brand=brand, advertiser_id__in=[US, EU])
    for _ in range(30):
        beat_runs_every_dispatcher()
        page.wait_for_timeout(1000)
        if accounts.filter(next_spend_read_at__gt=clock.now() + timedelta(hours=12)).count() == 2:
            return
    raise AssertionError(f"the ad accounts were not swept at {moment}")


def _paste(page: Page, code: str) -> None:
    page.get_by_label("Authorization code").fill(code)
    page.get_by_role("button", name="Check and add").click()


def _money(amount: str, currency: str) -> str:
    return f"{Decimal(amount):,.2f} {currency}"


def _decide(control: Page, sandbox_url: str, ad_name: str, decision: str) -> None:
    """TikTok's side, on the sandbox's control page: approve, reject or fatigue an ad."""
    control.goto(f"{sandbox_url}/sandbox/control/ads/")
    control.locator("tr", has_text=ad_name).get_by_role("button", name=decision).click()
    expect(control.locator(".msg").first).to_contain_text(ad_name)


def test_spend_at_risk_from_five_codes_to_ads_in_two_accounts_flags_renewals_music_and_an_unrenewed_end(
    site, new_page, user_factory, brand_factory
):
    from integrations.models import AdAccount
    from integrations.tiktok import BusinessClient, clock
    from sparkads.models import SparkAuthorization

    marketer = user_factory(email="at.risk.journey@acme.test", password=PASSWORD)
    brand = brand_factory(name="Acme Spend", owner=marketer)
    page = new_page("brand")
    sign_in(page, site, marketer.email, PASSWORD)
    connect_tiktok(page, site, brand.slug, "demo-brand")
    assert set(AdAccount.objects.filter(brand=brand).values_list("advertiser_id", flat=True)) == {US, EU}
    posts = campaign_with_linked_posts(site, brand, TTO, 5)
    short, soon, euro, rejected, unlicensed = (p.video_id for p in posts)

    # The creator makes a code for each post on TikTok; one post's music is licensed only in GB and DE.
    site.sandbox.helper(
        "post-music", video_id=unlicensed, title="Midnight Anthem", author="The Loud Label", licensed_in=["GB", "DE"]
    )
    # Two 30-day codes (the small spender's made first, so it ends first), three of 60 days.
    days = {short: 30, soon: 30, euro: 60, rejected: 60, unlicensed: 60}
    codes = {}
    for video, n in days.items():
        codes[video] = site.sandbox.helper("ad-codes", video_id=video, days=n)["auth_code"]
        time.sleep(1.1 if video == short else 0)  # TikTok's times are to the second

    # The brand pastes them: four are applied to Demo Brand US, the fifth refused with its track named.
    page.goto(site(f"/brands/{brand.slug}/spark-ads/"))
    for video in (short, soon, euro, rejected):
        _paste(page, codes[video])
        expect(page.locator(".messages")).to_contain_text("Code accepted")
    applied = len(site.sandbox.requests("/open_api/v1.3/tt_video/authorize/"))
    _paste(page, codes[unlicensed])
    expect(page.locator(".messages")).to_contain_text(TRACK)
    expect(page.locator(".messages")).to_contain_text("not licensed for ads in US")
    assert len(site.sandbox.requests("/open_api/v1.3/tt_video/authorize/")) == applied  # never reached TikTok
    ledger = {v: page.locator("#ledger tbody tr").filter(has_text=v) for v in days}
    expect(ledger[unlicensed]).to_contain_text(TRACK)
    rows = {v: SparkAuthorization.objects.get(brand=brand, video_id=v) for v in days}
    assert rows[unlicensed].applied_at is None and rows[unlicensed].music_status == "AUTHORIZATION_MISSING"

    # The agency applies the EU post's code to its EU ad account too, in Ads Manager (the
    # sandbox has no screen for it: TikTok's API with the brand's own grant).
    eu_account = AdAccount.objects.get(brand=brand, advertiser_id=EU)
    BusinessClient(eu_account.credential.access_token).tt_video_authorize(EU, codes[euro])

    # Ads Manager: three ads on three codes in two ad accounts, and a fourth TikTok rejects.
    ads_manager, control = new_page("ads-manager"), new_page("sandbox-control")
    budgets = {
        "Big spender": (US, soon, "200.00"),
        "Short run": (US, short, "50.00"),
        "Euro boost": (EU, euro, "80.00"),
    }
    for name, (adv, video, budget) in {**budgets, "Turned down": (US, rejected, "30.00")}.items():
        create_sandbox_ad(ads_manager, site.sandbox.url, "demo-brand", f"{adv}:{video}:AUTH_CODE:", name, budget)
    expect(ads_manager.locator(f"select[name=source] option[value*='{unlicensed}']")).to_have_count(0)
    for name in budgets:
        _decide(control, site.sandbox.url, name, "Approve")
    _decide(control, site.sandbox.url, "Turned down", "Reject")

    # A sandbox day later the sweep reads every ad account: exactly the three ads feed codes.
    site.sandbox.advance(hours=26)
    clock.forget()
    page.goto(site(f"/brands/{brand.slug}/spark-ads/"))
    ads = {name: page.locator("#ledger tr.spark-ads-of li").filter(has_text=name) for name in budgets}
    _beat_until(page, lambda: ads["Euro boost"], "Delivering")
    expect(page.locator("#ledger .at-risk")).to_have_count(3)
    expect(page.locator("#ledger tr.spark-ads-of li")).to_have_count(4)  # and the rejected one
    for name, account in (
        ("Big spender", "Demo Brand US"),
        ("Short run", "Demo Brand US"),
        ("Euro boost", "Demo Brand EU"),
    ):
        expect(ads[name]).to_contain_text("Delivering")
        expect(ads[name]).to_contain_text(f"in {account}")
    expect(ads["Euro boost"]).to_contain_text("EUR lifetime")
    expect(ledger[rejected]).to_contain_text("Nothing at risk")
    expect(ledger[rejected].locator(".ad-flag")).to_have_text("Ad rejected")
    expect(ledger[unlicensed]).to_contain_text("No ads use it")

    # TikTok finds one creative fatigued: its CREATIVE_FATIGUE webhook flags it on its code's row.
    _decide(control, site.sandbox.url, "Euro boost", "Fatigue")
    _beat_until(page, lambda: ledger[euro].locator(".ad-flag"), "Ad fatigued")

    # The ledger with its ads column fits a desk and a phone: nothing wider than the screen, and
    # its table no wider than its card.
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.locator("#ledger").screenshot(path=f"test-artifacts/spend-at-risk-journey-ledger-{width}.png")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        table, card = page.evaluate(
            "[document.querySelector('#ledger table').scrollWidth, document.querySelector('#ledger').clientWidth]"
        )
        assert table <= card, f"at {width} px the ledger's table is {table} px wide in its {card} px card"
    page.set_viewport_size({"width": 1280, "height": 900})

    # TikTok's clock runs on, five days at a time (each sweep reads the last seven), until the
    # 30-day codes are 14 days from their end: the renewal queue (codes ending within 14 days)
    # has the big spender's code on top, ahead of the one ending first whose ad spends less.
    end = max(rows[soon].auth_end, rows[short].auth_end)
    for days_before in (24, 19):
        _swept_at(control, site, page, brand, end - timedelta(days=days_before))
    _swept_at(control, site, page, brand, rows[soon].auth_end - timedelta(days=14, hours=-1))
    page.goto(site(f"/brands/{brand.slug}/spark-ads/"))
    page.get_by_label("Ends").select_option("14")
    expect(page.locator("#ledger")).to_contain_text("most spend at risk first")
    queue = page.locator("#ledger tbody tr:not(.spark-ads-of)")
    expect(queue).to_have_count(2)
    expect(queue.first).to_contain_text(soon)
    expect(queue.first.locator("td.window")).to_contain_text("(13 days left)")
    expect(queue.nth(1)).to_contain_text(short)
    assert rows[short].auth_end < rows[soon].auth_end

    # Neither is renewed. At their end the platform unbinds them, TikTok stops their ads, and
    # the ledger says so.
    for days_before in (9, 4):
        _swept_at(control, site, page, brand, end - timedelta(days=days_before))
    move_sandbox_clock_to(control, site.sandbox.url, end + timedelta(hours=1))
    page.goto(site(f"/brands/{brand.slug}/spark-ads/"))
    for video, name in ((short, "Short run"), (soon, "Big spender")):
        _beat_until(page, lambda video=video: ledger[video].locator(".badge").first, "Unbound")
        expect(ledger[video]).to_contain_text("without a renewal")
        assert site.sandbox.ads()[name]["secondary_status"] == "AD_STATUS_DISABLE"
        _beat_until(page, lambda name=name: ads[name], "Stopped")
    expect(ads["Euro boost"]).to_contain_text("Delivering")

    # A spend change: one REPORT_DATA_CHANGE window closes, the webhook makes the EU account
    # due, the brand pauses its ad (so the figure holds still), and one beat later every ad's
    # lifetime spend on the ledger is the sandbox's to the cent.
    shown_before = ads["Euro boost"].inner_text()
    page.wait_for_timeout(2000)  # the worker finishes the sweep the last beat started
    started = time.monotonic()
    site.sandbox.advance(seconds=(REPORT_WINDOW + timedelta(minutes=1)).total_seconds())
    clock.forget()
    due = AdAccount.objects.filter(brand=brand, advertiser_id=EU)
    for _ in range(60):
        if due.filter(next_spend_read_at__lte=clock.now()).exists():
            break
        time.sleep(0.25)
    assert due.filter(next_spend_read_at__lte=clock.now()).exists(), "REPORT_DATA_CHANGE never arrived"
    ads_manager.goto(f"{site.sandbox.url}/sandbox/ads-manager/ads/")
    ads_manager.locator("tr", has_text="Euro boost").get_by_role("button", name="Pause").click()
    expect(ads_manager.locator(".msg")).to_contain_text("Paused Euro boost")
    sandbox = site.sandbox.ads()
    _beat_until(page, lambda: ads["Euro boost"], _money(sandbox["Euro boost"]["lifetime_spend"], "EUR") + " lifetime")
    print(f"spend change on the ledger after {time.monotonic() - started:.1f} s of real time")
    assert ads["Euro boost"].inner_text() != shown_before
    for name, currency in (("Big spender", "USD"), ("Short run", "USD"), ("Euro boost", "EUR")):
        spent = Decimal(sandbox[name]["lifetime_spend"])
        assert spent > 0, name
        expect(ads[name]).to_contain_text(f"{_money(str(spent), currency)} lifetime")
