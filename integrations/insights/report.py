"""Polling `tto/tcm/report/` into daily snapshots per post.

A poll walks the report page by page. Each page is saved in one transaction together with
the next page to ask for (`Campaign.report_resume_page`), so a failure on page k resumes at
k and a retried page upserts the same rows again instead of adding new ones.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, cast

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet, Sum
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils import timezone

from .. import previews
from ..models import (
    Campaign,
    CampaignDayTotal,
    CampaignPost,
    PostInsight,
    PostSnapshot,
    ReportSubscription,
    TikTokAccount,
    TikTokOneAccount,
)
from ..polling import claim_due, give_back
from ..tiktok import BusinessClient, Kind, TikTokError, clock, iter_pages, tokens
from . import schedule, video_events
from .parse import DAY_FIELDS, METRIC_FIELDS, ParsedVideo, parse_page

logger = logging.getLogger(__name__)

PAGE_SIZE = 50  # the report's largest page; fewer calls against the shared rate budget
# After a failure TikTok should not see again soon (an auth error, a refusal, no account).
POLL_INTERVAL = timedelta(hours=4)
CLAIM_LEASE = timedelta(minutes=30)  # a claimed campaign is not claimed again while this runs
FAILURE_BACKOFF = timedelta(minutes=15)
FIRST_POLL_DAYS = 60  # the report accepts a date range of at most 60 days


def _accounts_by_handle(videos: list[ParsedVideo]) -> dict[str, TikTokAccount]:
    handles = {v.handle for v in videos if v.handle}
    # ignore_conflicts: another worker may create the same creator at the same moment.
    TikTokAccount.objects.bulk_create(
        [TikTokAccount(handle=v.handle, display_name=v.display_name) for v in videos if v.handle],
        ignore_conflicts=True,
    )
    return {a.handle: a for a in TikTokAccount.objects.filter(handle__in=handles)}


def upsert_posts(campaign: Campaign, videos: list[ParsedVideo]) -> dict[str, CampaignPost]:
    """CampaignPost by (campaign, video_id); a post TikTok reports is linked and published."""
    accounts = _accounts_by_handle(videos)
    ids = [v.video_id for v in videos]
    posts = {p.video_id: p for p in CampaignPost.objects.filter(campaign=campaign, video_id__in=ids)}
    missing = [v for v in videos if v.video_id not in posts and v.handle in accounts]
    CampaignPost.objects.bulk_create(
        [
            CampaignPost(
                campaign=campaign,
                tiktok_account=accounts[v.handle],
                video_id=v.video_id,
                link_status=CampaignPost.LinkStatus.APPROVE,
                publish_status=CampaignPost.PublishStatus.PUBLISHED,
                embed_url=v.embed_url,
                thumbnail_url=v.thumbnail_url,
                posted_at=v.create_time,
            )
            for v in missing
        ],
        ignore_conflicts=True,
    )
    if missing:
        posts = {p.video_id: p for p in CampaignPost.objects.filter(campaign=campaign, video_id__in=ids)}
    # A post TikTok reports figures for is live, whatever the review poll last saw.
    reviewing = [p.pk for p in posts.values() if p.publish_status == CampaignPost.PublishStatus.REVIEWING]
    if reviewing:
        video_events.went_live(CampaignPost.objects.filter(pk__in=reviewing))
    # A post linked before TikTok reported it has no cover, link or posting time yet: take the report's.
    filled = []
    for v in videos:
        post = posts.get(v.video_id)
        if post is not None and (
            (v.thumbnail_url and not post.thumbnail_url)
            or (v.embed_url and not post.embed_url)
            or (v.create_time and not post.posted_at)
        ):
            post.thumbnail_url = post.thumbnail_url or v.thumbnail_url
            post.embed_url = post.embed_url or v.embed_url
            post.posted_at = post.posted_at or v.create_time
            filled.append(post)
    CampaignPost.objects.bulk_update(filled, ["thumbnail_url", "embed_url", "posted_at"])
    return posts


def _changed(old: PostInsight | None, metrics: dict[str, Any]) -> bool:
    return old is None or any(getattr(old, name) != value for name, value in metrics.items())


def _snapshot_rows(
    campaign: Campaign, post: CampaignPost, video: ParsedVideo, as_of: date, now: datetime
) -> tuple[PostSnapshot, list[PostSnapshot]]:
    """The as-of day's full row, and the day-only rows of the other days in daily_stats."""
    full = PostSnapshot(
        post=post,
        campaign=campaign,
        date=as_of,
        fetched_at=now,
        **video.metrics,
        **video.daily.get(as_of, dict.fromkeys(DAY_FIELDS)),
    )
    days = [
        PostSnapshot(post=post, campaign=campaign, date=day, fetched_at=now, **figures)
        for day, figures in video.daily.items()
        if day != as_of
    ]
    return full, days


def save_videos(campaign: Campaign, videos: list[ParsedVideo], now: datetime) -> tuple[set[date], int]:
    """Upsert posts, their latest totals and their daily snapshots; returns the dates touched
    and how many videos were saved.

    Idempotent: every write is an upsert keyed by (post) or (post, date).
    """
    videos = list({v.video_id: v for v in videos}.values())  # a row repeated on one page is saved once
    posts = upsert_posts(campaign, videos)
    old = {i.post_id: i for i in PostInsight.objects.filter(post__in=[p.pk for p in posts.values()])}
    insights, full_rows, day_rows, dates = [], [], [], set()
    for video in videos:
        post = posts.get(video.video_id)
        if post is None:
            continue  # no creator handle to attach the post to; counted as skipped by the caller
        # Without daily rows the figures are TikTok's as of its today (the sandbox's, in a demo).
        as_of = max(video.daily, default=timezone.localdate(clock.now()))
        previous = old.get(post.pk)
        changed_at = now if previous is None or _changed(previous, video.metrics) else previous.changed_at
        insights.append(
            PostInsight(
                post=post, campaign=campaign, as_of=as_of, fetched_at=now, changed_at=changed_at, **video.metrics
            )
        )
        full, days = _snapshot_rows(campaign, post, video, as_of, now)
        full_rows.append(full)
        day_rows.extend(days)
        dates.update([as_of, *video.daily])
    PostInsight.objects.bulk_create(
        insights,
        update_conflicts=True,
        unique_fields=["post"],
        update_fields=[*METRIC_FIELDS, "as_of", "fetched_at", "changed_at"],
    )
    PostSnapshot.objects.bulk_create(
        full_rows,
        update_conflicts=True,
        unique_fields=["post", "date"],
        update_fields=[*METRIC_FIELDS, *DAY_FIELDS, "fetched_at"],
    )
    # Days seen only in daily_stats keep whatever totals an earlier poll stored for them.
    PostSnapshot.objects.bulk_create(
        day_rows, update_conflicts=True, unique_fields=["post", "date"], update_fields=[*DAY_FIELDS, "fetched_at"]
    )
    return dates, len(insights)


def refresh_day_totals(campaign: Campaign, dates: set[date]) -> None:
    """Re-sum the campaign's chart rows for these dates (at most ~62 per poll)."""
    if not dates:
        return
    sums = (
        PostSnapshot.objects.filter(campaign=campaign, date__in=dates)
        .values("date")
        .annotate(
            o=Sum("day_views_organic"),
            p=Sum("day_views_paid"),
            lk=Sum("day_likes"),
            c=Sum("day_comments"),
            s=Sum("day_shares"),
        )
    )
    rows = [
        CampaignDayTotal(
            campaign=campaign,
            date=r["date"],
            views_organic=r["o"] or 0,
            views_paid=r["p"] or 0,
            engagement=(r["lk"] or 0) + (r["c"] or 0) + (r["s"] or 0),
        )
        for r in sums
        # A day TikTok gave only totals for (no daily_stats entry) has no day figure to chart.
        if r["o"] is not None or r["p"] is not None
    ]
    CampaignDayTotal.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["campaign", "date"],
        update_fields=["views_organic", "views_paid", "engagement"],
    )


@dataclass
class PageResult:
    saved: int
    skipped: int
    note: str = ""


def save_report_page(campaign: Campaign, data: Any, page: int, now: datetime | None = None) -> PageResult:
    """Save one report page and, in the same transaction, the next page to ask for."""
    now = now or timezone.now()
    videos, skipped = parse_page(data)
    note = ""
    if not isinstance(data, dict) or not isinstance(data.get("videos"), list):
        note = f"Page {page} of TikTok's report had no list of videos; it was skipped."
    with transaction.atomic():
        dates, saved = save_videos(campaign, videos, now)
        skipped += len(videos) - saved
        refresh_day_totals(campaign, dates)
        Campaign.objects.filter(pk=campaign.pk).update(report_resume_page=page + 1)
    if skipped and not note:
        note = f"Page {page}: {skipped} row{pluralize(skipped)} of TikTok's report could not be read and {pluralize(skipped, 'was,were')} skipped."
    return PageResult(saved=saved, skipped=skipped, note=note)


def report_window(campaign: Campaign, today: date) -> tuple[date, date]:
    """The dates to ask for: 60 days on the first poll, then from INSIGHTS_RESTATE_DAYS before
    the last one (TikTok revises recent days, conversions above all), so the last few days
    are always read again.

    The end is tomorrow because the TikTok One account's timezone may be ahead of ours;
    TikTok leaves out days that have not begun.
    """
    end = today + timedelta(days=1)
    if campaign.last_polled_at is None:
        return end - timedelta(days=FIRST_POLL_DAYS), end
    start = timezone.localdate(campaign.last_polled_at) - timedelta(days=settings.INSIGHTS_RESTATE_DAYS)
    return max(start, end - timedelta(days=FIRST_POLL_DAYS)), end


def _fail(campaign: Campaign, message: str, **fields: Any) -> None:
    Campaign.objects.filter(pk=campaign.pk).update(last_poll_error=message[:2000], **fields)


def record_failure(campaign: Campaign, exc: TikTokError, page: int) -> None:
    """Say on the page what went wrong and when polling continues; nothing saved is lost."""
    now = timezone.now()
    if exc.is_campaign_gone:
        _fail(
            campaign,
            "TikTok says this campaign no longer exists. Its figures are kept; polling stopped.",
            status=Campaign.Status.DELETED,
            next_poll_at=None,
        )
    elif exc.kind == Kind.AUTH:
        _fail(
            campaign,
            "TikTok rejected the TikTok One connection; reconnect it in Integrations.",
            next_poll_at=now + POLL_INTERVAL,
        )
    elif give_back(Campaign.objects.filter(pk=campaign.pk), exc, now=now):
        logger.info("insights poll campaign=%s page=%s not sent: %s", campaign.pk, page, exc)
        return
    elif exc.is_transient:
        wait = timedelta(seconds=exc.retry_after) if exc.retry_after else FAILURE_BACKOFF
        _fail(
            campaign,
            f"TikTok was unavailable or throttling on page {page} ({exc.code}); polling resumes at page {page}.",
            next_poll_at=now + max(wait, FAILURE_BACKOFF),
        )
    else:
        _fail(campaign, f"TikTok refused the report request: {exc.message}", next_poll_at=now + POLL_INTERVAL)
    logger.warning("insights poll campaign=%s page=%s failed: %s", campaign.pk, page, exc)


def _fetch_page(
    campaign: Campaign, account: TikTokOneAccount, window: tuple[date, date], country_code: str | None
) -> Callable[[int], Any]:
    def fetch(page: int) -> Any:
        return tokens.call_with_credential(
            account.credential_id,
            lambda client: client.tto_tcm_report(
                account.tto_tcm_account_id,
                campaign.campaign_id,
                start_date=window[0].isoformat(),
                end_date=window[1].isoformat(),
                page=page,
                page_size=PAGE_SIZE,
                country_code=country_code,
            ),
        )

    return fetch


@dataclass
class PollResult:
    status: str
    pages: int = 0
    saved: int = 0
    notes: list[str] = field(default_factory=list)


def pollable(campaign: Campaign | None) -> str:
    """Why a campaign cannot be polled, or "" if it can."""
    if campaign is None:
        return "gone"
    if campaign.status != Campaign.Status.ACTIVE or not campaign.campaign_id:
        return "inactive"
    account = campaign.tiktok_one_account
    if account is None or account.credential_id is None:
        return "no_account"
    return ""


def poll_campaign(campaign_id: int, *, country_code: str | None = None) -> PollResult:
    """Fetch the campaign's report from its resume page on; raise TikTokError after recording it."""
    campaign = Campaign.objects.select_related("tiktok_one_account").filter(pk=campaign_id).first()
    if campaign is None:
        return PollResult(status="gone")
    reason = pollable(campaign)
    if reason:
        if reason == "no_account":
            _fail(
                campaign,
                "No TikTok One account with a working connection; connect one to see insights.",
                next_poll_at=timezone.now() + POLL_INTERVAL,  # looked at again, so a reconnect resumes it
            )
        return PollResult(status=reason)
    account = cast(TikTokOneAccount, campaign.tiktok_one_account)  # pollable() checked it has one
    if campaign.last_polled_at is None:
        subscribe_tcm_videos(account)  # first poll: ask TikTok to tell us about new videos
    page = campaign.report_resume_page or 1
    result = PollResult(status="ok")
    fetch = _fetch_page(campaign, account, report_window(campaign, timezone.localdate(clock.now())), country_code)
    try:
        for data in iter_pages(fetch, start_page=page):
            outcome = save_report_page(campaign, data, page)
            result.pages, result.saved = result.pages + 1, result.saved + outcome.saved
            if outcome.note:
                result.notes.append(outcome.note)
            page += 1
    except TikTokError as exc:
        record_failure(campaign, exc, page)
        if exc.is_transient and not exc.sent:
            result.status = "deferred"  # the next dispatcher run picks it up; no Celery retry too
            return result
        raise
    # The report names posts by id only; their captions come once from the creators' lists.
    previews.fill_campaign(campaign)
    now = timezone.now()
    Campaign.objects.filter(pk=campaign.pk).update(
        report_resume_page=1,
        last_polled_at=now,
        next_poll_at=schedule.next_poll_at(campaign, now),
        last_poll_error=" ".join(result.notes)[:2000],
    )
    return result


def polled_campaigns() -> QuerySet[Campaign]:
    """The campaigns whose report the insights poller reads (next_poll_at)."""
    return Campaign.objects.filter(status=Campaign.Status.ACTIVE).exclude(campaign_id="")


def claim_due_campaigns(limit: int = 200) -> list[int]:
    """Claim the due campaigns for this dispatcher run (a new campaign is due at once)."""
    return [c.pk for c in claim_due(polled_campaigns(), lease=CLAIM_LEASE, limit=limit)]


def subscribe_tcm_videos(account: TikTokOneAccount) -> ReportSubscription | None:
    """Subscribe the account to TCM_VIDEOS once; a failure is recorded, never fatal to a poll."""
    existing = ReportSubscription.objects.filter(tiktok_one_account=account).first()
    if existing is not None and existing.subscription_id:
        return existing
    credential = account.credential
    if credential is None:
        return None  # nothing to subscribe with until the account is connected
    callback = settings.SITE_URL + reverse("integrations:insights_webhook")
    sub, _ = ReportSubscription.objects.get_or_create(tiktok_one_account=account, defaults={"callback_url": callback})
    try:
        detail = {"tto_tcm_account_id": account.tto_tcm_account_id, "access_token": credential.access_token}
        sub.subscription_id = BusinessClient().subscription_subscribe("TCM_VIDEOS", callback, detail)
        sub.last_error = ""
    except TikTokError as exc:
        sub.last_error = str(exc)[:2000]
    sub.callback_url = callback
    sub.save()
    return sub


def poll_now(campaign_ids: list[str]) -> list[int]:
    """Claim these TikTok campaigns for a poll now; returns our ids (the caller enqueues them
    with `enqueue_coalesced`). The claim keeps the dispatcher from queueing a second poll."""
    ids = list(
        Campaign.objects.filter(
            campaign_id__in=[c for c in campaign_ids if c], status=Campaign.Status.ACTIVE
        ).values_list("pk", flat=True)
    )
    Campaign.objects.filter(pk__in=ids).update(next_poll_at=timezone.now() + CLAIM_LEASE)
    return ids
