"""The ledger's spend at risk in a browser: the filter and the renewal queue's order change the
ledger in place (htmx), and the CSV link follows them."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from tests.browser.steps import sign_in

pytestmark = pytest.mark.browser

PASSWORD = "at-risk-pass-123"


def _code_feeding(brand, account, video_id: str, ends_in_days: int, daily: str | None, status: str = "active"):
    from integrations.tiktok import clock
    from sparkads.models import SparkAd, SparkAuthorization

    row = SparkAuthorization.objects.create(
        brand=brand,
        ad_account=account,
        video_id=video_id,
        item_id=video_id,
        tiktok_name=f"creator{video_id[-2:]}",
        status=status,
        auth_start=clock.now(),
        auth_end=clock.now() + timedelta(days=ends_in_days),
    )
    if daily is not None:
        SparkAd.objects.create(
            brand=brand,
            ad_account=account,
            authorization=row,
            ad_id=f"18{video_id}",
            ad_name=f"Ad of {video_id}",
            tiktok_item_id=video_id,
            identity_type="AUTH_CODE",
            operation_status="ENABLE",
            secondary_status="AD_STATUS_DELIVERY_OK",
            currency="USD",
            daily_spend=Decimal(daily),
        )
    return row


def test_the_ledger_filters_to_spend_at_risk_and_orders_the_renewal_queue_by_it_in_place(
    site, new_page, user_factory, brand_factory
):
    from integrations.models import AdAccount

    user = user_factory(email="at.risk@acme.test", password=PASSWORD)
    brand = brand_factory(name="Acme At Risk", owner=user)
    account = AdAccount.objects.create(advertiser_id="7300000000000009901", name="Acme US", brand=brand, currency="USD")
    small = _code_feeding(brand, account, "7700000000000009911", 10, "5.00")
    big = _code_feeding(brand, account, "7700000000000009912", 12, "50.00")
    asked = _code_feeding(brand, account, "7700000000000009913", 40, None, status="requested")
    page = new_page("brand")
    sign_in(page, site, user.email, PASSWORD)

    page.goto(site(f"/brands/{brand.slug}/spark-ads/"))
    ledger = page.locator("#ledger")
    expect(ledger).to_contain_text(asked.video_id)
    page.get_by_label("Spend at risk only").check()
    expect(ledger).not_to_contain_text(asked.video_id)
    expect(ledger).to_contain_text("1,500.00 USD at risk")  # 50.00 a day × 30 days
    csv_link = re.compile(rf"^/brands/{brand.slug}/spark-ads/ledger\.csv\?.*\bat_risk=on")
    expect(page.locator("#ledger-csv")).to_have_attribute("href", csv_link)

    page.get_by_label("Ends").select_option("14")
    expect(ledger).to_contain_text("most spend at risk first")
    text = ledger.inner_text()
    assert text.index(big.video_id) < text.index(small.video_id)
    page.screenshot(path="test-artifacts/spend-at-risk-ledger.png", full_page=True)
