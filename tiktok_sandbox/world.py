"""Derived state of the world: what a timestamp means at the current sandbox-clock time."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from tiktok_sandbox import clock
from tiktok_sandbox.models import MarketplaceInvite, TikTokUser, Video

PROCESSING = timedelta(hours=2, minutes=30)  # "TikTok processes for 2+ hours"
CONTENT_REVIEW = timedelta(hours=1)
GROWTH_HALF_LIFE_HOURS = 36.0
PAID_HALF_LIFE_HOURS = 12.0
MIN_FOLLOWERS = 10_000
# TikTok's other requirements to join in the app: 1,000 post views and 3 posts in 30 days.
ACTIVITY_WINDOW = timedelta(days=30)
MIN_RECENT_VIEWS = 1_000
MIN_RECENT_POSTS = 3


def latest_invite(user: TikTokUser) -> MarketplaceInvite | None:
    return user.invites.order_by("-requested_at", "-pk").first()


def invite_delivered(invite: MarketplaceInvite, at: datetime | None = None) -> bool:
    at = at or clock.now()
    return invite.deliver_at is not None and invite.deliver_at <= at


def marketplace_status(user: TikTokUser) -> str:
    """TikTok's onboarding status: IN / NOT_IN / INVITED / INVALID."""
    return marketplace_statuses([user])[user.pk]


def marketplace_statuses(users: Iterable[TikTokUser]) -> dict[int, str]:
    """marketplace_status of many users by pk, with one query for the latest invites of those
    whose status depends on one and one read of the clock (a status call asks for 20)."""
    users = list(users)
    now = clock.now()
    waiting = [u.pk for u in users if u.marketplace_status not in ("IN", "INVALID") and not _joined(u, now)]
    latest: dict[int, MarketplaceInvite] = {}
    # Oldest first, so each user's latest invite is the one left in the dict.
    invites = MarketplaceInvite.objects.filter(creator_id__in=waiting).only("creator_id", "accepted_at")
    for invite in invites.order_by("requested_at", "pk"):
        latest[invite.creator_id] = invite
    return {user.pk: _status(user, latest.get(user.pk), now) for user in users}


def _joined(user: TikTokUser, now: datetime) -> bool:
    return user.joined_in_app_at is not None and user.joined_in_app_at + PROCESSING <= now


def _status(user: TikTokUser, invite: MarketplaceInvite | None, now: datetime) -> str:
    if user.marketplace_status in ("IN", "INVALID"):
        return user.marketplace_status
    if _joined(user, now):
        return "IN"
    if invite is None:
        return "NOT_IN"
    if invite.accepted_at and invite.accepted_at + PROCESSING <= now:
        return "IN"
    return "INVITED"


def invite_rejection(user: TikTokUser) -> str | None:
    """Why `tcm/creator/invite/` refuses a creator, or None if it may be invited."""
    if user.account_type == "BUSINESS":
        return "Business accounts are not eligible for the Creator Marketplace."
    if user.follower_count < MIN_FOLLOWERS:
        return "The creator does not meet the minimum follower requirement."
    return None


def join_checks(user: TikTokUser) -> list[tuple[str, bool]]:
    """TikTok's eligibility to join in the app, as the app's "Check eligibility" lists it."""
    since = clock.now() - ACTIVITY_WINDOW
    recent = [v for v in user.videos.all() if v.create_time >= since]
    views = sum(metrics(v)["views_organic"] for v in recent)
    return [
        ("18 or older (age verified)", user.age_verified),
        (f"{MIN_FOLLOWERS:,} followers or more", user.follower_count >= MIN_FOLLOWERS),
        (f"{MIN_RECENT_VIEWS:,} post views in the last 30 days", views >= MIN_RECENT_VIEWS),
        (f"{MIN_RECENT_POSTS} posts in the last 30 days", len(recent) >= MIN_RECENT_POSTS),
        ("A personal or creator account", user.account_type != "BUSINESS"),
    ]


def video_status(video: Video, at: datetime | None = None) -> str:
    at = at or clock.now()
    if video.review_until and video.review_until > at:
        return "IN_REVIEW"
    return "PUBLISHED"


def _curve(peak: int, hours: float, half: float) -> int:
    if hours <= 0:
        return 0
    return int(peak * hours / (hours + half))


def metrics(video: Video, at: datetime | None = None) -> dict:
    """Cumulative organic and paid metrics of a post at a sandbox-clock time."""
    at = at or clock.now()
    start = video.review_until or video.create_time
    organic = _curve(video.peak_views, (at - start).total_seconds() / 3600, GROWTH_HALF_LIFE_HOURS)
    paid = 0
    if video.boosted_at and video.paid_peak_views:
        paid = _curve(video.paid_peak_views, (at - video.boosted_at).total_seconds() / 3600, PAID_HALF_LIFE_HOURS)
    out = {"views_organic": organic, "views_paid": paid}
    for name, ratio in (
        ("likes", video.like_ratio),
        ("comments", video.comment_ratio),
        ("shares", video.share_ratio),
        ("favorites", video.favorite_ratio),
    ):
        out[f"{name}_organic"] = int(organic * ratio)
        # Paid viewers engage less than followers do.
        out[f"{name}_paid"] = int(paid * ratio * 0.6)
    impressions = int(paid * 1.4)
    clicks = int(impressions * 0.012)
    out.update(
        {
            "ad_impressions": impressions,
            "ad_clicks": clicks,
            "ad_cost": round(impressions / 1000 * 6.5, 2),
            "ad_conversions": int(clicks * 0.08),
        }
    )
    return out
