"""Spark Ads: identities, authorized posts (tt_video/*), TikTok One post authorization
requests (tcm/tt_video/*), and a creator's own post codes (business/post/authorize/*, with the
creator's tt_user token and scope ``biz.spark.auth``) and posts (business/video/list/).

Paths and fields: from bububa/tiktok-business
(model/ttvideo, model/identity, model/tcm/ttvideo, model/business/post, model/business/video)
and the official SDK's identity_api.py.
"""

from __future__ import annotations

from typing import Any, TypedDict

from .base import BusinessBase
from .business import PageInfo

AUTHORIZATION_DAYS = (7, 30, 60, 365)
# The tt_user scope the business/post/authorize/* endpoints need (TikTok answers 40130 without it).
SPARK_AUTH_SCOPE = "biz.spark.auth"


class Identity(TypedDict, total=False):
    identity_id: str
    identity_type: str  # CUSTOMIZED_USER / AUTH_CODE / TT_USER / BC_AUTH_TT / TTS_TT
    display_name: str
    user_name: str
    username: str
    profile_image: str
    available_status: str
    can_pull_video: bool
    can_push_video: bool
    ads_only_mode: bool
    is_gpppa: bool


def identity_handle(identity: Identity) -> str:
    """The identity's TikTok handle: ``username`` (added to identity/get on 2026-03-13, TikTok's
    changelog), else ``user_name`` (the SDKs' models)."""
    return str(identity.get("username") or identity.get("user_name") or "")


class IdentityPage(TypedDict, total=False):
    identity_list: list[Identity]
    page_info: PageInfo


class IdentityVideoPage(TypedDict, total=False):
    video_list: list[dict[str, Any]]
    cursor: str  # opaque; for TT_USER / BC_AUTH_TT the time of the last post
    has_more: bool


class TtVideoInfo(TypedDict, total=False):
    # auth_info times are UTC "YYYY-MM-DD HH:MM:SS".
    auth_info: dict[str, Any]  # ad_auth_status, auth_start_time, auth_end_time, invite_start_time
    item_info: dict[str, Any]  # auth_code, item_id, item_type (VIDEO/CAROUSEL), text, status, ...
    user_info: dict[str, Any]  # tiktok_name, identity_id, identity_type
    video_info: dict[str, Any]  # video_id, duration, width, height, poster_url, preview_url


class TtVideoPage(TypedDict, total=False):
    """``tt_video/list/``: the ad account's Spark Ads posts, each as ``tt_video/info/`` answers one."""

    list: list[TtVideoInfo]
    page_info: PageInfo


class TcmVideoAuthStatus(TypedDict, total=False):
    video_id: str
    auth_status: str  # WAITING / REJECTED / ACCEPTED (others shown as TikTok sends them)
    num_remaining_request: int  # at most 30 requests per post
    requested_authorization_days: int
    auth_code: str  # may be present while WAITING when the creator has "Ad promotion" on
    auth_code_status: str  # NOT_USED / IN_USE / EXPIRED / DELETED
    auth_code_start_time: str | None  # "YYYY-MM-DD HH:MM:SS" UTC; absent or null until approved
    auth_code_end_time: str | None


class PostAuthorization(TypedDict, total=False):
    """A post's own code, as every business/post/authorize/* endpoint answers it."""

    item_id: str
    auth_code: str
    auth_code_start_time: str | None  # "YYYY-MM-DD HH:MM:SS" UTC
    auth_code_end_time: str | None
    authorization_days: int
    auth_code_status: str  # NOT_USED / IN_USE / EXPIRED / DELETED


class BusinessVideo(TypedDict, total=False):
    item_id: str
    media_type: str  # VIDEO / PHOTO
    is_ad: bool  # used in an ad (TikTok's changelog, 2026-05-15)
    thumbnail_url: str
    share_url: str
    embed_url: str
    caption: str
    video_duration: float
    likes: int
    comments: int
    shares: int
    favorites: int
    create_time: int  # epoch seconds
    reach: int
    video_views: int


class BusinessVideoPage(TypedDict, total=False):
    videos: list[BusinessVideo]
    cursor: int  # UTC milliseconds: pass it back for the posts before it
    has_more: bool


class SparkMixin(BusinessBase):
    """Spark Ads endpoints, named after their paths."""

    def identity_get(
        self,
        advertiser_id: str,
        *,
        identity_type: str | None = None,
        identity_authorized_bc_id: str | None = None,
        page: int = 1,
        page_size: int = 100,
    ) -> IdentityPage:
        """``identity_authorized_bc_id`` is required when ``identity_type`` is BC_AUTH_TT."""
        return self._get(
            "identity/get/",
            {
                "advertiser_id": advertiser_id,
                "identity_type": identity_type,
                "identity_authorized_bc_id": identity_authorized_bc_id,
                "page": page,
                "page_size": page_size,
            },
        )

    def identity_video_get(
        self,
        advertiser_id: str,
        identity_id: str,
        identity_type: str,
        *,
        identity_authorized_bc_id: str | None = None,
        item_type: str | None = None,
        keyword: str | None = None,
        cursor: str | None = None,
        count: int = 20,
    ) -> IdentityVideoPage:
        """One page of the identity's posts; pass the answer's ``cursor`` back for the next."""
        return self._get(
            "identity/video/get/",
            {
                "advertiser_id": advertiser_id,
                "identity_id": identity_id,
                "identity_type": identity_type,
                "identity_authorized_bc_id": identity_authorized_bc_id,
                "item_type": item_type,
                "keyword": keyword,
                "cursor": cursor,
                "count": count,
            },
        )

    def tt_video_authorize(
        self, advertiser_id: str, auth_code: str, *, original_post_auth_code: str | None = None
    ) -> dict[str, Any]:
        """Apply a creator's post code to an ad account (duets/stitches also need the source's).
        Not resent when its answer is lost: TikTok may have applied the code, and
        `tt_video_list` tells (sparkads.flows.apply_approved reads it before sending again)."""
        body = {
            "advertiser_id": advertiser_id,
            "auth_code": auth_code,
            "original_post_auth_code": original_post_auth_code,
        }
        return self._post("tt_video/authorize/", body)

    def tt_video_list(
        self,
        advertiser_id: str,
        *,
        keyword: str | None = None,
        item_types: list[str] | None = None,
        page: int = 1,
        page_size: int = 20,
    ) -> TtVideoPage:
        """One page of the Spark Ads posts authorized to the ad account. ``keyword`` is a text
        (fuzzy) or a post's item_id of 19+ digits (exact); ``item_types`` VIDEO/CAROUSEL."""
        return self._get(
            "tt_video/list/",
            {
                "advertiser_id": advertiser_id,
                "keyword": keyword,
                "item_types": item_types,
                "page": page,
                "page_size": page_size,
            },
        )

    def tt_video_info(self, advertiser_id: str, auth_code: str) -> TtVideoInfo:
        return self._get("tt_video/info/", {"advertiser_id": advertiser_id, "auth_code": auth_code})

    def tt_video_unbind(self, advertiser_id: str, item_id: str) -> dict[str, Any]:
        return self._post("tt_video/unbind/", {"advertiser_id": advertiser_id, "item_id": item_id}, idempotent=True)

    def tcm_tt_video_apply(
        self, video_id: str, tcm_account_id: str, authorization_days: int = 30, *, extend: bool = False
    ) -> dict[str, Any]:
        """Ask the creator for Spark Ads permission on a campaign post (7/30/60/365 days);
        ``extend=True`` sends ``action=EXTEND`` to lengthen an approved authorization."""
        if authorization_days not in AUTHORIZATION_DAYS:
            raise ValueError(f"authorization_days must be one of {AUTHORIZATION_DAYS}")
        body = {
            "video_id": video_id,
            "tcm_account_id": tcm_account_id,
            "authorization_days": authorization_days,
            "action": "EXTEND" if extend else None,
        }
        return self._post("tcm/tt_video/apply/", body)

    def tcm_tt_video_status(self, video_id: str, tcm_account_id: str) -> TcmVideoAuthStatus:
        return self._get("tcm/tt_video/status/", {"video_id": video_id, "tcm_account_id": tcm_account_id})

    # --- a creator's own posts (the creator's tt_user token) ----------------------------------

    def business_post_authorize_setting(
        self, business_id: str, item_id: str, *, is_ad_promotable: bool = True, authorization_days: int = 30
    ) -> PostAuthorization:
        """Turn the post's "Ad authorization" on (TikTok makes the code and answers it) or off
        (refused while the post runs in Spark Ads). ``business_id`` is the creator's open_id."""
        if authorization_days not in AUTHORIZATION_DAYS:
            raise ValueError(f"authorization_days must be one of {AUTHORIZATION_DAYS}")
        body = {
            "business_id": business_id,
            "item_id": item_id,
            "is_ad_promotable": is_ad_promotable,
            "authorization_days": authorization_days,
        }
        return self._post("business/post/authorize/setting/", body)

    def business_post_authorize(self, business_id: str, item_id: str, authorization_days: int) -> PostAuthorization:
        """Extend the post's code by ``authorization_days`` (7/30/60/365)."""
        if authorization_days not in AUTHORIZATION_DAYS:
            raise ValueError(f"authorization_days must be one of {AUTHORIZATION_DAYS}")
        body = {"business_id": business_id, "item_id": item_id, "authorization_days": authorization_days}
        return self._post("business/post/authorize/", body)

    def business_post_authorize_status(self, business_id: str, item_id: str) -> PostAuthorization:
        return self._get("business/post/authorize/status/", {"business_id": business_id, "item_id": item_id})

    def business_post_authorize_delete(self, business_id: str, item_id: str) -> PostAuthorization:
        """Delete the post's code: brands can no longer use it, and Spark Ads with it stop."""
        return self._post("business/post/authorize/delete/", {"business_id": business_id, "item_id": item_id})

    def business_video_list(
        self,
        business_id: str,
        *,
        fields: list[str] | None = None,
        video_ids: list[str] | None = None,
        cursor: int | None = None,
        max_count: int = 20,
    ) -> BusinessVideoPage:
        """One page of the creator's public posts, newest first (``item_id`` is always sent back)."""
        wanted = ["item_id", *[f for f in fields or [] if f != "item_id"]]
        return self._get(
            "business/video/list/",
            {
                "business_id": business_id,
                "fields": wanted,
                "filters": {"video_ids": video_ids} if video_ids else None,
                "cursor": cursor,
                "max_count": max_count,
            },
        )
