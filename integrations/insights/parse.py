"""Reading TikTok's `tto/tcm/report/` rows into plain values.

The report lists one row per campaign post with cumulative figures, organic/paid splits, ad
figures, audience breakdowns and, when a date range is asked for, `daily_stats` (each day's
increase). TikTok writes "-" where it has no figure: that is None here, never 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import timezone

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
# anchor_metrics{...}: how often the campaign's anchor on the post was seen and tapped.
ANCHOR_METRICS = ["anchor_views", "anchor_clicks", "anchor_unique_views", "anchor_unique_clicks"]
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
    "likes_organic": "day_likes_organic",
    "likes_paid": "day_likes_paid",
    "comments": "day_comments",
    "comments_organic": "day_comments_organic",
    "comments_paid": "day_comments_paid",
    "shares": "day_shares",
    "shares_organic": "day_shares_organic",
    "shares_paid": "day_shares_paid",
    "favorites": "day_favorites",
    "favorites_organic": "day_favorites_organic",
    "favorites_paid": "day_favorites_paid",
    "engagement_rate": "day_engagement_rate",
    "engagement_rate_organic": "day_engagement_rate_organic",
    "engagement_rate_paid": "day_engagement_rate_paid",
    "video_completion_rate": "day_completion_rate",
}
DAILY_RATES = {"engagement_rate", "engagement_rate_organic", "engagement_rate_paid", "video_completion_rate"}
METRIC_FIELDS = [
    *INT_METRICS,
    *FLOAT_METRICS,
    *DECIMAL_METRICS,
    *ANCHOR_METRICS,
    "video_views_by_source",
    "video_boosted_date",
    "audience",
]
DAY_FIELDS = list(DAILY_FIELDS.values())


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
    anchor = row.get("anchor_metrics")
    anchor = anchor if isinstance(anchor, dict) else {}
    metrics.update({name: to_int(anchor.get(name)) for name in ANCHOR_METRICS})
    metrics["video_boosted_date"] = to_date(row.get("video_boosted_date"))
    metrics["audience"] = _audience(row)
    return metrics


def parse_daily(items: Any) -> dict[date, dict[str, Any]]:
    out: dict[date, dict[str, Any]] = {}
    for item in items if isinstance(items, list) else []:
        day = to_date(item.get("date")) if isinstance(item, dict) else None
        if day is None:
            continue
        out[day] = {
            ours: (to_float if theirs in DAILY_RATES else to_int)(item.get(theirs))
            for theirs, ours in DAILY_FIELDS.items()
        }
    return out


def _create_time(value: Any) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed, UTC)


def parse_video(row: Any) -> ParsedVideo | None:
    """One report row, or None if it names no video (a malformed row is skipped, not fatal)."""
    if not isinstance(row, dict):
        return None
    info = row["video_info"] if isinstance(row.get("video_info"), dict) else {}
    creator = row["creator_info"] if isinstance(row.get("creator_info"), dict) else {}
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
