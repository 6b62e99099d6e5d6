"""A creator's own posts through the Accounts API (the creator's tt_user token):
`business/video/list/` and the post ad-authorization endpoints `business/post/authorize/*`.

Sources: TikTok's "Manage TikTok post ad authorization" guide (v1.3) as translated in
bububa/tiktok-business `model/business/post/*` and `model/business/video/*`. Every post
endpoint answers the post's code as `AuthorizeStatus` {item_id, auth_code,
auth_code_start_time, auth_code_end_time, authorization_days, auth_code_status}. Choices where
TikTok is silent (error codes, what "off" does to the code, how an extension counts) are in
docs/sandbox.md.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tiktok_sandbox import clock, world
from tiktok_sandbox.api import Call, endpoint
from tiktok_sandbox.api_spark import DURATIONS, code_status, new_auth_code
from tiktok_sandbox.envelopes import BusinessError
from tiktok_sandbox.models import AdAuthCode, TikTokUser, Video

from .media import media_url

SPARK_SCOPE = "biz.spark.auth"
VIDEO_SCOPE = "video.list"


def _account(call: Call, scope: str) -> TikTokUser:
    """The token's TikTok account, once `business_id` names it and the grant holds `scope`."""
    user = call.token.tiktok_user
    if call.str("business_id") != user.open_id:
        raise BusinessError(40119, "business_id does not match the TikTok account of the access token.")
    if scope not in call.token.scope.split(","):
        raise BusinessError(40130, f"The scope {scope} is not authorized by the TikTok account.")
    return user


def _post(call: Call, user: TikTokUser) -> Video:
    video = user.videos.filter(video_id=call.str("item_id")).first()
    if video is None or world.video_status(video) != "PUBLISHED":
        raise BusinessError(40002, "item_id: not a public post of this TikTok account.")
    return video


def _days(call: Call) -> int:
    raw = call.params.get("authorization_days")
    try:
        days = int(raw) if raw not in (None, "") else 30
    except (TypeError, ValueError) as exc:
        raise BusinessError(40002, "authorization_days: Not a valid integer.") from exc
    if days not in DURATIONS:
        raise BusinessError(40002, "authorization_days: Must be one of 7, 30, 60, 365.")
    return days


def _latest(video: Video) -> AdAuthCode | None:
    return video.auth_codes.order_by("-start_time", "-pk").first()


def _existing(video: Video) -> AdAuthCode:
    """The post's code; a post whose code was never made or was deleted is an error."""
    code = _latest(video)
    if code is None or code.deleted_at:
        raise BusinessError(40007, "The post has no ad authorization code: it was never generated or was deleted.")
    return code


def authorize_status(code: AdAuthCode) -> dict:
    return {
        "item_id": code.video.video_id,
        "auth_code": code.code,
        "auth_code_start_time": clock.fmt(code.start_time),
        "auth_code_end_time": clock.fmt(code.end_time),
        "authorization_days": code.days,
        "auth_code_status": code_status(code),
    }


@endpoint("business/post/authorize/setting/", "POST", auth="tt_user")
def post_authorize_setting(call: Call) -> dict:
    """Turn the post's "Ad authorization" on (a code is made, or the live one answered) or off."""
    user = _account(call, SPARK_SCOPE)
    video = _post(call, user)
    promotable = call.params.get("is_ad_promotable")
    if not isinstance(promotable, bool):
        raise BusinessError(40002, "is_ad_promotable: Missing data for required field.")
    days = _days(call)
    live = _latest(video)
    if live is not None and code_status(live) not in ("NOT_USED", "IN_USE"):
        live = None
    if not promotable:
        if live is None:
            raise BusinessError(40007, "The post has no ad authorization code: it was never generated or was deleted.")
        if code_status(live) == "IN_USE":
            raise BusinessError(40001, "Ad authorization cannot be turned off for a post that is used in Spark Ads.")
        live.deleted_at = clock.now()
        live.save(update_fields=["deleted_at"])
        return authorize_status(live)
    if not user.ad_authorization_on:
        user.ad_authorization_on = True
        user.save(update_fields=["ad_authorization_on"])
    return authorize_status(live or new_auth_code(video, days))


@endpoint("business/post/authorize/", "POST", auth="tt_user")
def post_authorize(call: Call) -> dict:
    """Extend the post's code: its window grows by `authorization_days` from its current end."""
    user = _account(call, SPARK_SCOPE)
    code = _existing(_post(call, user))
    if code_status(code) == "EXPIRED":
        raise BusinessError(40001, "The authorization code has expired and cannot be extended; generate a new one.")
    days = _days(call)
    code.end_time += timedelta(days=days)
    code.days += days
    code.save(update_fields=["end_time", "days"])
    return authorize_status(code)


@endpoint("business/post/authorize/status/", "GET", auth="tt_user")
def post_authorize_status(call: Call) -> dict:
    user = _account(call, SPARK_SCOPE)
    return authorize_status(_existing(_post(call, user)))


@endpoint("business/post/authorize/delete/", "POST", auth="tt_user")
def post_authorize_delete(call: Call) -> dict:
    """Delete the post's code: a brand can no longer apply it, and ads using it stop."""
    user = _account(call, SPARK_SCOPE)
    code = _existing(_post(call, user))
    code.deleted_at = clock.now()
    code.save(update_fields=["deleted_at"])
    return authorize_status(code)


# --- business/video/list ----------------------------------------------------------------------

VIDEO_FIELDS = {
    "item_id",
    "media_type",
    "is_ad",
    "thumbnail_url",
    "share_url",
    "embed_url",
    "caption",
    "video_duration",
    "likes",
    "comments",
    "shares",
    "favorites",
    "create_time",
    "reach",
    "video_views",
}


def _video(video: Video, fields: set[str]) -> dict:
    m = world.metrics(video)
    views = m["views_organic"] + m["views_paid"]
    handle = video.owner.handle
    everything = {
        "item_id": video.video_id,
        "media_type": "VIDEO",
        "is_ad": video.boosted_at is not None and video.boosted_at <= clock.now(),
        "thumbnail_url": media_url(f"cover/{video.video_id}.jpeg"),
        "share_url": f"https://www.tiktok.com/@{handle}/video/{video.video_id}",
        "embed_url": f"https://www.tiktok.com/player/v1/{video.video_id}",
        "caption": video.description,
        "video_duration": float(video.duration),
        "likes": m["likes_organic"] + m["likes_paid"],
        "comments": m["comments_organic"] + m["comments_paid"],
        "shares": m["shares_organic"] + m["shares_paid"],
        "favorites": m["favorites_organic"] + m["favorites_paid"],
        "create_time": int(video.create_time.timestamp()),
        "reach": int(views * 0.8),
        "video_views": views,
    }
    return {k: v for k, v in everything.items() if k in fields}


@endpoint("business/video/list/", "GET", auth="tt_user")
def business_video_list(call: Call) -> dict:
    """The account's public posts, newest first, before `cursor` (a UTC time in milliseconds)."""
    user = _account(call, VIDEO_SCOPE)
    fields = set(call.list("fields") or ["item_id"])
    unknown = fields - VIDEO_FIELDS
    if unknown:
        raise BusinessError(40002, f"fields: {sorted(unknown)[0]} is not a valid field.")
    fields.add("item_id")
    filters = call.dict("filters")
    now = clock.now()
    cursor = call.int("cursor", int(now.timestamp() * 1000), 0, 10**15)
    before = datetime.fromtimestamp(cursor / 1000, tz=UTC)
    videos = [
        v
        for v in user.videos.filter(create_time__lt=before).order_by("-create_time", "-pk")
        if world.video_status(v, now) == "PUBLISHED"
    ]
    wanted = [str(v) for v in filters.get("video_ids") or []]
    if wanted:
        videos = [v for v in videos if v.video_id in wanted]
        if filters.get("ad_post_only"):
            videos = [v for v in videos if v.boosted_at is not None]
    count = call.int("max_count", 10, 1, 20)
    page = videos[:count]
    return {
        "videos": [_video(v, fields) for v in page],
        "cursor": int(page[-1].create_time.timestamp() * 1000) if page else cursor,
        "has_more": len(videos) > count,
    }
