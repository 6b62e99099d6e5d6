"""Fixtures for post insights: a connected campaign, a documented report row, bulk data."""

from __future__ import annotations

import copy
from datetime import date, timedelta

import pytest
import responses
from django.conf import settings
from django.utils import timezone

from integrations.models import (
    Campaign,
    CampaignDayTotal,
    CampaignPost,
    Credential,
    PostInsight,
    PostSnapshot,
    TikTokAccount,
    TikTokOneAccount,
)

# One row of tto/tcm/report/ with every metric family, shaped as in bububa
# model/tcm/report/metrics.go.
REPORT_ROW = {
    "video_info": {
        "video_id": "7700000000000000101",
        "embed_url": "https://www.tiktok.com/@market.star/video/7700000000000000101",
        "thumbnail_url": "https://p16-sign.tiktokcdn.com/cover/7700000000000000101.jpeg",
        "create_time": "2026-03-01 10:00:00",
        "authorization_code": "",
    },
    "creator_info": {"handle_name": "market.star", "display_name": "Market Star"},
    "video_views": 12000, "video_views_organic": 10000, "video_views_paid": 2000,
    "reach": 9500, "reach_organic": 7800, "reach_paid": 1700,
    "likes": 900, "likes_organic": 800, "likes_paid": 100,
    "comments": 60, "comments_organic": 50, "comments_paid": 10,
    "shares": 40, "shares_organic": 35, "shares_paid": 5,
    "favorites": 70, "favorites_organic": 60, "favorites_paid": 10,
    "engagement_count": 1000, "engagement_rate": 0.0833, "engagement_rate_organic": 0.0885,
    "engagement_rate_paid": "-",
    "video_completion_rate": 0.41, "average_view_time": 9.5, "total_play_time": 114000,
    "video_views_by_source": {"for_you": 8400, "hashtag": 600, "sound": 360, "personal_profile": 1200,
                              "search": 720, "following": 480, "other": 240},
    "ad_impressions": 2800, "ad_clicks": 33, "ad_ctr": 0.0118, "ad_cost": 18.2, "ad_cpm": 6.5, "ad_cpc": 0.55,
    "ad_conversions": 2, "video_boosted_date": "2026-03-02 00:00:00",
    "audience_genders_distribution": [{"gender": "FEMALE", "percentage": 0.62}, {"gender": "MALE", "percentage": 0.38}],
    "audience_age_distribution": [{"age": "18-24", "percentage": 0.5}, {"age": "25-34", "percentage": 0.3},
                                  {"age": "35+", "percentage": 0.2}],
    "audience_countries_distribution": [{"country": "US", "percentage": 0.7}, {"country": "GB", "percentage": 0.3}],
    "audience_device_distribution": [{"device": "ios", "percentage": 0.55}, {"device": "android", "percentage": 0.45}],
    "daily_stats": [
        {"date": "2026-03-01", "views": 7000, "video_views_organic": 7000, "video_views_paid": 0, "reach": 5400,
         "likes": 500, "comments": 30, "shares": 20, "engagement_rate": 0.0786, "video_completion_rate": 0.41},
        {"date": "2026-03-02", "views": 5000, "video_views_organic": 3000, "video_views_paid": 2000, "reach": 4100,
         "likes": 400, "comments": 30, "shares": 20, "engagement_rate": "-", "video_completion_rate": 0.41},
    ],
}  # fmt: skip


@pytest.fixture
def report_row():
    def make(video_id: str = "7700000000000000101", handle: str = "market.star", **overrides):
        row = copy.deepcopy(REPORT_ROW)
        row["video_info"]["video_id"] = video_id
        row["creator_info"]["handle_name"] = handle
        row.update(overrides)
        return row

    return make


def report_page(rows, page: int = 1, total_page: int = 1) -> dict:
    return {
        "code": 0,
        "message": "OK",
        "request_id": f"req-{page}",
        "data": {
            "tto_tcm_account_id": "7200000000000000001",
            "campaign_id": "7900000000000000001",
            "videos": rows,
            "page_info": {"page": page, "page_size": 50, "total_number": len(rows), "total_page": total_page},
        },
    }


@pytest.fixture
def campaign(brand):
    cred = Credential.objects.create(kind=Credential.Kind.BUSINESS, brand=brand, access_token="brand-token")
    account = TikTokOneAccount.objects.create(tto_tcm_account_id="7200000000000000001", brand=brand, credential=cred)
    return Campaign.objects.create(brand=brand, tiktok_one_account=account, campaign_id="7900000000000000001",
                                   name="Spring Launch")  # fmt: skip


@pytest.fixture
def other_campaign(other_brand):
    return Campaign.objects.create(brand=other_brand, campaign_id="7900000000000000999", name="Globex launch")


@pytest.fixture
def mocked():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        yield rsps


@pytest.fixture
def report_url():
    return f"{settings.TIKTOK_BUSINESS_API_BASE_URL}/open_api/v1.3/tto/tcm/report/"


@pytest.fixture
def subscribe_url():
    return f"{settings.TIKTOK_BUSINESS_API_BASE_URL}/open_api/v1.3/subscription/subscribe/"


@pytest.fixture
def no_sleep(monkeypatch):
    monkeypatch.setattr("integrations.tiktok.clock.sleep", lambda seconds: None)


def build_campaign_data(campaign: Campaign, posts: int, days: int, start: int = 0) -> list[CampaignPost]:
    """posts × days of snapshots with bulk_create: the large fixture for query counts."""
    accounts = TikTokAccount.objects.bulk_create(
        [TikTokAccount(handle=f"bulk.creator{campaign.pk}.{start + i}") for i in range(posts)]
    )
    made = CampaignPost.objects.bulk_create(
        [CampaignPost(campaign=campaign, tiktok_account=a, video_id=f"77{campaign.pk:03d}{start + i:014d}",
                      link_status="APPROVE", publish_status="published") for i, a in enumerate(accounts)]
    )  # fmt: skip
    today, now = date(2026, 3, 31), timezone.now()
    PostSnapshot.objects.bulk_create(
        [PostSnapshot(post=p, campaign=campaign, date=today - timedelta(days=d), day_views=100 + i,
                      day_views_organic=80 + i, day_views_paid=20, video_views=1000 * (i + 1), fetched_at=now)
         for i, p in enumerate(made) for d in range(days)],
        batch_size=2000,
    )  # fmt: skip
    PostInsight.objects.bulk_create(
        [PostInsight(post=p, campaign=campaign, as_of=today, fetched_at=now, changed_at=now,
                     video_views=1000 * (i + 1), video_views_organic=800 * (i + 1), video_views_paid=200 * (i + 1),
                     engagement_count=50 * (i + 1), engagement_rate=0.05, ad_cost=i) for i, p in enumerate(made)],
        batch_size=2000,
    )  # fmt: skip
    CampaignDayTotal.objects.bulk_create(
        [CampaignDayTotal(campaign=campaign, date=today - timedelta(days=d), views_organic=80 * posts,
                          views_paid=20 * posts, engagement=10 * posts) for d in range(days)],
        ignore_conflicts=True,
    )  # fmt: skip
    return made
