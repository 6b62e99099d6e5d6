"""Brand connects TikTok One and ad accounts; the periodic re-check of a connection.

Both work in two steps so that nothing is ever half-connected:

1. ``discover``: every TikTok call (TikTok One accounts, their verification, ad accounts,
   Business Centers and their ADVERTISER assets). No database write. Any TikTok failure
   raises here, before anything is stored.
2. ``_apply``: one transaction of upserts keyed by TikTok's ids, so a reconnect or a
   re-check updates the same rows (history kept, nothing duplicated).

The access rule (docs/sandbox.md): a TikTok One account has access to an ad account when the
advertiser is a BOUND ADVERTISER asset of a Business Center the same token sees in bc/get/.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from .capability import ENABLED, NO_TIKTOK_ONE_ACCOUNT, Capability, spark_ads_capability
from .models import (
    AdAccount,
    Brand,
    BrandMembership,
    BrandNotice,
    BusinessCenter,
    BusinessCenterGrant,
    Credential,
    TikTokOneAccount,
)
from .tiktok import BusinessClient, Kind, TikTokError, iter_pages
from .tiktok import tokens as tiktok_tokens
from .tiktok.business import BcAssetPage

logger = logging.getLogger("integrations.flows")

# TikTok's advertiser statuses under which an ad account can run ads (Spark Ads included).
RUNNABLE_AD_STATUSES = {"", "STATUS_ENABLE"}
# bc/asset/get relation_status -> our grant status.
GRANT_STATUS = {
    "BOUND": BusinessCenterGrant.Status.ACTIVE,
    "PENDING": BusinessCenterGrant.Status.PENDING,
}
BC_PAGE_SIZE = 50


class ConnectError(Exception):
    """A connect attempt that stored nothing; ``message`` is for the brand's page."""

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable


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


@dataclass
class ConnectResult:
    credential: Credential
    accounts: list[TikTokOneAccount]
    ad_accounts: list[AdAccount]
    capability: Capability | None
    reused: bool


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


# --- step 2: one transaction of upserts --------------------------------------------------


def _conflicts(brand: Brand | None, discovery: Discovery) -> list[TikTokOneAccount]:
    ids = [a.tto_tcm_account_id for a in discovery.accounts]
    taken = TikTokOneAccount.objects.filter(tto_tcm_account_id__in=ids)
    if brand is None:
        return list(taken.filter(brand__isnull=False))
    return list(taken.exclude(brand=brand))


def _reusable_credential(brand: Brand | None, discovery: Discovery) -> Credential | None:
    """The credential row of an earlier connection of the same TikTok accounts, if any."""
    ids = [a.tto_tcm_account_id for a in discovery.accounts]
    account = (
        TikTokOneAccount.objects.filter(tto_tcm_account_id__in=ids, brand=brand, credential__isnull=False)
        .select_related("credential")
        .order_by("pk")
        .first()
    )
    if account is not None:
        return account.credential
    if brand is None:
        return None
    advertisers = [str(a.get("advertiser_id")) for a in discovery.ad_accounts]
    ad = (
        AdAccount.objects.filter(brand=brand, advertiser_id__in=advertisers, credential__isnull=False)
        .select_related("credential")
        .order_by("pk")
        .first()
    )
    return ad.credential if ad else None


def _poll_interval() -> timedelta:
    return timedelta(seconds=settings.INTEGRATIONS_RECHECK_SECONDS)


def _next_poll(now):
    # A little jitter so accounts connected together do not poll together forever.
    spread = settings.INTEGRATIONS_RECHECK_SECONDS // 10
    return now + _poll_interval() + timedelta(seconds=random.randint(0, max(spread, 0)))


def _apply_accounts(brand, credential, discovery, now) -> list[TikTokOneAccount]:
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


def _apply_business_centers(brand, credential, discovery, now) -> dict[str, BusinessCenter]:
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


def _apply_ad_accounts(brand, credential, discovery, centers, primary, now) -> list[AdAccount]:
    bound = discovery.bound_advertiser_ids
    ads = []
    for info in discovery.ad_accounts:
        advertiser_id = str(info.get("advertiser_id"))
        status = str(info.get("status") or "")
        ad, _ = AdAccount.objects.update_or_create(
            brand=brand,
            advertiser_id=advertiser_id,
            defaults={
                "name": str(info.get("name") or ""),
                "status": status,
                "currency": str(info.get("currency") or ""),
                "timezone": str(info.get("display_timezone") or info.get("timezone") or ""),
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


def _apply(brand: Brand | None, credential: Credential, discovery: Discovery, now) -> tuple[list, list]:
    accounts = _apply_accounts(brand, credential, discovery, now)
    if brand is None:
        # The platform's own connection: only its TikTok One accounts matter.
        primary = _primary(accounts)
        if primary is not None and not TikTokOneAccount.objects.filter(is_internal=True).exists():
            TikTokOneAccount.objects.filter(pk=primary.pk).update(is_internal=True)
        return accounts, []
    centers = _apply_business_centers(brand, credential, discovery, now)
    ads = _apply_ad_accounts(brand, credential, discovery, centers, _primary(accounts), now)
    _choose_spark_ad_account(brand)
    return accounts, ads


# --- connect -----------------------------------------------------------------------------


def _friendly(exc: TikTokError) -> ConnectError:
    if exc.kind == Kind.TRANSIENT:
        return ConnectError(
            "TikTok is busy or not answering right now, so nothing was connected. "
            "Please try “Add TikTok One and Ad Account” again in a minute.",
            retryable=True,
        )
    if exc.path.endswith("oauth2/access_token/"):
        return ConnectError(
            "TikTok did not accept this authorization: it has expired or was already used. "
            "Nothing was connected; click “Add TikTok One and Ad Account” to start again."
        )
    return ConnectError(
        "TikTok refused to share your accounts with this platform, so nothing was connected. "
        "Try again, and if it keeps happening contact support with this code: "
        f"{exc.code}{f' ({exc.request_id})' if exc.request_id else ''}."
    )


def _revoke_quietly(access_token: str) -> None:
    try:
        BusinessClient().oauth2_revoke_token(access_token)
    except TikTokError as exc:
        logger.warning("could not revoke an unused token code=%s request_id=%s", exc.code, exc.request_id)


@transaction.atomic
def _store(brand: Brand | None, grant, discovery: Discovery, user, now):
    """Write the connection in one transaction: the credential (reused on reconnect) and
    every upsert. Raises ConnectError (rolled back) for an account of another brand."""
    conflicts = _conflicts(brand, discovery)
    if conflicts:
        names = ", ".join(f"“{c}”" for c in conflicts)
        raise ConnectError(
            f"The TikTok One account {names} is already connected elsewhere on this platform, so "
            "nothing was connected. Contact support to move it to this brand."
        )
    credential = _reusable_credential(brand, discovery)
    reused = credential is not None
    credential = credential or Credential(kind=Credential.Kind.BUSINESS, brand=brand)
    if user is not None and user.is_authenticated:
        credential.user = user
    credential.access_token = grant.access_token
    credential.refresh_token = ""
    credential.access_expires_at = grant.access_expires_at(now)
    credential.scopes = grant.scope
    seen = [str(a.get("advertiser_id")) for a in discovery.ad_accounts]
    credential.advertiser_ids = seen or list(grant.advertiser_ids)
    credential.status = Credential.Status.OK
    credential.last_refreshed_at = now
    credential.last_used_at = now
    credential.last_error = ""
    credential.last_error_at = None
    credential.save()
    accounts, ads = _apply(brand, credential, discovery, now)
    return credential, accounts, ads, reused


def connect(brand: Brand | None, auth_code: str, *, user=None) -> ConnectResult:
    """Exchange the portal's ``auth_code`` and store everything the token sees.

    ``brand=None`` connects the platform's own TikTok One account (staff only). Raises
    ConnectError with nothing stored.
    """
    try:
        grant = BusinessClient().oauth2_access_token(auth_code)
    except TikTokError as exc:
        raise _friendly(exc) from exc
    try:
        discovery = discover(
            BusinessClient(grant.access_token), grant.advertiser_ids or None, with_ads=brand is not None
        )
    except TikTokError as exc:
        _revoke_quietly(grant.access_token)
        raise _friendly(exc) from exc
    if brand is None and not discovery.accounts:
        _revoke_quietly(grant.access_token)
        raise ConnectError("That TikTok for Business user has no TikTok One account; nothing was connected.")

    now = timezone.now()
    try:
        credential, accounts, ads, reused = _store(brand, grant, discovery, user, now)
    except IntegrityError as exc:  # another connect of the same accounts committed first
        _revoke_quietly(grant.access_token)
        raise ConnectError(
            "Another connection of these accounts was saved at the same moment; nothing was "
            "changed by this one. Reload the page to see it.",
            retryable=True,
        ) from exc
    except ConnectError:
        _revoke_quietly(grant.access_token)
        raise
    capability = None
    if brand is not None:
        # Notices describe the connection before this fresh one (e.g. "reconnect"): done with.
        BrandNotice.objects.filter(brand=brand, dismissed_at__isnull=True).update(dismissed_at=now)
        capability = record_capability(brand, notify=False)
    logger.info(
        "connected brand=%s credential=%s reused=%s accounts=%d ad_accounts=%d",
        brand.pk if brand else "platform",
        credential.pk,
        reused,
        len(accounts),
        len(ads),
    )
    return ConnectResult(credential, accounts, ads, capability, reused)


# --- the capability, remembered, and told to owners when it changes ----------------------


def record_capability(brand: Brand, *, notify: bool = True) -> Capability:
    """Compute the capability; when its case differs from the last one told, remember it and
    (with ``notify``) tell the brand's owners by email and on the page."""
    capability = spark_ads_capability(brand)
    previous = brand.spark_capability_case
    if capability.case == previous:
        return capability
    Brand.objects.filter(pk=brand.pk).update(
        spark_capability_case=capability.case, spark_capability_changed_at=timezone.now()
    )
    brand.spark_capability_case = capability.case
    if notify and previous:
        _tell_owners(brand, capability, previous)
    return capability


def _tell_owners(brand: Brand, capability: Capability, previous: str) -> None:
    if capability.enabled:
        headline = "Spark Ads are now enabled"
        level = BrandNotice.Level.SUCCESS
    elif previous == ENABLED:
        headline = "Spark Ads are now off"
        level = BrandNotice.Level.WARNING
    else:
        headline = f"Spark Ads: {capability.title.lower()}"
        level = BrandNotice.Level.WARNING if capability.case != NO_TIKTOK_ONE_ACCOUNT else BrandNotice.Level.INFO
    text = f"{headline}. {capability.reason} Next step: {capability.next_step}"
    BrandNotice.objects.create(brand=brand, level=level, message=text)
    recipients = list(
        BrandMembership.objects.filter(brand=brand, role=BrandMembership.Role.OWNER)
        .exclude(user__email="")
        .values_list("user__email", flat=True)
    )
    if not recipients:
        return
    link = settings.SITE_URL + reverse("integrations:tiktok_settings", args=[brand.slug])
    body = f"{text}\n\nSee your TikTok integration: {link}\n"

    def send() -> None:
        try:
            send_mail(f"[{brand.name}] {headline}", body, None, recipients)
        except Exception:  # the notice on the page stands even if mail is down
            logger.exception("could not email brand=%s about its Spark Ads capability", brand.pk)

    transaction.on_commit(send)


# --- the periodic re-check ---------------------------------------------------------------


@dataclass
class RecheckResult:
    outcome: str  # "ok" | "reconnect" | "retry" | "skipped"
    capability: Capability | None = None
    retry_in: float | None = None


def _backoff(failures: int) -> timedelta:
    base = settings.INTEGRATIONS_RECHECK_RETRY_SECONDS
    return timedelta(seconds=min(base * 2 ** max(failures - 1, 0), settings.INTEGRATIONS_RECHECK_SECONDS))


def mark_inactive(credential: Credential, error: str) -> None:
    """TikTok says the grant is gone (40105): the connection needs the brand to reconnect."""
    if credential.status == Credential.Status.OK:
        credential.mark_needs_reconnect(error)
    TikTokOneAccount.objects.filter(credential=credential).update(
        status=TikTokOneAccount.Status.INACTIVE, last_checked_at=timezone.now()
    )


def recheck_credential(credential_id: int) -> RecheckResult:
    """Re-read verification, ad accounts, BC assets and access for one brand connection.

    Transient failures back the accounts' next poll off and leave everything as it was;
    a revoked token marks the connection Inactive and asks the brand to reconnect.
    """
    credential = Credential.objects.filter(pk=credential_id, kind=Credential.Kind.BUSINESS).first()
    if credential is None:
        return RecheckResult("skipped")
    brand = credential.brand
    accounts = TikTokOneAccount.objects.filter(credential=credential)
    if credential.status != Credential.Status.OK:
        mark_inactive(credential, credential.last_error or "needs reconnect")
        return RecheckResult("reconnect", record_capability(brand) if brand else None)
    try:
        discovery = tiktok_tokens.call_with_credential(
            credential.pk, lambda client: discover(client, None, with_ads=brand is not None)
        )
    except TikTokError as exc:
        now = timezone.now()
        if exc.kind == Kind.AUTH:
            credential.refresh_from_db()
            mark_inactive(credential, f"TikTok rejected the token: {exc}")
            if brand is None:
                return RecheckResult("reconnect")
            previous = brand.spark_capability_case
            capability = record_capability(brand)
            if capability.case == previous:  # no capability notice went out: say it on the page
                _notice_reconnect(brand)
            return RecheckResult("reconnect", capability)
        credential.record_error(f"Re-check failed: {exc}")
        failures = (accounts.order_by("-poll_failures").values_list("poll_failures", flat=True).first() or 0) + 1
        delay = _backoff(failures)
        if exc.retry_after:
            delay = max(delay, timedelta(seconds=exc.retry_after))
        accounts.update(poll_failures=failures, next_poll_at=now + delay)
        return RecheckResult("retry", None, delay.total_seconds())

    now = timezone.now()
    with transaction.atomic():
        _apply(brand, credential, discovery, now)
        Credential.objects.filter(pk=credential.pk).update(last_used_at=now, last_error="")
    return RecheckResult("ok", record_capability(brand) if brand else None)


def _notice_reconnect(brand: Brand) -> None:
    exists = BrandNotice.objects.filter(brand=brand, dismissed_at__isnull=True, message__startswith="Reconnect")
    if not exists.exists():
        BrandNotice.objects.create(
            brand=brand,
            level=BrandNotice.Level.WARNING,
            message="Reconnect TikTok: TikTok no longer accepts this platform's access to your TikTok One "
            "account (it was revoked or expired). Click “Reconnect” to authorize again; your accounts "
            "and history are kept.",
        )


def due_credentials(now=None, limit: int = 500) -> list[int]:
    """Claim the connections whose TikTok One accounts are due, pushing their next poll on so
    a second dispatcher (or the next beat) does not enqueue them again."""
    now = now or timezone.now()
    due = list(
        TikTokOneAccount.objects.filter(
            status=TikTokOneAccount.Status.ACTIVE,
            next_poll_at__lte=now,
            removed_at__isnull=True,
            credential__isnull=False,
        )
        .order_by("next_poll_at")
        .values_list("pk", "credential_id", "next_poll_at")[:limit]
    )
    lease = now + timedelta(seconds=settings.INTEGRATIONS_RECHECK_LEASE_SECONDS)
    claimed: list[int] = []
    for pk, credential_id, next_poll_at in due:
        won = TikTokOneAccount.objects.filter(pk=pk, next_poll_at=next_poll_at).update(next_poll_at=lease)
        if won and credential_id not in claimed:
            claimed.append(credential_id)
    return claimed


# --- brand actions -----------------------------------------------------------------------


class RemovalRefused(Exception):
    pass


def remove_ad_account(ad: AdAccount) -> None:
    """Remove an ad account from the brand, unless it is the last Spark-enabled ad account
    the TikTok One account can access (raises RemovalRefused with the reason)."""
    with transaction.atomic():
        live = AdAccount.objects.select_for_update().filter(brand_id=ad.brand_id, removed_at__isnull=True)
        rows = {a.pk: a for a in live}
        locked = rows.get(ad.pk)
        if locked is None:
            return
        ad = locked
        others_usable = [a for a in rows.values() if a.pk != ad.pk and a.usable_for_spark]
        if ad.usable_for_spark and not others_usable:
            raise RemovalRefused(
                f"“{ad}” is the only ad account with Spark Ads enabled that your TikTok One account can "
                "access. At least one must remain, so it was not removed. Add another ad account the "
                "TikTok One account can access first."
            )
        ad.removed_at = timezone.now()
        was_active = ad.is_active_for_spark
        ad.is_active_for_spark = False
        ad.save(update_fields=["removed_at", "is_active_for_spark"])
        if was_active and others_usable:
            others_usable[0].is_active_for_spark = True
            others_usable[0].save(update_fields=["is_active_for_spark"])


def set_spark_ad_account(ad: AdAccount) -> None:
    """Make ``ad`` the brand's ad account for Spark Ads (refused if it cannot be used)."""
    if not ad.usable_for_spark:
        raise RemovalRefused(
            f"“{ad}” cannot run Spark Ads: "
            + ("the TikTok One account cannot access it." if not ad.tto_has_access else "Spark Ads are off for it.")
        )
    with transaction.atomic():
        AdAccount.objects.filter(brand_id=ad.brand_id, is_active_for_spark=True).exclude(pk=ad.pk).update(
            is_active_for_spark=False
        )
        AdAccount.objects.filter(pk=ad.pk).update(is_active_for_spark=True)


def remove_tiktok_one_account(account: TikTokOneAccount) -> None:
    """Staff action: the brand no longer uses this account; history is kept."""
    with transaction.atomic():
        TikTokOneAccount.objects.filter(pk=account.pk).update(
            removed_at=timezone.now(), status=TikTokOneAccount.Status.INACTIVE, is_internal=False
        )
        AdAccount.objects.filter(tiktok_one_account=account).update(tto_has_access=False)
