"""When a campaign's report is read next, from the age of its posts (settings.INSIGHTS_SCHEDULE).

A post's figures move fast in its first days and settle after; TikTok stops updating them a
year after posting. The report is read per campaign (one `tto/tcm/report/` walk covers all its
posts), so a campaign is polled as often as its youngest post needs.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Max

from ..models import Campaign, CampaignPost
from ..tiktok import clock


def post_interval(posted_at: datetime, now: datetime) -> timedelta | None:
    """How often a post posted at `posted_at` is worth reading now; None once TikTok stops
    updating it."""
    age = now - posted_at
    for younger_than_days, every_seconds in settings.INSIGHTS_SCHEDULE:
        if age < timedelta(days=younger_than_days):
            return timedelta(seconds=every_seconds)
    return None


def next_poll_at(campaign: Campaign, now: datetime, tiktok_now: datetime | None = None) -> datetime:
    """The campaign's next read (on real time, `now`): as often as its youngest post needs.

    A post's age is measured on TikTok's clock (`tiktok_now`, clock.now() unless given): its
    date is TikTok's, and so is the year after which TikTok stops updating its figures.

    A campaign without dated posts yet is read at the fastest interval (its first posts are
    about to arrive). One whose posts are all past the schedule's end is still read at the
    slowest interval, only to find new posts (the TCM_VIDEOS webhook finds them sooner);
    each such read asks for a few days and costs one page.
    """
    youngest = CampaignPost.objects.filter(campaign=campaign, posted_at__isnull=False).aggregate(
        youngest=Max("posted_at")
    )["youngest"]
    schedule = settings.INSIGHTS_SCHEDULE
    if youngest is None:
        return now + timedelta(seconds=schedule[0][1])
    return now + (post_interval(youngest, tiktok_now or clock.now()) or timedelta(seconds=schedule[-1][1]))
