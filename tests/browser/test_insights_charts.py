"""A brand reads a post's daily views in Chromium: one day, a few scattered days, 90 days."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.steps import sign_in
from tests.proof.harness import ARTIFACTS

pytestmark = pytest.mark.browser

PASSWORD = "charts-pass-123"
FIRST = date(2026, 3, 1)


def _post_with_days(campaign, handle: str, days: list[date]):
    """A post as the report poll leaves it: a day figure for each day TikTok reported."""
    from integrations.models import CampaignPost, PostInsight, PostSnapshot, TikTokAccount

    account = TikTokAccount.objects.create(handle=handle)
    post = CampaignPost.objects.create(
        campaign=campaign, tiktok_account=account, video_id=f"77000000000000{len(days):05d}", caption=f"{handle} #ad"
    )
    now = timezone.now()
    PostSnapshot.objects.bulk_create(
        [
            PostSnapshot(post=post, campaign=campaign, date=d, day_views=900 + 10 * i, day_views_organic=800 + 10 * i,
                         day_views_paid=100, video_views=1000 * (i + 1), fetched_at=now)
            for i, d in enumerate(days)
        ]
    )  # fmt: skip
    PostInsight.objects.create(
        post=post, campaign=campaign, as_of=days[-1], fetched_at=now, changed_at=now, video_views=1000 * len(days)
    )
    return post


@pytest.fixture
def url(live_server):
    return lambda path: f"{live_server.url}{path}"


def test_daily_views_show_for_one_day_scattered_days_and_ninety_days(url, new_page, user_factory, brand_factory):
    from integrations.models import Campaign

    owner = user_factory(email="charts.owner@acme.test", password=PASSWORD)
    brand = brand_factory(name="Acme Charts", owner=owner)
    campaign = Campaign.objects.create(brand=brand, name="Spring", campaign_id="7900000000000000777")
    cases = {
        "one-day": (_post_with_days(campaign, "one.day", [FIRST]), 1),
        "sparse": (_post_with_days(campaign, "sparse.days", [FIRST, FIRST + timedelta(days=1), FIRST + timedelta(days=9)]), 2),
        "ninety": (_post_with_days(campaign, "ninety.days", [FIRST + timedelta(days=i) for i in range(90)]), 1),
    }  # fmt: skip
    from integrations.insights.report import refresh_day_totals

    refresh_day_totals(campaign, {FIRST + timedelta(days=i) for i in range(90)})  # as the poll does

    page = new_page("brand")
    sign_in(page, url, owner.email, PASSWORD)
    ARTIFACTS.mkdir(exist_ok=True)
    for name, (post, marks) in cases.items():
        page.goto(url(f"/brands/{brand.slug}/insights/posts/{post.pk}/"))
        organic = page.locator(".card").filter(has_text="Daily views").locator("svg.chart g[data-series=Organic]")
        expect(organic).to_be_visible()
        drawn = organic.locator("polyline, circle")
        expect(drawn).to_have_count(marks)
        for i in range(marks):
            box = drawn.nth(i).bounding_box()
            assert box and (box["width"] > 2 or box["height"] > 2), f"{name}: mark {i} is invisible"
        page.locator(".card").filter(has_text="Daily views").screenshot(path=str(ARTIFACTS / f"chart-{name}.png"))

    page.goto(url(f"/brands/{brand.slug}/insights/campaigns/{campaign.pk}/"))
    views = page.locator(".card").filter(has_text="Views over time").locator("svg.chart g[data-series=Organic]")
    expect(views.locator("polyline")).to_have_count(1)  # 90 consecutive days with views: one line
    assert views.locator("polyline").get_attribute("points").count(",") == 90
    page.locator(".card").filter(has_text="Views over time").screenshot(path=str(ARTIFACTS / "chart-campaign.png"))
