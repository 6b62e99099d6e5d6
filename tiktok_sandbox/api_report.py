"""`tto/tcm/report/`: per-video insights of a campaign, organic vs paid, with daily stats."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from tiktok_sandbox import clock, world
from tiktok_sandbox.api import Call, endpoint
from tiktok_sandbox.api_brand import tto_account_for
from tiktok_sandbox.api_creator import campaign_for
from tiktok_sandbox.envelopes import BusinessError
from tiktok_sandbox.models import Video

from .media import media_url

INTERESTS = ["Beauty & Personal Care", "Food & Beverage", "Apparel & Accessories", "Travel", "Games"]


def _rate(part: int, whole: int) -> float | str:
    # TikTok reports "-" where a ratio has no data.
    return round(part / whole, 4) if whole else "-"


def _engagement(m: dict, suffix: str) -> int:
    return m[f"likes{suffix}"] + m[f"comments{suffix}"] + m[f"shares{suffix}"]


def totals(m: dict) -> dict:
    views = m["views_organic"] + m["views_paid"]
    out = {"video_views": views, "video_views_organic": m["views_organic"], "video_views_paid": m["views_paid"]}
    for name in ("likes", "comments", "shares", "favorites"):
        out[name] = m[f"{name}_organic"] + m[f"{name}_paid"]
        out[f"{name}_organic"] = m[f"{name}_organic"]
        out[f"{name}_paid"] = m[f"{name}_paid"]
    # Reach is unique viewers: fewer than views.
    out["reach_organic"] = int(m["views_organic"] * 0.78)
    out["reach_paid"] = int(m["views_paid"] * 0.85)
    out["reach"] = out["reach_organic"] + out["reach_paid"]
    count = _engagement(m, "_organic") + _engagement(m, "_paid")
    out["engagement_count"] = count
    out["engagement_rate"] = _rate(count, views)
    out["engagement_rate_organic"] = _rate(_engagement(m, "_organic"), m["views_organic"])
    out["engagement_rate_paid"] = _rate(_engagement(m, "_paid"), m["views_paid"])
    return out


def _ads(m: dict, boosted: bool) -> dict:
    if not boosted:
        keys = (
            "ad_impressions",
            "ad_clicks",
            "ad_ctr",
            "ad_cost",
            "ad_cpm",
            "ad_cpc",
            "ad_conversions",
            "ad_cvr",
            "ad_cpa",
            "ad_roas",
        )
        return dict.fromkeys(keys, "-")
    imp, clicks, cost, conv = m["ad_impressions"], m["ad_clicks"], m["ad_cost"], m["ad_conversions"]
    return {
        "ad_impressions": imp,
        "ad_clicks": clicks,
        "ad_ctr": _rate(clicks, imp),
        "ad_cost": cost,
        "ad_cpm": round(cost / imp * 1000, 2) if imp else "-",
        "ad_cpc": round(cost / clicks, 2) if clicks else "-",
        "ad_conversions": conv,
        "ad_cvr": _rate(conv, clicks),
        "ad_cpa": round(cost / conv, 2) if conv else "-",
        "ad_roas": round(conv * 35 / cost, 2) if cost else "-",
    }


def _audience(video: Video) -> dict:
    audience = video.owner.audience or {}
    return {
        "audience_genders_distribution": audience.get("genders", []),
        "audience_age_distribution": audience.get("ages", []),
        "audience_countries_distribution": audience.get("countries", []),
        "audience_device_distribution": audience.get("devices", []),
        "audience_locale_distribution": [
            {"locale": "California", "percentage": 0.21},
            {"locale": "Texas", "percentage": 0.12},
        ],
        "audience_language_distribution": [{"language": video.owner.language, "percentage": 0.9}],
        "audience_interest_distribution": [
            {"interest_tag": tag, "percentage": round(0.3 - i * 0.05, 2)} for i, tag in enumerate(INTERESTS)
        ],
    }


def _watch(video: Video, views: int) -> dict:
    completion = round(0.25 + (int(video.video_id[-2:]) % 30) / 100, 4)
    average = round(video.duration * (completion + 0.2), 2)
    return {
        "video_completion_rate": completion,
        "average_view_time": average,
        "total_play_time": int(average * views),
        "two_seconds_views": 0.82,
        "six_seconds_views": 0.55,
        "video_view_retention": [round(1 - i * 0.08, 2) for i in range(10)],
        "video_views_by_source": {
            "for_you": int(views * 0.7),
            "hashtag": int(views * 0.05),
            "sound": int(views * 0.03),
            "personal_profile": int(views * 0.1),
            "search": int(views * 0.06),
            "following": int(views * 0.04),
            "other": views
            - int(views * 0.7)
            - int(views * 0.05)
            - int(views * 0.03)
            - int(views * 0.1)
            - int(views * 0.06)
            - int(views * 0.04),
        },
        "engagement_rate_benchmark_p25": 0.031,
        "engagement_rate_benchmark_p50": 0.054,
    }


def _day_end(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=UTC)


def daily_stats(video: Video, start: date, end: date) -> list[dict]:
    """Each day's increase of the cumulative metrics; days before the post or in the future are left out."""
    now = clock.now()
    rows = []
    day = start
    while day <= end:
        upper = min(_day_end(day), now)
        lower = _day_end(day - timedelta(days=1))
        if upper > video.create_time and lower < now:
            hi, lo = totals(world.metrics(video, upper)), totals(world.metrics(video, max(lower, video.create_time)))
            delta = {k: hi[k] - lo[k] for k in hi if isinstance(hi[k], int) and isinstance(lo[k], int)}
            rows.append(
                {
                    "date": day.isoformat(),
                    "views": delta["video_views"],
                    "video_views_organic": delta["video_views_organic"],
                    "video_views_paid": delta["video_views_paid"],
                    "reach": delta["reach"],
                    **{
                        k: delta[k]
                        for k in (
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
                        )
                    },
                    "engagement_rate": _rate(delta["engagement_count"], delta["video_views"]),
                    "engagement_rate_organic": _rate(
                        sum(delta[f"{k}_organic"] for k in ("likes", "comments", "shares")),
                        delta["video_views_organic"],
                    ),
                    "engagement_rate_paid": _rate(
                        sum(delta[f"{k}_paid"] for k in ("likes", "comments", "shares")), delta["video_views_paid"]
                    ),
                    "video_completion_rate": _watch(video, 0)["video_completion_rate"],
                }
            )
        day += timedelta(days=1)
    return rows


def anchor_metrics(views: int) -> dict:
    # A share of the post's viewers see the anchor and a few of them tap it.
    seen, unique_seen = int(views * 0.3), int(views * 0.24)
    return {
        "anchor_views": seen,
        "anchor_clicks": int(seen * 0.04),
        "anchor_unique_views": unique_seen,
        "anchor_unique_clicks": int(unique_seen * 0.04),
    }


def video_report(video: Video, code: str, dates: tuple[date, date] | None, anchor_id: str = "") -> dict:
    m = world.metrics(video)
    row = totals(m)
    row.update(_ads(m, video.boosted_at is not None))
    row.update(_audience(video))
    row.update(_watch(video, row["video_views"]))
    share = f"https://www.tiktok.com/@{video.owner.handle}/video/{video.video_id}"
    row.update(
        {
            "video_id": video.video_id,
            "video_boosted_date": clock.fmt(video.boosted_at) if video.boosted_at else "1970-01-01",
            "video_info": {
                "video_id": video.video_id,
                "embed_url": share,
                "thumbnail_url": media_url(f"cover/{video.video_id}.jpeg"),
                "create_time": clock.fmt(video.create_time),
                "authorization_code": code,
            },
            "creator_info": {"handle_name": video.owner.handle, "display_name": video.owner.display_name},
        }
    )
    if anchor_id:
        row.update({"anchor_id": anchor_id, "anchor_metrics": anchor_metrics(row["video_views"])})
    if dates:
        row["daily_stats"] = daily_stats(video, *dates)
    return row


def _dates(call: Call) -> tuple[date, date] | None:
    start, end = call.params.get("start_date"), call.params.get("end_date")
    if not start and not end:
        return None
    try:
        first, last = date.fromisoformat(call.str("start_date")), date.fromisoformat(call.str("end_date"))
    except ValueError as exc:
        raise BusinessError(40002, "start_date/end_date: Must be YYYY-MM-DD.") from exc
    if last < first or (last - first).days > 60:
        raise BusinessError(40002, "The date range must be 0 to 60 days.")
    return first, last


@endpoint("tto/tcm/report/", "GET")
def report(call: Call) -> dict:
    account = tto_account_for(call)
    campaign = campaign_for(call, account)
    dates = _dates(call)
    now = clock.now()
    links = campaign.links.filter(status="APPROVE").select_related("video__owner").order_by("pk")
    videos = [link.video for link in links if world.video_status(link.video, now) == "PUBLISHED"]
    page, info = call.page(videos, 10, 50)
    rows = []
    for video in page:
        code = video.auth_codes.order_by("-start_time").first()
        rows.append(video_report(video, code.code if code else "", dates, campaign.anchor_id))
    return {
        "tto_tcm_account_id": account.tto_tcm_account_id,
        "campaign_id": campaign.campaign_id,
        "country_code": call.request.headers.get("Country-Code", ""),
        "campaign_type": campaign.campaign_type,
        "page_info": info,
        "videos": rows,
    }
