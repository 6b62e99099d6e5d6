"""Spark Ads authorizations, Ads Manager account links, Business Center promotions and the
audit trail.

The shared TikTok model (ad accounts, Business Centers, their members and grants) lives in
`integrations`; these tables sit on top of it. Authorization codes are stored encrypted and
are looked up by a keyed hash, so two rows can never hold the same code and the plain value
never has to be compared in SQL.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from integrations import polling
from integrations.crypto import EncryptedTextField
from integrations.models import (
    AdAccount,
    Brand,
    BrandMembership,
    BrandScopedQuerySet,
    BusinessCenter,
    BusinessCenterMember,
    CampaignPost,
    PendingWrite,
    TikTokAccount,
)
from integrations.tiktok import clock

# TikTok's durations for a Spark Ads authorization (tcm/tt_video/apply/).
AUTHORIZATION_DAYS = (7, 30, 60, 365)
# An applied authorization shows as "expiring" this close to its end. The renewal reminders'
# marks are settings.SPARK_RENEWAL_REMINDER_DAYS.
EXPIRING_WITHIN = timedelta(days=14)
# TikTok allows at most this many permission requests per video.
MAX_REQUESTS_PER_VIDEO = 30


@dataclass(frozen=True)
class UsageTerms:
    """The usage-rights terms a brand sets when it asks for a code: the duration is the
    request's authorization_days; a fee makes the row unpaid until the brand marks it paid."""

    fee_amount: Decimal | None = None
    fee_currency: str = ""

    def fields(self) -> dict:
        if not self.fee_amount:
            return {"fee_amount": None, "fee_currency": "", "payment_status": SparkAuthorization.Payment.NONE}
        return {
            "fee_amount": self.fee_amount,
            "fee_currency": self.fee_currency.upper(),
            "payment_status": SparkAuthorization.Payment.UNPAID,
        }


def code_digest(code: str) -> str:
    """A keyed hash of an authorization code: unique per code, useless without the key."""
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, code.strip().encode(), hashlib.sha256).hexdigest()


class SparkAuthorizationQuerySet(BrandScopedQuerySet):
    def live(self) -> SparkAuthorizationQuerySet:
        return self.filter(status__in=[SparkAuthorization.Status.ACTIVE, SparkAuthorization.Status.EXPIRING])

    def ending_within(self, span: timedelta) -> SparkAuthorizationQuerySet:
        """Live codes whose window ends within `span` from now on TikTok's clock."""
        now = clock.now()
        return self.live().filter(auth_end__gt=now, auth_end__lte=now + span)


class SparkAuthorization(PendingWrite):
    """One ledger row per post and code: a request, then the code it produced, or a pasted code.
    Its pending write is the TikTok write in flight ("request", "approve", "extend", "unbind",
    "revoke")."""

    class Status(models.TextChoices):
        REQUESTED = "requested", "Requested"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        ACTIVE = "active", "Active"
        EXPIRING = "expiring", "Expiring"
        EXPIRED = "expired", "Expired"
        REVOKED = "revoked", "Revoked"
        UNBOUND = "unbound", "Unbound"
        # A request TikTok refused or never confirmed: kept as the record, and another may follow.
        FAILED = "failed", "Not sent"

    class Source(models.TextChoices):
        REQUEST = "request", "Requested from the post"
        PASTED = "pasted", "Pasted code"
        # The creator approved on this platform: business/post/authorize/setting with their
        # own TikTok account token (scope biz.spark.auth) made the code.
        CREATOR = "creator", "Approved by the creator here"

    class Payment(models.TextChoices):
        NONE = "none", "No fee"
        UNPAID = "unpaid", "Unpaid"
        PAID = "paid", "Paid"

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="spark_authorizations")
    post = models.ForeignKey(
        CampaignPost, null=True, blank=True, on_delete=models.SET_NULL, related_name="spark_authorizations"
    )
    ad_account = models.ForeignKey(
        AdAccount, null=True, blank=True, on_delete=models.SET_NULL, related_name="spark_authorizations"
    )
    tiktok_account = models.ForeignKey(
        TikTokAccount, null=True, blank=True, on_delete=models.SET_NULL, related_name="spark_authorizations"
    )
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.REQUEST)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.REQUESTED)
    video_id = models.CharField(max_length=64)
    item_id = models.CharField(max_length=64, blank=True)
    tiktok_name = models.CharField(max_length=100, blank=True)
    identity_id = models.CharField(max_length=64, blank=True)
    auth_code = EncryptedTextField(blank=True)
    code_hash = models.CharField(max_length=64, blank=True)
    authorization_days = models.PositiveSmallIntegerField(default=30)
    num_remaining_request = models.PositiveSmallIntegerField(null=True, blank=True)
    auth_start = models.DateTimeField(null=True, blank=True)
    auth_end = models.DateTimeField(null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    applied_at = models.DateTimeField(null=True, blank=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Set by the one worker that won the right to call tt_video/authorize/ for this code.
    apply_claimed_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    end_reason = models.CharField(max_length=300, blank=True)
    extension_requested_at = models.DateTimeField(null=True, blank=True)
    # The usage-rights terms agreed with the request and shown to both sides.
    fee_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    fee_currency = models.CharField(max_length=3, blank=True)
    payment_status = models.CharField(max_length=10, choices=Payment.choices, default=Payment.NONE)
    paid_at = models.DateTimeField(null=True, blank=True)
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_error = models.CharField(max_length=500, blank=True)
    next_poll_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SparkAuthorizationQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["brand", "code_hash"], condition=~Q(code_hash=""), name="sparkads_one_row_per_code"
            ),
            # While a request waits for the creator, no second request row for that post.
            models.UniqueConstraint(
                fields=["post"], condition=Q(status="requested"), name="sparkads_one_open_request_per_post"
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_poll_at"],
                condition=Q(status__in=["requested", "approved", "active", "expiring"]),
                name="spark_auth_poll_due_idx",
            ),
        ]
        ordering = ["-requested_at", "-pk"]

    def __str__(self) -> str:
        return f"Spark Ads video {self.video_id} ({self.status})"

    def set_code(self, code: str) -> None:
        self.auth_code = code.strip()
        self.code_hash = code_digest(code)

    @property
    def handle(self) -> str:
        """The creator as the ledger and its messages name them."""
        return self.tiktok_name or (self.tiktok_account.handle if self.tiktok_account else "creator")

    @property
    def creator_account(self) -> TikTokAccount | None:
        """The creator's TikTok account the authorization is for."""
        return self.post.tiktok_account if self.post is not None else self.tiktok_account

    def claim_apply(self) -> bool:
        """Win the right to call `tt_video/authorize/` for this approved code: one conditional
        UPDATE (a claim left by a dead worker is taken over after CLAIM_STALE_AFTER)."""
        now = timezone.now()
        won = polling.take(
            SparkAuthorization.objects.filter(pk=self.pk, status=self.Status.APPROVED),
            field="apply_claimed_at",
            free_within=-self.CLAIM_STALE_AFTER,
            unset_is_free=True,
            now=now,
        )
        if won:
            self.apply_claimed_at = now
        return won

    def audit(self, kind: str, summary: str, *, actor: Any = None, **objects: Any) -> AuditEvent:
        """An event of this authorization, filed under its brand and the creator's TikTok account."""
        return AuditEvent.record(
            self.brand,
            kind,
            summary,
            actor=actor,
            authorization=self,
            tiktok_account_id=self.tiktok_account_id,
            **objects,
        )

    @property
    def days_left(self) -> int | None:
        if self.auth_end is None:
            return None
        return max(0, (self.auth_end - clock.now()).days)

    @property
    def can_extend(self) -> bool:
        """Renewable through the path the code came by; a pasted code cannot be renewed by the
        brand (the creator makes a new one)."""
        if self.source == self.Source.PASTED:
            return False
        return (self.post_id is not None or self.source == self.Source.CREATOR) and self.status in {
            self.Status.ACTIVE,
            self.Status.EXPIRING,
        }

    @property
    def extension_pending(self) -> bool:
        """An extension asked for in TikTok's notifications that TikTok has not confirmed yet."""
        return self.extension_requested_at is not None and self.status in {self.Status.ACTIVE, self.Status.EXPIRING}

    @property
    def awaiting_payment(self) -> bool:
        """An approved code held back until the fee is marked paid (the brand's release setting)."""
        return (
            self.status == self.Status.APPROVED
            and self.payment_status == self.Payment.UNPAID
            and self.brand.spark_release_after_payment
        )

    @property
    def can_mark_paid(self) -> bool:
        """A fee is owed for a code that was or may still be given, not for a refused request."""
        return self.payment_status == self.Payment.UNPAID and self.status not in {
            self.Status.FAILED,
            self.Status.REJECTED,
        }

    @property
    def status_label(self) -> str:
        if self.awaiting_payment:
            return "Approved — waiting for payment"
        return self.get_status_display()

    @property
    def fee_label(self) -> str:
        if self.fee_amount is None:
            return "No fee"
        return f"{self.fee_amount:,.2f} {self.fee_currency}".strip()

    @property
    def terms_summary(self) -> str:
        """The agreed usage-rights terms in one line, for the brand's ledger and the creator's page:
        duration, fee and whether it is paid, and the window once TikTok has set it."""
        parts = [f"{self.authorization_days} days", self.fee_label]
        if self.payment_status != self.Payment.NONE:
            parts.append(self.get_payment_status_display().lower())
        if self.auth_start and self.auth_end:
            parts.append(f"{self.auth_start:%Y-%m-%d} → {self.auth_end:%Y-%m-%d}")
        elif self.auth_end:
            parts.append(f"until {self.auth_end:%Y-%m-%d}")
        return " · ".join(parts)

    def brand_emails(self) -> list[str]:
        """Who hears about this authorization on the brand's side: its managers and whoever asked."""
        emails = set(
            BrandMembership.objects.filter(brand_id=self.brand_id, role__in=BrandMembership.MANAGER_ROLES).values_list(
                "user__email", flat=True
            )
        )
        if self.requested_by is not None:
            emails.add(self.requested_by.email)
        return sorted(e for e in emails if e)

    @property
    def can_unbind(self) -> bool:
        return bool(self.item_id) and self.status in {self.Status.ACTIVE, self.Status.EXPIRING, self.Status.EXPIRED}

    def lifecycle_status(self, now: datetime | None = None) -> str:
        """What an applied authorization is now, judged by its window (on TikTok's clock)."""
        now = now or clock.now()
        if self.auth_end and self.auth_end <= now:
            return self.Status.EXPIRED
        if self.auth_end and self.auth_end - now <= EXPIRING_WITHIN:
            return self.Status.EXPIRING
        return self.Status.ACTIVE

    def next_check_at(self, now: datetime | None = None) -> datetime:
        """The next renewal mark or the end of the window, whichever comes first; daily at most.
        On TikTok's clock, like the window: callers scheduling a poll convert with clock.to_real."""
        now = now or clock.now()
        if self.auth_end is None:
            return now + timedelta(days=1)
        marks = settings.SPARK_RENEWAL_REMINDER_DAYS
        moments = [self.auth_end - timedelta(days=d) for d in marks] + [self.auth_end]
        upcoming = [m for m in moments if m > now]
        return min([*upcoming, now + timedelta(days=1)])


class SparkReminder(models.Model):
    """One reminder sent: the unique constraint makes each reminder go out once."""

    class Recipient(models.TextChoices):
        BRAND = "brand", "Brand"
        CREATOR = "creator", "Creator"

    authorization = models.ForeignKey(SparkAuthorization, on_delete=models.CASCADE, related_name="reminders")
    days_before = models.PositiveSmallIntegerField()
    recipient = models.CharField(max_length=10, choices=Recipient.choices)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["authorization", "days_before", "recipient"], name="sparkads_reminder_once")
        ]


class AdsManagerLink(models.Model):
    """A TikTok account (by username) asked to authorize an ad account in Ads Manager.

    TikTok has no public write API for the request: it is sent on Ads Manager's screen, and
    the platform observes the outcome through `identity/get/` (identity_type TT_USER): a
    request waiting for the owner is listed but not usable, an approved one usable, a rejected
    one disappears (docs/sandbox.md).
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for the account owner"
        AUTHORIZED = "authorized", "Authorized"
        REJECTED = "rejected", "Rejected"
        UNLINKED = "unlinked", "Unlinked"

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="ads_manager_links")
    ad_account = models.ForeignKey(AdAccount, on_delete=models.CASCADE, related_name="ads_manager_links")
    username = models.CharField(max_length=100)
    tiktok_account = models.ForeignKey(
        TikTokAccount, null=True, blank=True, on_delete=models.SET_NULL, related_name="ads_manager_links"
    )
    identity_id = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    next_poll_at = models.DateTimeField(null=True, blank=True)
    # When identity/get/ first listed the request waiting for the owner: once seen, its
    # disappearance means the owner rejected it (or it was withdrawn on TikTok).
    seen_waiting_at = models.DateTimeField(null=True, blank=True)

    objects = BrandScopedQuerySet.as_manager()

    # What the brand reads next to a rejected request.
    REJECTED_ADVICE = (
        "Check that the username is right, ask the account owner to approve the request on TikTok, "
        "then send the request again."
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["ad_account", "username"],
                condition=Q(status__in=["pending", "authorized"]),
                name="sparkads_one_open_link_per_account",
            )
        ]
        indexes = [
            models.Index(fields=["next_poll_at"], condition=Q(status="pending"), name="ads_link_poll_due_idx"),
        ]
        ordering = ["-requested_at", "-pk"]

    def __str__(self) -> str:
        return f"@{self.username} → {self.ad_account} ({self.status})"


class QrAccessRequest(models.Model):
    """A "Request TikTok Account" QR link of a Business Center, with the scopes asked for."""

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="qr_access_requests")
    business_center = models.ForeignKey(BusinessCenter, on_delete=models.CASCADE, related_name="qr_requests")
    scopes = models.JSONField(default=list)
    link = models.URLField(max_length=1000)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = BrandScopedQuerySet.as_manager()

    class Meta:
        constraints = [
            # A row without a link is the one call to TikTok in flight for this Business Center.
            models.UniqueConstraint(
                fields=["business_center"], condition=Q(link=""), name="sparkads_one_pending_qr_per_bc"
            )
        ]
        ordering = ["-created_at", "-pk"]


class SparkAdReference(models.Model):
    """What a Business Center member chose to promote with "Use other authorized account or post"."""

    class Mode(models.TextChoices):
        PULL = "pull", "Existing post"
        PUSH = "push", "Publish an ad video as a post"

    class Status(models.TextChoices):
        READY = "ready", "Ready to use in an ad"
        AWAITING_PUBLISH = "awaiting_publish", "Video uploaded, waiting to be published on TikTok"

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="spark_ad_references")
    business_center = models.ForeignKey(BusinessCenter, on_delete=models.CASCADE, related_name="spark_ad_references")
    member = models.ForeignKey(
        BusinessCenterMember, null=True, blank=True, on_delete=models.SET_NULL, related_name="spark_ad_references"
    )
    ad_account = models.ForeignKey(AdAccount, on_delete=models.CASCADE, related_name="spark_ad_references")
    tiktok_account = models.ForeignKey(TikTokAccount, on_delete=models.CASCADE, related_name="spark_ad_references")
    mode = models.CharField(max_length=4, choices=Mode.choices)
    identity_id = models.CharField(max_length=64, blank=True)
    identity_type = models.CharField(max_length=20, default="BC_AUTH_TT")
    item_id = models.CharField(max_length=64, blank=True)
    video = models.FileField(upload_to="spark_ad_videos/%Y/%m/", blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.READY)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = BrandScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]


class AuditEvent(models.Model):
    """Every authorization event. Codes, tokens and QR links are never written here."""

    class Kind(models.TextChoices):
        REQUESTED = "requested", "Requested"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        APPLIED = "applied", "Applied to ad account"
        EXTENDED = "extended", "Extension requested"
        EXPIRED = "expired", "Expired"
        REVOKED = "revoked", "Revoked"
        UNBOUND = "unbound", "Unbound"
        LINKED = "linked", "Linked"
        UNLINKED = "unlinked", "Unlinked"
        QR_GENERATED = "qr_generated", "QR code generated"
        ACCOUNT_APPROVED = "account_approved", "TikTok account approved"
        ASSIGNED = "assigned", "Assigned"
        UNASSIGNED = "unassigned", "Unassigned"
        BULK_REQUESTED = "bulk_requested", "Bulk request"
        HELD = "held", "Held until the fee is paid"
        PAID = "paid", "Fee marked paid"
        SETTING = "setting", "Setting changed"
        REMINDED = "reminded", "Renewal reminder sent"
        RENEWED = "renewed", "Renewed"

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="audit_events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    summary = models.CharField(max_length=500)
    authorization = models.ForeignKey(
        SparkAuthorization, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    ad_account = models.ForeignKey(AdAccount, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    tiktok_account = models.ForeignKey(
        TikTokAccount, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    business_center = models.ForeignKey(
        BusinessCenter, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    member = models.ForeignKey(BusinessCenterMember, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    objects = BrandScopedQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["brand", "-created_at"], name="audit_brand_time_idx")]
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.summary}"

    @classmethod
    def record(cls, brand: Brand, kind: str, summary: str, *, actor: Any = None, **objects: Any) -> AuditEvent:
        """Record an event. Callers pass names and ids only: never a code, token or link."""
        user = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
        return cls.objects.create(brand=brand, kind=kind, summary=summary[:500], actor=user, **objects)

    @property
    def actor_label(self) -> str:
        if self.actor is None:
            return "TikTok / platform"
        return self.actor.email or self.actor.get_username()
