"""Every endpoint the client calls: the request TikTok accepts and the answer (`data`) it sends.

Written from TikTok's own sources: [BB] = bububa/tiktok-business `model/` and `enum/` (the
only SDK with the `tto/*` endpoints; it translates TikTok's docs), [OSDK] = TikTok's official
Python SDK `python_sdk/business_api_client/models/`, [CL] = TikTok's v1.3 changelog. Where no
source says, the entry names the choice made (and docs/sandbox.md lists it).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from .schema import Bool, Enum, Figure, Id, Int, IsoTime, List, Metric, Num, Obj, Spec, Str, Time, opt, req, validate


@dataclass(frozen=True)
class Endpoint:
    method: str
    request: Obj
    answer: Spec
    source: str
    # Rules one field cannot say alone (e.g. "required when identity_type is BC_AUTH_TT").
    rules: tuple[Callable[[dict], str | None], ...] = field(default=())


def _days(value) -> bool:
    return str(value) in {"7", "30", "60", "365"}


# --- shared pieces ----------------------------------------------------------------------------

PAGE_INFO = Obj(
    {"page": opt(Int()), "page_size": opt(Int()), "total_number": opt(Int()), "total_page": opt(Int())}
)  # [BB model/types.go PageInfo]
PAGING = {"page": opt(Int(1)), "page_size": opt(Int(1, 100))}
APP = {"app_id": req(Str()), "secret": req(Str())}
# enum APIServiceType (BB enum/api_service_type.go): API products of API_SERVICE_STATUS.
API_PRODUCTS = (
    "BUSINESS_CENTER_API", "CREATIVES_API", "CATALOG_API", "TIKTOK_STORE_API", "CAMPAIGN_API", "REPORTING_API",
    "AUDIENCE_API", "STREAMING_API", "EVENTS_API", "ACCOUNTS_API", "MENTIONS_API", "TIKTOK_ONE_API",
    "DISCOVERY_API", "SPARK_RECOMMEND_API", "BUSINESS_MESSAGING_API",
)  # fmt: skip
TT_APP = {"client_id": req(Str()), "client_secret": req(Str())}
EMPTY = Obj({})  # answers whose data TikTok leaves empty

USER_ROLE = Enum("ADMIN", "STANDARD")  # [BB enum/user_role.go]
ADVERTISER_ROLE = Enum("ADMIN", "OPERATOR", "ANALYST")  # [BB enum/advertiser_role.go]
RELATION_STATUS = Enum("BOUND", "UNBOUND", "PENDING", "REJECTED")  # [BB enum/bc_relation_status.go]
ASSET_TYPE = Enum(
    "ADVERTISER", "CATALOG", "TIKTOK_SHOP", "PIXEL", "LEAD", "TT_ACCOUNT", "STOREFRANT", "MANAGED_BUSINESS_ACCOUNT"
)  # [BB enum/asset_type.go], STOREFRANT spelled as TikTok spells it
TT_ACCOUNT_ROLE = Enum("POST", "LIVE", "DIRECT_MESSAGE")  # [BB enum/ttacount_role.go]
EXT_USER_ROLE = Obj({"finance_role": opt(Enum("MANAGER", "ANALYST"))})  # [BB enum/user_finance_role.go]
CAMPAIGN_TYPE = Enum("CAMPAIGN", "BRAND_LINK")  # [BB enum/tto_campaign_type.go]
AGE = Enum("18-24", "25-34", "35-44", "45-54", "55+")  # [BB enum/tto_creator.go TTOAudienceAge]
GENDER = Enum(
    "FEMALE", "MALE", "UNISEX", "NONE", "Female", "Male", "Other", "GENDER_FEMALE", "GENDER_MALE", "GENDER_UNLIMITED"
)  # [BB enum/gender.go]
IDENTITY_TYPE = Enum("CUSTOMIZED_USER", "AUTH_CODE", "TT_USER", "BC_AUTH_TT", "TTS_TT")  # [BB enum/identity_type.go]
ITEM_STATUS = Enum(
    "USER_DELETE",
    "AUDIT_DELETE",
    "HESITATE_RECOMMEND",
    "ONLY_AUTHOR_SEE",
    "ONLY_USER_PASS",
    "ONLY_FRIEND_SEE",
    "REVIEW_PENDING",
    "ITEM_STATUS_HESITATE_RECOMMEND",
    "STATUS_ONLY_FRIEND_SEE",
    "ITEM_STATUS_ONLY_AUTHOR_SEE",
)  # [BB enum/tiktok_item_status.go TikTokItemStatus]
AUTH_CODE_STATUS = Enum("NOT_USED", "IN_USE", "EXPIRED", "DELETED")  # [BB enum/tcm_auth_code_status.go]

TOKEN = Obj(
    {
        "access_token": req(Str(), nullable=False),
        "token_type": opt(Str()),
        "scope": opt(Str()),
        "expires_in": req(Int(0)),
        "refresh_token": opt(Str()),
        "refresh_token_expires_in": opt(Int(0)),
        "open_id": opt(Str()),
    }
)  # [BB model/tto/oauth/token.go Token]

DISTRIBUTION = Obj(
    {
        "country": opt(Str()),
        "gender": opt(GENDER),
        "age": opt(AGE),
        "device": opt(Str()),
        "usage": opt(Str()),
        "percentage": opt(Num()),
    }
)  # [BB model/tto/creator/types.go Distribution]
LABEL = Obj({"label_id": opt(Id()), "label_name": opt(Str())})
CREATOR = Obj(
    {
        "creator_id": opt(Id()),
        "handle_name": opt(Str()),
        "handle": opt(Str()),
        "display_name": opt(Str()),
        "profile_image": opt(Str()),
        "bio": opt(Str()),
        "followers_count": opt(Int(0)),
        "following_count": opt(Int(0)),
        "likes_count": opt(Int(0)),
        "videos_count": opt(Int(0)),
        "median_views": opt(Int(0)),
        "engagement_rate": opt(Num()),
        "creator_price": opt(Num()),
        "currency": opt(Str()),
        "creator_rate": opt(Obj({"rate": opt(Num()), "currency": opt(Str())})),
        "country_code": opt(Str()),
        "industry_labels": opt(List(LABEL)),
        "content_labels": opt(List(LABEL)),
        "audience_countries": opt(List(DISTRIBUTION)),
        "audience_genders": opt(List(DISTRIBUTION)),
        "audience_ages": opt(List(DISTRIBUTION)),
        "audience_devices": opt(List(DISTRIBUTION)),
        "audience_usages": opt(List(DISTRIBUTION)),
    }
)  # [BB model/tto/creator/types.go Creator]
POST = Obj(
    {
        "video_id": req(Id()),
        "display_name": opt(Str()),
        "thumbnail_url": opt(Str()),
        "embed_url": opt(Str()),
        "caption": opt(Str()),
        "likes": opt(Int(0)),
        "comments": opt(Int(0)),
        "shares": opt(Int(0)),
        "favorites": opt(Int(0)),
        "video_views": opt(Int(0)),
        "create_time": opt(Time()),
        "caption_hashtags": opt(List(Str())),
        "mentioned_accounts": opt(List(Str())),
        "collaboration_status": opt(Str()),
    }
)  # [BB model/tto/creator/types.go Post]
CAMPAIGN = Obj(
    {
        "campaign_id": req(Id()),
        "campaign_type": opt(CAMPAIGN_TYPE),
        "brand_profile_id": opt(Id()),
        "brand_name": opt(Str()),
        "campaign_name": opt(Str()),
        "handle_names": opt(List(Str())),
        "campaign_description": opt(Str()),
        "anchor_id": opt(Id()),
        "video_ids": opt(List(Id())),
        "advertiser_ids": opt(List(Id())),
        "spark_ads_requested_authorization_days": opt(Int(0)),
        "invite_link": opt(Str()),
        "create_time": opt(Time()),
        "update_time": opt(Time()),
        "country_codes": opt(List(Str())),
        "failed_handle_names": opt(List(Str())),
        "dm_info": opt(Obj({"business_account_handle": opt(Str()), "dm_allowed": opt(Bool())})),
    }
)  # [BB model/tto/campaign/campaign.go Campaign]
# Optional texts of profiles and anchors are omitempty in the Go models: absent, never "".
BRAND_PROFILE = Obj(
    {
        "brand_profile_id": req(Id()),
        "brand_name": opt(Str(blank=False)),
        "brand_industry_id": opt(Str(blank=False)),
        "brand_industry": opt(Str(blank=False)),
        "brand_website": opt(Str(blank=False)),
        "logo_url": opt(Str(blank=False)),
        "tiktok_account_url": opt(Str(blank=False)),
    }
)  # [BB model/tcm/brand/profile.go Profile]
CALL_TO_ACTION = Obj(
    {
        "landing_page_url": opt(Str(blank=False)),
        "ios_download_link": opt(Str(blank=False)),
        "ios_deep_link": opt(Str(blank=False)),
        "android_download_link": opt(Str(blank=False)),
        "android_deep_link": opt(Str(blank=False)),
    }
)  # [BB model/tto/anchor/anchor.go CallToAction]
ANCHOR_TYPE = Enum("WEB_ANCHOR")  # [BB enum/tto_anchor.go]
ANCHOR_SUB_TYPE = Enum("DESTINATION", "ECOMMERCE", "ENTERTAINMENT")
ANCHOR = Obj(
    {
        "anchor_id": req(Id()),
        "status": opt(Enum("DRAFT", "CREATED", "IN_REVIEW", "APPROVED", "REJECTED_BY_AUDIT")),
        "anchor_type": opt(ANCHOR_TYPE),
        "anchor_sub_type": opt(ANCHOR_SUB_TYPE),
        "category_label_id": opt(Id()),
        "country_code": opt(Str(blank=False)),
        "call_to_action": opt(CALL_TO_ACTION),
        "anchor_title": opt(Str(blank=False)),
        "anchor_name": opt(Str(blank=False)),
        "anchor_sub_title": opt(Str(blank=False)),
        "thumbnail_url": opt(Str(blank=False)),
        "coupon_link": opt(
            Obj({"discount": opt(Num()), "coupon_url": opt(Str(blank=False)), "coupon_code": opt(Str(blank=False))})
        ),
        "pixel_id": opt(Id()),
        "creator_preview_url": opt(Str(blank=False)),
        "advertiser_preview_url": opt(Str(blank=False)),
    }
)  # [BB model/tto/anchor/anchor.go Anchor]
IDENTITY = Obj(
    {
        "identity_id": req(Id()),
        "identity_type": opt(IDENTITY_TYPE),
        "identity_authorized_bc_id": opt(Id()),
        "identity_authorized_shop_id": opt(Id()),
        "ads_only_mode": opt(Bool()),
        "is_gpppa": opt(Bool()),
        "profile_image": opt(Str()),
        "display_name": opt(Str()),
        "user_name": opt(Str()),
        "username": opt(Str()),  # added 2026-03-13 [CL]
        "available_status": opt(
            Enum(
                "AVAILABLE", "NO_VALID_BIND_ACCOUNT", "SCOPE_UNAVAILABLE", "IS_PRIVATE_ACCOUNT", "NOT_BUSINESS_ACCOUNT"
            )
        ),
        "can_push_video": opt(Bool()),
        "can_pull_video": opt(Bool()),
        "can_use_live_ads": opt(Bool()),
        "can_manage_message": opt(Bool()),
        "shop_id": opt(Id()),
        "is_running_custom_shop_ads": opt(Bool()),
        "product_gmv_max_available": opt(Bool()),
        "live_gmv_max_available": opt(Bool()),
        "unavailable_reason": opt(Enum("OCCUPIED", "UNAUTHORIZED")),
    }
)  # [BB model/identity/identity.go Identity]
VIDEO_INFO = Obj(
    {
        "bit_rate": opt(Int(0)),
        "duration": opt(Num()),
        "size": opt(Int(0)),
        "width": opt(Int(0)),
        "height": opt(Int(0)),
        "video_id": opt(Str()),
        "file_name": opt(Str()),
        "poster_url": opt(Str()),
        "preview_url": opt(Str()),
        "url": opt(Str()),
        "signature": opt(Str()),
        "format": opt(Str()),
    }
)  # [BB model/ttvideo/info.go VideoInfo]
# TikTok documents no values for ad_auth_status: any string (the sandbox says AUTHORIZED / EXPIRED / DELETED).
AUTH_INFO = Obj(
    {
        "ad_auth_status": opt(Str()),
        "auth_start_time": opt(Time()),
        "auth_end_time": opt(Time()),
        "invite_start_time": opt(Time()),
    }
)  # [BB model/ttvideo/info.go AuthInfo]
ITEM_INFO = Obj(
    {
        "auth_code": opt(Str()),
        "item_id": req(Id()),
        "item_type": opt(Enum("VIDEO", "CAROUSEL")),
        "text": opt(Str()),
        "status": opt(ITEM_STATUS),
        "stitch_original_item_id": opt(Id()),
        "duet_original_item_id": opt(Id()),
        "is_multi_duet_stitch": opt(Bool()),
        "mentioned_item_ids": opt(List(Id())),
        "auth_info": opt(AUTH_INFO),
        "anchor_list": opt(List(Obj({"id": opt(Str()), "anchor_id": opt(Str()), "title": opt(Str())}))),
        "video_info": opt(VIDEO_INFO),
        "carousel_info": opt(Obj({"image_info": opt(List(Obj({"image_url": opt(Str())})))})),
        "exclude_adsonly": opt(Bool()),
    }
)  # [BB model/ttvideo/info.go ItemInfo]
# One Spark Ads post as tt_video/info/ answers it, and each of tt_video/list/'s [BB model/ttvideo/info.go Item].
TT_VIDEO_ITEM = Obj(
    {
        "auth_info": opt(AUTH_INFO),
        "item_info": opt(ITEM_INFO),
        "user_info": opt(
            Obj({"tiktok_name": opt(Str()), "identity_id": opt(Id()), "identity_type": opt(IDENTITY_TYPE)})
        ),
        "video_info": opt(VIDEO_INFO),
    }
)

_COUNT_METRICS = [
    "ad_clicks",
    "ad_conversions",
    "ad_impressions",
    "engagement_count",
    "video_views",
    "video_views_organic",
    "video_views_paid",
    "reach",
    "reach_organic",
    "reach_paid",
    "total_play_time",
] + [f"{m}{s}" for m in ("likes", "shares", "comments", "favorites") for s in ("", "_organic", "_paid")]
_RATE_METRICS = [
    "ad_cost",
    "ad_cpa",
    "ad_cpc",
    "ad_cpm",
    "ad_ctr",
    "ad_cvr",
    "ad_roas",
    "engagement_rate",
    "engagement_rate_organic",
    "engagement_rate_paid",
    "engagement_rate_benchmark_p25",
    "engagement_rate_benchmark_p50",
    "video_completion_rate",
    "video_completion_rate_organic",
    "video_completion_rate_paid",
    "video_completion_rate_benchmark_p25",
    "video_completion_rate_benchmark_p50",
    "average_view_time",
    "average_view_time_organic",
    "average_view_time_paid",
    "two_seconds_views",
    "organic_two_seconds_views",
    "paid_two_seconds_views",
    "six_seconds_views",
    "organic_six_seconds_views",
    "paid_six_seconds_views",
]


def _share(key: str) -> Obj:
    return Obj({key: opt(Str()), "percentage": opt(Num())})


# A day's figures are numbers; one with no data is left out, never "-" ("missing metrics are not
# filled with a default", BB model/tcm/report/metrics.go DailyStat).
DAILY_STAT = Obj(
    {"date": req(Time())}
    | {
        k: opt(Num(), nullable=False)
        for k in ("reach", "engagement_rate", "engagement_rate_organic", "engagement_rate_paid")
        + ("video_completion_rate", "views", "video_views_organic", "video_views_paid")
        + tuple(f"{m}{s}" for m in ("likes", "shares", "comments", "favorites") for s in ("", "_organic", "_paid"))
    }
)  # [BB model/tcm/report/metrics.go DailyStat]
REPORT_VIDEO = Obj(
    {
        "video_id": req(Id()),
        "video_info": opt(
            Obj(
                {
                    "video_id": opt(Id()),
                    "embed_url": opt(Str()),
                    "thumbnail_url": opt(Str()),
                    "create_time": opt(Time()),
                    "authorization_code": opt(Str()),
                }
            )
        ),
        "creator_info": opt(Obj({"handle_name": opt(Str()), "display_name": opt(Str())})),
        "video_view_retention": opt(List(Num())),
        "video_views_by_source": opt(
            Obj(
                {
                    k: opt(Metric())
                    for k in ("for_you", "hashtag", "sound", "personal_profile", "search", "following", "other")
                }
            )
        ),
        "video_boosted_date": opt(Time()),
        "anchor_id": opt(Id()),
        "anchor_metrics": opt(
            Obj(
                {
                    k: opt(Metric())
                    for k in ("anchor_views", "anchor_clicks", "anchor_unique_views", "anchor_unique_clicks")
                }
            )
        ),
        "daily_stats": opt(List(DAILY_STAT)),
        "audience_genders_distribution": opt(List(Obj({"gender": opt(GENDER), "percentage": opt(Num())}))),
        "audience_age_distribution": opt(List(Obj({"age": opt(AGE), "percentage": opt(Num())}))),
        "audience_countries_distribution": opt(List(_share("country"))),
        "audience_device_distribution": opt(List(_share("device"))),
        "audience_locale_distribution": opt(List(_share("locale"))),
        "audience_language_distribution": opt(List(_share("language"))),
        "audience_interest_distribution": opt(List(_share("interest_tag"))),
        "lifetime_gender_distribution": opt(List(Obj({"gender": opt(GENDER), "percentage": opt(Num())}))),
        "lifetime_top_age_distribution": opt(List(Obj({"age": opt(AGE), "percentage": opt(Num())}))),
        "lifetime_top_country_distribution": opt(List(_share("country"))),
        "lifetime_device_distribution": opt(List(_share("device"))),
    }
    | {k: opt(Metric()) for k in _COUNT_METRICS + _RATE_METRICS}
)  # [BB model/tcm/report/metrics.go Metrics]

ADVERTISER = Obj(
    {
        "advertiser_id": req(Id()),
        "name": opt(Str()),
        "status": opt(
            Enum(
                "STATUS_DISABLE",
                "STATUS_PENDING_CONFIRM",
                "STATUS_PENDING_VERIFIED",
                "STATUS_CONFIRM_FAIL",
                "STATUS_ENABLE",
                "STATUS_CONFIRM_FAIL_END",
                "STATUS_PENDING_CONFIRM_MODIFY",
                "STATUS_CONFIRM_MODIFY_FAIL",
                "STATUS_LIMIT",
                "STATUS_WAIT_FOR_BPM_AUDIT",
                "STATUS_WAIT_FOR_PUBLIC_AUTH",
                "STATUS_SELF_SERVICE_UNAUDITED",
                "STATUS_CONTRACT_PENDING",
            )
        ),
        "role": opt(Enum("ROLE_ADVERTISER", "ROLE_CHILD_ADVERTISER", "ROLE_CHILD_AGENT", "ROLE_AGENT")),
        "currency": opt(Str()),
        "timezone": opt(Str()),
        "display_timezone": opt(Str()),
        "company": opt(Str()),
        "country": opt(Str()),
        "owner_bc_id": opt(Str()),  # "" for an account in no Business Center
        "advertiser_account_type": opt(Enum("AUCTION", "RESERVATION")),
        "balance": opt(Num()),
        "create_time": opt(Int(0)),
        "rejection_reason": opt(Str()),
        "industry": opt(Str()),
        "language": opt(Str()),
        "can_use_custom_identity": opt(Bool()),
        "ads_only_mode": opt(Bool()),
    }
)  # [BB model/advertiser/advertiser.go Advertiser; enum/advertiser_status.go, role.go, service_type.go]
BC_ASSET = Obj(
    {
        "asset_type": opt(ASSET_TYPE),
        "asset_id": req(Id()),
        "asset_name": opt(Str()),
        "relation_type": opt(Enum("OWNER_BC", "OWNER_PARTNER", "OWNER_INDIVIDUAL")),
        "relation_status": opt(RELATION_STATUS),
        "advertiser_status": opt(ADVERTISER.fields["status"].spec),
        "advertiser_account_type": opt(Enum("AUCTION", "RESERVATION")),
        "advertiser_role": opt(ADVERTISER_ROLE),
        "catalog_role": opt(Enum("ADMIN", "AD_PROMOTE")),
        "ad_creation_eligible": opt(Enum("AVAILABLE", "NOT_AVAILABLE")),
        "store_role": opt(Enum("AD_PROMOTION")),
        "pixel_code": opt(Str()),
        "tt_account_roles": opt(List(TT_ACCOUNT_ROLE)),
        "business_account_role": opt(
            Enum("BUSINESS_ACCOUNT_ADMIN", "BUSINESS_ACCOUNT_OPERATOR", "BUSINESS_ACCOUNT_ANALYST")
        ),
        "owner_bc_name": opt(Str()),
        "is_business_verified": opt(Bool()),
        "operating_region_code": opt(Str()),
        "tt_asset_handle": opt(Str()),
        "tt_asset_profile_image": opt(Str()),
    }
)  # [BB model/bc/asset_get.go Asset]: no permission field for TT_ACCOUNT assets


def _bc_auth_tt_needs_its_bc(params: dict) -> str | None:
    if params.get("identity_type") == "BC_AUTH_TT" and not params.get("identity_authorized_bc_id"):
        return "identity_authorized_bc_id: required when identity_type is BC_AUTH_TT"
    return None


def _days_are_tiktoks(params: dict) -> str | None:
    value = params.get("authorization_days")
    if value is not None and not _days(value):
        return f"authorization_days: {value!r} is not one of 7, 30, 60, 365"
    return None


# --- the endpoints ------------------------------------------------------------------------------

POST_AUTHORIZATION = Obj(
    {
        "item_id": opt(Id()),
        "auth_code": opt(Str()),
        "auth_code_start_time": opt(Time()),  # model.DateTime, omitzero: absent or null, never ""
        "auth_code_end_time": opt(Time()),
        "authorization_days": opt(Int(0)),
        "auth_code_status": opt(AUTH_CODE_STATUS),
    }
)  # [BB model/business/post/authorize_status.go AuthorizeStatus]
BUSINESS_VIDEO_FIELDS = (
    "item_id", "media_type", "is_ad", "thumbnail_url", "share_url", "embed_url", "caption", "video_duration",
    "likes", "comments", "shares", "favorites", "create_time", "reach", "video_views", "total_time_watched",
    "average_time_watched", "full_video_watched_rate", "new_followers", "profile_views", "website_clicks",
    "phone_number_clicks", "lead_submissions", "app_download_clicks", "email_clicks", "address_clicks",
    "video_view_retention", "impression_sources", "audience_genders", "audience_countries", "audience_cities",
    "audience_types", "engagement_likes",
)  # fmt: skip  # [BB model/business/video/list.go ListRequest.Fields]
BUSINESS_VIDEO = Obj(
    {
        "item_id": req(Id()),
        "media_type": opt(Enum("VIDEO", "PHOTO")),
        "is_ad": opt(Bool()),
        "thumbnail_url": opt(Str()),
        "share_url": opt(Str()),
        "embed_url": opt(Str()),
        "caption": opt(Str()),
        "video_duration": opt(Num()),
        "likes": opt(Int(0)),
        "comments": opt(Int(0)),
        "shares": opt(Int(0)),
        "favorites": opt(Int(0)),
        "create_time": opt(Int(0)),
        "reach": opt(Int(0)),
        "video_views": opt(Int(0)),
    }
)  # [BB model/business/video/video.go Video; the other metrics are not requested by the client]


# --- ads and their report -----------------------------------------------------------------

AD = Obj(
    {
        "advertiser_id": opt(Id()),
        "campaign_id": opt(Id()),
        "campaign_name": opt(Str()),
        "campaign_system_origin": opt(Enum("PROMOTE", "TT_ADS_PLATFORM")),
        "adgroup_id": opt(Id()),
        "adgroup_name": opt(Str()),
        "ad_id": req(Id()),
        "ad_name": opt(Str()),
        "create_time": opt(Time()),
        "modify_time": opt(Time()),
        "identity_type": opt(IDENTITY_TYPE),
        "identity_id": opt(Id()),
        "identity_authorized_bc_id": opt(Id()),
        "video_id": opt(Id()),  # null for a Spark ad pulled from a post
        "tiktok_item_id": opt(Id()),
        "ad_format": opt(Enum("SINGLE_IMAGE", "SINGLE_VIDEO", "LIVE_CONTENT", "CAROUSEL_ADS", "CATALOG_CAROUSEL")),
        "operation_status": opt(Enum("ENABLE", "DISABLE", "FROZEN")),
        # enum SecondaryStatus's ad values are not in the SDK files read; docs/sandbox.md lists those used.
        "secondary_status": opt(Str()),
    }
)  # [BB model/ad/ad.go Ad], the fields the product reads
REPORT_FIGURES = (
    "spend", "impressions", "clicks", "ctr", "cpm", "cpc", "video_play_actions", "paid_engaged_view",
    "likes", "comments", "shares", "follows", "profile_visits",
)  # fmt: skip
REPORT_ATTRIBUTES = (
    "ad_name", "ad_id", "campaign_id", "campaign_name", "adgroup_id", "adgroup_name", "advertiser_id",
    "advertiser_name", "currency", "timezone",
)  # fmt: skip
REPORT_ROW = Obj(
    {
        "dimensions": req(Obj({"ad_id": opt(Id()), "stat_time_day": opt(Time())})),
        "metrics": req(Obj({k: opt(Figure()) for k in REPORT_FIGURES} | {k: opt(Str()) for k in REPORT_ATTRIBUTES})),
    }
)  # [BB model/report/integrated_get.go Stat, model/report/metrics.go Metrics]


def _report_dates(params: dict) -> str | None:
    """Dates unless lifetime; at most 30 days with stat_time_day, 365 without."""
    if str(params.get("query_lifetime", "")).lower() == "true":
        return None
    start, end = params.get("start_date"), params.get("end_date")
    if not (start and end):
        return "start_date, end_date: required unless query_lifetime is true"
    dimensions = params.get("dimensions") or "[]"
    daily = "stat_time_day" in (json.loads(dimensions) if isinstance(dimensions, str) else dimensions)
    days = (date.fromisoformat(end[:10]) - date.fromisoformat(start[:10])).days + 1
    longest = 30 if daily else 365
    return None if 1 <= days <= longest else f"start_date..end_date: {days} days, TikTok allows 1..{longest}"


def _one_report_owner(params: dict) -> str | None:
    if not any(params.get(k) for k in ("advertiser_id", "advertiser_ids", "bc_id")):
        return "one of advertiser_id, advertiser_ids, bc_id is required"
    return None


ENDPOINTS: dict[str, Endpoint] = {
    "ad/get/": Endpoint(
        "GET",
        Obj(
            {
                "advertiser_id": req(Id()),
                "fields": opt(List(Str())),
                "exclude_field_types_in_response": opt(List(Enum("NULL_FIELD"))),
                "filtering": opt(
                    Obj(
                        {
                            "campaign_ids": opt(List(Id(), max_items=100, min_items=1)),
                            "campaign_system_origins": opt(List(Enum("PROMOTE", "TT_ADS_PLATFORM"))),
                            "adgroup_ids": opt(List(Id(), max_items=100, min_items=1)),
                            "ad_ids": opt(List(Id(), max_items=100, min_items=1)),
                            "primary_status": opt(Str()),
                            "secondary_status": opt(Str()),
                            "objective_type": opt(Str()),
                            "buying_types": opt(List(Enum("AUCTION", "RESERVATION_RF", "RESERVATION_TOP_VIEW"))),
                            "optimization_goal": opt(Str()),
                            "creative_material_mode": opt(Enum("CUSTOM", "DYNAMIC", "SMART_CREATIVE")),
                            "destination": opt(Str()),
                            "creation_filter_start_time": opt(Time()),
                            "creation_filter_end_time": opt(Time()),
                            "modified_after": opt(Time()),
                        }
                    )
                ),
                "page": opt(Int(1)),
                "page_size": opt(Int(1, 1000)),
            }
        ),
        Obj({"list": opt(List(AD)), "page_info": opt(PAGE_INFO)}),
        "BB model/ad/get.go, model/ad/ad.go",
    ),
    "report/integrated/get/": Endpoint(
        "GET",
        Obj(
            {
                "advertiser_id": opt(Id()),
                "advertiser_ids": opt(List(Id(), max_items=5, min_items=1)),
                "bc_id": opt(Id()),
                "service_type": opt(Enum("AUCTION", "RESERVATION")),
                "report_type": req(Enum("BASIC", "AUDIENCE", "PLAYABLE_MATERIAL", "CATALOG", "BC", "TT_SHOP")),
                "data_level": opt(
                    Enum(
                        "AUCTION_AD",
                        "AUCTION_ADGROUP",
                        "AUCTION_CAMPAIGN",
                        "AUCTION_ADVERTISER",
                        "RESERVATION_AD",
                        "RESERVATION_ADGROUP",
                        "RESERVATION_CAMPAIGN",
                        "RESERVATION_ADVERTISER",
                    )  # fmt: skip
                ),
                "dimensions": req(List(Str(), min_items=1)),
                "metrics": opt(List(Str())),
                "enable_total_metrics": opt(Bool()),
                "start_date": opt(Time()),
                "end_date": opt(Time()),
                "query_lifetime": opt(Bool()),
                "multi_adv_report_in_utc_time": opt(Bool()),
                "order_field": opt(Str()),
                "order_type": opt(Enum("ASC", "DESC")),
                "filtering": opt(
                    List(
                        Obj(
                            {
                                "field_name": req(Str()),
                                "filter_type": req(
                                    Enum(
                                        "IN",
                                        "MATCH",
                                        "GREATER_EQUAL",
                                        "GREATER_THAN",
                                        "LOWER_EQUAL",
                                        "LOWER_THAN",
                                        "BETWEEN",
                                    )  # fmt: skip
                                ),
                                "filter_value": req(Str()),
                            }
                        )
                    )
                ),
                "query_mode": opt(Enum("REGULAR", "CHUNK")),
                "page": opt(Int(1)),
                "page_size": opt(Int(1, 1000)),
            }
        ),
        Obj(
            {
                "list": opt(List(REPORT_ROW)),
                "page_info": opt(PAGE_INFO),
                "total_metrics": opt(REPORT_ROW.fields["metrics"].spec),
            }
        ),
        "BB model/report/integrated_get.go, model/report/metrics.go (figures as numbers or numeric strings)",
        rules=(_report_dates, _one_report_owner),
    ),
    "identity/music/authorization/": Endpoint(
        "GET",
        Obj(
            {
                "advertiser_id": req(Id()),
                "video_id": req(Id()),
                "identity_id": req(Id()),
                "identity_type": req(IDENTITY_TYPE),
                "identity_authorized_bc_id": opt(Id()),
                # Country codes, as in a public Postman collection of the API (docs/sandbox.md).
                "locations": req(List(Str(blank=False), min_items=1)),
                "start_time": req(Time()),
                "end_time": req(Time()),
            }
        ),
        Obj(
            {
                "music_authorization": opt(
                    List(
                        Obj(
                            {
                                "video_id": opt(Id()),
                                "music_status": opt(
                                    Enum("WITHOUT_SONG_ID", "AUTHORIZATION_MISSING", "WITH_FULL_AUTHORIZATION")
                                ),
                                "authorization_infos": opt(
                                    List(
                                        Obj(
                                            {
                                                "music_id": opt(Id()),
                                                "author": opt(Str()),
                                                "title": opt(Str()),
                                                "labels": opt(List(Str())),
                                                "lyricist": opt(Str()),
                                                "composer": opt(Str()),
                                                "publisher": opt(Str()),
                                                "authorization_type": opt(Enum("NOT_AUTHORIZED", "AUTHORIZED")),
                                            }
                                        )
                                    )
                                ),
                            }
                        )
                    )
                )
            }
        ),
        "BB model/identity/music_authorization.go, enum/music_authorization_status.go",
        rules=(_bc_auth_tt_needs_its_bc,),
    ),
    "adgroup/get/": Endpoint(
        "GET",
        Obj(
            {
                "advertiser_id": req(Id()),
                "fields": opt(List(Str())),
                "exclude_field_types_in_response": opt(List(Enum("NULL_FIELD"))),
                "filtering": opt(
                    Obj(
                        {
                            "campaign_ids": opt(List(Id(), max_items=100, min_items=1)),
                            "campaign_system_origins": opt(List(Enum("PROMOTE", "TT_ADS_PLATFORM"))),
                            "adgroup_ids": opt(List(Id(), max_items=100, min_items=1)),
                            "adgroup_name": opt(Str()),
                            "primary_status": opt(Str()),
                            "secondary_status": opt(Str()),
                            "objective_type": opt(Str()),
                            "buying_types": opt(List(Enum("AUCTION", "RESERVATION_RF", "RESERVATION_TOP_VIEW"))),
                            "optimization_goal": opt(Str()),
                            "promotion_type": opt(Str()),
                            "bid_strategy": opt(Str()),
                            "creative_material_mode": opt(Enum("CUSTOM", "SMART_CREATIVE")),
                            "billing_events": opt(List(Str())),
                            "creation_filter_start_time": opt(Time()),
                            "creation_filter_end_time": opt(Time()),
                            "split_test_enabled": opt(Bool()),
                        }
                    )
                ),
                "page": opt(Int(1)),
                "page_size": opt(Int(1, 1000)),
            }
        ),
        Obj(
            {
                "list": opt(
                    List(
                        Obj(
                            {
                                "advertiser_id": opt(Id()),
                                "campaign_id": opt(Id()),
                                "campaign_name": opt(Str()),
                                "adgroup_id": opt(Id()),
                                "adgroup_name": opt(Str()),
                                "create_time": opt(Time()),
                                "modify_time": opt(Time()),
                                "schedule_type": opt(Enum("SCHEDULE_FROM_NOW", "SCHEDULE_START_END")),
                                "schedule_start_time": opt(Time()),
                                "schedule_end_time": opt(Time()),
                                "budget_mode": opt(Str()),
                                "budget": opt(Num()),
                                "operation_status": opt(Enum("ENABLE", "DISABLE", "FROZEN")),
                            }
                        )
                    )
                ),
                "page_info": opt(PAGE_INFO),
            }
        ),
        "BB model/adgroup/get.go, model/adgroup/adgroup.go (schedule_type, schedule_end_time UTC)",
    ),
    "asset/bind/quota/": Endpoint(
        "GET",
        Obj({"advertiser_id": req(Id()), "asset_id": req(Id()), "asset_type": req(Enum("IDENTITY"))}),
        Obj({"total_quota": opt(Int(0)), "used_quota": opt(Int(0)), "available_quota": opt(Int(0))}),
        "TikTok's reference doc 1739659584022529 (request: advertiser_id, asset_id, asset_type IDENTITY); "
        "answer as BB model/bc/asset_bind_quota.go AssetBindQuota",
    ),
    # Advertiser OAuth
    "oauth2/access_token/": Endpoint(
        "POST",
        Obj(APP | {"auth_code": req(Str()), "return_advertiser_ids": opt(Bool(), nullable=False)}),
        Obj(
            {
                "access_token": req(Str()),
                "advertiser_ids": opt(List(Id())),
                "scope": opt(List(Int())),
                "token_type": opt(Str()),
                "expires_in": opt(Int(0)),
                "refresh_token": opt(Str()),
                "refresh_token_expires_in": opt(Int(0)),
                "open_id": opt(Str()),
            }
        ),
        "BB model/oauth/access_token.go",
    ),
    "oauth2/revoke_token/": Endpoint(
        "POST",
        Obj(APP | {"access_token": req(Str())}),
        Obj({"app_id": opt(Str()), "advertiser_ids": opt(List(Id()))}),
        "BB model/oauth/revoke_token.go",
    ),
    "oauth2/advertiser/get/": Endpoint(
        "GET",
        Obj(APP),
        Obj({"list": req(List(Obj({"advertiser_id": req(Id()), "advertiser_name": opt(Str())})))}),
        "BB model/oauth/advertiser_get.go; OSDK authentication_api.py",
    ),
    "advertiser/info/": Endpoint(
        "GET",
        Obj({"advertiser_ids": req(List(Id(), max_items=100, min_items=1)), "fields": opt(List(Str()))}),
        Obj({"list": req(List(ADVERTISER))}),
        "BB model/advertiser/advertiser.go",
    ),
    # Business Center
    "bc/get/": Endpoint(
        "GET",
        Obj({"bc_id": opt(Id()), "page": opt(Int(1)), "page_size": opt(Int(1, 50))}),
        Obj(
            {
                "list": req(
                    List(
                        Obj(
                            {
                                "bc_info": req(
                                    Obj(
                                        {
                                            "bc_id": req(Id()),
                                            "name": opt(Str()),
                                            "company": opt(Str()),
                                            "currency": opt(Str()),
                                            "registered_area": opt(Str()),
                                            "status": opt(Enum("REVIEWING", "DENY", "ENABLE", "PUNISH")),
                                            "timezone": opt(Str()),
                                            "type": opt(
                                                Enum(
                                                    "NORMAL", "DIRECT", "AGENCY", "SELF_SERVICE", "SELF_SERVICE_AGENCY"
                                                )
                                            ),
                                            "verification_status": opt(
                                                Enum("NOT_SUBMITTED", "REVIEWING", "VERIFIED", "FAILED", "EXPIRED")
                                            ),
                                        }
                                    )
                                ),
                                "user_role": opt(USER_ROLE),
                                "ext_user_role": opt(EXT_USER_ROLE),
                            }
                        )
                    )
                ),
                "page_info": opt(PAGE_INFO),
            }
        ),
        "BB model/bc/get.go, bc.go; enum/bc_status.go, bc_type.go, bc_verification_status.go",
    ),
    "bc/member/get/": Endpoint(
        "GET",
        Obj(
            {
                "bc_id": req(Id()),
                "page": opt(Int(1)),
                "page_size": opt(Int(1, 20)),
                "filtering": opt(
                    Obj({"keyword": opt(Str()), "user_role": opt(USER_ROLE), "relation_status": opt(RELATION_STATUS)})
                ),
            }
        ),
        Obj(
            {
                "list": req(
                    List(
                        Obj(
                            {
                                "user_id": req(Id()),
                                "user_name": opt(Str()),
                                "user_email": opt(Str()),
                                "user_role": opt(USER_ROLE),
                                "relation_status": opt(RELATION_STATUS),
                                "advertiser_role": opt(ADVERTISER_ROLE),
                                "catalog_role": opt(Enum("ADMIN", "AD_PROMOTE")),
                                "ext_user_role": opt(EXT_USER_ROLE),
                            }
                        )
                    )
                ),
                "page_info": opt(PAGE_INFO),
            }
        ),
        "BB model/bc/member_get.go",
    ),
    "bc/asset/get/": Endpoint(
        "GET",
        Obj(
            {
                "bc_id": req(Id()),
                "asset_type": req(ASSET_TYPE),
                "filtering": opt(Obj({"user_id": opt(Id()), "user_email": opt(Str()), "keyword": opt(Str())})),
                "page": opt(Int(1)),
                "page_size": opt(Int(1, 50)),
            }
        ),
        Obj({"list": req(List(BC_ASSET)), "page_info": opt(PAGE_INFO)}),
        "BB model/bc/asset_get.go",
    ),
    "bc/asset/assign/": Endpoint(
        "POST",
        Obj(
            {
                "bc_id": req(Id()),
                "user_id": req(Id()),
                "asset_type": req(ASSET_TYPE),
                "asset_id": req(Id()),
                "advertiser_role": opt(ADVERTISER_ROLE, nullable=False),
                "catalog_role": opt(Enum("ADMIN", "AD_PROMOTE"), nullable=False),
                "form_library_role": opt(Enum("ADMIN"), nullable=False),
                "store_role": opt(Enum("AD_PROMOTION"), nullable=False),
                "tt_account_roles": opt(List(TT_ACCOUNT_ROLE, min_items=1), nullable=False),
            }
        ),
        EMPTY,
        "OSDK models/asset_assign_body.py; BB model/bc/asset_assign.go",
    ),
    "bc/asset/unassign/": Endpoint(
        "POST",
        Obj({"bc_id": req(Id()), "user_id": req(Id()), "asset_type": req(ASSET_TYPE), "asset_id": req(Id())}),
        EMPTY,
        "BB model/bc/asset_unassign.go",
    ),
    "bc/asset/account/authorization/": Endpoint(
        "GET",
        Obj({"bc_id": req(Id())}),
        Obj({"bc_auth_qr_code": req(Str())}),
        "BB model/bc/asset_account_authorization.go",
    ),
    "subscription/subscribe/": Endpoint(
        "POST",
        Obj(
            APP
            | {
                "subscribe_entity": req(
                    Enum(
                        "AD_ACCOUNT_SUSPENSION",
                        "LEAD",
                        "AD_GROUP",
                        "AD",
                        "TCM_VIDEOS",
                        "CREATIVE_FATIGUE",
                        "API_SERVICE_STATUS",
                        "REPORT_DATA_CHANGE",
                    )
                ),
                "callback_url": req(Str()),
                "subscription_detail": req(
                    Obj(
                        {
                            "tto_tcm_account_id": opt(Id()),
                            "access_token": opt(Str()),
                            "advertiser_id": opt(Id()),
                            # API_SERVICE_STATUS only; enum APIServiceType
                            "product_filters": opt(List(Enum(*API_PRODUCTS))),
                            # REPORT_DATA_CHANGE: up to 100 ad accounts, one event per window at most
                            "advertiser_ids": opt(List(Id(), max_items=100, min_items=1)),
                            "notify_frequency": opt(Enum("5_MINUTE", "15_MINUTE", "30_MINUTE", "60_MINUTE")),
                            # AD (required there) and CREATIVE_FATIGUE
                            "ad_id": opt(Id()),
                            "adgroup_id": opt(Id()),
                        }
                    )
                ),
            }
        ),
        Obj({"subscription_id": req(Id())}),
        "BB model/subscription/subscribe.go, subscription.go SubscriptionDetail; enum/subscribe_entity.go, api_service_type.go",
    ),
    "subscription/unsubscribe/": Endpoint(
        "POST",
        Obj(APP | {"subscription_id": req(Id())}),
        Obj({"subscription_id": req(Id())}),
        "BB model/subscription/unsubscribe.go, api/subscription/unsubscribe.go (answers SubscribeResponse)",
    ),
    # TikTok One: the brand's account
    "tto/oauth2/tcm/": Endpoint(
        "GET", Obj(APP), Obj({"tto_tcm_account_ids": req(List(Id()))}), "BB model/tto/oauth/account.go AccountList"
    ),
    "tto/oauth2/info/": Endpoint(
        "GET",
        Obj({"tto_tcm_account_id": req(Id())}),
        # business_verification_status: values not documented anywhere found; any string.
        Obj(
            {
                "tto_tcm_account_id": opt(Id()),
                "account_name": opt(Str()),
                "timezone": opt(Str()),
                "country": opt(Str()),
                "business_verification_status": opt(Str()),
            }
        ),
        "BB model/tto/oauth/account.go Account",
    ),
    # Creators through the Business app (tt_user)
    "tt_user/oauth2/token/": Endpoint(
        "POST",
        Obj(
            TT_APP
            | {"grant_type": req(Enum("authorization_code")), "auth_code": req(Str()), "redirect_uri": req(Str())}
        ),
        TOKEN,
        "BB model/tto/oauth/token.go, model/ttuser/token.go",
    ),
    "tt_user/oauth2/refresh_token/": Endpoint(
        "POST",
        Obj(TT_APP | {"grant_type": req(Enum("refresh_token")), "refresh_token": req(Str())}),
        TOKEN,
        "BB model/ttuser/refresh_token.go",
    ),
    "tt_user/oauth2/revoke/": Endpoint(
        "POST", Obj(TT_APP | {"access_token": req(Str())}), EMPTY, "BB model/ttuser/revoke.go"
    ),
    "tt_user/token_info/get/": Endpoint(
        "POST",
        Obj({"app_id": req(Str()), "access_token": req(Str())}),
        Obj({"app_id": opt(Str()), "scope": opt(Str()), "creator_id": req(Id())}),
        "BB model/ttuser/token_info_get.go",
    ),
    # Marketplace onboarding and discovery
    "tcm/creator/invite/": Endpoint(
        "POST",
        Obj(
            {
                "tcm_account_id": req(Id()),
                "handle_names": req(List(Str(), max_items=20, min_items=1)),
                "advertiser_id": opt(Id(), nullable=False),
            }
        ),
        # invited / rejected: one bool per requested handle; reject_reasons is untyped in the
        # Go model (json.RawMessage): the sandbox sends handle -> reason.
        Obj(
            {
                "in_tcm": opt(List(Str())),
                "invited": opt(List(Bool())),
                "rejected": opt(List(Bool())),
                "reject_reasons": opt(Obj(values=Str())),
            }
        ),
        "BB model/tcm/creator/invite.go",
    ),
    "tto/tcm/creator/status/get/": Endpoint(
        "GET",
        Obj({"tto_tcm_account_id": req(Id()), "handle_names": req(List(Str(), max_items=20, min_items=1))}),
        Obj(
            {
                "onboarding_status": req(
                    List(Obj({"handle_name": req(Str()), "status": req(Enum("IN", "NOT_IN", "INVALID", "INVITED"))}))
                )
            }
        ),
        "BB model/tto/creator/insights.go StatusGet; enum/tcm_creator_status.go",
    ),
    "tto/tcm/creator/discover/": Endpoint(
        "GET",
        Obj(
            {
                "tto_tcm_account_id": req(Id()),
                "country_codes": opt(List(Str())),
                "state_provinces": opt(List(Str())),
                "content_label_ids": opt(List(Id())),
                "industry_label_ids": opt(List(Id())),
                "min_followers": opt(Int(0)),
                "max_followers": opt(Int(0)),
                "languages": opt(List(Str())),
                "min_creator_price": opt(Num()),
                "max_creator_price": opt(Num()),
                "creator_price_currency": opt(Str()),
                "min_avg_views": opt(Int(0)),
                "max_avg_views": opt(Int(0)),
                "min_median_views": opt(Int(0)),
                "max_median_views": opt(Int(0)),
                "min_engagement_rate": opt(Num()),
                "max_engagement_rate": opt(Num()),
                "follower_country_codes": opt(List(Str())),
                "follower_gender_ratio": opt(Str()),
                "follower_age": opt(AGE),
                "keyword_search": opt(Str()),
                "sort_field": opt(Enum("RELEVANCE", "FOLLOWERS", "MEDIAN_VIEWS", "ENGAGEMENT_RATE")),
                "sort_order": opt(Enum("ASC", "DESC")),
                **PAGING,
            }
        ),
        Obj({"creators": req(List(CREATOR)), "page_info": opt(PAGE_INFO)}),
        "BB model/tto/creator/discovery.go DiscoverRequest/Result",
    ),
    "tto/tcm/creator/public/": Endpoint(
        "GET",
        Obj({"tto_tcm_account_id": req(Id()), "handle_name": req(Str())}),
        CREATOR,  # the creator is `data` itself
        "BB model/tto/creator/insights.go PublicGetRequest -> CreatorResponse{Data *Creator}",
    ),
    # Campaigns
    "tto/tcm/campaign/create/": Endpoint(
        "POST",
        Obj(
            {
                "tto_tcm_account_id": req(Id()),
                "campaign_type": req(CAMPAIGN_TYPE),
                "brand_profile_id": opt(Id(), nullable=False),
                "brand_name": opt(Str(), nullable=False),
                "campaign_name": req(Str()),
                "campaign_description": opt(Str(), nullable=False),
                "anchor_id": opt(Id(), nullable=False),
                "advertiser_ids": opt(List(Id()), nullable=False),
                "default_spark_ads_requested_authorization_days": opt(Int(7, 365), nullable=False),
                "handle_names": opt(List(Str()), nullable=False),
                "send_notification": opt(Bool(), nullable=False),
                "campaign_id": opt(Id(), nullable=False),
                "business_account_handle": opt(Str(blank=False), nullable=False),
            }
        ),
        CAMPAIGN,
        "BB model/tto/campaign/campaign.go CreateRequest (country_codes and dm_info are on the Campaign only)",
    ),
    "tto/tcm/campaign/": Endpoint(
        "GET",
        Obj(
            {
                "tto_tcm_account_id": req(Id()),
                "campaign_ids": opt(List(Id())),
                "campaign_type": opt(CAMPAIGN_TYPE),
                **PAGING,
            }
        ),
        Obj({"campaigns": req(List(CAMPAIGN)), "page_info": opt(PAGE_INFO)}),
        "BB model/tto/campaign/campaign.go GetRequest/GetResult",
    ),
    # Brand profiles and anchors a campaign points at
    "tto/tcm/brand/profile/create/": Endpoint(
        "POST",
        Obj(
            {
                "tto_tcm_account_id": req(Id()),
                "brand_name": req(Str()),
                "brand_industry_id": opt(Str(), nullable=False),
                "brand_website": opt(Str(), nullable=False),
                "logo_url": opt(Str(), nullable=False),
                "tiktok_account_url": opt(Str(), nullable=False),
            }
        ),
        BRAND_PROFILE,
        "BB model/tcm/brand/profile_create.go CreateRequest/CreateResponse; tiktok_account_url [CL 2026-06-26]",
    ),
    "tto/tcm/anchor/create/": Endpoint(
        "POST",
        Obj(
            {
                "tto_tcm_account_id": req(Id()),
                "anchor_type": req(ANCHOR_TYPE),
                "anchor_sub_type": req(ANCHOR_SUB_TYPE),
                "category_label_id": opt(Id(), nullable=False),
                "country_code": opt(Str(), nullable=False),
                "call_to_action": req(CALL_TO_ACTION),
                "anchor_title": req(Str()),
                "anchor_name": req(Str()),
                "upload_type": opt(Str(), nullable=False),
                "thumbnail_url": opt(Str(), nullable=False),
            }
        ),
        ANCHOR,
        "BB model/tto/anchor/anchor.go CreateRequest/CreateResponse; required fields: the sandbox's choice",
    ),
    "tto/tcm/anchor/get/": Endpoint(
        "GET",
        Obj({"tto_tcm_account_id": req(Id()), "anchor_ids": opt(List(Id())), **PAGING}),
        Obj({"anchors": req(List(ANCHOR)), "page_info": opt(PAGE_INFO)}),
        "BB model/tto/anchor/anchor.go GetRequest/GetResult",
    ),
    "tto/tcm/anchor/delete/": Endpoint(
        "POST",
        Obj({"tto_tcm_account_id": req(Id()), "anchor_id": req(Id())}),
        EMPTY,
        "BB model/tto/anchor/anchor.go DeleteRequest/DeleteResponse",
    ),
    "tto/tcm/report/": Endpoint(
        "GET",
        Obj(
            {
                "tto_tcm_account_id": req(Id()),
                "campaign_id": req(Id()),
                "start_date": opt(Time()),
                "end_date": opt(Time()),
                **PAGING,
            }
        ),
        Obj(
            {
                "tto_tcm_account_id": opt(Id()),
                "campaign_id": opt(Id()),
                "country_code": opt(Str()),
                "campaign_type": opt(CAMPAIGN_TYPE),
                "campaign_channel_type": opt(Str()),
                "page_info": opt(PAGE_INFO),
                "videos": req(List(REPORT_VIDEO)),
            }
        ),
        "BB model/tto/report/get.go; model/tcm/report/metrics.go",
    ),
    # Creator side (the creator's tt_user token)
    "tto/creator/campaign/join/": Endpoint(
        "POST",
        Obj({"creator_id": req(Id()), "tto_invite_link": req(Str())}),
        EMPTY,
        "BB model/tto/creator/campaign.go CampaignJoinRequest",
    ),
    "tto/creator/campaign/video/link/": Endpoint(
        "POST",
        Obj({"creator_id": req(Id()), "tto_invite_link": req(Str()), "video_id": req(Id())}),
        EMPTY,
        "BB model/tto/creator/campaign.go CampaignVideoLinkRequest",
    ),
    "tto/creator/link/request/get/": Endpoint(
        "GET",
        Obj({"creator_id": req(Id()), "tto_invite_link": req(Str())}),
        Obj(
            {
                "campaign_id": opt(Id()),
                "spark_authorization_days": opt(Int(0)),
                "link_requests": req(List(Obj({"video_id": req(Id()), "link_request_id": req(Id())}))),
            }
        ),
        "BB model/tto/creator/campaign.go LinkRequestGet",
    ),
    "tto/creator/link/request/confirm/": Endpoint(
        "POST",
        Obj({"creator_id": req(Id()), "link_request_id": req(Id()), "action": req(Enum("APPROVE", "REJECT"))}),
        EMPTY,
        "BB model/tto/creator/campaign.go LinkRequestConfirmRequest",
    ),
    "tto/creator/authorized/": Endpoint(
        "GET",
        Obj({"creator_id": req(Id()), "fields": opt(List(Str()))}),
        CREATOR,
        "BB model/tto/creator/insights.go AuthorizedGetRequest",
    ),
    "tto/creator/authorized/video/list/": Endpoint(
        "GET",
        Obj(
            {
                "creator_id": req(Id()),
                "video_ids": opt(List(Id())),
                "limit": opt(Int(1, 20)),
                "cursor": opt(Int(0)),
            }
        ),
        Obj({"posts": req(List(POST)), "has_more": opt(Bool()), "cursor": opt(Int(0))}),
        "BB model/tto/creator/insights.go AuthorizedVideoList",
    ),
    # Spark Ads
    "identity/get/": Endpoint(
        "GET",
        Obj(
            {
                "advertiser_id": req(Id()),
                "identity_type": opt(IDENTITY_TYPE),
                "identity_authorized_bc_id": opt(Id()),
                "filtering": opt(Obj({"keyword": opt(Str())})),
                "page": opt(Int(1)),
                "page_size": opt(Int(1, 100)),
            }
        ),
        Obj({"identity_list": req(List(IDENTITY)), "page_info": opt(PAGE_INFO)}),
        "BB model/identity/get.go, identity.go; OSDK identity_api.py; username [CL 2026-03-13]",
        rules=(_bc_auth_tt_needs_its_bc,),
    ),
    "identity/video/get/": Endpoint(
        "GET",
        Obj(
            {
                "advertiser_id": req(Id()),
                "identity_id": req(Id()),
                "identity_type": req(IDENTITY_TYPE),
                "identity_authorized_bc_id": opt(Id()),
                "item_type": opt(Enum("VIDEO", "CAROUSEL")),
                "keyword": opt(Str()),
                "cursor": opt(Str()),
                "count": opt(Int(1, 20)),
                "exclude_adsonly": opt(Bool()),
            }
        ),
        Obj({"cursor": opt(Str()), "has_more": opt(Bool()), "video_list": req(List(ITEM_INFO))}),
        "BB model/identity/video_get.go (cursor is a string; items are ttvideo.ItemInfo)",
        rules=(_bc_auth_tt_needs_its_bc,),
    ),
    "tt_video/authorize/": Endpoint(
        "POST",
        Obj(
            {
                "advertiser_id": req(Id()),
                "auth_code": req(Str()),
                "original_post_auth_code": opt(Str(), nullable=False),
            }
        ),
        EMPTY,
        "BB model/ttvideo/authorize.go",
    ),
    "tt_video/info/": Endpoint(
        "GET",
        Obj({"advertiser_id": req(Id()), "auth_code": req(Str())}),
        TT_VIDEO_ITEM,
        "BB model/ttvideo/info.go",
    ),
    "tt_video/list/": Endpoint(
        "GET",
        Obj(
            {
                "advertiser_id": req(Id()),
                "item_types": opt(List(Enum("VIDEO", "CAROUSEL"))),
                "keyword": opt(Str()),
                "page": opt(Int(1)),
                "page_size": opt(Int(1, 50)),
            }
        ),
        Obj({"list": req(List(TT_VIDEO_ITEM)), "page_info": opt(PAGE_INFO)}),
        "BB model/ttvideo/list.go (each item is a ttvideo.Item, as tt_video/info/ answers it)",
    ),
    "tt_video/unbind/": Endpoint(
        "POST", Obj({"advertiser_id": req(Id()), "item_id": req(Id())}), EMPTY, "BB model/ttvideo/unbind.go"
    ),
    "tcm/tt_video/apply/": Endpoint(
        "POST",
        Obj(
            {
                "video_id": req(Id()),
                "tcm_account_id": req(Id()),
                "authorization_days": opt(Int(7, 365), nullable=False),
                "action": opt(Enum("EXTEND"), nullable=False),
            }
        ),
        EMPTY,
        "BB model/tcm/ttvideo/apply.go (authorization_days 7|30|60|365, action EXTEND)",
        rules=(_days_are_tiktoks,),
    ),
    "tcm/tt_video/status/": Endpoint(
        "GET",
        Obj({"video_id": req(Id()), "tcm_account_id": req(Id())}),
        Obj(
            {
                "video_id": opt(Id()),
                "auth_status": opt(Enum("WAITING", "REJECTED", "ACCEPTED")),
                "auth_status_update_time": opt(Time()),
                "auth_status_updated_time": opt(Time()),
                "num_remaining_request": opt(Int(0, 30)),
                "requested_authorization_days": opt(Int(0)),
                "auth_code_status": opt(AUTH_CODE_STATUS),
                "auth_code_start_time": opt(Time()),  # absent or null while WAITING, never ""
                "auth_code_end_time": opt(Time()),
                "auth_code": opt(Str()),
            }
        ),
        "BB model/tcm/ttvideo/status.go (model.DateTime times, omitzero)",
    ),
    # A creator's own posts (the creator's tt_user token; business_id is the token's open_id)
    "business/post/authorize/setting/": Endpoint(
        "POST",
        Obj(
            {
                "business_id": req(Str(), nullable=False),
                "item_id": req(Id()),
                "is_ad_promotable": req(Bool(), nullable=False),
                "authorization_days": opt(Int(7, 365), nullable=False),
            }
        ),
        POST_AUTHORIZATION,
        "BB model/business/post/authorize_setting.go; api/business/post/authorize_setting.go (answers AuthorizeStatus)",
        rules=(_days_are_tiktoks,),
    ),
    "business/post/authorize/": Endpoint(
        "POST",
        Obj(
            {
                "business_id": req(Str(), nullable=False),
                "item_id": req(Id()),
                "authorization_days": opt(Int(7, 365), nullable=False),
            }
        ),
        POST_AUTHORIZATION,
        "BB model/business/post/authorize.go; api/business/post/authorize.go (answers AuthorizeStatus)",
        rules=(_days_are_tiktoks,),
    ),
    "business/post/authorize/status/": Endpoint(
        "GET",
        Obj({"business_id": req(Str(), nullable=False), "item_id": req(Id())}),
        POST_AUTHORIZATION,
        "BB model/business/post/authorize_status.go AuthorizeStatusRequest/AuthorizeStatus",
    ),
    "business/post/authorize/delete/": Endpoint(
        "POST",
        Obj({"business_id": req(Str(), nullable=False), "item_id": req(Id())}),
        POST_AUTHORIZATION,
        "BB model/business/post/authorize_delete.go; api/business/post/authorize_delete.go (answers AuthorizeStatus)",
    ),
    "business/video/list/": Endpoint(
        "GET",
        Obj(
            {
                "business_id": req(Str(), nullable=False),
                "fields": opt(List(Enum(*BUSINESS_VIDEO_FIELDS))),
                "filters": opt(Obj({"video_ids": opt(List(Id())), "ad_post_only": opt(Bool())})),
                "cursor": opt(Int(0)),
                "max_count": opt(Int(1, 20)),
            }
        ),
        Obj({"videos": req(List(BUSINESS_VIDEO)), "cursor": opt(Int(0)), "has_more": opt(Bool())}),
        "BB model/business/video/list.go, video.go (path business/video/list/ as TikTok's Accounts API "
        "endpoint list spells it); is_ad, media_type [CL 2026-05-15]",
    ),
}


# --- webhooks TikTok sends: what a delivery's JSON body holds ----------------------------------

TCM_VIDEOS_ENTRY = Obj(
    {
        "event_type": req(Enum("tto_campaign_webhook")),
        "video_id": req(Id()),
        "event_time": req(IsoTime()),  # "in ISO 8601 format. Example: 2024-11-18T21:57:00.070272Z"
        "handle_name": opt(Str(blank=False), nullable=False),  # "not returned" when unmatched
        "tto_campaign_event_type": req(Enum("tto_video_uploaded", "tto_video_published")),
        "campaign_id": req(Id()),
        "tto_tcm_account_id": req(Id()),
        "log_id": opt(Str(blank=False), nullable=False),
    }
)  # [BB model/subscription/webhook/tto_tcm.go TCMVideosEntity]
WEBHOOKS: dict[str, Obj] = {
    "TCM_VIDEOS": Obj(
        {
            "request_id": req(Str(blank=False)),
            "object": req(Int(10, 10)),
            "time": req(Int(0)),  # "the Unix timestamp when the notification was sent"
            "entry": req(List(TCM_VIDEOS_ENTRY, min_items=1)),
        }
    ),  # [BB model/subscription/webhook/request.go BaseRequest; enum/webhook_object.go]
}


def _ads_delivery(obj: int, entry: Obj) -> Obj:
    return Obj(
        {
            "request_id": req(Str(blank=False)),
            "object": req(Int(obj, obj)),
            "time": req(Int(0)),
            "entry": req(List(entry, min_items=1)),
        }
    )


# The ids the Go models type Uint64 (adv_id, ad ids): no source shows numbers or strings on the
# wire; the sandbox sends strings like every other id and the platform reads both.
WEBHOOKS |= {
    # object 11 [BB model/subscription/webhook/report_data_change.go ReportDataChangeEntity]:
    # per ad account, the changed metrics of the UTC day, as report/integrated/get/ spells them.
    "REPORT_DATA_CHANGE": _ads_delivery(
        11,
        Obj(
            {
                "data_level": opt(Str()),
                "message": opt(Str()),
                "changed_metrics_values": req(
                    Obj(
                        values=Obj(
                            {
                                "spend": opt(Figure()),
                                "impressions": opt(Figure()),
                                "clicks": opt(Figure()),
                                "video_play_actions": opt(Figure()),
                            }
                        )
                    )
                ),
            }
        ),
    ),
    # object 3 [BB model/subscription/webhook/adgroup.go AdEntity]: no status field; a
    # rejection carries reject_reason.
    "AD": _ads_delivery(
        3,
        Obj(
            {
                "log_id": opt(Str()),
                "adv_id": req(Id()),
                "campaign_id": opt(Id()),
                "campaign_name": opt(Str()),
                "adgroup_id": opt(Id()),
                "adgroup_name": opt(Str()),
                "reject_reason": opt(Str()),
                "ad_id": req(Id()),
                "ad_name": opt(Str()),
            }
        ),
    ),
    # object 8 [BB model/subscription/webhook/creative_fatigure.go]: lists when subscribed by
    # account, single ids when by ad; date "YYYY-MM-DD".
    "CREATIVE_FATIGUE": _ads_delivery(
        8,
        Obj(
            {
                "adv_id": req(Id()),
                "adgroup_ids": opt(List(Id())),
                "ad_ids": opt(List(Id())),
                "adgroup_id": opt(Id()),
                "ad_id": opt(Id()),
                "date": req(Time()),
            }
        ),
    ),
}


def check_request(path: str, params: dict, *, query: bool) -> list[str]:
    """Problems with a request the client sent (``query``: a GET's query string)."""
    endpoint = ENDPOINTS[path]
    problems = validate(endpoint.request, params, query=query)
    for rule in endpoint.rules:
        problem = rule(params)
        if problem:
            problems.append(problem)
    return problems
