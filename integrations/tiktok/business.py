"""API for Business: advertiser OAuth, ad accounts, Business Center, subscriptions.

Paths and fields: from the official Python SDK
(tiktok/tiktok-business-api-sdk) and bububa/tiktok-business. Results are the envelope's
``data``, typed with TypedDicts (plain dicts at runtime; unknown fields are kept).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypedDict
from urllib.parse import urlencode

from django.conf import settings

from .base import BusinessBase, TokenGrant

ADVERTISER_INFO_BATCH = 100  # advertiser/info takes at most 100 ids per call (Airbyte batches so)


class PageInfo(TypedDict, total=False):
    page: int
    page_size: int
    total_number: int
    total_page: int


class Advertiser(TypedDict, total=False):
    advertiser_id: str
    advertiser_name: str


class AdvertiserInfo(TypedDict, total=False):
    advertiser_id: str
    name: str
    status: str
    role: str
    currency: str
    timezone: str
    display_timezone: str
    company: str
    country: str
    owner_bc_id: str
    advertiser_account_type: str
    balance: float
    create_time: int


class RevokeResult(TypedDict, total=False):
    app_id: str
    advertiser_ids: list[str]


class BcInfo(TypedDict, total=False):
    bc_id: str
    name: str
    company: str
    currency: str
    timezone: str
    status: str  # REVIEWING / DENY / ENABLE / PUNISH
    type: str
    verification_status: str  # NOT_SUBMITTED / REVIEWING / VERIFIED / FAILED / EXPIRED


class BusinessCenter(TypedDict, total=False):
    bc_info: BcInfo
    user_role: str  # ADMIN / STANDARD
    ext_user_role: dict[str, str]


class BcPage(TypedDict, total=False):
    list: list[BusinessCenter]
    page_info: PageInfo


class BcMember(TypedDict, total=False):
    user_id: str
    user_name: str
    user_email: str
    user_role: str
    relation_status: str
    advertiser_role: str
    catalog_role: str
    ext_user_role: dict[str, str]


class BcMemberPage(TypedDict, total=False):
    list: list[BcMember]
    page_info: PageInfo


class BcAsset(TypedDict, total=False):
    asset_id: str
    asset_name: str
    asset_type: str
    relation_type: str  # OWNER_BC / OWNER_PARTNER / OWNER_INDIVIDUAL
    relation_status: str  # BOUND / UNBOUND / PENDING / REJECTED
    advertiser_status: str
    advertiser_account_type: str
    advertiser_role: str
    tt_account_roles: list[str]  # POST / LIVE / DIRECT_MESSAGE
    business_account_role: str
    owner_bc_name: str | None
    tt_asset_handle: str
    is_business_verified: bool


class BcAssetPage(TypedDict, total=False):
    list: list[BcAsset]
    page_info: PageInfo


class BusinessMixin(BusinessBase):
    """Endpoints of the advertiser/Business Center family, named after their paths."""

    # --- OAuth -------------------------------------------------------------------------

    @staticmethod
    def portal_auth_url(state: str, redirect_uri: str) -> str:
        """Where "Add TikTok One and Ad Account" sends the brand; the callback gets ``auth_code``."""
        query = urlencode({"app_id": settings.TIKTOK_APP_ID, "state": state, "redirect_uri": redirect_uri})
        return f"{settings.TIKTOK_BUSINESS_API_BASE_URL}/portal/auth?{query}"

    def oauth2_access_token(self, auth_code: str, *, return_advertiser_ids: bool | None = None) -> TokenGrant:
        """Exchange the callback's single-use ``auth_code`` (valid 1 h) for a long-term token."""
        body = {
            "app_id": self.app_id,
            "secret": self.secret,
            "auth_code": auth_code,
            "return_advertiser_ids": return_advertiser_ids,
        }
        return TokenGrant.from_response(self._post("oauth2/access_token/", body, authed=False))

    def oauth2_revoke_token(self, access_token: str) -> RevokeResult:
        body = {"app_id": self.app_id, "secret": self.secret, "access_token": access_token}
        return self._post("oauth2/revoke_token/", body, idempotent=True, authed=False)

    def oauth2_advertiser_get(self) -> list[Advertiser]:
        data = self._get("oauth2/advertiser/get/", {"app_id": self.app_id, "secret": self.secret})
        return data.get("list") or []

    # --- Ad accounts -------------------------------------------------------------------

    def advertiser_info(self, advertiser_ids: Iterable[str], fields: list[str] | None = None) -> list[AdvertiserInfo]:
        """Details of any number of ad accounts, fetched 100 ids per call."""
        ids = [str(a) for a in advertiser_ids]
        out: list[AdvertiserInfo] = []
        for start in range(0, len(ids), ADVERTISER_INFO_BATCH):
            chunk = ids[start : start + ADVERTISER_INFO_BATCH]
            data = self._get("advertiser/info/", {"advertiser_ids": chunk, "fields": fields})
            out.extend(data.get("list") or [])
        return out

    # --- Business Center ---------------------------------------------------------------

    def bc_get(self, *, bc_id: str | None = None, page: int = 1, page_size: int = 50) -> BcPage:
        return self._get("bc/get/", {"bc_id": bc_id, "page": page, "page_size": page_size})

    def bc_member_get(
        self, bc_id: str, *, filtering: dict[str, Any] | None = None, page: int = 1, page_size: int = 20
    ) -> BcMemberPage:
        return self._get(
            "bc/member/get/", {"bc_id": bc_id, "filtering": filtering, "page": page, "page_size": page_size}
        )

    def bc_asset_get(
        self,
        bc_id: str,
        asset_type: str,
        *,
        filtering: dict[str, Any] | None = None,
        page: int = 1,
        page_size: int = 50,
    ) -> BcAssetPage:
        """``asset_type``: ADVERTISER, TT_ACCOUNT, CATALOG, PIXEL, ... (required by TikTok)."""
        return self._get(
            "bc/asset/get/",
            {"bc_id": bc_id, "asset_type": asset_type, "filtering": filtering, "page": page, "page_size": page_size},
        )

    def bc_asset_assign(
        self,
        bc_id: str,
        user_id: str,
        asset_type: str,
        asset_id: str,
        *,
        advertiser_role: str | None = None,
        tt_account_roles: list[str] | None = None,
        catalog_role: str | None = None,
    ) -> dict[str, Any]:
        """Give a member an asset: ``advertiser_role`` ADMIN/OPERATOR/ANALYST for ad accounts,
        ``tt_account_roles`` [POST, LIVE, DIRECT_MESSAGE] for TT_ACCOUNT assets."""
        body = {
            "bc_id": bc_id,
            "user_id": user_id,
            "asset_type": asset_type,
            "asset_id": asset_id,
            "advertiser_role": advertiser_role,
            "tt_account_roles": tt_account_roles,
            "catalog_role": catalog_role,
        }
        return self._post("bc/asset/assign/", body, idempotent=True)

    def bc_asset_unassign(self, bc_id: str, user_id: str, asset_type: str, asset_id: str) -> dict[str, Any]:
        body = {"bc_id": bc_id, "user_id": user_id, "asset_type": asset_type, "asset_id": asset_id}
        return self._post("bc/asset/unassign/", body, idempotent=True)

    def bc_asset_account_authorization(self, bc_id: str) -> str:
        """The account-agnostic link (``bc_auth_qr_code``) to render as a QR code."""
        return str(self._get("bc/asset/account/authorization/", {"bc_id": bc_id}).get("bc_auth_qr_code") or "")

    # --- Webhook subscriptions ---------------------------------------------------------

    def subscription_subscribe(
        self, subscribe_entity: str, callback_url: str, subscription_detail: dict[str, Any]
    ) -> str:
        """Subscribe e.g. TCM_VIDEOS (detail needs ``tto_tcm_account_id`` and ``access_token``);
        returns ``subscription_id``."""
        body = {
            "app_id": self.app_id,
            "secret": self.secret,
            "subscribe_entity": subscribe_entity,
            "callback_url": callback_url,
            "subscription_detail": subscription_detail,
        }
        return str(self._post("subscription/subscribe/", body, authed=False).get("subscription_id") or "")

    def subscription_unsubscribe(self, subscription_id: str) -> str:
        """End a subscription (Go SDK api/subscription/unsubscribe.go); returns its id."""
        body = {"app_id": self.app_id, "secret": self.secret, "subscription_id": subscription_id}
        return str(self._post("subscription/unsubscribe/", body, authed=False).get("subscription_id") or "")
