"""Journey 3: a brand asks a creator for Spark Ads permission; the creator approves on TikTok."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.steps import connect_tiktok, open_tiktok_app_screen, reload_until, sign_in

pytestmark = pytest.mark.browser

PASSWORD = "marketer-pass-123"
SPRING_LAUNCH = "7900000000000000001"  # the sandbox's seeded campaign; market.star's first post is linked


def _campaign_post(brand):
    """The brand's Spring Launch campaign and market.star's linked post, as campaign sync stores them."""
    from integrations.models import Campaign, CampaignPost, TikTokAccount, TikTokOneAccount
    from tiktok_sandbox.testing import link_statuses

    tto = TikTokOneAccount.objects.get(brand=brand, tto_tcm_account_id="7200000000000000001")
    links = link_statuses(
        settings.TIKTOK_BUSINESS_API_BASE_URL, tto.credential.access_token, tto.tto_tcm_account_id, SPRING_LAUNCH
    )
    video_id = next(str(r["video_id"]) for r in links if r["status"] == "APPROVE")
    campaign = Campaign.objects.create(
        brand=brand, tiktok_one_account=tto, campaign_id=SPRING_LAUNCH, name="Spring Launch"
    )
    account, _ = TikTokAccount.objects.get_or_create(handle="market.star")
    return CampaignPost.objects.create(
        campaign=campaign, tiktok_account=account, video_id=video_id, link_status=CampaignPost.LinkStatus.APPROVE
    )


def _beat_runs_the_spark_dispatcher_once_the_row_is_due():
    """What beat does every minute, with the row's next poll reached."""
    from sparkads.models import SparkAuthorization
    from sparkads.tasks import dispatch_spark_polls

    SparkAuthorization.objects.update(next_poll_at=timezone.now())
    dispatch_spark_polls.delay()


def test_the_brand_requests_spark_ads_permission_and_the_ledger_shows_the_active_code(
    site, new_page, user_factory, brand_factory
):
    user = user_factory(email="spark.marketer@acme.test", password=PASSWORD)
    brand = brand_factory(name="Acme Spark", owner=user)
    page = new_page("brand")
    sign_in(page, site, user.email, PASSWORD)
    connect_tiktok(page, site, brand.slug, "demo-brand")
    post = _campaign_post(brand)

    page.goto(site(f"/brands/{brand.slug}/spark-ads/"))
    expect(page.get_by_role("heading", name="Spark Ads on")).to_be_visible()
    row = page.locator("tr").filter(has_text=post.video_id).filter(has=page.get_by_role("button", name="Request"))
    row.locator("select[name=days]").select_option("30")
    row.get_by_role("button", name="Request").click()
    expect(page.locator(".messages")).to_contain_text("Request sent")
    ledger_row = page.locator("#ledger tbody tr").filter(has_text=post.video_id)
    expect(ledger_row.locator(".badge")).to_have_text("Requested")

    app = new_page("tiktok-app")
    open_tiktok_app_screen(app, site.sandbox.url, "/sandbox/tiktok/notifications/", "market.star")
    request_row = app.locator("tr").filter(has_text=post.video_id).filter(has=app.get_by_role("button", name="Approve"))
    request_row.get_by_role("button", name="Approve").click()
    expect(app.locator("tr").filter(has_text=post.video_id).first).to_contain_text("ACCEPTED")

    # Beat's dispatcher finds the row due; the worker reads the ACCEPTED status and its code,
    # applies it to the active ad account (tt_video/authorize/) and reads the window (tt_video/info/).
    for _ in range(3):  # requested -> approved -> active: one dispatch per step at most
        _beat_runs_the_spark_dispatcher_once_the_row_is_due()
        try:
            reload_until(page, lambda: ledger_row.locator(".badge"), text="Active", attempts=20)
            break
        except AssertionError:
            continue
    expect(ledger_row.locator(".badge")).to_have_text("Active")
    expect(ledger_row).to_contain_text("Demo Brand US")
    window = ledger_row.locator("td.window").inner_text()
    match = re.search(r"(\d{4}-\d{2}-\d{2}) → (\d{4}-\d{2}-\d{2}) \((\d+) days? left\)", window)
    assert match, window
    today = timezone.now().date()
    assert match.group(2) in {str(today + timedelta(days=d)) for d in (29, 30, 31)}
    assert int(match.group(3)) in {29, 30}


def test_a_pasted_code_for_a_post_in_no_campaign_is_named_in_the_ledger_by_the_caption_tiktok_gives(
    site, new_page, user_factory, brand_factory
):
    from sparkads.models import SparkAuthorization

    user = user_factory(email="paste.marketer@acme.test", password=PASSWORD)
    brand = brand_factory(name="Acme Paste", owner=user)
    page = new_page("brand")
    sign_in(page, site, user.email, PASSWORD)
    connect_tiktok(page, site, brand.slug, "demo-brand")

    # The creator makes a code in TikTok's Ad settings for a post no campaign here links.
    app = new_page("tiktok-app")
    open_tiktok_app_screen(app, site.sandbox.url, "/sandbox/tiktok/posts/", "market.star")
    app.get_by_role("link", name="… Ad settings").last.click()
    video_id = app.url.rstrip("/").split("/")[-2]
    app.get_by_role("button", name="Generate code").click()
    code = app.locator("#auth-code").inner_text()

    page.goto(site(f"/brands/{brand.slug}/spark-ads/"))
    page.get_by_label("Authorization code").fill(code)
    page.get_by_role("button", name="Check and add").click()
    name = SparkAuthorization.objects.get(brand=brand, video_id=video_id).post_name
    assert name.startswith("“"), name  # TikTok gave the caption with the code
    expect(page.locator(".messages")).to_contain_text(f"Code accepted: {name}")
    row = page.locator("#ledger tbody tr").filter(has_text=name)
    expect(row.locator(".post-title")).to_have_text(name)
    expect(row).to_contain_text(video_id)  # the id stays beneath, for whoever needs it
