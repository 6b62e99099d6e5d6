from __future__ import annotations

from datetime import date
from decimal import Decimal

from integrations.insights import parse

from .conftest import REPORT_ROW


def test_it_parses_views_and_reach_split_organic_and_paid():
    m = parse.parse_video(REPORT_ROW).metrics
    assert (m["video_views"], m["video_views_organic"], m["video_views_paid"]) == (12000, 10000, 2000)
    assert (m["reach"], m["reach_organic"], m["reach_paid"]) == (9500, 7800, 1700)


def test_it_parses_engagement_families_with_their_splits():
    m = parse.parse_video(REPORT_ROW).metrics
    for name, split in {"likes": (900, 800, 100), "comments": (60, 50, 10), "shares": (40, 35, 5),
                        "favorites": (70, 60, 10)}.items():  # fmt: skip
        assert (m[name], m[f"{name}_organic"], m[f"{name}_paid"]) == split
    assert m["engagement_count"] == 1000
    assert m["engagement_rate"] == 0.0833
    assert m["engagement_rate_organic"] == 0.0885


def test_it_stores_tiktoks_dash_as_empty_not_zero():
    m = parse.parse_video(REPORT_ROW).metrics
    assert m["engagement_rate_paid"] is None
    assert parse.parse_video({**REPORT_ROW, "ad_cost": "-", "likes": "-"}).metrics["ad_cost"] is None
    assert parse.parse_video({**REPORT_ROW, "likes": "-"}).metrics["likes"] is None


def test_it_parses_watch_time_and_views_by_source():
    m = parse.parse_video(REPORT_ROW).metrics
    assert m["video_completion_rate"] == 0.41
    assert m["average_view_time"] == 9.5
    assert m["total_play_time"] == 114000
    assert m["video_views_by_source"]["for_you"] == 8400
    assert set(m["video_views_by_source"]) == {"for_you", "hashtag", "sound", "personal_profile", "search",
                                               "following", "other"}  # fmt: skip


def test_it_accepts_views_by_source_as_the_docs_example_list():
    row = {**REPORT_ROW, "video_views_by_source": [{"source": "search", "video_views": 5}]}
    assert parse.parse_video(row).metrics["video_views_by_source"] == {"search": 5}


def test_it_parses_ad_metrics():
    m = parse.parse_video(REPORT_ROW).metrics
    assert (m["ad_impressions"], m["ad_clicks"], m["ad_conversions"]) == (2800, 33, 2)
    assert m["ad_ctr"] == 0.0118
    assert (m["ad_cost"], m["ad_cpm"], m["ad_cpc"]) == (Decimal("18.2"), Decimal("6.5"), Decimal("0.55"))
    assert m["video_boosted_date"] == date(2026, 3, 2)


def test_it_reads_never_boosted_as_no_date():
    assert parse.parse_video({**REPORT_ROW, "video_boosted_date": "1970-01-01"}).metrics["video_boosted_date"] is None


def test_it_parses_audience_breakdowns():
    audience = parse.parse_video(REPORT_ROW).metrics["audience"]
    assert audience["gender"] == [{"label": "FEMALE", "percentage": 0.62}, {"label": "MALE", "percentage": 0.38}]
    assert [a["label"] for a in audience["age"]] == ["18-24", "25-34", "35+"]
    assert audience["country"][0] == {"label": "US", "percentage": 0.7}
    assert audience["device"][1] == {"label": "android", "percentage": 0.45}


def test_it_parses_daily_stats_per_date():
    daily = parse.parse_video(REPORT_ROW).daily
    assert list(daily) == [date(2026, 3, 1), date(2026, 3, 2)]
    assert daily[date(2026, 3, 2)]["day_views_paid"] == 2000
    assert daily[date(2026, 3, 2)]["day_engagement_rate"] is None


def test_it_parses_video_and_creator_info():
    video = parse.parse_video(REPORT_ROW)
    assert (video.video_id, video.handle, video.display_name) == ("7700000000000000101", "market.star", "Market Star")
    assert video.create_time.year == 2026


def test_it_treats_missing_metrics_as_empty():
    m = parse.parse_video({"video_info": {"video_id": "1"}}).metrics
    assert m["video_views"] is None and m["audience"] is None and m["video_views_by_source"] is None


def test_it_skips_rows_without_a_video_id_and_counts_them():
    videos, skipped = parse.parse_page({"videos": [REPORT_ROW, {"video_views": 3}, "junk", None]})
    assert [v.video_id for v in videos] == ["7700000000000000101"]
    assert skipped == 3


def test_it_reads_a_page_without_videos_as_empty():
    assert parse.parse_page({"page_info": {}}) == ([], 0)
    assert parse.parse_page(None) == ([], 0)


def test_it_parses_anchor_metrics_and_leaves_them_empty_without_an_anchor():
    row = {**REPORT_ROW, "anchor_id": "7600000000000000001",
           "anchor_metrics": {"anchor_views": 3600, "anchor_clicks": "144", "anchor_unique_views": "-"}}  # fmt: skip
    m = parse.parse_video(row).metrics
    assert (m["anchor_views"], m["anchor_clicks"], m["anchor_unique_views"], m["anchor_unique_clicks"]) == (
        3600, 144, None, None)  # fmt: skip
    plain = parse.parse_video(REPORT_ROW).metrics
    assert plain["anchor_views"] is None and plain["anchor_clicks"] is None


def test_it_parses_each_days_organic_and_paid_engagement_and_favorites():
    day = {"date": "2026-03-03", "views": 100, "likes": 9, "likes_organic": 6, "likes_paid": 3, "comments_organic": 2,
           "comments_paid": "-", "shares_organic": 1, "shares_paid": 0, "favorites": 4, "favorites_organic": 3,
           "favorites_paid": 1, "engagement_rate_organic": "0.09", "engagement_rate_paid": "-"}  # fmt: skip
    parsed = parse.parse_daily([day])[date(2026, 3, 3)]
    assert (parsed["day_likes_organic"], parsed["day_likes_paid"]) == (6, 3)
    assert (parsed["day_comments_organic"], parsed["day_comments_paid"]) == (2, None)
    assert (parsed["day_shares_organic"], parsed["day_shares_paid"]) == (1, 0)
    assert (parsed["day_favorites"], parsed["day_favorites_organic"], parsed["day_favorites_paid"]) == (4, 3, 1)
    assert (parsed["day_engagement_rate_organic"], parsed["day_engagement_rate_paid"]) == (0.09, None)
