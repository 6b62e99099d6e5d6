"""A brand (or staff, for the platform) connects TikTok One and ad accounts.

The portal's code is exchanged and everything the token sees is discovered before one
transaction stores it; a failure anywhere stores nothing and revokes the unused token.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import datetime

from django.contrib.auth.models import AnonymousUser, User
from django.db import IntegrityError, transaction
from django.utils import timezone

from ..errors import FlowError
from ..models import AdAccount, Brand, BrandNotice, Credential, TikTokOneAccount
from ..tiktok import BusinessClient, Kind, TikTokError
from ..tiktok import tokens as tiktok_tokens
from ..tiktok.base import TokenGrant
from .capability import Capability, record_capability
from .discovery import Discovery, apply, discover

logger = logging.getLogger("integrations.flows")


@dataclass
class ConnectResult:
    credential: Credential
    accounts: list[TikTokOneAccount]
    ad_accounts: list[AdAccount]
    capability: Capability | None
    reused: bool
    # TikTok One accounts the token reaches that support removed from the brand: left out, and
    # the brand is told how they come back (support restores them).
    removed: list[TikTokOneAccount] = field(default_factory=list)


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


def _friendly(exc: TikTokError, *, code_unspent: bool = False) -> FlowError:
    """The words for a failed step. ``retryable`` only where the same code can be exchanged
    again: TikTok did not answer the exchange itself (an unanswered exchange spent nothing
    that TikTok will not refuse cleanly if it did)."""
    if exc.kind == Kind.TRANSIENT and code_unspent:
        return FlowError(
            "TikTok is busy or not answering right now (it may be down), so nothing was connected yet. "
            "Try again in a minute.",
            retryable=True,
        )
    if exc.kind == Kind.TRANSIENT:
        return FlowError(
            "TikTok is busy or not answering right now (it may be down): it stopped answering while we "
            "read your accounts, so nothing was connected. Please try “Add TikTok One and Ad Account” "
            "again in a few minutes."
        )
    if exc.path.endswith("oauth2/access_token/"):
        return FlowError(
            "TikTok did not accept this authorization: it has expired or was already used. "
            "Nothing was connected; click “Add TikTok One and Ad Account” to start again."
        )
    return FlowError(
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
def _store(
    brand: Brand | None, grant: TokenGrant, discovery: Discovery, user: User | AnonymousUser | None, now: datetime
) -> tuple[Credential, list[TikTokOneAccount], list[AdAccount], bool]:
    """Write the connection in one transaction: the credential (reused on reconnect) and
    every upsert. Raises FlowError (rolled back) for an account of another brand."""
    conflicts = _conflicts(brand, discovery)
    if conflicts:
        names = ", ".join(f"“{c}”" for c in conflicts)
        raise FlowError(
            f"The TikTok One account {names} is already connected elsewhere on this platform, so "
            "nothing was connected. Contact support to move it to this brand."
        )
    credential = _reusable_credential(brand, discovery)
    reused = credential is not None
    credential = credential or Credential(kind=Credential.Kind.BUSINESS, brand=brand)
    if user is not None and user.is_authenticated:
        credential.user = user
    credential.last_used_at = now
    credential.last_error_at = None
    # The credential keeps the advertisers TikTok actually showed (advertiser/info).
    seen = [str(a.get("advertiser_id")) for a in discovery.ad_accounts]
    tiktok_tokens.apply_grant(credential, replace(grant, advertiser_ids=seen or list(grant.advertiser_ids)))
    accounts, ads = apply(brand, credential, discovery, now, restore_removed=True)
    return credential, accounts, ads, reused


def connect(brand: Brand | None, auth_code: str, *, user: User | AnonymousUser | None = None) -> ConnectResult:
    """Exchange the portal's ``auth_code`` and store everything the token sees.

    ``brand=None`` connects the platform's own TikTok One account (staff only). Raises
    FlowError with nothing stored; ``retryable`` when TikTok did not answer the code exchange,
    so the same code may be exchanged again (integrations.connect.oauth_retry).
    """
    try:
        grant = BusinessClient().oauth2_access_token(auth_code)
    except TikTokError as exc:
        raise _friendly(exc, code_unspent=True) from exc
    try:
        discovery = discover(
            BusinessClient(grant.access_token), grant.advertiser_ids or None, with_ads=brand is not None
        )
    except TikTokError as exc:
        _revoke_quietly(grant.access_token)
        raise _friendly(exc) from exc
    if brand is None and not discovery.accounts:
        _revoke_quietly(grant.access_token)
        raise FlowError("That TikTok for Business user has no TikTok One account; nothing was connected.")

    now = timezone.now()
    try:
        credential, accounts, ads, reused = _store(brand, grant, discovery, user, now)
    except IntegrityError as exc:  # another connect of the same accounts committed first
        _revoke_quietly(grant.access_token)
        raise FlowError(
            "Another connection of these accounts was saved at the same moment; nothing was "
            "changed by this one. Reload the page to see it."
        ) from exc
    except FlowError:
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
    removed = list(
        TikTokOneAccount.objects.filter(
            brand=brand,
            removed_at__isnull=False,
            tto_tcm_account_id__in=[a.tto_tcm_account_id for a in discovery.accounts],
        )
    )
    return ConnectResult(credential, accounts, ads, capability, reused, removed)
