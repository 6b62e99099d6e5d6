"""Post insights: read `tto/tcm/report/`, keep daily snapshots per post, answer the pages.

The report (shared/research/tiktok_api.md §5, bububa model/tcm/report/metrics.go) lists one
row per campaign post with cumulative figures, organic/paid splits, ad figures, audience
breakdowns and, when a date range is asked for, `daily_stats` (each day's increase).

A poll walks the report page by page. Each page is saved in one transaction together with
the next page to ask for (`Campaign.report_resume_page`), so a failure on page k resumes at
k and a retried page upserts the same rows again instead of adding new ones.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from .models import (
    Campaign,
    CampaignDayTotal,
    CampaignPost,
    PostInsight,
    PostSnapshot,
    ReportSubscription,
    TikTokAccount,
    TikTokOneAccount,
)
from .tiktok import BusinessClient, Kind, TikTokError, iter_pages, tokens

logger = logging.getLogger(__name__)

PAGE_SIZE = 50  # the report's largest page; fewer calls against the shared rate budget
POLL_INTERVAL = timedelta(hours=4)  # TikTok's report figures settle over hours, not minutes
CLAIM_LEASE = timedelta(minutes=30)  # a claimed campaign is not claimed again while this runs
FAILURE_BACKOFF = timedelta(minutes=15)
FIRST_POLL_DAYS = 60  # the report accepts a date range of at most 60 days
RESTATE_DAYS = 2  # TikTok revises the latest days; ask for them again each poll

INT_METRICS = [
    "video_views",
    "video_views_organic",
    "video_views_paid",
    "reach",
    "reach_organic",
    "reach_paid",
    "likes",
    "likes_organic",
    "likes_paid",
    "comments",
    "comments_organic",
    "comments_paid",
    "shares",
    "shares_organic",
    "shares_paid",
    "favorites",
    "favorites_organic",
    "favorites_paid",
    "engagement_count",
    "total_play_time",
    "ad_impressions",
    "ad_clicks",
    "ad_conversions",
]
FLOAT_METRICS = [
    "engagement_rate",
    "engagement_rate_organic",
    "engagement_rate_paid",
    "video_completion_rate",
    "average_view_time",
    "ad_ctr",
]
DECIMAL_METRICS = ["ad_cost", "ad_cpm", "ad_cpc"]
# Our audience key -> TikTok's field, and the field's label key inside each item.
AUDIENCE_FIELDS = {
    "gender": ("audience_genders_distribution", "gender"),
    "age": ("audience_age_distribution", "age"),
    "country": ("audience_countries_distribution", "country"),
    "device": ("audience_device_distribution", "device"),
    "locale": ("audience_locale_distribution", "locale"),
    "language": ("audience_language_distribution", "language"),
    "interest": ("audience_interest_distribution", "interest_tag"),
}
# daily_stats field -> PostSnapshot day_* field ("views" is the daily name of video_views).
DAILY_FIELDS = {
    "views": "day_views",
    "video_views_organic": "day_views_organic",
    "video_views_paid": "day_views_paid",
    "reach": "day_reach",
    "likes": "day_likes",
    "comments": "day_comments",
    "shares": "day_shares",
    "engagement_rate": "day_engagement_rate",
    "video_completion_rate": "day_completion_rate",
}
METRIC_FIELDS = [
    *INT_METRICS,
    *FLOAT_METRICS,
    *DECIMAL_METRICS,
    "video_views_by_source",
    "video_boosted_date",
    "audience",
]
DAY_FIELDS = list(DAILY_FIELDS.values())


# --- Parsing --------------------------------------------------------------------------


def to_int(value: Any) -> int | None:
    """TikTok's "-" (no data), None, "" and junk become None, never 0."""
    if value is None or isinstance(value, bool) or value in ("-", ""):
        return None
    try:
        return int(Decimal(str(value)))
    except (InvalidOperation, ValueError):
        return None


def to_float(value: Any) -> float | None:
    if value is None or isinstance(value, bool) or value in ("-", ""):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def to_decimal(value: Any) -> Decimal | None:
    number = to_float(value)
    return None if number is None else Decimal(str(round(number, 2)))


def to_date(value: Any) -> date | None:
    """Dates as "YYYY-MM-DD" or "YYYY-MM-DD HH:MM:SS"; TikTok's "1970-01-01" means "never boosted"."""
    try:
        day = date.fromisoformat(str(value)[:10])
    except ValueError:
        return None
    return None if day.year <= 1970 else day


@dataclass
class ParsedVideo:
    video_id: str
    handle: str = ""
    display_name: str = ""
    embed_url: str = ""
    thumbnail_url: str = ""
    create_time: datetime | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    daily: dict[date, dict[str, Any]] = field(default_factory=dict)


def _audience(row: dict[str, Any]) -> dict[str, list] | None:
    out = {}
    for key, (tiktok_field, label) in AUDIENCE_FIELDS.items():
        items = row.get(tiktok_field)
        if isinstance(items, list):
            out[key] = [
                {"label": str(i.get(label, "")), "percentage": to_float(i.get("percentage"))}
                for i in items
                if isinstance(i, dict)
            ]
    return out or None


def parse_metrics(row: dict[str, Any]) -> dict[str, Any]:
    metrics: dict[str, Any] = {name: to_int(row.get(name)) for name in INT_METRICS}
    metrics.update({name: to_float(row.get(name)) for name in FLOAT_METRICS})
    metrics.update({name: to_decimal(row.get(name)) for name in DECIMAL_METRICS})
    by_source = row.get("video_views_by_source")
    if isinstance(by_source, list):  # the docs' example shows [{source, video_views}]
        by_source = {str(i.get("source")): i.get("video_views") for i in by_source if isinstance(i, dict)}
    metrics["video_views_by_source"] = (
        {str(k): to_int(v) for k, v in by_source.items()} if isinstance(by_source, dict) else None
    )
    metrics["video_boosted_date"] = to_date(row.get("video_boosted_date"))
    metrics["audience"] = _audience(row)
    return metrics


def parse_daily(items: Any) -> dict[date, dict[str, Any]]:
    out: dict[date, dict[str, Any]] = {}
    for item in items if isinstance(items, list) else []:
        day = to_date(item.get("date")) if isinstance(item, dict) else None
        if day is None:
            continue
        cast = {"engagement_rate": to_float, "video_completion_rate": to_float}
        out[day] = {ours: cast.get(theirs, to_int)(item.get(theirs)) for theirs, ours in DAILY_FIELDS.items()}
    return out


def _create_time(value: Any) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed, timezone.UTC)


def parse_video(row: Any) -> ParsedVideo | None:
    """One report row, or None if it names no video (a malformed row is skipped, not fatal)."""
    if not isinstance(row, dict):
        return None
    info = row.get("video_info") if isinstance(row.get("video_info"), dict) else {}
    creator = row.get("creator_info") if isinstance(row.get("creator_info"), dict) else {}
    video_id = str(info.get("video_id") or row.get("video_id") or "").strip()
    if not video_id:
        return None
    return ParsedVideo(
        video_id=video_id,
        handle=str(creator.get("handle_name") or "").strip().lstrip("@"),
        display_name=str(creator.get("display_name") or ""),
        embed_url=str(info.get("embed_url") or "")[:1000],
        thumbnail_url=str(info.get("thumbnail_url") or "")[:1000],
        create_time=_create_time(info.get("create_time")),
        metrics=parse_metrics(row),
        daily=parse_daily(row.get("daily_stats")),
    )


def parse_page(data: Any) -> tuple[list[ParsedVideo], int]:
    """The page's readable rows and how many rows were skipped as unreadable."""
    rows = data.get("videos") if isinstance(data, dict) else None
    if not isinstance(rows, list):
        return [], 0
    parsed = [parse_video(row) for row in rows]
    videos = [p for p in parsed if p is not None]
    return videos, len(parsed) - len(videos)


# --- Upserting ------------------------------------------------------------------------


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
    return posts


def _changed(old: PostInsight | None, metrics: dict[str, Any]) -> bool:
    return old is None or any(getattr(old, name) != value for name, value in metrics.items())


def _snapshot_rows(campaign, post, video: ParsedVideo, as_of: date, now) -> tuple[PostSnapshot, list[PostSnapshot]]:
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
        as_of = max(video.daily, default=timezone.localdate(now))
        previous = old.get(post.pk)
        changed_at = now if _changed(previous, video.metrics) else previous.changed_at
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
        note = f"Page {page}: {skipped} row(s) of TikTok's report could not be read and were skipped."
    return PageResult(saved=saved, skipped=skipped, note=note)


# --- Polling --------------------------------------------------------------------------


def report_window(campaign: Campaign, today: date) -> tuple[date, date]:
    """The dates to ask for: 60 days on the first poll, then from just before the last one.

    The end is tomorrow because the TikTok One account's timezone may be ahead of ours;
    TikTok leaves out days that have not begun.
    """
    end = today + timedelta(days=1)
    if campaign.last_polled_at is None:
        return end - timedelta(days=FIRST_POLL_DAYS), end
    start = timezone.localdate(campaign.last_polled_at) - timedelta(days=RESTATE_DAYS)
    return max(start, end - timedelta(days=FIRST_POLL_DAYS)), end


def is_deleted_campaign_error(exc: TikTokError) -> bool:
    # TikTok answers 40001 "campaign_id doesn't exist." for a campaign deleted on its side;
    # other 40001s (a bad date, a bad account id) must not end the campaign.
    return exc.code == 40001 and "campaign" in exc.message.lower()


def _fail(campaign: Campaign, message: str, **fields: Any) -> None:
    Campaign.objects.filter(pk=campaign.pk).update(last_poll_error=message[:2000], **fields)


def record_failure(campaign: Campaign, exc: TikTokError, page: int) -> None:
    """Say on the page what went wrong and when polling continues; nothing saved is lost."""
    now = timezone.now()
    if is_deleted_campaign_error(exc):
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


def _fetch_page(campaign: Campaign, window: tuple[date, date], country_code: str | None):
    account = campaign.tiktok_one_account

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
    reason = pollable(campaign)
    if reason:
        if reason == "no_account":
            _fail(
                campaign,
                "No TikTok One account with a working connection; connect one to see insights.",
                next_poll_at=None,
            )
        return PollResult(status=reason)
    if campaign.last_polled_at is None:
        subscribe_tcm_videos(campaign.tiktok_one_account)  # first poll: ask TikTok to tell us about new videos
    page = campaign.report_resume_page or 1
    result = PollResult(status="ok")
    fetch = _fetch_page(campaign, report_window(campaign, timezone.localdate()), country_code)
    try:
        for data in iter_pages(fetch, start_page=page):
            outcome = save_report_page(campaign, data, page)
            result.pages, result.saved = result.pages + 1, result.saved + outcome.saved
            if outcome.note:
                result.notes.append(outcome.note)
            page += 1
    except TikTokError as exc:
        record_failure(campaign, exc, page)
        raise
    now = timezone.now()
    Campaign.objects.filter(pk=campaign.pk).update(
        report_resume_page=1,
        last_polled_at=now,
        next_poll_at=now + POLL_INTERVAL,
        last_poll_error=" ".join(result.notes)[:2000],
    )
    return result


def claim_due_campaigns(limit: int = 200) -> list[int]:
    """Claim due campaigns for this dispatcher run; a claim pushes next_poll_at out by the
    lease, so a second beat (or a slow one) does not enqueue the same campaign again."""
    now = timezone.now()
    due = Q(next_poll_at__lte=now) | Q(next_poll_at__isnull=True, last_polled_at__isnull=True)
    with transaction.atomic():
        ids = list(
            Campaign.objects.select_for_update(skip_locked=True)
            .filter(due, status=Campaign.Status.ACTIVE)
            .exclude(campaign_id="")
            .order_by("next_poll_at")
            .values_list("pk", flat=True)[:limit]
        )
        Campaign.objects.filter(pk__in=ids).update(next_poll_at=now + CLAIM_LEASE)
    return ids


# --- TCM_VIDEOS webhook -----------------------------------------------------------------


def subscribe_tcm_videos(account: TikTokOneAccount) -> ReportSubscription | None:
    """Subscribe the account to TCM_VIDEOS once; a failure is recorded, never fatal to a poll."""
    existing = ReportSubscription.objects.filter(tiktok_one_account=account).first()
    if existing is not None and existing.subscription_id:
        return existing
    callback = settings.SITE_URL + reverse("integrations:insights_webhook")
    credential = account.credential
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
    """Make these TikTok campaigns due at once; returns our ids (the caller enqueues them)."""
    ids = list(
        Campaign.objects.filter(
            campaign_id__in=[c for c in campaign_ids if c], status=Campaign.Status.ACTIVE
        ).values_list("pk", flat=True)
    )
    Campaign.objects.filter(pk__in=ids).update(next_poll_at=timezone.now())
    return ids


# --- Reading: totals, the post table, charts ----------------------------------------------

TOTAL_FIELDS = [
    "video_views",
    "video_views_organic",
    "video_views_paid",
    "reach",
    "likes",
    "comments",
    "shares",
    "favorites",
    "engagement_count",
    "ad_impressions",
    "ad_clicks",
    "ad_cost",
    "ad_conversions",
]


def _ratio(part, whole, scale: float = 1.0) -> float | None:
    return float(part) / float(whole) * scale if part is not None and whole else None


def with_derived(totals: dict[str, Any]) -> dict[str, Any]:
    """Rates from summed counts (a mean of per-post rates would weigh a 10-view post like a hit)."""
    totals["engagement_rate"] = _ratio(totals.get("engagement_count"), totals.get("video_views"))
    totals["ad_ctr"] = _ratio(totals.get("ad_clicks"), totals.get("ad_impressions"))
    totals["ad_cpm"] = _ratio(totals.get("ad_cost"), totals.get("ad_impressions"), 1000)
    totals["ad_cpc"] = _ratio(totals.get("ad_cost"), totals.get("ad_clicks"))
    return totals


def campaign_totals(campaign: Campaign) -> dict[str, Any]:
    sums = PostInsight.objects.filter(campaign=campaign).aggregate(**{f: Sum(f) for f in TOTAL_FIELDS})
    return with_derived(sums)


def brand_campaigns_with_totals(brand) -> list[Campaign]:
    """The brand's campaigns, each with `totals` (one query for all of them)."""
    annotations = {f"t_{f}": Sum(f"post_insights__{f}") for f in TOTAL_FIELDS}
    campaigns = list(Campaign.objects.filter(brand=brand).annotate(**annotations).order_by("-created_at"))
    for c in campaigns:
        c.totals = with_derived({f: getattr(c, f"t_{f}") for f in TOTAL_FIELDS})
        c.cells = format_totals(c.totals, BRAND_TABLE_KEYS)
    return campaigns


BRAND_TABLE_KEYS = [
    "video_views",
    "video_views_organic",
    "video_views_paid",
    "engagement_count",
    "engagement_rate",
    "ad_cost",
]


@dataclass(frozen=True)
class Column:
    key: str  # attribute of the row's PostInsight, or "handle" / "video_id" / "changed_at"
    label: str
    kind: str  # text / int / pct / money / seconds / datetime
    sort: str = ""  # the order_by path, if sortable


COLUMNS = [
    Column("handle", "Creator", "text", "tiktok_account__handle"),
    Column("video_id", "Video", "text", "video_id"),
    Column("video_views", "Views", "int", "insight__video_views"),
    Column("video_views_organic", "Organic views", "int", "insight__video_views_organic"),
    Column("video_views_paid", "Paid views", "int", "insight__video_views_paid"),
    Column("reach", "Reach", "int", "insight__reach"),
    Column("engagement_count", "Engagement", "int", "insight__engagement_count"),
    Column("engagement_rate", "Eng. rate", "pct", "insight__engagement_rate"),
    Column("video_completion_rate", "Completion", "pct", "insight__video_completion_rate"),
    Column("ad_impressions", "Ad impr.", "int", "insight__ad_impressions"),
    Column("ad_cost", "Ad cost", "money", "insight__ad_cost"),
    Column("changed_at", "Figures changed", "datetime", "insight__changed_at"),
]
SORTS = {c.key: c.sort for c in COLUMNS if c.sort}
DEFAULT_SORT = "-video_views"
SHOW = {
    "all": Q(),
    "boosted": Q(insight__video_views_paid__gt=0),
    "organic": ~Q(insight__video_views_paid__gt=0),
    "unreported": Q(insight__isnull=True),
}


def table_params(query) -> dict[str, str]:
    """The table's filters and sort from a QueryDict, cleaned to known values."""
    sort = query.get("sort") or DEFAULT_SORT
    if sort.lstrip("-") not in SORTS:
        sort = DEFAULT_SORT
    show = query.get("show") if query.get("show") in SHOW else "all"
    return {"q": (query.get("q") or "").strip()[:100], "show": show, "sort": sort}


def post_table(campaign: Campaign, params: dict[str, str]):
    """The posts the table shows, filtered and sorted; the CSV export uses the same query."""
    posts = CampaignPost.objects.filter(campaign=campaign).filter(SHOW[params["show"]])
    if params["q"]:
        q = params["q"].lstrip("@")
        posts = posts.filter(Q(tiktok_account__handle__icontains=q) | Q(video_id__startswith=q))
    key = params["sort"].lstrip("-")
    field = F(SORTS[key])
    order = field.desc(nulls_last=True) if params["sort"].startswith("-") else field.asc(nulls_last=True)
    return posts.select_related("tiktok_account", "insight").order_by(order, "pk")


def row_values(post: CampaignPost) -> list[Any]:
    """The table's cells for one post, raw (the template and the CSV format them)."""
    insight = getattr(post, "insight", None)
    values = []
    for column in COLUMNS:
        if column.key == "handle":
            values.append(post.tiktok_account.handle)
        elif column.key == "video_id":
            values.append(post.video_id)
        else:
            values.append(getattr(insight, column.key, None) if insight else None)
    return values


# --- Charts: server-side SVG (no JavaScript, no CDN) -----------------------------------------

CHART_W, CHART_H, PAD_L, PAD_B, PAD_T = 640, 220, 56, 28, 12
ORGANIC, PAID = "#2f855a", "#c05621"


def _nice_max(value: float) -> float:
    """A round axis maximum at or above the value (1, 2 or 5 times a power of ten)."""
    if value <= 0:
        return 1
    power = 10 ** (len(str(int(value))) - 1)
    return next(m * power for m in (1, 2, 5, 10) if m * power >= value)


def _short(n: float) -> str:
    for div, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(n) >= div:
            return f"{n / div:.3g}{suffix}"
    return f"{n:.3g}"


def line_chart(title: str, dates: list[date], series: list[tuple[str, str, list[int]]]) -> str:
    """Lines over dates; `series` is (label, colour, values). Returns SVG markup (escaped)."""
    if not dates:
        return ""
    top = _nice_max(max((max(v, default=0) for _, _, v in series), default=0))
    plot_w, plot_h = CHART_W - PAD_L - 8, CHART_H - PAD_B - PAD_T
    step = plot_w / max(len(dates) - 1, 1)

    def point(i: int, v: int) -> str:
        return f"{PAD_L + i * step:.1f},{PAD_T + plot_h - (v or 0) / top * plot_h:.1f}"

    parts = [_axis(top, plot_h)]
    for label, colour, values in series:
        points = " ".join(point(i, v) for i, v in enumerate(values))
        parts.append(
            format_html(
                '<polyline fill="none" stroke="{}" stroke-width="2" points="{}"><title>{}</title></polyline>',
                colour,
                points,
                label,
            )
        )
    for i in sorted({0, len(dates) - 1, len(dates) // 2}):
        parts.append(
            format_html(
                '<text x="{}" y="{}" font-size="11" text-anchor="middle">{}</text>',
                f"{PAD_L + i * step:.1f}",
                CHART_H - 8,
                dates[i].strftime("%b %d"),
            )
        )
    legend = [format_html('<tspan fill="{}">■ {}</tspan> ', colour, label) for label, colour, _ in series]
    parts.append(format_html('<text x="{}" y="10" font-size="11">{}</text>', PAD_L, mark_safe("".join(legend))))
    return _svg(title, parts)


def bar_chart(title: str, bars: list[tuple[str, float | None]], unit: str = "") -> str:
    """Horizontal bars, one per (label, value); None draws no bar."""
    if not bars:
        return ""
    top = _nice_max(max((v or 0 for _, v in bars), default=0))
    row, label_w = 22, 150
    height = row * len(bars) + 8
    parts = []
    for i, (label, value) in enumerate(bars):
        y = 4 + i * row
        width = (value or 0) / top * (CHART_W - label_w - 70)
        shown = "–" if value is None else f"{_short(value)}{unit}"
        parts.append(
            format_html(
                '<text x="{}" y="{}" font-size="11" text-anchor="end">{}</text>'
                '<rect x="{}" y="{}" width="{}" height="14" fill="{}"><title>{}: {}</title></rect>'
                '<text x="{}" y="{}" font-size="11">{}</text>',
                label_w - 6,
                y + 11,
                label[:24],
                label_w,
                y,
                f"{width:.1f}",
                ORGANIC,
                label,
                shown,
                f"{label_w + width + 4:.1f}",
                y + 11,
                shown,
            )
        )
    return _svg(title, parts, height=height)


def _axis(top: float, plot_h: float) -> str:
    ticks = []
    for frac in (0, 0.5, 1):
        y = PAD_T + plot_h - frac * plot_h
        ticks.append(
            format_html(
                '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="#ddd"/>'
                '<text x="{}" y="{}" font-size="11" text-anchor="end">{}</text>',
                PAD_L,
                CHART_W - 8,
                f"{y:.1f}",
                f"{y:.1f}",
                PAD_L - 4,
                f"{y + 4:.1f}",
                _short(top * frac),
            )
        )
    return mark_safe("".join(ticks))


def _svg(title: str, parts: list[str], height: int = CHART_H) -> str:
    return format_html(
        '<svg class="chart" role="img" viewBox="0 0 {} {}" width="100%" xmlns="http://www.w3.org/2000/svg">'
        "<title>{}</title>{}</svg>",
        CHART_W,
        height,
        title,
        mark_safe("".join(parts)),
    )


def campaign_charts(campaign: Campaign, days: int = 90) -> dict[str, str]:
    """Paid vs organic views per day, and engagement of the top posts: two queries."""
    totals = list(CampaignDayTotal.objects.filter(campaign=campaign).order_by("-date")[:days])[::-1]
    views = line_chart(
        "Daily views, organic vs paid",
        [t.date for t in totals],
        [("Organic", ORGANIC, [t.views_organic for t in totals]), ("Paid", PAID, [t.views_paid for t in totals])],
    )
    top = (
        PostInsight.objects.filter(campaign=campaign, engagement_count__isnull=False)
        .select_related("post__tiktok_account")
        .order_by("-engagement_count")[:15]
    )
    bars = [(f"@{i.post.tiktok_account.handle} {i.post.video_id[-4:]}", i.engagement_count) for i in top]
    return {"views": views, "engagement": bar_chart("Engagement per post (top 15)", bars)}


def post_series(post: CampaignPost, days: int = 90) -> list[PostSnapshot]:
    return list(PostSnapshot.objects.filter(post=post).order_by("-date")[:days])[::-1]


def post_charts(snapshots: list[PostSnapshot], audience: dict[str, list] | None) -> dict[str, Any]:
    views = line_chart(
        "Daily views, organic vs paid",
        [s.date for s in snapshots],
        [
            ("Organic", ORGANIC, [s.day_views_organic or 0 for s in snapshots]),
            ("Paid", PAID, [s.day_views_paid or 0 for s in snapshots]),
        ],
    )
    breakdowns = {}
    for key in ("gender", "age", "country", "device"):
        items = (audience or {}).get(key) or []
        bars = [(i["label"], (i["percentage"] or 0) * 100 if i["percentage"] is not None else None) for i in items]
        breakdowns[key] = bar_chart(f"Audience by {key}", bars[:10], unit="%")
    return {"views": views, "audience": breakdowns}


def format_cell(value: Any, kind: str, *, for_csv: bool = False) -> str:
    """One cell as the table shows it; the CSV drops thousands separators and the dash."""
    if value is None or value == "":
        return "" if for_csv else "–"
    if kind == "int":
        return str(value) if for_csv else f"{value:,}"
    if kind == "pct":
        return f"{value * 100:.2f}%"
    if kind == "money":
        return f"{value:.2f}" if for_csv else f"{value:,.2f}"
    if kind == "datetime":
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    return str(value)


def format_row(values: list[Any], *, for_csv: bool = False) -> list[str]:
    return [format_cell(v, c.kind, for_csv=for_csv) for v, c in zip(values, COLUMNS, strict=True)]


TOTAL_CARDS = [
    ("video_views", "Views", "int"),
    ("video_views_organic", "Organic views", "int"),
    ("video_views_paid", "Paid views", "int"),
    ("reach", "Reach", "int"),
    ("engagement_count", "Engagement", "int"),
    ("engagement_rate", "Engagement rate", "pct"),
    ("likes", "Likes", "int"),
    ("comments", "Comments", "int"),
    ("shares", "Shares", "int"),
    ("favorites", "Favorites", "int"),
    ("ad_impressions", "Ad impressions", "int"),
    ("ad_clicks", "Ad clicks", "int"),
    ("ad_ctr", "CTR", "pct"),
    ("ad_cost", "Ad cost", "money"),
    ("ad_cpm", "CPM", "money"),
    ("ad_cpc", "CPC", "money"),
    ("ad_conversions", "Conversions", "int"),
]


def format_totals(totals: dict[str, Any], keys: list[str] | None = None) -> list[tuple[str, str]]:
    """(label, shown value) for the totals cards or the brand table."""
    return [(label, format_cell(totals.get(key), kind)) for key, label, kind in TOTAL_CARDS if not keys or key in keys]
