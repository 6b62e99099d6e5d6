"""TikTok One (formerly Creator Marketplace, TCM): brand accounts, creator OAuth through the
Business app (tt_user), onboarding, discovery, campaigns, video linking, post insights.

Paths and fields: from bububa/tiktok-business
(model/tto/*, model/ttuser/*). Brand calls use the brand's token; ``tto/creator/*`` calls
use the creator's tt_user token with the ``creator_id`` from ``tt_user/token_info/get/``.
"""

from __future__ import annotations

from typing import Any, TypedDict
from urllib.parse import urlencode

from django.conf import settings

from .base import BusinessBase, TokenGrant
from .business import PageInfo

CREATOR_STATUS_BATCH = 20  # tto/tcm/creator/status/get/ takes at most 20 handle names


class TtoAccountInfo(TypedDict, total=False):
    account_name: str
    timezone: str
    country: str
    business_verification_status: str


class TokenInfo(TypedDict, total=False):
    scope: str
    creator_id: str


class CreatorInviteResult(TypedDict):
    """``tcm/creator/invite/`` normalized: handles per outcome and each rejected handle's reasons."""

    in_tcm: list[str]
    invited: list[str]
    rejected: list[str]
    reject_reasons: dict[str, list[str]]


class OnboardingStatus(TypedDict, total=False):
    handle_name: str
    status: str  # IN / NOT_IN / INVITED / INVALID


class Creator(TypedDict, total=False):
    creator_id: str
    handle_name: str
    display_name: str
    profile_image: str
    followers_count: int
    likes_count: int
    videos_count: int
    median_views: int
    engagement_rate: float
    creator_price: Any


class CreatorPage(TypedDict, total=False):
    creators: list[Creator]
    page_info: PageInfo


class Campaign(TypedDict, total=False):
    campaign_id: str
    campaign_type: str  # CAMPAIGN / BRAND_LINK
    brand_name: str
    campaign_name: str
    advertiser_ids: list[str]
    handle_names: list[str]
    invite_link: str
    failed_handle_names: list[str]
    create_time: str
    update_time: str
    campaign_description: str
    country_codes: list[str]
    brand_profile_id: str
    anchor_id: str
    dm_info: dict[str, Any]  # {business_account_handle, dm_allowed}


class BrandProfile(TypedDict, total=False):
    brand_profile_id: str
    brand_name: str
    brand_industry_id: str
    brand_website: str
    logo_url: str
    tiktok_account_url: str


class Anchor(TypedDict, total=False):
    anchor_id: str
    status: str  # DRAFT / CREATED / IN_REVIEW / APPROVED / REJECTED_BY_AUDIT
    anchor_type: str  # WEB_ANCHOR
    anchor_sub_type: str  # DESTINATION / ECOMMERCE / ENTERTAINMENT
    anchor_name: str
    anchor_title: str
    country_code: str
    call_to_action: dict[str, str]  # landing_page_url, ios/android download and deep links
    thumbnail_url: str


class AnchorPage(TypedDict, total=False):
    anchors: list[Anchor]
    page_info: PageInfo


class CampaignPage(TypedDict, total=False):
    campaigns: list[Campaign]
    page_info: PageInfo


class LinkRequests(TypedDict, total=False):
    campaign_id: str
    spark_authorization_days: int
    link_requests: list[dict[str, str]]  # {video_id, link_request_id}


class ReportPage(TypedDict, total=False):
    tto_tcm_account_id: str
    campaign_id: str
    country_code: str
    videos: list[dict[str, Any]]  # metrics per post: video_views(_organic/_paid), reach, ad_*, ...
    page_info: PageInfo


def _outcome(handles: list[str], values: Any) -> list[str]:
    """One outcome list of ``tcm/creator/invite/``: TikTok's Go model types it as one bool per
    requested handle (``invited: [true, false]``); handle names are accepted too."""
    out = []
    for i, value in enumerate(values or []):
        if isinstance(value, bool):
            if value and i < len(handles):
                out.append(handles[i])
        elif value not in (None, ""):
            out.append(str(value))
    return out


def _reasons(handles: list[str], rejected: list[str], raw: Any) -> dict[str, list[str]]:
    """``reject_reasons`` is untyped in every source ("the reasons for each handle"): a map
    handle -> its reasons, or a list in the order of the rejected handles."""

    def as_list(value: Any) -> list[str]:
        if value in (None, ""):
            return []
        return [str(v) for v in value] if isinstance(value, list) else [str(value)]

    if isinstance(raw, dict):
        return {str(h): as_list(r) for h, r in raw.items()}
    if isinstance(raw, list):
        order = rejected if len(raw) == len(rejected) else handles
        return {h: as_list(r) for h, r in zip(order, raw, strict=False)}
    return {}


def invite_result(handles: list[str], data: dict[str, Any]) -> CreatorInviteResult:
    rejected = _outcome(handles, data.get("rejected"))
    return {
        "in_tcm": [str(h) for h in data.get("in_tcm") or []],
        "invited": _outcome(handles, data.get("invited")),
        "rejected": rejected,
        "reject_reasons": _reasons(handles, rejected, data.get("reject_reasons")),
    }


class TTOMixin(BusinessBase):
    """TikTok One endpoints, named after their paths."""

    # --- Brand account -----------------------------------------------------------------

    def tto_oauth2_tcm(self) -> list[str]:
        """TikTok One account ids the brand's token reaches."""
        data = self._get("tto/oauth2/tcm/", {"app_id": self.app_id, "secret": self.secret})
        return [str(i) for i in data.get("tto_tcm_account_ids") or []]

    def tto_oauth2_info(self, tto_tcm_account_id: str) -> TtoAccountInfo:
        return self._get("tto/oauth2/info/", {"tto_tcm_account_id": tto_tcm_account_id})

    # --- Creator OAuth through the Business app (tt_user) -------------------------------

    @staticmethod
    def tt_user_authorize_url(
        state: str, redirect_uri: str, scopes: list[str], *, disable_auto_auth: bool = False
    ) -> str:
        """TikTok's consent page for a creator; ``client_key`` is the Business app id.
        ``disable_auto_auth`` always shows the consent screen, so a creator signed in to TikTok
        can pick another account instead of being sent straight back."""
        params = {
            "client_key": settings.TIKTOK_APP_ID,
            "scope": ",".join(scopes),
            "response_type": "code",
            "redirect_uri": redirect_uri,
            "state": state,
        }
        if disable_auto_auth:
            params["disable_auto_auth"] = "1"
        return f"{settings.TIKTOK_AUTH_BASE_URL}/v2/auth/authorize/?{urlencode(params)}"

    def tt_user_oauth2_token(self, auth_code: str, redirect_uri: str) -> TokenGrant:
        body = {
            "client_id": self.app_id,
            "client_secret": self.secret,
            "grant_type": "authorization_code",
            "auth_code": auth_code,
            "redirect_uri": redirect_uri,
        }
        return TokenGrant.from_response(self._post("tt_user/oauth2/token/", body, authed=False))

    def tt_user_oauth2_refresh_token(self, refresh_token: str) -> TokenGrant:
        """Rotating refresh token: call only through tokens.refresh_credential (row lock)."""
        body = {
            "client_id": self.app_id,
            "client_secret": self.secret,
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
        }
        return TokenGrant.from_response(self._post("tt_user/oauth2/refresh_token/", body, authed=False))

    def tt_user_oauth2_revoke(self, access_token: str) -> dict[str, Any]:
        body = {"client_id": self.app_id, "client_secret": self.secret, "access_token": access_token}
        return self._post("tt_user/oauth2/revoke/", body, idempotent=True, authed=False)

    def tt_user_token_info_get(self, access_token: str) -> TokenInfo:
        """Scopes and the ``creator_id`` that tto/creator/* endpoints take."""
        body = {"app_id": self.app_id, "access_token": access_token}
        return self._post("tt_user/token_info/get/", body, idempotent=True, authed=False)

    # --- Marketplace onboarding --------------------------------------------------------

    def tcm_creator_invite(
        self, tcm_account_id: str, handle_names: list[str], *, advertiser_id: str | None = None
    ) -> CreatorInviteResult:
        body = {"tcm_account_id": tcm_account_id, "handle_names": handle_names, "advertiser_id": advertiser_id}
        return invite_result(handle_names, self._post("tcm/creator/invite/", body))

    def tto_tcm_creator_status_get(self, tto_tcm_account_id: str, handle_names: list[str]) -> list[OnboardingStatus]:
        """Marketplace status of any number of handles, asked 20 at a time."""
        out: list[OnboardingStatus] = []
        for start in range(0, len(handle_names), CREATOR_STATUS_BATCH):
            chunk = handle_names[start : start + CREATOR_STATUS_BATCH]
            data = self._get(
                "tto/tcm/creator/status/get/", {"tto_tcm_account_id": tto_tcm_account_id, "handle_names": chunk}
            )
            out.extend(data.get("onboarding_status") or [])
        return out

    # --- Discovery ---------------------------------------------------------------------

    def tto_tcm_creator_discover(
        self, tto_tcm_account_id: str, *, page: int = 1, page_size: int = 20, **filters: Any
    ) -> CreatorPage:
        """Filters as TikTok names them: country_codes, min_followers, max_followers,
        min_median_views, min_engagement_rate, keyword_search, sort_field, sort_order, ..."""
        params = {"tto_tcm_account_id": tto_tcm_account_id, "page": page, "page_size": page_size, **filters}
        return self._get("tto/tcm/creator/discover/", params)

    def tto_tcm_creator_public(self, tto_tcm_account_id: str, handle_name: str) -> Creator:
        data = self._get(
            "tto/tcm/creator/public/", {"tto_tcm_account_id": tto_tcm_account_id, "handle_name": handle_name}
        )
        return data  # the creator is ``data`` itself [BB model/tto/creator CreatorResponse]

    # --- Campaigns ---------------------------------------------------------------------

    def tto_tcm_campaign_create(
        self,
        tto_tcm_account_id: str,
        *,
        campaign_name: str,
        brand_name: str,
        campaign_type: str = "CAMPAIGN",
        campaign_description: str | None = None,
        advertiser_ids: list[str] | None = None,
        handle_names: list[str] | None = None,
        send_notification: bool | None = None,
        default_spark_ads_requested_authorization_days: int | None = None,
        brand_profile_id: str | None = None,
        anchor_id: str | None = None,
        business_account_handle: str | None = None,
    ) -> Campaign:
        """Returns ``campaign_id`` and the ``invite_link`` creators join with. The arguments
        are the request's fields [BB model/tto/campaign/campaign.go CreateRequest]; the
        campaign's ``country_codes`` and ``dm_info`` are TikTok's to report, not to be sent."""
        body = {
            "tto_tcm_account_id": tto_tcm_account_id,
            "campaign_type": campaign_type,
            "campaign_name": campaign_name,
            "brand_name": brand_name,
            "campaign_description": campaign_description,
            "advertiser_ids": advertiser_ids,
            "handle_names": handle_names,
            "send_notification": send_notification,
            "default_spark_ads_requested_authorization_days": default_spark_ads_requested_authorization_days,
            "brand_profile_id": brand_profile_id,
            "anchor_id": anchor_id,
            "business_account_handle": business_account_handle,
        }
        return self._post("tto/tcm/campaign/create/", body)

    def tto_tcm_campaign_get(
        self,
        tto_tcm_account_id: str,
        *,
        campaign_ids: list[str] | None = None,
        campaign_type: str | None = None,
        page: int = 1,
        page_size: int = 20,
    ) -> CampaignPage:
        # The read endpoint is GET tto/tcm/campaign/ (no "get/" suffix) [BB api/tto/campaign].
        return self._get(
            "tto/tcm/campaign/",
            {
                "tto_tcm_account_id": tto_tcm_account_id,
                "campaign_ids": campaign_ids,
                "campaign_type": campaign_type,
                "page": page,
                "page_size": page_size,
            },
        )

    # --- Brand profiles and anchors a campaign points at ----------------------------------

    def tto_tcm_brand_profile_create(self, tto_tcm_account_id: str, brand_name: str, **fields: Any) -> BrandProfile:
        """Extra fields: brand_industry_id, brand_website, logo_url, tiktok_account_url."""
        return self._post(
            "tto/tcm/brand/profile/create/",
            {"tto_tcm_account_id": tto_tcm_account_id, "brand_name": brand_name, **fields},
        )

    def tto_tcm_anchor_create(
        self,
        tto_tcm_account_id: str,
        *,
        anchor_sub_type: str,
        anchor_name: str,
        anchor_title: str,
        call_to_action: dict[str, str],
        anchor_type: str = "WEB_ANCHOR",
        **fields: Any,
    ) -> Anchor:
        """Extra fields: country_code, category_label_id, thumbnail_url. TikTok reviews the
        anchor after it is made (``status``)."""
        body = {
            "tto_tcm_account_id": tto_tcm_account_id,
            "anchor_type": anchor_type,
            "anchor_sub_type": anchor_sub_type,
            "anchor_name": anchor_name,
            "anchor_title": anchor_title,
            "call_to_action": call_to_action,
            **fields,
        }
        return self._post("tto/tcm/anchor/create/", body)

    def tto_tcm_anchor_get(
        self, tto_tcm_account_id: str, *, anchor_ids: list[str] | None = None, page: int = 1, page_size: int = 20
    ) -> AnchorPage:
        return self._get(
            "tto/tcm/anchor/get/",
            {"tto_tcm_account_id": tto_tcm_account_id, "anchor_ids": anchor_ids, "page": page, "page_size": page_size},
        )

    def tto_tcm_anchor_delete(self, tto_tcm_account_id: str, anchor_id: str) -> dict[str, Any]:
        return self._post(
            "tto/tcm/anchor/delete/",
            {"tto_tcm_account_id": tto_tcm_account_id, "anchor_id": anchor_id},
            idempotent=True,
        )

    # --- Creator side (creator's tt_user token) -----------------------------------------

    def tto_creator_campaign_join(self, creator_id: str, tto_invite_link: str) -> dict[str, Any]:
        return self._post(
            "tto/creator/campaign/join/",
            {"creator_id": creator_id, "tto_invite_link": tto_invite_link},
            idempotent=True,
        )

    def tto_creator_campaign_video_link(self, creator_id: str, tto_invite_link: str, video_id: str) -> dict[str, Any]:
        body = {"creator_id": creator_id, "tto_invite_link": tto_invite_link, "video_id": video_id}
        return self._post("tto/creator/campaign/video/link/", body, idempotent=True)

    def tto_creator_link_request_get(self, creator_id: str, tto_invite_link: str) -> LinkRequests:
        return self._get(
            "tto/creator/link/request/get/", {"creator_id": creator_id, "tto_invite_link": tto_invite_link}
        )

    def tto_creator_link_request_confirm(self, creator_id: str, link_request_id: str, action: str) -> dict[str, Any]:
        """``action``: APPROVE or REJECT."""
        body = {"creator_id": creator_id, "link_request_id": link_request_id, "action": action}
        return self._post("tto/creator/link/request/confirm/", body, idempotent=True)

    def tto_creator_authorized(self, creator_id: str, fields: list[str] | None = None) -> Creator:
        """The authorized creator's own profile and stats [BB model/tto/creator AuthorizedGetRequest]."""
        return self._get("tto/creator/authorized/", {"creator_id": creator_id, "fields": fields})

    def tto_creator_authorized_video_list(
        self,
        creator_id: str,
        *,
        video_ids: list[str] | None = None,
        cursor: int | None = None,
        limit: int | None = None,
    ) -> dict[str, Any]:
        """The creator's published posts: ``posts[]``, ``has_more``, ``cursor``."""
        return self._get(
            "tto/creator/authorized/video/list/",
            {"creator_id": creator_id, "video_ids": video_ids, "cursor": cursor, "limit": limit},
        )

    # --- Post insights -----------------------------------------------------------------

    def tto_tcm_report(
        self,
        tto_tcm_account_id: str,
        campaign_id: str,
        *,
        start_date: str | None = None,
        end_date: str | None = None,
        page: int = 1,
        page_size: int = 20,
        country_code: str | None = None,
    ) -> ReportPage:
        """One page of per-post metrics; ``country_code`` goes in the ``Country-Code`` header.
        Walk all pages with ``iter_pages(lambda p: client.tto_tcm_report(..., page=p))``."""
        params = {
            "tto_tcm_account_id": tto_tcm_account_id,
            "campaign_id": campaign_id,
            "start_date": start_date,
            "end_date": end_date,
            "page": page,
            "page_size": page_size,
        }
        headers = {"Country-Code": country_code} if country_code else None
        return self._get("tto/tcm/report/", params, headers=headers)
