"""How the client calls each endpoint, with arguments a product flow would pass.

`CALLS[path] = Call(run, returns)`: ``run(client)`` calls the one client method for that
path; ``returns`` says what the method hands back from TikTok's ``data``: "data" (as sent,
unknown fields and enum values included), or a named transformation the tests check apart.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from integrations.tiktok import BusinessClient

TTO = "7200000000000000001"
ADV = "7300000000000000001"
BC = "7400000000000000001"
CREATOR = "7500000000000000001"
VIDEO = "7700000000000000101"
CAMPAIGN = "7900000000000000001"
ANCHOR = "7600000000000000901"
LINK = "https://www.tiktok.com/tto/invite/spring-launch"
OPEN_ID = "open-7500000000000000001"


@dataclass(frozen=True)
class Call:
    method: str  # the client method's name
    run: Callable[[BusinessClient], Any]
    returns: str = "data"


CALLS: dict[str, Call] = {
    "oauth2/access_token/": Call("oauth2_access_token", lambda c: c.oauth2_access_token("auth.code"), "grant"),
    "oauth2/revoke_token/": Call("oauth2_revoke_token", lambda c: c.oauth2_revoke_token("act.brand")),
    "oauth2/advertiser/get/": Call("oauth2_advertiser_get", lambda c: c.oauth2_advertiser_get(), "list"),
    "advertiser/info/": Call("advertiser_info", lambda c: c.advertiser_info([ADV]), "list"),
    "bc/get/": Call("bc_get", lambda c: c.bc_get(page=1)),
    "bc/member/get/": Call("bc_member_get", lambda c: c.bc_member_get(BC, filtering={"user_role": "ADMIN"})),
    "bc/asset/get/": Call("bc_asset_get", lambda c: c.bc_asset_get(BC, "TT_ACCOUNT")),
    "bc/asset/assign/": Call(
        "bc_asset_assign",
        lambda c: c.bc_asset_assign(BC, "7100000000000000002", "ADVERTISER", ADV, advertiser_role="OPERATOR"),
    ),
    "bc/asset/unassign/": Call(
        "bc_asset_unassign", lambda c: c.bc_asset_unassign(BC, "7100000000000000002", "ADVERTISER", ADV)
    ),
    "bc/asset/account/authorization/": Call(
        "bc_asset_account_authorization", lambda c: c.bc_asset_account_authorization(BC), "qr_link"
    ),
    "subscription/subscribe/": Call(
        "subscription_subscribe",
        lambda c: c.subscription_subscribe(
            "TCM_VIDEOS", "https://platform.example/hooks/", {"tto_tcm_account_id": TTO, "access_token": "act.brand"}
        ),
        "subscription_id",
    ),
    "subscription/unsubscribe/": Call(
        "subscription_unsubscribe", lambda c: c.subscription_unsubscribe("7300000000000000073"), "subscription_id"
    ),
    "tto/oauth2/tcm/": Call("tto_oauth2_tcm", lambda c: c.tto_oauth2_tcm(), "account_ids"),
    "tto/oauth2/info/": Call("tto_oauth2_info", lambda c: c.tto_oauth2_info(TTO)),
    "tt_user/oauth2/token/": Call(
        "tt_user_oauth2_token", lambda c: c.tt_user_oauth2_token("code.1", "https://platform.example/cb/"), "grant"
    ),
    "tt_user/oauth2/refresh_token/": Call(
        "tt_user_oauth2_refresh_token", lambda c: c.tt_user_oauth2_refresh_token("rft.1"), "grant"
    ),
    "tt_user/oauth2/revoke/": Call("tt_user_oauth2_revoke", lambda c: c.tt_user_oauth2_revoke("act.creator")),
    "tt_user/token_info/get/": Call("tt_user_token_info_get", lambda c: c.tt_user_token_info_get("act.creator")),
    "tcm/creator/invite/": Call(
        "tcm_creator_invite", lambda c: c.tcm_creator_invite(TTO, ["demo.creator", "small.creator"]), "invite"
    ),
    "tto/tcm/creator/status/get/": Call(
        "tto_tcm_creator_status_get", lambda c: c.tto_tcm_creator_status_get(TTO, ["demo.creator"]), "statuses"
    ),
    "tto/tcm/creator/discover/": Call(
        "tto_tcm_creator_discover",
        lambda c: c.tto_tcm_creator_discover(
            TTO, country_codes=["US"], min_followers=10000, follower_age="18-24", sort_field="FOLLOWERS"
        ),
    ),
    "tto/tcm/creator/public/": Call("tto_tcm_creator_public", lambda c: c.tto_tcm_creator_public(TTO, "demo.creator")),
    "tto/tcm/campaign/create/": Call(
        "tto_tcm_campaign_create",
        lambda c: c.tto_tcm_campaign_create(
            TTO,
            campaign_name="Summer",
            brand_name="Demo Brand",
            advertiser_ids=[ADV],
            handle_names=["demo.creator"],
            send_notification=True,
            default_spark_ads_requested_authorization_days=30,
            brand_profile_id="7500000000000000901",
            anchor_id=ANCHOR,
            business_account_handle="demo.brand",
        ),
    ),
    "tto/tcm/campaign/": Call("tto_tcm_campaign_get", lambda c: c.tto_tcm_campaign_get(TTO, campaign_ids=[CAMPAIGN])),
    "tto/tcm/brand/profile/create/": Call(
        "tto_tcm_brand_profile_create",
        lambda c: c.tto_tcm_brand_profile_create(
            TTO, "Demo Brand", brand_website="https://demo.example", tiktok_account_url="https://www.tiktok.com/@demo"
        ),
    ),
    "tto/tcm/anchor/create/": Call(
        "tto_tcm_anchor_create",
        lambda c: c.tto_tcm_anchor_create(
            TTO,
            anchor_sub_type="ECOMMERCE",
            anchor_name="Shop",
            anchor_title="Shop the drop",
            call_to_action={"landing_page_url": "https://demo.example/shop"},
            country_code="US",
        ),
    ),
    "tto/tcm/anchor/get/": Call("tto_tcm_anchor_get", lambda c: c.tto_tcm_anchor_get(TTO, anchor_ids=[ANCHOR])),
    "tto/tcm/anchor/delete/": Call("tto_tcm_anchor_delete", lambda c: c.tto_tcm_anchor_delete(TTO, ANCHOR)),
    "tto/tcm/report/": Call(
        "tto_tcm_report",
        lambda c: c.tto_tcm_report(TTO, CAMPAIGN, start_date="2026-03-01", end_date="2026-03-31", country_code="US"),
    ),
    "tto/creator/campaign/join/": Call(
        "tto_creator_campaign_join", lambda c: c.tto_creator_campaign_join(CREATOR, LINK)
    ),
    "tto/creator/campaign/video/link/": Call(
        "tto_creator_campaign_video_link", lambda c: c.tto_creator_campaign_video_link(CREATOR, LINK, VIDEO)
    ),
    "tto/creator/link/request/get/": Call(
        "tto_creator_link_request_get", lambda c: c.tto_creator_link_request_get(CREATOR, LINK)
    ),
    "tto/creator/link/request/confirm/": Call(
        "tto_creator_link_request_confirm",
        lambda c: c.tto_creator_link_request_confirm(CREATOR, "7910000000000000001", "APPROVE"),
    ),
    "tto/creator/authorized/": Call("tto_creator_authorized", lambda c: c.tto_creator_authorized(CREATOR)),
    "tto/creator/authorized/video/list/": Call(
        "tto_creator_authorized_video_list", lambda c: c.tto_creator_authorized_video_list(CREATOR, video_ids=[VIDEO])
    ),
    "identity/get/": Call(
        "identity_get",
        lambda c: c.identity_get(ADV, identity_type="BC_AUTH_TT", identity_authorized_bc_id=BC),
    ),
    "identity/video/get/": Call(
        "identity_video_get",
        lambda c: c.identity_video_get(
            ADV, "7350000000000000001", "BC_AUTH_TT", identity_authorized_bc_id=BC, cursor="1767225600"
        ),
    ),
    "ad/get/": Call(
        "ad_get", lambda c: c.ad_get(ADV, filtering={"modified_after": "2026-03-01 00:00:00"}, page_size=1000)
    ),
    "report/integrated/get/": Call(
        "report_integrated_get",
        lambda c: c.report_integrated_get(
            [ADV], metrics=["spend", "impressions"], start_date=date(2026, 3, 1), end_date=date(2026, 3, 30), daily=True
        ),
    ),
    "identity/music/authorization/": Call(
        "identity_music_authorization",
        lambda c: c.identity_music_authorization(
            ADV,
            VIDEO,
            "7100000000000000001",
            "AUTH_CODE",
            locations=["US"],
            start_time=datetime(2026, 3, 1, tzinfo=UTC),
            end_time=datetime(2026, 4, 30, tzinfo=UTC),
        ),
    ),
    "adgroup/get/": Call(
        "adgroup_get",
        lambda c: c.adgroup_get(
            ADV, adgroup_ids=["1700000000000000001"], fields=["adgroup_id", "schedule_type", "schedule_end_time"]
        ),
    ),
    "asset/bind/quota/": Call("asset_bind_quota", lambda c: c.asset_bind_quota(ADV, "7100000000000000777")),
    "tt_video/authorize/": Call("tt_video_authorize", lambda c: c.tt_video_authorize(ADV, "#SparkCode1")),
    "tt_video/info/": Call("tt_video_info", lambda c: c.tt_video_info(ADV, "#SparkCode1")),
    "tt_video/list/": Call(
        "tt_video_list", lambda c: c.tt_video_list(ADV, keyword=VIDEO, item_types=["VIDEO"], page=1, page_size=50)
    ),
    "tt_video/unbind/": Call("tt_video_unbind", lambda c: c.tt_video_unbind(ADV, VIDEO)),
    "tcm/tt_video/apply/": Call("tcm_tt_video_apply", lambda c: c.tcm_tt_video_apply(VIDEO, TTO, 60, extend=True)),
    "tcm/tt_video/status/": Call("tcm_tt_video_status", lambda c: c.tcm_tt_video_status(VIDEO, TTO)),
    "business/post/authorize/setting/": Call(
        "business_post_authorize_setting",
        lambda c: c.business_post_authorize_setting(OPEN_ID, VIDEO, is_ad_promotable=True, authorization_days=60),
    ),
    "business/post/authorize/": Call(
        "business_post_authorize", lambda c: c.business_post_authorize(OPEN_ID, VIDEO, 30)
    ),
    "business/post/authorize/status/": Call(
        "business_post_authorize_status", lambda c: c.business_post_authorize_status(OPEN_ID, VIDEO)
    ),
    "business/post/authorize/delete/": Call(
        "business_post_authorize_delete", lambda c: c.business_post_authorize_delete(OPEN_ID, VIDEO)
    ),
    "business/video/list/": Call(
        "business_video_list",
        lambda c: c.business_video_list(OPEN_ID, fields=["caption", "is_ad"], video_ids=[VIDEO], cursor=1767225600000),
    ),
}
# Methods that build a URL for the browser rather than call TikTok.
URL_BUILDERS = {"portal_auth_url", "tt_user_authorize_url"}
