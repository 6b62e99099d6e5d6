"""The endpoints `integrations.tiktok.spark` calls: Spark Ads' TCM video authorization requests,
auth codes applied to ad accounts, the identities (AUTH_CODE, TT_USER, BC_AUTH_TT) an advertiser
can promote with, and a creator's own posts through the Accounts API (the creator's tt_user
token): `business/video/list/` and the post ad-authorization endpoints `business/post/authorize/*`.

Sources for the post endpoints: TikTok's "Manage TikTok post ad authorization" guide (v1.3) as
translated in bububa/tiktok-business `model/business/post/*` and `model/business/video/*`.
Every post endpoint answers the post's code as `AuthorizeStatus` {item_id, auth_code,
auth_code_start_time, auth_code_end_time, authorization_days, auth_code_status}. Choices where
TikTok is silent (error codes, what "off" does to the code, how an extension counts) are in
docs/sandbox.md.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tiktok_sandbox import clock, ids, world
from tiktok_sandbox.api import Call, endpoint
from tiktok_sandbox.api.business import advertiser_for
from tiktok_sandbox.api.tto import tto_account_for
from tiktok_sandbox.envelopes import BusinessError
from tiktok_sandbox.media import media_url
from tiktok_sandbox.models import (
    AdAuthCode,
    AdsManagerLink,
    BCAsset,
    SparkRequest,
    TikTokUser,
    Video,
    VideoAuthorization,
)

MAX_SPARK_REQUESTS = 30
DURATIONS = (7, 30, 60, 365)


def new_auth_code(video: Video, days: int) -> AdAuthCode:
    now = clock.now()
    return AdAuthCode.objects.create(
        code=ids.spark_code(), video=video, days=days, start_time=now, end_time=now + timedelta(days=days)
    )


def code_status(code: AdAuthCode) -> str:
    if code.deleted_at:
        return "DELETED"
    if code.end_time <= clock.now():
        return "EXPIRED"
    return (
        "IN_USE" if VideoAuthorization.objects.filter(auth_code=code, unbound_at__isnull=True).exists() else "NOT_USED"
    )


# --- TCM video authorization requests -------------------------------------------------------


def _campaign_video(call: Call, account) -> Video:
    video = Video.objects.filter(video_id=call.str("video_id"), links__campaign__tto_account=account).first()
    if video is None:
        raise BusinessError(40001, "video_id is not a video of your campaigns.")
    return video


@endpoint("tcm/tt_video/apply/", "POST")
def spark_apply(call: Call) -> dict:
    account = tto_account_for(call, "tcm_account_id")
    video = _campaign_video(call, account)
    days = int(call.params.get("authorization_days") or 30)
    if days not in DURATIONS:
        raise BusinessError(40002, "authorization_days: Must be one of 7, 30, 60, 365.")
    if video.spark_requests.count() >= MAX_SPARK_REQUESTS:
        raise BusinessError(40001, "The video has reached the maximum number of authorization requests.")
    SparkRequest.objects.create(
        video=video, tto_account=account, days=days, action=call.str("action", required=False), requested_at=clock.now()
    )
    return {}


@endpoint("tcm/tt_video/status/", "GET")
def spark_status(call: Call) -> dict:
    account = tto_account_for(call, "tcm_account_id")
    video = _campaign_video(call, account)
    latest = video.spark_requests.filter(tto_account=account).order_by("-requested_at", "-pk").first()
    code = latest.auth_code if latest else None
    data = {"video_id": video.video_id, "num_remaining_request": MAX_SPARK_REQUESTS - video.spark_requests.count()}
    if latest:
        data.update(auth_status=latest.status, requested_authorization_days=latest.days)
    if code:
        # Absent until there is a code (TikTok's models omit empty fields), never "".
        data.update(
            auth_code=code.code,
            auth_code_status=code_status(code),
            auth_code_start_time=clock.fmt(code.start_time),
            auth_code_end_time=clock.fmt(code.end_time),
        )
    return data


# --- codes applied to ad accounts -----------------------------------------------------------


def _code(value: str) -> AdAuthCode:
    code = AdAuthCode.objects.filter(code=value).select_related("video__owner").first()
    if code is None:
        raise BusinessError(40001, "auth_code is invalid.")
    return code


@endpoint("tt_video/authorize/", "POST")
def tt_video_authorize(call: Call) -> dict:
    advertiser = advertiser_for(call)
    code = _code(call.str("auth_code"))
    status = code_status(code)
    if status in ("EXPIRED", "DELETED"):
        raise BusinessError(40001, f"auth_code is {status.lower()}.")
    auth, created = VideoAuthorization.objects.get_or_create(
        advertiser=advertiser, auth_code=code, defaults={"authorized_at": clock.now()}
    )
    if not created and auth.unbound_at:
        auth.unbound_at = None
        auth.save(update_fields=["unbound_at"])
    if code.video.boosted_at is None:
        # Spark Ads start delivering: paid metrics grow from now on.
        Video.objects.filter(pk=code.video.pk).update(boosted_at=clock.now())
    return {}


def identity_id(user: TikTokUser, kind: str) -> str:
    suffix = {"AUTH_CODE": "1", "TT_USER": "2", "BC_AUTH_TT": "3"}[kind]
    return f"7{suffix}{user.creator_id[-17:]}"


def _item(video: Video, code: AdAuthCode | None) -> dict:
    return {
        "auth_code": code.code if code else "",
        "item_id": video.video_id,
        "item_type": "VIDEO",
        "text": video.description,
        # TikTokItemStatus: the post is public.
        "status": "ITEM_STATUS_HESITATE_RECOMMEND",
        "anchor_list": [],
    }


def _video_info(video: Video) -> dict:
    return {
        "video_id": video.video_id,
        "duration": float(video.duration),
        "width": 1080,
        "height": 1920,
        "poster_url": media_url(f"cover/{video.video_id}.jpeg"),
        "preview_url": media_url(f"preview/{video.video_id}.mp4"),
        "signature": f"sig-{video.video_id}",
    }


def _auth_info(code: AdAuthCode) -> dict:
    return {
        "ad_auth_status": "AUTHORIZED" if code_status(code) in ("IN_USE", "NOT_USED") else code_status(code),
        "auth_start_time": clock.fmt(code.start_time),
        "auth_end_time": clock.fmt(code.end_time),
        "invite_start_time": clock.fmt(code.start_time),
    }


def _user_info(user: TikTokUser) -> dict:
    return {"tiktok_name": user.handle, "identity_id": identity_id(user, "AUTH_CODE"), "identity_type": "AUTH_CODE"}


@endpoint("tt_video/info/", "GET")
def tt_video_info(call: Call) -> dict:
    advertiser_for(call)
    code = _code(call.str("auth_code"))
    if code_status(code) == "DELETED":
        raise BusinessError(40001, "auth_code has been cancelled by the creator.")
    return {
        "auth_info": _auth_info(code),
        "item_info": _item(code.video, code),
        "user_info": _user_info(code.video.owner),
        "video_info": _video_info(code.video),
    }


@endpoint("tt_video/list/", "GET")
def tt_video_list(call: Call) -> dict:
    advertiser = advertiser_for(call)
    auths = VideoAuthorization.objects.filter(advertiser=advertiser, unbound_at__isnull=True).select_related(
        "auth_code__video__owner"
    )
    keyword = call.params.get("keyword", "")
    rows = []
    for auth in auths.order_by("pk"):
        video = auth.auth_code.video
        if keyword and keyword != video.video_id and keyword.lower() not in video.description.lower():
            continue
        rows.append(
            {
                "item_info": _item(video, auth.auth_code),
                "auth_info": _auth_info(auth.auth_code),
                "user_info": _user_info(video.owner),
                "video_info": _video_info(video),
            }
        )
    page, info = call.page(rows, 20, 50)
    return {"list": page, "page_info": info}


@endpoint("tt_video/unbind/", "POST")
def tt_video_unbind(call: Call) -> dict:
    advertiser = advertiser_for(call)
    updated = VideoAuthorization.objects.filter(
        advertiser=advertiser, auth_code__video__video_id=call.str("item_id"), unbound_at__isnull=True
    ).update(unbound_at=clock.now())
    if not updated:
        raise BusinessError(40001, "item_id is not authorized to this advertiser.")
    return {}


# --- identities -----------------------------------------------------------------------------


def _identity(user: TikTokUser, kind: str, status: str, pull: bool, push: bool) -> dict:
    return {
        "identity_id": identity_id(user, kind),
        "identity_type": kind,
        "display_name": user.display_name,
        "user_name": user.handle,
        "username": user.handle,  # added to identity/get on 2026-03-13 (TikTok's changelog)
        "profile_image": media_url(f"{user.handle}.jpeg"),
        "available_status": status,
        "can_pull_video": pull,
        "can_push_video": push,
        "ads_only_mode": False,
        "is_gpppa": False,
    }


def _bc_assets(advertiser, bc_id: str):
    """TT_ACCOUNT assets of a BC in which the advertiser is a BOUND asset."""
    if not BCAsset.objects.filter(bc__bc_id=bc_id, advertiser=advertiser, relation_status="BOUND").exists():
        raise BusinessError(40001, "identity_authorized_bc_id: the advertiser is not in this Business Center.")
    return BCAsset.objects.filter(bc__bc_id=bc_id, asset_type="TT_ACCOUNT").select_related("tiktok_user")


def identities(call: Call, advertiser, kind: str) -> list[tuple[dict, TikTokUser]]:
    if kind == "AUTH_CODE":
        users = {
            a.auth_code.video.owner
            for a in VideoAuthorization.objects.filter(advertiser=advertiser, unbound_at__isnull=True).select_related(
                "auth_code__video__owner"
            )
        }
        return [(_identity(u, kind, "AVAILABLE", True, False), u) for u in sorted(users, key=lambda u: u.creator_id)]
    if kind == "TT_USER":
        # An Ads Manager request the owner has not answered yet is listed, not usable
        # (NO_VALID_BIND_ACCOUNT); an approved one is AVAILABLE; a rejected or cancelled one is
        # gone, and a new request may be sent (docs/sandbox.md: no source says).
        links = AdsManagerLink.objects.filter(advertiser=advertiser, status__in=["PENDING", "APPROVED"])
        approved = {link.tiktok_user_id for link in links if link.status == "APPROVED"}
        users = {link.tiktok_user_id: link.tiktok_user for link in links.select_related("tiktok_user")}
        return [
            (
                _identity(user, kind, "AVAILABLE", True, True)
                if pk in approved
                else _identity(user, kind, "NO_VALID_BIND_ACCOUNT", False, False),
                user,
            )
            for pk, user in sorted(users.items())
        ]
    if kind == "BC_AUTH_TT":
        out = []
        for asset in _bc_assets(advertiser, call.str("identity_authorized_bc_id")):
            bound = asset.relation_status == "BOUND"
            status = "AVAILABLE" if bound else "NO_VALID_BIND_ACCOUNT"
            out.append(
                (
                    _identity(asset.tiktok_user, kind, status, bound and asset.can_pull, bound and asset.can_push),
                    asset.tiktok_user,
                )
            )
        return out
    if kind in ("CUSTOMIZED_USER", "TTS_TT"):
        return []
    raise BusinessError(40002, "identity_type: Not a valid choice.")


@endpoint("identity/get/", "GET")
def identity_get(call: Call) -> dict:
    advertiser = advertiser_for(call)
    kinds = [call.params["identity_type"]] if call.params.get("identity_type") else ["AUTH_CODE", "TT_USER"]
    rows = [row for kind in kinds for row, _ in identities(call, advertiser, kind)]
    page, info = call.page(rows, 10, 100)
    return {"identity_list": page, "page_info": info}


@endpoint("identity/video/get/", "GET")
def identity_video_get(call: Call) -> dict:
    advertiser = advertiser_for(call)
    kind = call.str("identity_type")
    wanted = call.str("identity_id")
    match = [
        u
        for row, u in identities(call, advertiser, kind)
        if row["identity_id"] == wanted and row["available_status"] == "AVAILABLE"
    ]
    if not match:
        raise BusinessError(40001, "identity_id is not available to this advertiser.")
    videos = list(match[0].videos.filter(create_time__lte=clock.now()).order_by("-create_time"))
    if kind == "AUTH_CODE":
        authorized = set(
            VideoAuthorization.objects.filter(advertiser=advertiser, unbound_at__isnull=True).values_list(
                "auth_code__video", flat=True
            )
        )
        videos = [v for v in videos if v.pk in authorized]
    cursor = call.params.get("cursor")
    if cursor:
        # For account identities the cursor is the creation time of the last post returned.
        videos = [v for v in videos if int(v.create_time.timestamp()) < int(cursor)]
    count = call.int("count", 20, 1, 20)
    page = videos[:count]
    return {
        # A string, as TikTok types it; for account identities the last post's creation time.
        "cursor": str(int(page[-1].create_time.timestamp())) if page else "",
        "has_more": len(videos) > count,
        "video_list": [{"item_id": v.video_id, "text": v.description, "video_info": _video_info(v)} for v in page],
    }


# --- a creator's own posts (Accounts API) ---------------------------------------------------

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
