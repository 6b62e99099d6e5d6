"""TikTok as the platform sees it: grants, TikTok One accounts, ad accounts, Business Centers and TikTok accounts.

Remote ids are strings (TikTok's ids exceed 64-bit signed ranges in places and are opaque);
statuses hold TikTok's own enum values.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from ..crypto import EncryptedTextField
from ..tiktok import clock
from .brands import Brand, BrandScopedQuerySet


@dataclass(frozen=True)
class Standing:
    """How a TikTok One account or ad account stands, in the one vocabulary every page uses:
    a label, a tone for its badge (ok / warn / bad), why, and what to do next."""

    label: str
    tone: str
    reason: str = ""
    next_step: str = ""

    @property
    def is_ok(self) -> bool:
        return self.tone == "ok"


RECONNECT_STEP = (
    "Click “Reconnect” and sign in with the TikTok for Business user that owns the account. "
    "Your accounts and history are kept."
)


class Credential(models.Model):
    """An OAuth grant from TikTok. Token values are encrypted and never displayed."""

    class Kind(models.TextChoices):
        BUSINESS = "business", "API for Business advertiser token"
        TT_USER = "tt_user", "TikTok account holder token"

    class Status(models.TextChoices):
        OK = "ok", "OK"
        NEEDS_RECONNECT = "needs_reconnect", "Needs reconnect"
        REVOKED = "revoked", "Revoked"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    brand = models.ForeignKey(Brand, null=True, blank=True, on_delete=models.CASCADE, related_name="credentials")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="tiktok_credentials"
    )
    # For tt_user grants: the TikTok user the token speaks for.
    open_id = models.CharField(max_length=128, blank=True)
    access_token = EncryptedTextField(blank=True)
    refresh_token = EncryptedTextField(blank=True)
    access_expires_at = models.DateTimeField(null=True, blank=True)
    refresh_expires_at = models.DateTimeField(null=True, blank=True)
    scopes = models.CharField(max_length=1000, blank=True, help_text="Comma separated, as TikTok returns them")
    # API for Business tokens list the advertisers they reach.
    advertiser_ids = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OK)
    last_refreshed_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    # TikTok's time: when the access token enters its refresh margin (TIKTOK_REFRESH_MARGIN_SECONDS
    # before it expires on TikTok's clock). The token-refresh poller compares it with clock.now()
    # on every tick, so a sandbox clock that jumps makes the refresh due at once.
    refresh_due_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            # The refresh sweep reads only healthy, refreshable grants ordered by due time.
            models.Index(fields=["refresh_due_at"], condition=Q(status="ok"), name="cred_refresh_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} ({self.status})"

    def access_expires_soon(self, margin: timedelta = timedelta(minutes=5)) -> bool:
        """By TikTok's clock: the window is TikTok's (integrations.tiktok.clock)."""
        return self.access_expires_at is not None and self.access_expires_at <= clock.now() + margin

    def has_scope(self, scope: str) -> bool:
        """Whether this grant is healthy and holds ``scope`` (TikTok lists scopes comma separated)."""
        granted = {s for s in self.scopes.replace(" ", ",").split(",") if s}
        return self.status == self.Status.OK and scope in granted

    def mark_needs_reconnect(self, error: str) -> None:
        self.status = self.Status.NEEDS_RECONNECT
        self.last_error = error[:2000]
        self.last_error_at = timezone.now()
        self.save(update_fields=["status", "last_error", "last_error_at", "updated_at"])

    def record_error(self, error: str) -> None:
        self.last_error = error[:2000]
        self.last_error_at = timezone.now()
        self.save(update_fields=["last_error", "last_error_at", "updated_at"])


class TikTokOneAccount(models.Model):
    """A TikTok One (formerly TCM) account; brand is null for the platform's internal one."""

    class AccountType(models.TextChoices):
        CLIENT = "client", "Client"
        CREATIVE_PARTNER = "creative_partner", "Creative partner"

    class Verification(models.TextChoices):
        # TikTok's enum for business verification (shared with Business Center).
        NOT_SUBMITTED = "NOT_SUBMITTED", "Not submitted"
        REVIEWING = "REVIEWING", "Under review"
        VERIFIED = "VERIFIED", "Verified"
        FAILED = "FAILED", "Failed"
        EXPIRED = "EXPIRED", "Expired"

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        INACTIVE = "inactive", "Inactive"

    tto_tcm_account_id = models.CharField(max_length=64)
    name = models.CharField(max_length=200, blank=True)
    brand = models.ForeignKey(
        Brand, null=True, blank=True, on_delete=models.CASCADE, related_name="tiktok_one_accounts"
    )
    is_internal = models.BooleanField(default=False, help_text="The platform's own account, used by brands without one")
    account_type = models.CharField(max_length=20, choices=AccountType.choices, default=AccountType.CLIENT)
    business_verification_status = models.CharField(
        max_length=20, choices=Verification.choices, default=Verification.NOT_SUBMITTED
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    timezone = models.CharField(max_length=64, blank=True)
    country = models.CharField(max_length=8, blank=True)
    credential = models.ForeignKey(
        Credential, null=True, blank=True, on_delete=models.SET_NULL, related_name="tiktok_one_accounts"
    )
    last_checked_at = models.DateTimeField(null=True, blank=True)
    next_poll_at = models.DateTimeField(null=True, blank=True)
    # Consecutive failed re-checks (TikTok down or throttling): the poller backs off with it.
    poll_failures = models.PositiveSmallIntegerField(default=0)
    # Removed by staff: kept for history (campaigns point at it), ignored everywhere else,
    # and not brought back by a re-check or a reconnect.
    removed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = BrandScopedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tto_tcm_account_id"], name="integrations_tto_account_unique"),
            models.UniqueConstraint(
                fields=["is_internal"], condition=Q(is_internal=True), name="integrations_one_internal_tto"
            ),
        ]
        indexes = [
            models.Index(fields=["next_poll_at"], condition=Q(status="active"), name="tto_poll_due_idx"),
        ]
        verbose_name = "TikTok One account"

    def __str__(self) -> str:
        return self.name or self.tto_tcm_account_id

    @property
    def is_verified(self) -> bool:
        return self.business_verification_status == self.Verification.VERIFIED

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE

    @property
    def standing(self) -> Standing:
        """The one mapping from this account's state to what a person reads. "Active" means
        usable: connected, accepted by TikTok and verified."""
        if self.removed_at is not None:
            return Standing(
                "Removed",
                "bad",
                "Support removed this TikTok One account from the brand; none of its features are used.",
                "Contact support to restore it, or connect another TikTok One account.",
            )
        credential = self.credential
        if credential is not None and credential.status != Credential.Status.OK:
            return Standing(
                "Inactive",
                "bad",
                "TikTok no longer accepts this platform's access to it (the authorization was revoked or expired).",
                RECONNECT_STEP,
            )
        if not self.is_active:
            return Standing(
                "Inactive",
                "bad",
                "TikTok no longer lists it for the TikTok for Business user who connected it.",
                RECONNECT_STEP + " If another user owns it now, sign in as that user.",
            )
        if not self.is_verified:
            return Standing(
                "Not verified by TikTok",
                "warn",
                f"TikTok has not verified the business behind it (verification: "
                f"{self.get_business_verification_status_display().lower()}), so none of its features can be used.",
                "Verify your business in TikTok One (Settings > Business verification). Once TikTok approves it, "
                "this page picks it up on its next check.",
            )
        return Standing("Active", "ok", "Verified by TikTok and connected.")


class BusinessCenter(models.Model):
    class Status(models.TextChoices):
        REVIEWING = "REVIEWING", "Reviewing"
        DENY = "DENY", "Denied"
        ENABLE = "ENABLE", "Enabled"
        PUNISH = "PUNISH", "Punished"

    class Role(models.TextChoices):
        ADMIN = "ADMIN", "Admin"
        STANDARD = "STANDARD", "Standard"

    bc_id = models.CharField(max_length=64)
    name = models.CharField(max_length=200, blank=True)
    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="business_centers")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ENABLE)
    verification_status = models.CharField(
        max_length=20,
        choices=TikTokOneAccount.Verification.choices,
        default=TikTokOneAccount.Verification.NOT_SUBMITTED,
    )
    # The role of the user whose token connected this BC.
    user_role = models.CharField(max_length=10, choices=Role.choices, blank=True)
    credential = models.ForeignKey(
        Credential, null=True, blank=True, on_delete=models.SET_NULL, related_name="business_centers"
    )
    last_checked_at = models.DateTimeField(null=True, blank=True)

    objects = BrandScopedQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["brand", "bc_id"], name="integrations_bc_unique")]

    def __str__(self) -> str:
        return self.name or self.bc_id


class AdAccount(models.Model):
    """A TikTok Ads Manager account (advertiser)."""

    advertiser_id = models.CharField(max_length=64)
    name = models.CharField(max_length=200, blank=True)
    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="ad_accounts")
    tiktok_one_account = models.ForeignKey(
        TikTokOneAccount, null=True, blank=True, on_delete=models.SET_NULL, related_name="ad_accounts"
    )
    owner_bc = models.ForeignKey(
        BusinessCenter, null=True, blank=True, on_delete=models.SET_NULL, related_name="owned_ad_accounts"
    )
    # TikTok's advertiser status, e.g. STATUS_ENABLE; kept verbatim.
    status = models.CharField(max_length=64, blank=True)
    currency = models.CharField(max_length=8, blank=True)
    timezone = models.CharField(max_length=64, blank=True)
    # advertiser/info's country code: where the music pre-flight asks about (its locations).
    country = models.CharField(max_length=2, blank=True)
    tto_has_access = models.BooleanField(default=False, help_text="The TikTok One account can reach this ad account")
    spark_ads_enabled = models.BooleanField(default=True)
    is_active_for_spark = models.BooleanField(default=False, help_text="The brand's ad account for Spark Ads")
    credential = models.ForeignKey(
        Credential, null=True, blank=True, on_delete=models.SET_NULL, related_name="ad_accounts"
    )
    last_checked_at = models.DateTimeField(null=True, blank=True)
    # When the Spark ads poller next reads this account's ads and their spend (daily); NULL
    # while the account has no live Spark code.
    next_spend_read_at = models.DateTimeField(null=True, blank=True)
    # Removed by the brand: kept for history and not brought back by a re-check.
    removed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = BrandScopedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["brand", "advertiser_id"], name="integrations_ad_account_unique"),
            models.UniqueConstraint(
                fields=["brand"], condition=Q(is_active_for_spark=True), name="integrations_one_active_spark_ad_account"
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_spend_read_at"],
                condition=Q(next_spend_read_at__isnull=False),
                name="ad_account_spend_due_idx",
            )
        ]

    def __str__(self) -> str:
        return self.name or self.advertiser_id

    @property
    def usable_for_spark(self) -> bool:
        """Spark Ads enabled and reachable by the TikTok One account."""
        return self.removed_at is None and self.spark_ads_enabled and self.tto_has_access

    @property
    def standing(self) -> Standing:
        """The one mapping from this ad account's state to what a person reads."""
        if self.removed_at is not None:
            return Standing("Removed", "bad", "Removed from this brand.")
        if not self.tto_has_access:
            return Standing(
                "No access",
                "bad",
                "The TikTok One account cannot reach it: it is not a bound asset of a Business Center "
                "the TikTok One account sees.",
                "In TikTok Business Center, add the ad account (Assets > Ad accounts) and make sure the "
                "request is accepted; this page updates on its next check.",
            )
        # An ad account is only as usable as the TikTok One account that reaches it.
        owner = self.tiktok_one_account
        if owner is not None and not owner.standing.is_ok:
            return Standing(
                "Not usable",
                "warn",
                f"Its TikTok One account “{owner}” is {owner.standing.label.lower()}: {owner.standing.reason}",
                owner.standing.next_step,
            )
        if not self.spark_ads_enabled:
            return Standing(
                "Spark Ads off",
                "warn",
                f"TikTok reports the ad account as {self.status or 'disabled'}.",
                "Check the ad account's status in TikTok Ads Manager.",
            )
        return Standing("Has access", "ok", "The TikTok One account can reach it.")


class TikTokAccount(models.Model):
    """A TikTok user: a creator's account, or one authorized to a Business Center."""

    class AccountType(models.TextChoices):
        PERSONAL = "personal", "Personal"
        CREATOR = "creator", "Creator"
        BUSINESS = "business", "Business"

    open_id = models.CharField(max_length=128, blank=True)
    creator_id = models.CharField(max_length=128, blank=True)
    handle = models.CharField(max_length=100)
    display_name = models.CharField(max_length=200, blank=True)
    avatar_url = models.URLField(max_length=1000, blank=True)
    follower_count = models.PositiveBigIntegerField(null=True, blank=True)
    following_count = models.PositiveBigIntegerField(null=True, blank=True)
    likes_count = models.PositiveBigIntegerField(null=True, blank=True)
    video_count = models.PositiveIntegerField(null=True, blank=True)
    is_verified = models.BooleanField(default=False)
    account_type = models.CharField(max_length=10, choices=AccountType.choices, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="tiktok_accounts"
    )
    credential = models.ForeignKey(
        Credential, null=True, blank=True, on_delete=models.SET_NULL, related_name="tiktok_accounts"
    )
    stats_updated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["open_id"], condition=~Q(open_id=""), name="integrations_tt_open_id_unique"
            ),
            models.UniqueConstraint(fields=["handle"], name="integrations_tt_handle_unique"),
        ]
        verbose_name = "TikTok account"

    def __str__(self) -> str:
        return f"@{self.handle}"


class BusinessCenterMember(models.Model):
    business_center = models.ForeignKey(BusinessCenter, on_delete=models.CASCADE, related_name="members")
    tiktok_user_id = models.CharField(max_length=64)
    user_name = models.CharField(max_length=200, blank=True)
    email = models.EmailField(blank=True)
    role = models.CharField(max_length=10, choices=BusinessCenter.Role.choices, default=BusinessCenter.Role.STANDARD)
    relation_status = models.CharField(max_length=20, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="bc_memberships"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["business_center", "tiktok_user_id"], name="integrations_bc_member_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user_name or self.email} ({self.get_role_display().lower()})"

    @property
    def is_admin(self) -> bool:
        return self.role == BusinessCenter.Role.ADMIN


class BusinessCenterGrant(models.Model):
    """One asset granted in a Business Center.

    Either a TikTok account authorized to the BC through the QR link (member is null;
    scopes "pull" for existing posts and "push" for publishing; long-term until the owner or
    a BC admin cancels), or a member's assignment to an asset (roles: TikTok-account
    POST/LIVE/DIRECT_MESSAGE, advertiser ADMIN/OPERATOR/ANALYST).
    """

    class AssetType(models.TextChoices):
        TT_ACCOUNT = "TT_ACCOUNT", "TikTok account"
        ADVERTISER = "ADVERTISER", "Ad account"

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        PENDING = "pending", "Pending"
        CANCELLED = "cancelled", "Cancelled"

    class Scope(models.TextChoices):
        PULL = "pull", "Existing posts"
        PUSH = "push", "Publish ad videos as posts"

    class TikTokAccountRole(models.TextChoices):
        POST = "POST", "Post"
        LIVE = "LIVE", "LIVE"
        DIRECT_MESSAGE = "DIRECT_MESSAGE", "Direct message"

    class AdvertiserRole(models.TextChoices):
        ADMIN = "ADMIN", "Admin"
        OPERATOR = "OPERATOR", "Operator"
        ANALYST = "ANALYST", "Analyst"

    business_center = models.ForeignKey(BusinessCenter, on_delete=models.CASCADE, related_name="grants")
    asset_type = models.CharField(max_length=20, choices=AssetType.choices)
    asset_id = models.CharField(max_length=64)
    member = models.ForeignKey(
        BusinessCenterMember, null=True, blank=True, on_delete=models.CASCADE, related_name="assignments"
    )
    tiktok_account = models.ForeignKey(
        TikTokAccount, null=True, blank=True, on_delete=models.CASCADE, related_name="bc_grants"
    )
    ad_account = models.ForeignKey(AdAccount, null=True, blank=True, on_delete=models.CASCADE, related_name="bc_grants")
    scopes = models.JSONField(default=list, blank=True)
    roles = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    granted_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["business_center", "asset_type", "asset_id"],
                condition=Q(member__isnull=True),
                name="integrations_bc_asset_grant_unique",
            ),
            models.UniqueConstraint(
                fields=["business_center", "asset_type", "asset_id", "member"],
                condition=Q(member__isnull=False),
                name="integrations_bc_assignment_unique",
            ),
        ]

    def __str__(self) -> str:
        who = f" to {self.member}" if self.member_id else ""
        return f"{self.asset_type} {self.asset_id}{who}"

    @property
    def role_labels(self) -> str:
        """The assignment's roles in words (TikTok's own values are kept in `roles`)."""
        return self.roles_in_words(self.roles)

    @classmethod
    def roles_in_words(cls, roles: list[str]) -> str:
        labels = {**dict(cls.TikTokAccountRole.choices), **dict(cls.AdvertiserRole.choices)}
        return ", ".join(str(labels.get(role, role)) for role in roles)
