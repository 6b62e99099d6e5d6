"""What one TikTok for Business token sees, and storing it.

Connecting and re-checking a brand's connection both work in two steps, so that nothing is
ever half-connected:

1. `discover`: every TikTok call (TikTok One accounts, their verification, ad accounts,
   Business Centers and their ADVERTISER assets). No database write. Any TikTok failure
   raises here, before anything is stored.
2. `apply`: upserts keyed by TikTok's ids (the caller holds one transaction), so a
   reconnect or a re-check updates the same rows (history kept, nothing duplicated).

The access rule (docs/sandbox.md): a TikTok One account has access to an ad account when the
advertiser is a BOUND ADVERTISER asset of a Business Center the same token sees in bc/get/.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings

from ..models import AdAccount, Brand, BusinessCenter, BusinessCenterGrant, Credential, TikTokOneAccount
from ..tiktok import BusinessClient, iter_pages
from ..tiktok.business import BcAssetPage

# TikTok's advertiser statuses under which an ad account can run ads (Spark Ads included).
RUNNABLE_AD_STATUSES = {"", "STATUS_ENABLE"}
# bc/asset/get relation_status -> our grant status.
GRANT_STATUS = {
    "BOUND": BusinessCenterGrant.Status.ACTIVE,
    "PENDING": BusinessCenterGrant.Status.PENDING,
}
BC_PAGE_SIZE = 50


@dataclass
class DiscoveredAccount:
    tto_tcm_account_id: str
    name: str = ""
    timezone: str = ""
    country: str = ""
    business_verification_status: str = TikTokOneAccount.Verification.NOT_SUBMITTED


@dataclass
class DiscoveredBC:
    bc_id: str
    name: str = ""
    status: str = BusinessCenter.Status.ENABLE
    verification_status: str = TikTokOneAccount.Verification.NOT_SUBMITTED
    user_role: str = ""
    # advertiser_id -> relation_status, for the BC's ADVERTISER assets
    advertiser_assets: dict[str, str] = field(default_factory=dict)


@dataclass
class Discovery:
    """Everything one token sees, fetched before anything is written."""

    accounts: list[DiscoveredAccount] = field(default_factory=list)
    ad_accounts: list[Mapping[str, Any]] = field(default_factory=list)
    business_centers: list[DiscoveredBC] = field(default_factory=list)

    @property
    def bound_advertiser_ids(self) -> set[str]:
        return {
            adv for bc in self.business_centers for adv, relation in bc.advertiser_assets.items() if relation == "BOUND"
        }


# --- step 1: TikTok calls only -----------------------------------------------------------


def _verification(value: str | None) -> str:
    valid = set(TikTokOneAccount.Verification.values)
    return value if value in valid else TikTokOneAccount.Verification.NOT_SUBMITTED


def discover(client: BusinessClient, advertiser_ids: list[str] | None, *, with_ads: bool = True) -> Discovery:
    """Read what the token sees. ``advertiser_ids`` None asks TikTok (oauth2/advertiser/get)."""
    found = Discovery()
    for account_id in client.tto_oauth2_tcm():
        info = client.tto_oauth2_info(account_id)
        found.accounts.append(
            DiscoveredAccount(
                tto_tcm_account_id=str(account_id),
                name=str(info.get("account_name") or ""),
                timezone=str(info.get("timezone") or ""),
                country=str(info.get("country") or ""),
                business_verification_status=_verification(info.get("business_verification_status")),
            )
        )
    if not with_ads:
        return found
    for page in iter_pages(lambda p: client.bc_get(page=p, page_size=BC_PAGE_SIZE)):
        for row in page.get("list") or []:
            bc_info = row.get("bc_info") or {}
            bc = DiscoveredBC(
                bc_id=str(bc_info.get("bc_id") or ""),
                name=str(bc_info.get("name") or ""),
                status=str(bc_info.get("status") or BusinessCenter.Status.ENABLE),
                verification_status=_verification(bc_info.get("verification_status")),
                user_role=str(row.get("user_role") or ""),
            )
            if bc.bc_id:
                found.business_centers.append(bc)
    for bc in found.business_centers:

        def assets(p: int, bc_id: str = bc.bc_id) -> BcAssetPage:
            return client.bc_asset_get(bc_id, "ADVERTISER", page=p, page_size=BC_PAGE_SIZE)

        for page in iter_pages(assets):
            for asset in page.get("list") or []:
                bc.advertiser_assets[str(asset.get("asset_id"))] = str(asset.get("relation_status") or "")
    if advertiser_ids is None:
        advertiser_ids = [str(a.get("advertiser_id")) for a in client.oauth2_advertiser_get()]
    if advertiser_ids:
        # advertiser/info takes 100 ids per call; the client batches.
        found.ad_accounts = list(client.advertiser_info(sorted(set(advertiser_ids))))
    return found


# --- step 2: upserts ---------------------------------------------------------------------


def _poll_interval() -> timedelta:
    return timedelta(seconds=settings.INTEGRATIONS_RECHECK_SECONDS)


def _next_poll(now: datetime) -> datetime:
    # A little jitter so accounts connected together do not poll together forever.
    spread = settings.INTEGRATIONS_RECHECK_SECONDS // 10
    return now + _poll_interval() + timedelta(seconds=random.randint(0, max(spread, 0)))


def _apply_accounts(
    brand: Brand | None, credential: Credential, discovery: Discovery, now: datetime
) -> list[TikTokOneAccount]:
    accounts = []
    existing = {
        a.tto_tcm_account_id: a
        for a in TikTokOneAccount.objects.filter(
            tto_tcm_account_id__in=[f.tto_tcm_account_id for f in discovery.accounts]
        )
    }
    for found in discovery.accounts:
        known = existing.get(found.tto_tcm_account_id)
        if known is not None and (known.removed_at is not None or known.brand_id != (brand.pk if brand else None)):
            # Removed by staff, or another brand's: a re-check or reconnect leaves it alone.
            continue
        account, _ = TikTokOneAccount.objects.update_or_create(
            tto_tcm_account_id=found.tto_tcm_account_id,
            defaults={
                "brand": brand,
                "name": found.name,
                "timezone": found.timezone,
                "country": found.country,
                "business_verification_status": found.business_verification_status,
                "status": TikTokOneAccount.Status.ACTIVE,
                "credential": credential,
                "last_checked_at": now,
                "next_poll_at": _next_poll(now),
                "poll_failures": 0,
            },
        )
        accounts.append(account)
    # Accounts this token used to reach but no longer does.
    seen = [a.pk for a in accounts]
    TikTokOneAccount.objects.filter(credential=credential).exclude(pk__in=seen).update(
        status=TikTokOneAccount.Status.INACTIVE, last_checked_at=now
    )
    return accounts


def _apply_business_centers(
    brand: Brand, credential: Credential, discovery: Discovery, now: datetime
) -> dict[str, BusinessCenter]:
    centers = {}
    for found in discovery.business_centers:
        bc, _ = BusinessCenter.objects.update_or_create(
            brand=brand,
            bc_id=found.bc_id,
            defaults={
                "name": found.name,
                "status": found.status,
                "verification_status": found.verification_status,
                "user_role": found.user_role if found.user_role in BusinessCenter.Role.values else "",
                "credential": credential,
                "last_checked_at": now,
            },
        )
        centers[found.bc_id] = bc
    return centers


def _apply_ad_accounts(
    brand: Brand,
    credential: Credential,
    discovery: Discovery,
    centers: dict[str, BusinessCenter],
    primary: TikTokOneAccount | None,
    now: datetime,
    restore: bool,
) -> list[AdAccount]:
    bound = discovery.bound_advertiser_ids
    ads = []
    for info in discovery.ad_accounts:
        advertiser_id = str(info.get("advertiser_id"))
        status = str(info.get("status") or "")
        restored = {"removed_at": None} if restore else {}
        ad, _ = AdAccount.objects.update_or_create(
            brand=brand,
            advertiser_id=advertiser_id,
            defaults={
                **restored,
                "name": str(info.get("name") or ""),
                "status": status,
                "currency": str(info.get("currency") or ""),
                "timezone": str(info.get("display_timezone") or info.get("timezone") or ""),
                "country": str(info.get("country") or "")[:2],
                "owner_bc": centers.get(str(info.get("owner_bc_id") or "")),
                "tto_has_access": primary is not None and advertiser_id in bound,
                "spark_ads_enabled": status in RUNNABLE_AD_STATUSES,
                "tiktok_one_account": primary,
                "credential": credential,
                "last_checked_at": now,
            },
        )
        ads.append(ad)
    # Ad accounts the token no longer reaches: kept, but without access.
    AdAccount.objects.filter(credential=credential).exclude(pk__in=[a.pk for a in ads]).update(
        tto_has_access=False, last_checked_at=now
    )
    by_advertiser = {a.advertiser_id: a for a in ads}
    for bc_id, bc in centers.items():
        found = next(b for b in discovery.business_centers if b.bc_id == bc_id)
        for advertiser_id, relation in found.advertiser_assets.items():
            status = GRANT_STATUS.get(relation, BusinessCenterGrant.Status.CANCELLED)
            grant, created = BusinessCenterGrant.objects.get_or_create(
                business_center=bc,
                asset_type=BusinessCenterGrant.AssetType.ADVERTISER,
                asset_id=advertiser_id,
                member=None,
                defaults={
                    "status": status,
                    "ad_account": by_advertiser.get(advertiser_id),
                    "granted_at": now if status == BusinessCenterGrant.Status.ACTIVE else None,
                },
            )
            if not created:
                grant.ad_account = by_advertiser.get(advertiser_id) or grant.ad_account
                if status == BusinessCenterGrant.Status.ACTIVE and grant.status != status:
                    grant.granted_at = now
                if status == BusinessCenterGrant.Status.CANCELLED and grant.status != status:
                    grant.cancelled_at = now
                grant.status = status
                grant.save()
    return ads


def _choose_spark_ad_account(brand: Brand) -> None:
    """When the brand has no active Spark ad account, make the first usable one active."""
    live = AdAccount.objects.filter(brand=brand, removed_at__isnull=True)
    if live.filter(is_active_for_spark=True).exists():
        return
    first = live.filter(tto_has_access=True, spark_ads_enabled=True).order_by("created_at", "pk").first()
    if first is not None:
        AdAccount.objects.filter(brand=brand, is_active_for_spark=True).update(is_active_for_spark=False)
        first.is_active_for_spark = True
        first.save(update_fields=["is_active_for_spark"])


def _primary(accounts: list[TikTokOneAccount]) -> TikTokOneAccount | None:
    live = [a for a in accounts if a.removed_at is None]
    return min(live, key=lambda a: (not a.is_verified, a.pk)) if live else None


def apply(
    brand: Brand | None, credential: Credential, discovery: Discovery, now: datetime, *, restore_removed: bool = False
) -> tuple[list[TikTokOneAccount], list[AdAccount]]:
    """Upsert what `discovery` found for this credential; returns (TikTok One accounts, ad accounts).

    ``restore_removed``: a brand that connects again and shares an ad account it had removed
    wants it back (the connect flow); a periodic re-check leaves removed ones removed."""
    accounts = _apply_accounts(brand, credential, discovery, now)
    if brand is None:
        # The platform's own connection: only its TikTok One accounts matter.
        primary = _primary(accounts)
        if primary is not None and not TikTokOneAccount.objects.filter(is_internal=True).exists():
            TikTokOneAccount.objects.filter(pk=primary.pk).update(is_internal=True)
        return accounts, []
    centers = _apply_business_centers(brand, credential, discovery, now)
    ads = _apply_ad_accounts(brand, credential, discovery, centers, _primary(accounts), now, restore_removed)
    _choose_spark_ad_account(brand)
    return accounts, ads
