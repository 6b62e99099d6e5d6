"""The insights schedule: every 3 h for 10 days after posting, daily to day 90, weekly to day
365, none after; a campaign follows its youngest post; each poll re-reads the last 3 days."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qs, urlparse

import pytest
import time_machine
from django.utils import timezone

from integrations.insights import report, schedule
from integrations.models import Campaign, CampaignPost, ReportSubscription, TikTokAccount

from .conftest import report_page

pytestmark = pytest.mark.django_db

POSTED = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
HOUR, DAY = timedelta(hours=1), timedelta(days=1)


@pytest.mark.parametrize(
    ("age", "every"),
    [
        (timedelta(0), 3 * HOUR),
        (10 * DAY - timedelta(minutes=1), 3 * HOUR),
        (10 * DAY, DAY),
        (90 * DAY - timedelta(minutes=1), DAY),
        (90 * DAY, 7 * DAY),
        (365 * DAY - timedelta(minutes=1), 7 * DAY),
        (365 * DAY, None),
        (800 * DAY, None),
    ],
)
def test_a_post_is_read_every_3_hours_then_daily_then_weekly_then_never(age, every):
    assert schedule.post_interval(POSTED, POSTED + age) == every


def test_the_schedule_is_settings(settings):
    settings.INSIGHTS_SCHEDULE = [(21, 24 * 60 * 60)]  # daily for 21 days, then nothing
    assert schedule.post_interval(POSTED, POSTED + 20 * DAY) == DAY
    assert schedule.post_interval(POSTED, POSTED + 21 * DAY) is None


def _post(campaign, video_id: str, posted_at: datetime | None) -> CampaignPost:
    account = TikTokAccount.objects.create(handle=f"h{video_id[-4:]}")
    return CampaignPost.objects.create(
        campaign=campaign, tiktok_account=account, video_id=video_id, posted_at=posted_at
    )


def test_a_campaign_is_read_as_often_as_its_youngest_post_needs(campaign):
    now = POSTED + 200 * DAY
    _post(campaign, "7700000000000000001", POSTED)  # 200 days old: weekly
    assert schedule.next_poll_at(campaign, now, now) == now + 7 * DAY
    _post(campaign, "7700000000000000002", now - 2 * DAY)  # 2 days old: every 3 h
    assert schedule.next_poll_at(campaign, now, now) == now + 3 * HOUR


def test_a_campaign_without_posts_is_read_at_the_fastest_and_an_old_one_at_the_slowest_interval(campaign):
    now = POSTED + 400 * DAY
    assert schedule.next_poll_at(campaign, now, now) == now + 3 * HOUR  # its first posts are about to arrive
    _post(campaign, "7700000000000000001", POSTED)  # past TikTok's year: only looking for new posts
    assert schedule.next_poll_at(campaign, now, now) == now + 7 * DAY


def test_polls_follow_the_schedule_as_the_post_ages_and_always_reread_the_last_3_days(
    campaign, mocked, report_url, report_row
):
    ReportSubscription.objects.create(tiktok_one_account=campaign.tiktok_one_account, subscription_id="s1",
                                      callback_url="http://testserver/webhooks/tiktok/tcm-videos/")  # fmt: skip
    row = report_row(video_info={**report_row()["video_info"], "create_time": "2026-03-01 10:00:00"})
    expected = []
    for day, every in [(1, 3 * HOUR), (5, 3 * HOUR), (30, DAY), (120, 7 * DAY), (380, 7 * DAY)]:
        mocked.get(report_url, json=report_page([row]))
        with time_machine.travel(POSTED + day * DAY, tick=False):
            assert report.poll_campaign(campaign.pk).status == "ok"
            campaign.refresh_from_db()
            assert campaign.next_poll_at == timezone.now() + every, day
        expected.append(day)
    post = CampaignPost.objects.get(video_id=row["video_info"]["video_id"])
    assert post.posted_at == POSTED
    starts = [parse_qs(urlparse(call.request.url).query)["start_date"][0] for call in mocked.calls]
    # The first poll asks for 60 days; each later one from 3 days before the previous poll,
    # within the report's 60-day range (the range ends tomorrow).
    first = date(2026, 3, 1)
    assert starts[1:] == [
        max(first + timedelta(days=previous - 3), first + timedelta(days=day + 1 - 60)).isoformat()
        for previous, day in zip(expected, expected[1:], strict=False)
    ]
    assert Campaign.objects.get(pk=campaign.pk).last_polled_at == POSTED + 380 * DAY


def test_a_posts_age_is_read_on_tiktoks_clock_so_a_sandbox_clock_past_its_year_slows_it_to_weekly(
    campaign, settings, monkeypatch
):
    from integrations.tiktok import clock

    settings.TIKTOK_SANDBOX = True
    monkeypatch.setattr(clock, "_sandbox_offset", lambda: (400 * DAY).total_seconds())
    now = timezone.now()
    # TikTok dated it 366 days before its own now: past TikTok's year, however recent in real time.
    _post(campaign, "7700000000000000001", clock.now() - 366 * DAY)
    assert schedule.next_poll_at(campaign, now) == now + 7 * DAY
