"""Daily charts on real report shapes: one day, sparse days, 90 days, and days TikTok left
without a figure."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from integrations.insights import charts, report
from integrations.models import PostSnapshot

from .conftest import report_page

pytestmark = pytest.mark.django_db

DAY = date(2026, 3, 1)


def _points(svg: str) -> list[list[tuple[float, float]]]:
    """Each drawn line's points, and each lone dot as a one-point line."""
    lines = [
        [tuple(map(float, p.split(","))) for p in pts.split()]
        for pts in re.findall(r'<polyline[^>]*points="([^"]*)"', svg)
    ]
    dots = [[(float(x), float(y))] for x, y in re.findall(r'<circle cx="([\d.]+)" cy="([\d.]+)"', svg)]
    return lines + dots


def _day_stats(days: list[date], views: int = 500) -> list[dict]:
    return [
        {"date": d.isoformat(), "views": views + i, "video_views_organic": views + i, "video_views_paid": 0}
        for i, d in enumerate(days)
    ]


def test_a_post_reported_for_one_day_draws_a_visible_mark_on_the_campaign_chart(campaign, report_row):
    report.save_report_page(campaign, report_page([report_row(daily_stats=_day_stats([DAY]))])["data"], 1)
    svg = charts.campaign_charts(campaign)["views"]
    drawn = [line for line in _points(svg) if len(line) >= 2 or "<circle" in svg]
    assert drawn, "one day of views must show as a mark, not an invisible one-point line"
    assert "<circle" in svg and "Mar 01" in svg


def test_a_post_reported_for_one_day_draws_a_visible_mark_on_its_own_chart(campaign, report_row):
    report.save_report_page(campaign, report_page([report_row(daily_stats=_day_stats([DAY]))])["data"], 1)
    post = campaign.posts.get()
    svg = charts.post_charts(charts.post_series(post), None)["views"]
    assert "<circle" in svg


def test_sparse_days_sit_at_their_dates_and_a_gap_is_not_bridged(campaign, report_row):
    days = [DAY, DAY + timedelta(days=1), DAY + timedelta(days=9)]
    report.save_report_page(campaign, report_page([report_row(daily_stats=_day_stats(days))])["data"], 1)
    post = campaign.posts.get()
    svg = charts.post_charts(charts.post_series(post), None)["views"]
    organic = re.search(r'<g data-series="Organic">(.*?)</g>', svg, re.S).group(1)
    marks = _points(organic)
    xs = sorted(x for line in marks for x, _ in line)
    assert len(xs) == 3
    # The 9-day gap is nine times as wide as the one-day step.
    assert (xs[2] - xs[1]) == pytest.approx(8 * (xs[1] - xs[0]), rel=0.01)
    # Day 1-2 are one line; day 10 stands alone: no line runs across the empty days.
    assert sorted(len(line) for line in marks) == [1, 2]


def test_ninety_days_draw_ninety_points_with_a_few_readable_date_labels(campaign, report_row):
    post_days = [DAY + timedelta(days=i) for i in range(90)]
    report.save_report_page(campaign, report_page([report_row(daily_stats=_day_stats(post_days))])["data"], 1)
    svg = charts.campaign_charts(campaign)["views"]
    lines = _points(re.search(r'<g data-series="Organic">(.*?)</g>', svg, re.S).group(1))
    assert [len(line) for line in lines] == [90]
    labels = re.findall(r'text-anchor="\w+">(\w{3} \d\d)</text>', svg)
    assert 3 <= len(labels) <= 8 and labels[0] == "Mar 01" and labels[-1] == "May 29"


def test_a_day_tiktok_gave_no_figure_for_is_not_drawn_as_zero(campaign, report_row):
    report.save_report_page(
        campaign, report_page([report_row(daily_stats=_day_stats([DAY, DAY + timedelta(days=2)]))])["data"], 1
    )
    post = campaign.posts.get()
    # The day between has totals but TikTok gave no day figure for it.
    PostSnapshot.objects.create(post=post, campaign=campaign, date=DAY + timedelta(days=1), video_views=900,
                                fetched_at=post.insight.fetched_at)  # fmt: skip
    svg = charts.post_charts(charts.post_series(post), None)["views"]
    organic = _points(re.search(r'<g data-series="Organic">(.*?)</g>', svg, re.S).group(1))
    assert sorted(len(line) for line in organic) == [1, 1]


def test_no_days_draw_no_chart(campaign):
    assert charts.campaign_charts(campaign)["views"] == ""


def test_a_report_without_daily_stats_adds_no_false_zero_day_to_the_campaign_chart(campaign, report_row):
    report.save_report_page(campaign, report_page([report_row(daily_stats=_day_stats([DAY]))])["data"], 1)
    row = report_row()
    del row["daily_stats"]
    report.save_report_page(campaign, report_page([row])["data"], 1)
    assert list(campaign.day_totals.values_list("date", "views_organic")) == [(DAY, 500)]


def test_a_post_linked_before_the_report_gets_the_reports_cover_and_link(campaign, report_row):
    from integrations.models import CampaignPost, TikTokAccount

    account = TikTokAccount.objects.create(handle="market.star")
    CampaignPost.objects.create(campaign=campaign, tiktok_account=account, video_id="7700000000000000101")
    report.save_report_page(campaign, report_page([report_row()])["data"], 1)
    post = campaign.posts.get()
    assert post.thumbnail_url == "https://p16-sign.tiktokcdn.com/cover/7700000000000000101.jpeg"
    assert post.embed_url.endswith("/video/7700000000000000101")
    assert post.title == "Post of Mar 01, 2026"  # TikTok's create_time, when there is no caption


def test_a_post_is_named_by_its_caption_else_the_day_it_was_posted():
    from datetime import UTC, datetime

    from integrations.models import CampaignPost

    assert CampaignPost(video_id="1", caption="Spring look " * 10).title.endswith("…")
    assert CampaignPost(video_id="1", posted_at=datetime(2026, 3, 1, 10, tzinfo=UTC)).title == "Post of Mar 01, 2026"
    assert CampaignPost(video_id="1").title == "Post"
