"""What a brand may do with Spark Ads, and why: the capability table, in one function.

| brand's situation                               | TikTok One account used | Spark Ads            |
|-------------------------------------------------|-------------------------|----------------------|
| no TikTok One account                           | the platform's internal | off                  |
| account, no ad account linked                   | the brand's             | off                  |
| account + ad account, account has access        | the brand's             | on                   |
| account + ad account, no access                 | the brand's             | off                  |
| account not verified by TikTok                  | the platform's internal | off; prompt to verify |

The verification row wins over the others: an unverified account gives nothing whatever ad
accounts it has. A connection whose token TikTok revoked (40105) reaches no ad account, so
it is the "no access" row, with "reconnect" as the next step.

Other apps import exactly ``from integrations.connect.capability import spark_ads_capability``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from .. import mail
from ..models import AdAccount, Brand, BrandMembership, BrandNotice, Credential, TikTokOneAccount

logger = logging.getLogger("integrations.capability")

NO_TIKTOK_ONE_ACCOUNT = "no_tiktok_one_account"
NO_AD_ACCOUNT = "no_ad_account"
ENABLED = "enabled"
NO_ACCESS = "no_access"
NOT_VERIFIED = "not_verified"

CASE_TITLES = {
    NO_TIKTOK_ONE_ACCOUNT: "No TikTok One account connected",
    NO_AD_ACCOUNT: "No ad account linked",
    ENABLED: "Spark Ads enabled",
    NO_ACCESS: "No access to an ad account",
    NOT_VERIFIED: "TikTok One account not verified",
}


# Worded after TikTok's advertiser consent screen (/portal/auth), which lists the ad accounts
# the app will manage for the signed-in TikTok for Business user.
NO_AD_ACCOUNT_NEXT_STEP = (
    "Click “Add TikTok One and Ad Account” again and sign in on TikTok as a TikTok for Business user "
    "whose consent screen lists your ad account under “Ad accounts this app will manage”. If it lists "
    "none, create an ad account in TikTok Ads Manager first (or ask its owner to add your user to it)."
)


@dataclass(frozen=True)
class Capability:
    enabled: bool
    case: str
    reason: str
    next_step: str
    # The TikTok One account whose features the brand uses: its own, or the platform's internal
    # one (no account of its own, or its own is not verified); None without either.
    tiktok_one_account: TikTokOneAccount | None
    # The ad account Spark Ads runs on (the brand's active one), or None.
    ad_account: AdAccount | None
    # The brand's own account the case is about, even when its features are not used.
    brand_account: TikTokOneAccount | None = None
    # True when the brand must authorize TikTok again (revoked or invalid token).
    needs_reconnect: bool = False

    @property
    def title(self) -> str:
        return CASE_TITLES[self.case]


def _brand_accounts(brand: Brand) -> list[TikTokOneAccount]:
    return list(
        TikTokOneAccount.objects.filter(brand=brand, removed_at__isnull=True)
        .select_related("credential")
        .order_by("created_at", "pk")
    )


def _ad_accounts(brand: Brand) -> list[AdAccount]:
    return list(AdAccount.objects.filter(brand=brand, removed_at__isnull=True).order_by("created_at", "pk"))


def _pick_account(accounts: list[TikTokOneAccount], active_ad: AdAccount | None) -> TikTokOneAccount:
    """The brand's account the capability is about: the one its active ad account belongs to,
    else a verified and working one, else the first."""
    if active_ad is not None:
        for account in accounts:
            if account.pk == active_ad.tiktok_one_account_id:
                return account
    return min(accounts, key=lambda a: (not a.is_verified, not _connected(a)))


def _connected(account: TikTokOneAccount) -> bool:
    credential = account.credential
    credential_ok = credential is None or credential.status == Credential.Status.OK
    return account.is_active and credential_ok


def _internal_account() -> TikTokOneAccount | None:
    return TikTokOneAccount.objects.filter(is_internal=True, removed_at__isnull=True).first()


def spark_ads_capability(brand: Brand) -> Capability:
    """The Spark Ads capability of a brand: enabled or not, why, and what to do next."""
    accounts = _brand_accounts(brand)
    if not accounts:
        internal = _internal_account()
        uses = (
            "Creator sourcing and campaigns use the platform's own TikTok One account."
            if internal
            else "The platform's own TikTok One account has not been set up yet, so creator sourcing waits too."
        )
        return Capability(
            enabled=False,
            case=NO_TIKTOK_ONE_ACCOUNT,
            reason=f"Your brand has no TikTok One account connected. {uses} "
            "Spark Ads needs your own TikTok One account and an ad account it can access.",
            next_step="Click “Add TikTok One and Ad Account” and sign in with the TikTok for Business "
            "user that owns your TikTok One account. No account yet? Create one at TikTok One first.",
            tiktok_one_account=internal,
            ad_account=None,
        )

    ad_accounts = _ad_accounts(brand)
    active = next((a for a in ad_accounts if a.is_active_for_spark), None)
    account = _pick_account(accounts, active)

    if not account.is_verified:
        status = account.get_business_verification_status_display().lower()
        return Capability(
            enabled=False,
            case=NOT_VERIFIED,
            reason=f"TikTok has not verified the business behind “{account}” (verification: {status}). "
            "Until it does, none of the account's features can be used, Spark Ads included.",
            next_step="Verify your business in TikTok One (Settings > Business verification). "
            "Once TikTok approves it, this page picks it up on its next check.",
            # Its features are not used, so sourcing falls back to the platform's, as without one.
            tiktok_one_account=_internal_account(),
            ad_account=None,
            brand_account=account,
        )

    if not _connected(account):
        return Capability(
            enabled=False,
            case=NO_ACCESS,
            reason=f"TikTok no longer accepts this platform's access to “{account}” (it was revoked or "
            "expired), so no ad account can be reached.",
            next_step="Click “Reconnect” and authorize again. Your accounts and history are kept.",
            tiktok_one_account=account,
            ad_account=active,
            brand_account=account,
            needs_reconnect=True,
        )

    if not ad_accounts:
        return Capability(
            enabled=False,
            case=NO_AD_ACCOUNT,
            reason=f"“{account}” has no ad account linked on this platform. Spark Ads are paid for "
            "and run from an ad account.",
            next_step=NO_AD_ACCOUNT_NEXT_STEP,
            tiktok_one_account=account,
            ad_account=None,
            brand_account=account,
        )

    if active is not None and active.usable_for_spark:
        others = any(a.usable_for_spark and a.pk != active.pk for a in ad_accounts)
        return Capability(
            enabled=True,
            case=ENABLED,
            reason=f"“{account}” is verified and can access the ad account “{active}”, which runs your Spark Ads.",
            next_step="Request Spark Ads permission on a campaign post."
            + (" You can pick another ad account for Spark Ads below." if others else ""),
            tiktok_one_account=account,
            ad_account=active,
            brand_account=account,
        )

    usable = [a for a in ad_accounts if a.usable_for_spark]
    if usable:
        # Access exists but no ad account is chosen (or the chosen one lost access).
        return Capability(
            enabled=False,
            case=NO_ACCESS,
            reason=f"The ad account chosen for Spark Ads{f' (“{active}”)' if active else ''} cannot be "
            f"reached by “{account}”.",
            next_step=f"Choose an ad account it can access below, e.g. “{usable[0]}”.",
            tiktok_one_account=account,
            ad_account=active,
            brand_account=account,
        )

    return Capability(
        enabled=False,
        case=NO_ACCESS,
        reason=f"“{account}” cannot access any of your ad accounts: none is a bound asset of a "
        "Business Center the TikTok One account can see.",
        next_step="In TikTok Business Center, add the ad account to the Business Center "
        "(Assets > Ad accounts) and make sure the request is accepted; this page updates on its next check.",
        tiktok_one_account=account,
        ad_account=active,
        brand_account=account,
    )


# --- the capability, remembered, and told to owners when it changes ----------------------


def record_capability(brand: Brand, *, notify: bool = True, cause: str = "") -> Capability:
    """Compute the capability; when its case differs from the last one told, remember it and
    (with ``notify``) tell the brand's owners by email and on the page, ``cause`` first (what
    changed it, when the brand did not do it itself)."""
    capability = spark_ads_capability(brand)
    previous = brand.spark_capability_case
    if capability.case == previous:
        return capability
    Brand.objects.filter(pk=brand.pk).update(
        spark_capability_case=capability.case, spark_capability_changed_at=timezone.now()
    )
    brand.spark_capability_case = capability.case
    if notify and previous:
        _tell_owners(brand, capability, previous, cause)
    return capability


def _tell_owners(brand: Brand, capability: Capability, previous: str, cause: str = "") -> None:
    # The reason already names the case, so the notice leads with the change only when Spark
    # Ads switched on or off; the title (TikTok One's own capitals) heads the email.
    lead = ""
    if capability.enabled:
        headline = lead = "Spark Ads are now enabled"
        level = BrandNotice.Level.SUCCESS
    elif previous == ENABLED:
        headline = lead = "Spark Ads are now off"
        level = BrandNotice.Level.WARNING
    else:
        headline = f"Spark Ads: {capability.title}"
        level = BrandNotice.Level.WARNING if capability.case != NO_TIKTOK_ONE_ACCOUNT else BrandNotice.Level.INFO
    text = " ".join(
        part
        for part in (cause, f"{lead}." if lead else "", capability.reason, f"Next step: {capability.next_step}")
        if part
    )
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
    mail.send_later(f"[{brand.name}] {headline}", body, recipients)
