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
from django.contrib.auth import get_user_model
from django.db import IntegrityError, models, transaction
from django.db.models import OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.text import capfirst

from integrations import polling, words
from integrations.crypto import EncryptedTextField
from integrations.errors import FlowError
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
# The last-day renewal mark ("ends today") is reached this long before the end.
LAST_DAY = timedelta(days=1)
# A live authorization is read on TikTok this often (a cancellation or an extension made there).
LIVE_CHECK_EVERY = timedelta(days=1)
# A request waiting for the creator (or an EXTEND request) is read on TikTok at least this often.
REQUEST_POLL_EVERY = timedelta(minutes=5)
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

    def with_emails_of(self, *people: str) -> SparkAuthorizationQuerySet:
        """Each row with the email of the user behind each of `people` (its foreign keys, e.g.
        "requested_by") as ``<person>_email``, None for nobody. A subquery each, not a join: with
        four joins of the user table, planning the ledger's query took longer than running it."""
        return self.annotate(
            **{
                f"{person}_email": Subquery(
                    get_user_model().objects.filter(pk=OuterRef(f"{person}_id")).values("email")
                )
                for person in people
            }
        )

    def open_requests(self) -> SparkAuthorizationQuerySet:
        """Rows whose TikTok One request waits for the creator: a request, or a live code's
        EXTEND request. TikTok's tcm/tt_video/status/ answers for a post's latest request without
        saying which, so a post has one of them at a time (SparkAuthorization.refusal,
        flows.request_permission)."""
        status = SparkAuthorization.Status
        return self.filter(
            Q(status=status.REQUESTED)
            | Q(status__in=[status.ACTIVE, status.EXPIRING], extension_requested_at__isnull=False)
        )

    def with_other_request_at(self) -> SparkAuthorizationQuerySet:
        """Each row with when the newest open request of another row for its post was sent, as
        ``other_request_at``; None for none."""
        others = (
            SparkAuthorization.objects.open_requests()
            .filter(brand_id=OuterRef("brand_id"), post_id=OuterRef("post_id"))
            .exclude(pk=OuterRef("pk"))
            .annotate(asked=Coalesce("extension_requested_at", "requested_at"))
            .order_by("-asked")
            .values("asked")[:1]
        )
        return self.annotate(other_request_at=Subquery(others))


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
    # The post's caption as tt_video/info/ gives it (item_info.text): a pasted code may be for
    # a post that is no campaign post here, and this is then the only name the row has.
    caption = models.TextField(blank=True)
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
    # When `tt_video/authorize/` was last sent for this code without an answer read yet: set
    # before the call, cleared by the apply it completes. Still set on the next attempt, the
    # answer was lost and TikTok may have applied the code (sparkads.flows.apply_approved).
    authorize_sent_at = models.DateTimeField(null=True, blank=True)
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
    # The music pre-flight before the code is applied (sparkads/music.py): TikTok's
    # music_status, what it means for this row, and when it was read on TikTok's clock.
    music_status = models.CharField(max_length=30, blank=True)
    music_note = models.CharField(max_length=500, blank=True)
    music_checked_at = models.DateTimeField(null=True, blank=True)
    # Real time: when the poller next asks TikTok about the row (a request's answer, a code to
    # apply, the daily look for a cancellation or an extension made in TikTok).
    next_poll_at = models.DateTimeField(null=True, blank=True)
    # TikTok's time: the row's next deadline (a renewal mark, the end of the term, the end of a
    # held code's window). The deadline poller compares it with clock.now() on every tick, so
    # a sandbox clock that jumps makes it due at once; a real time computed from it would not.
    due_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SparkAuthorizationQuerySet.as_manager()
    # Prefetched by sparkads.ads.flows.with_spend_at_risk: the ads the code feeds.
    ledger_ads: list[SparkAd]
    # Annotated by SparkAuthorizationQuerySet.with_emails_of on the ledger's rows.
    requested_by_email: str | None
    applied_by_email: str | None
    ended_by_email: str | None
    # Annotated by SparkAuthorizationQuerySet.with_other_request_at on the ledger's rows.
    other_request_at: datetime | None

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
            models.Index(
                fields=["due_at"],
                condition=Q(status__in=["approved", "active", "expiring"]),
                name="spark_auth_deadline_due_idx",
            ),
            # The ledger's page, newest first: read from the index, 25 rows of a brand's thousands.
            models.Index(fields=["brand", "-requested_at", "-id"], name="spark_auth_ledger_order_idx"),
        ]
        ordering = ["-requested_at", "-pk"]

    def __str__(self) -> str:
        return f"Spark Ads video {self.video_id} ({self.status})"

    # The ledger as a state machine: each action and the statuses it may start from. A page
    # offers an action only where `allows` says so, and the flow checks `guard` again under
    # its claim, so a stale page or a forged POST changes nothing.
    TRANSITIONS: dict[str, frozenset[str]] = {
        "approve": frozenset({Status.REQUESTED}),
        # The creator declined, or the request was never sent or answered with a known code.
        "reject": frozenset({Status.REQUESTED}),
        "fail": frozenset({Status.REQUESTED}),
        "hold": frozenset({Status.APPROVED}),
        "apply": frozenset({Status.APPROVED}),
        "mark_paid": frozenset({Status.APPROVED, Status.ACTIVE, Status.EXPIRING, Status.EXPIRED, Status.UNBOUND}),
        "extend_propose": frozenset({Status.ACTIVE, Status.EXPIRING}),
        "extend_accept": frozenset({Status.ACTIVE, Status.EXPIRING}),
        "extend_decline": frozenset({Status.ACTIVE, Status.EXPIRING}),
        "unbind": frozenset({Status.ACTIVE, Status.EXPIRING, Status.EXPIRED}),
        "revoke": frozenset({Status.APPROVED, Status.ACTIVE, Status.EXPIRING}),
        "expire": frozenset({Status.APPROVED, Status.ACTIVE, Status.EXPIRING}),
        # TikTok's clock moves a live code from active to expiring.
        "advance": frozenset({Status.ACTIVE, Status.EXPIRING}),
    }
    # What unbind and revoke record; the other actions' target is in their methods.
    ENDS = {"unbind": Status.UNBOUND, "revoke": Status.REVOKED}

    def refusal(self, action: str) -> str:
        """Why `action` is not allowed on this row now, in words for the page; "" if it is."""
        if self.status not in self.TRANSITIONS[action]:
            return f"Not possible now: the authorization of {self.post_name} is {self.get_status_display().lower()}."
        if action == "apply" and not self.code_hash:
            return f"{capfirst(self.post_name)} has no code to apply."
        if action == "mark_paid":
            return self._mark_paid_refusal()
        if action.startswith("extend_") and self.source == self.Source.PASTED:
            return (
                f"The code for {self.post_name} was pasted, so it cannot be extended from here: ask "
                f"@{self.handle} for a new code (TikTok: the post's Ad settings) and paste it."
            )
        if action == "extend_propose" and self.source == self.Source.REQUEST and self.other_open_request_at():
            return (
                f"Not possible now: a request for {self.post_name} is waiting for @{self.handle}'s answer on "
                "TikTok, which reports on a post's latest request only. Extend once it is answered."
            )
        if action == "unbind" and not (self.item_id and self.ad_account_id):
            return "Only a post that is authorized to an ad account can be unbound."
        return ""

    def _mark_paid_refusal(self) -> str:
        if self.payment_status == self.Payment.NONE:
            return "This authorization has no fee to pay."
        if self.payment_status == self.Payment.PAID:
            who = self.paid_by.email if self.paid_by else "someone"
            when = timezone.localtime(clock.on_clock(self.paid_at)) if self.paid_at else None
            return f"Already marked paid by {who}" + (f" on {when:%Y-%m-%d %H:%M}." if when else ".")
        if self.status == self.Status.APPROVED and self.auth_end is not None and self.auth_end <= clock.now():
            return (
                f"Nothing was recorded: the code for {self.post_name} was never applied and its window "
                f"ended on {self.auth_end:%Y-%m-%d}, so there is no usage to pay for. Ask @{self.handle} for a "
                "new code if you still want the post."
            )
        if self.status == self.Status.EXPIRED and self.applied_at is None:
            return f"Nothing was recorded: the code for {self.post_name} expired without ever being applied."
        return ""

    def allows(self, action: str) -> bool:
        return not self.refusal(action)

    def other_open_request_at(self) -> datetime | None:
        """When another row's open TikTok One request for this post was sent (the newest); None
        for none. The ledger's rows have it annotated; any other row reads it now."""
        if "other_request_at" in self.__dict__:
            return self.other_request_at
        rows = SparkAuthorization.objects.filter(pk=self.pk).with_other_request_at()
        return rows.values_list("other_request_at", flat=True).first()

    @property
    def open_request_at(self) -> datetime | None:
        """When this row's own open request was sent: its request, or its code's EXTEND request."""
        if self.status == self.Status.REQUESTED:
            return self.requested_at
        return self.extension_requested_at if self.extension_pending else None

    def waits_for_newer_request(self) -> bool:
        """Another row's request for the post is newer than this row's open one, so TikTok's
        status answers that request, not this one: the answer is read once that one is answered.
        Only rows from before a post had one open request at a time get here."""
        mine = self.open_request_at
        if mine is None:
            return False
        other = self.other_open_request_at()
        return other is not None and other > mine

    def guard(self, action: str) -> None:
        """Refuse a forbidden action with the reason, before anything is changed or sent."""
        reason = self.refusal(action)
        if reason:
            raise FlowError(reason)

    def in_states_for(self, action: str) -> models.QuerySet[SparkAuthorization]:
        """This row, only while `action` may start from its status: the filter every
        transition's conditional UPDATE goes through, so a race loser changes nothing."""
        return SparkAuthorization.objects.filter(pk=self.pk, status__in=self.TRANSITIONS[action])

    def free_code(self, code: str) -> SparkAuthorization | None:
        """Make `code` available to this row, inside the caller's transaction. TikTok answers a
        post's live code when it has one, and a code unbound from the ad account (or ended here
        while TikTok still has it) is live: it moves from its ended row to this one, so the one
        apply path applies it again. Returns the live row that keeps the code instead, if any."""
        holder = (
            SparkAuthorization.objects.select_for_update()
            .filter(brand_id=self.brand_id, code_hash=code_digest(code))
            .exclude(pk=self.pk)
            .first()
        )
        if holder is None:
            return None
        if holder.status in (self.Status.APPROVED, self.Status.ACTIVE, self.Status.EXPIRING):
            return holder
        SparkAuthorization.objects.filter(pk=holder.pk).update(code_hash="", auth_code="")
        return None

    # --- the transitions: each a conditional UPDATE through in_states_for, so of two racing
    # callers one wins and the other changes nothing; the winner's copy takes the new fields.

    def _move(self, action: str, **fields: Any) -> bool:
        fields["updated_at"] = timezone.now()
        if not self.in_states_for(action).update(**fields):
            return False
        for name, value in fields.items():
            setattr(self, name, value)
        return True

    def approve(self, code: str, **fields: Any) -> bool:
        """REQUESTED → APPROVED with the code TikTok gave, inside the caller's transaction
        that freed the code (free_code)."""
        return self._move(
            "approve", status=self.Status.APPROVED, auth_code=code.strip(), code_hash=code_digest(code), **fields
        )

    def reject(self, **fields: Any) -> bool:
        return self._move("reject", status=self.Status.REJECTED, decided_at=timezone.now(), next_poll_at=None, **fields)

    def fail(self, message: str, **fields: Any) -> bool:
        """The request was refused, never confirmed sent, or answered with a code the ledger has."""
        return self._move("fail", status=self.Status.FAILED, next_poll_at=None, last_error=message[:500], **fields)

    def hold(self) -> bool:
        """Held until the fee is paid: nothing to ask TikTok, due when the window ends."""
        return self._move("hold", next_poll_at=None, due_at=self.auth_end)

    def mark_paid(self, user: Any) -> bool:
        """The fee recorded as paid, once. A held code is due to the poller from then on, as
        every approved code is: should its apply die once TikTok applied the code, the poller
        takes the row over when the apply's claim runs out."""
        now = timezone.now()
        won = (
            self.in_states_for("mark_paid")
            .filter(payment_status=self.Payment.UNPAID)
            .update(
                payment_status=self.Payment.PAID,
                paid_at=now,
                paid_by=user,
                next_poll_at=models.Case(
                    models.When(status=self.Status.APPROVED, then=models.Value(now)), default=models.F("next_poll_at")
                ),
                updated_at=now,
            )
        )
        self.refresh_from_db()
        return bool(won)

    def apply(self, actor: Any, note: str) -> bool:
        """APPROVED → live, once TikTok applied the code: the window and the post as
        tt_video/info/ gave them (already set on this copy), `note` the warning left in view."""
        self.schedule_checks()
        return self._move(
            "apply",
            status=self.lifecycle_status(),
            applied_at=timezone.now(),
            applied_by=actor,
            last_error=note[:500],
            authorize_sent_at=None,
            ad_account=self.ad_account,
            item_id=self.item_id,
            auth_start=self.auth_start,
            auth_end=self.auth_end,
            caption=self.caption,
            tiktok_name=self.tiktok_name,
            identity_id=self.identity_id,
            tiktok_account=self.tiktok_account,
            next_poll_at=self.next_poll_at,
            due_at=self.due_at,
        )

    def accept_extension(self, new_end: datetime) -> bool:
        """extend_accept: TikTok confirmed a longer window of this row's code."""
        self.auth_end = new_end
        self.schedule_checks()
        return self._move(
            "extend_accept",
            auth_end=new_end,
            extension_requested_at=None,
            status=self.lifecycle_status(),
            next_poll_at=self.next_poll_at,
            due_at=self.due_at,
        )

    def propose_extension(self) -> bool:
        """extend_propose of a requested code: TikTok's EXTEND request went out; pending until
        the live check sees TikTok's answer."""
        now = timezone.now()
        return self._move(
            "extend_propose",
            extension_requested_at=now,
            next_poll_at=now + REQUEST_POLL_EVERY,
            pending_write="",
            pending_since=None,
        )

    def advance(self, now: datetime | None = None) -> bool:
        """A live code as TikTok's clock finds it (active or expiring), with its next checks."""
        self.schedule_checks()
        return self._move(
            "advance", status=self.lifecycle_status(now), next_poll_at=self.next_poll_at, due_at=self.due_at
        )

    def expire(self, reason: str = "") -> bool:
        return self._move(
            "expire", status=self.Status.EXPIRED, ended_at=timezone.now(), end_reason=reason[:300], next_poll_at=None
        )

    def end(self, action: str, user: Any, reason: str) -> bool:
        """unbind or revoke: the code ends here, by `user` (None: TikTok or the platform)."""
        return self._move(
            action,
            status=self.ENDS[action],
            ended_at=timezone.now(),
            ended_by=user if user is not None and getattr(user, "is_authenticated", False) else None,
            end_reason=reason[:300],
            next_poll_at=None,
        )

    def accept_extension_code(self, code: str, end: datetime | None) -> bool:
        """extend_accept for a requested code: the creator approved the EXTEND request in
        TikTok, which made a new code. The row carries it from now on as an approved code for
        the apply path. A code the ledger already has is another row's, never this row's
        extension. Returns whether the row took it."""
        digest = code_digest(code)
        if SparkAuthorization.objects.filter(brand_id=self.brand_id, code_hash=digest).exists():
            return False
        try:
            with transaction.atomic():
                return self._move(
                    "extend_accept",
                    status=self.Status.APPROVED,
                    auth_code=code.strip(),
                    code_hash=digest,
                    auth_end=end,
                    extension_requested_at=None,
                    apply_claimed_at=None,
                    authorize_sent_at=None,
                    next_poll_at=timezone.now(),
                )
        except IntegrityError:  # another row took the code in between
            return False

    def set_code(self, code: str) -> None:
        self.auth_code = code.strip()
        self.code_hash = code_digest(code)

    @property
    def post_name(self) -> str:
        """The post in a sentence: its caption, from the campaign post or from TikTok's answer
        about the code; its id only while neither is known."""
        caption = (self.post.caption if self.post is not None else "") or self.caption
        return words.post_name(caption, self.video_id)

    @property
    def handle(self) -> str:
        """The creator as the ledger and its messages name them."""
        return self.tiktok_name or (self.tiktok_account.handle if self.tiktok_account else "creator")

    @property
    def added_as(self) -> str:
        """How the row came into the ledger, for "… by whom" on the pages and in the CSV."""
        return "pasted" if self.source == self.Source.PASTED else "requested"

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
    def spend_at_risk(self) -> list[Money]:
        """What stops if the code ends, one amount per currency, largest first. Read from the
        ads `sparkads.ads.flows.with_spend_at_risk` prefetched, each with its own part."""
        return by_currency([Money(ad.at_risk, ad.currency) for ad in self.ledger_ads if ad.at_risk])

    @property
    def flagged_ads(self) -> list[SparkAd]:
        """The code's ads the ledger flags on its row: rejected in review, or fatigued."""
        return [ad for ad in self.ledger_ads if ad.flag]

    @property
    def stopping_daily_spend(self) -> list[Money]:
        """What the ads that stop with the code spent on their last whole day, per currency."""
        return by_currency([ad.daily for ad in self.ledger_ads if ad.at_risk])

    @property
    def actions(self) -> frozenset[str]:
        """The actions the pages may offer on this row now. The status is checked first: most
        actions start from other statuses, and their refusal need not be worded to be known."""
        return frozenset(
            action for action, starts in self.TRANSITIONS.items() if self.status in starts and self.allows(action)
        )

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
    def status_label(self) -> str:
        if self.window_ended:
            return "Expired" if self.status == self.Status.APPROVED else "Ended"
        if self.awaiting_payment:
            return "Approved — waiting for payment"
        return self.get_status_display()

    @property
    def window_ended(self) -> bool:
        """TikTok's clock is past the window of a row still recorded as live or held: until the
        deadline poller's next beat records the unbind or the expiry, the pages say it ended
        rather than "0 days left"."""
        live_or_held = self.status in {self.Status.APPROVED, self.Status.ACTIVE, self.Status.EXPIRING}
        return live_or_held and self.auth_end is not None and self.auth_end <= clock.now()

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

    def creator_emails(self) -> list[str]:
        """Who hears about this authorization on the creator's side: the account's owner here."""
        account = self.creator_account
        owner = account.owner if account is not None else None
        return [owner.email] if owner is not None and owner.email else []

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

    def lifecycle_status(self, now: datetime | None = None) -> str:
        """What an applied authorization is now, judged by its window (on TikTok's clock)."""
        now = now or clock.now()
        if self.auth_end and self.auth_end <= now:
            return self.Status.EXPIRED
        if self.auth_end and self.auth_end - now <= EXPIRING_WITHIN:
            return self.Status.EXPIRING
        return self.Status.ACTIVE

    def schedule_checks(self) -> None:
        """A live authorization's two schedules: the daily read on TikTok (real time) and its
        next deadline (TikTok's time). The caller saves."""
        self.next_poll_at = timezone.now() + LIVE_CHECK_EVERY
        self.due_at = self.next_deadline()

    def next_deadline(self, now: datetime | None = None) -> datetime | None:
        """The next renewal mark or the end of the window, on TikTok's clock; None without a
        window. A mark already reached is not a deadline: the check that reached it sent it."""
        if self.auth_end is None:
            return None
        now = now or clock.now()
        marks = [self.mark_at(d) for d in settings.SPARK_RENEWAL_REMINDER_DAYS]
        return min([m for m in marks if m > now], default=self.auth_end)

    def mark_at(self, days: int) -> datetime:
        """When the renewal mark `days` before the end is reached, on TikTok's clock. The
        last-day mark (0) is reached when the last day begins, as the pages start to read
        "0 days left": at the end itself it would only arrive with the unbind, too late to
        renew. The caller knows the window (auth_end)."""
        assert self.auth_end is not None
        return self.auth_end - (timedelta(days=days) if days else LAST_DAY)


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


class ExtensionProposal(models.Model):
    """A brand's offer to extend a code the creator made here: more days for a fee. Nothing is
    sent to TikTok until the creator accepts; then `business/post/authorize/` goes out once,
    with the creator's own token, and the row's terms grow by what was agreed. A proposal made
    under the creator's auto-renewal grant is accepted by that grant."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Waiting for the creator"
        # The one acceptance that won the claim: its TikTok call is in flight.
        SENDING = "sending", "Accepted; being sent to TikTok"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        WITHDRAWN = "withdrawn", "Closed"

    OPEN = (Status.PROPOSED, Status.SENDING)

    authorization = models.ForeignKey(SparkAuthorization, on_delete=models.CASCADE, related_name="proposals")
    days = models.PositiveSmallIntegerField()
    fee_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    fee_currency = models.CharField(max_length=3, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PROPOSED)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    proposed_at = models.DateTimeField(default=timezone.now)
    by_auto_renewal = models.BooleanField(default=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    sending_since = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["authorization"],
                condition=Q(status__in=["proposed", "sending"]),
                name="sparkads_one_open_extension_proposal",
            )
        ]
        ordering = ["-proposed_at", "-pk"]

    def __str__(self) -> str:
        return f"Extend video {self.authorization.video_id} by {self.days} days ({self.status})"

    @property
    def fee_label(self) -> str:
        if not self.fee_amount:
            return "no fee"
        return f"{self.fee_amount:,.2f} {self.fee_currency}".strip()

    @property
    def summary(self) -> str:
        return f"{self.days} more days for {self.fee_label}"


class AutoRenewal(models.Model):
    """The creator's standing consent to extend one code at agreed terms, up to a cap on the
    code's total days. Without it nothing is extended on the creator's behalf."""

    authorization = models.OneToOneField(SparkAuthorization, on_delete=models.CASCADE, related_name="auto_renewal")
    days = models.PositiveSmallIntegerField()
    fee_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    fee_currency = models.CharField(max_length=3, blank=True)
    max_total_days = models.PositiveSmallIntegerField()
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    granted_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Auto-renew video {self.authorization.video_id} by {self.days} days up to {self.max_total_days}"

    def allows_another(self, authorization_days: int) -> bool:
        return authorization_days + self.days <= self.max_total_days


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
    # The post's caption as identity/video/get/ listed it (`text`), to name the post on the page.
    caption = models.TextField(blank=True)
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
        PROPOSED = "proposed", "Extension proposed"
        DECLINED = "declined", "Extension declined"
        AUTO_RENEWAL = "auto_renewal", "Auto-renewal changed"
        MUSIC = "music", "Music checked"

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


@dataclass(frozen=True)
class Money:
    """An exact amount in one currency. Amounts in different currencies are never added."""

    amount: Decimal
    currency: str

    def __str__(self) -> str:
        return f"{self.amount:,.2f} {self.currency}".strip()


def by_currency(amounts: list[Money]) -> list[Money]:
    """The amounts summed per currency, largest first: one figure per currency, never one sum."""
    totals: dict[str, Decimal] = {}
    for money in amounts:
        totals[money.currency] = totals.get(money.currency, Decimal("0.00")) + money.amount
    return sorted((Money(a, c) for c, a in totals.items()), key=lambda m: (-m.amount, m.currency))


class SparkAd(models.Model):
    """A brand's ad that promotes a post as a Spark ad, as ad/get/ last answered it, and the
    ledger row whose code (or account) it runs on. TT_USER and BC_AUTH_TT ads run on the
    linked account, not on a code: only AUTH_CODE ads stop when the code ends."""

    STOPS_WITH_CODE = "AUTH_CODE"
    NOT_LIVE = ("AD_STATUS_AUDIT", "AD_STATUS_NOT_APPROVE", "AD_STATUS_AUDIT_DENY", "AD_STATUS_DONE")
    # The sandbox says NOT_APPROVE; TikTok's status list says AUDIT_DENY: both are a rejection.
    REJECTED = ("AD_STATUS_NOT_APPROVE", "AD_STATUS_AUDIT_DENY")
    # What an AD webhook's rejection records until ad/get/ tells the status again.
    REJECTED_BY_WEBHOOK = REJECTED[0]
    # How each identity type authorizes the post, in words (model/ad/ad.go identity_type).
    SOURCES = {
        "AUTH_CODE": "Spark code applied to the ad account",
        "TT_USER": "TikTok account linked in Ads Manager",
        "BC_AUTH_TT": "TikTok account authorized to a Business Center",
    }
    # secondary_status values (TikTok's enum) in words, with the tone the page gives them.
    # A value not named here is shown as TikTok sent it; extend this map to name more.
    STATUSES = {
        "AD_STATUS_DELIVERY_OK": ("Delivering", "ok"),
        "AD_STATUS_AUDIT": ("In review", "warn"),
        "AD_STATUS_REAUDIT": ("In review after an edit", "warn"),
        "AD_STATUS_NOT_APPROVE": ("Rejected in review", "bad"),
        "AD_STATUS_AUDIT_DENY": ("Rejected in review", "bad"),
        "AD_STATUS_MUSIC_AUTHORIZATION_MISSING": ("Music rights missing", "bad"),
        "AD_STATUS_DISABLE": ("Stopped", "bad"),
        "AD_STATUS_BUDGET_EXCEED": ("Out of budget", "warn"),
        "AD_STATUS_DONE": ("Finished: its ad group's schedule ended", "muted"),
    }

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="spark_ads")
    ad_account = models.ForeignKey(AdAccount, on_delete=models.CASCADE, related_name="spark_ads")
    authorization = models.ForeignKey(
        SparkAuthorization, null=True, blank=True, on_delete=models.SET_NULL, related_name="ads"
    )
    ad_id = models.CharField(max_length=64)
    ad_name = models.CharField(max_length=200, blank=True)
    tiktok_item_id = models.CharField(max_length=64)
    identity_type = models.CharField(max_length=20)
    identity_id = models.CharField(max_length=64, blank=True)
    operation_status = models.CharField(max_length=20, blank=True)
    secondary_status = models.CharField(max_length=64, blank=True)
    modify_time = models.DateTimeField(null=True, blank=True)  # TikTok's, UTC
    adgroup_id = models.CharField(max_length=64, blank=True)
    # The end of the ad group's schedule (SCHEDULE_START_END, TikTok's UTC), when the ad stops
    # on its own; None: it runs with no end (SCHEDULE_FROM_NOW) or adgroup/get/ was not read yet.
    runs_until = models.DateTimeField(null=True, blank=True)
    # The latest whole day's spend and the lifetime total, in `currency` (the ad account's).
    currency = models.CharField(max_length=8, blank=True)
    daily_spend = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0.00"))
    lifetime_spend = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0.00"))
    # The days of the last report's window (SPEND_DAYS, up to today), summed.
    spend_last_7_days = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0.00"))
    # The ad's identity's ad quota as asset/bind/quota/ last said (None before the first read).
    identity_ads_used = models.PositiveIntegerField(null=True, blank=True)
    identity_ads_total = models.PositiveIntegerField(null=True, blank=True)
    read_at = models.DateTimeField(default=timezone.now)
    # TikTok's webhooks, on its clock: an AD event's rejection and a CREATIVE_FATIGUE finding
    # (``fatigued_on`` is the day TikTok says it detected it).
    rejected_at = models.DateTimeField(null=True, blank=True)
    reject_reason = models.CharField(max_length=500, blank=True)
    fatigued_at = models.DateTimeField(null=True, blank=True)
    fatigued_on = models.DateField(null=True, blank=True)
    # Annotated by sparkads.ads.flows.ledger_ads: this ad's part of its code's spend at risk.
    at_risk: Decimal

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ad_account", "ad_id"], name="sparkads_one_row_per_ad")]
        indexes = [models.Index(fields=["authorization", "operation_status"], name="spark_ad_by_code_idx")]

    def __str__(self) -> str:
        return f"Spark ad {self.ad_id} ({self.secondary_status or self.operation_status})"

    @property
    def is_live(self) -> bool:
        return self.operation_status == "ENABLE" and self.secondary_status not in self.NOT_LIVE

    @property
    def is_rejected(self) -> bool:
        return self.rejected_at is not None or self.secondary_status in self.REJECTED

    @property
    def flag(self) -> str:
        """What the ledger flags on the ad's row: TikTok rejected it, or its creative fatigued."""
        if self.is_rejected:
            return "Rejected"
        return "Fatigued" if self.fatigued_at is not None else ""

    @property
    def flag_detail(self) -> str:
        if self.is_rejected:
            return self.reject_reason
        if self.fatigued_at is not None:
            return f"since {self.fatigued_on or self.fatigued_at.date()}"
        return ""

    @property
    def status_display(self) -> tuple[str, str]:
        """The ad's status in words and its tone (ok, warn, bad, muted)."""
        if self.secondary_status in self.STATUSES:
            return self.STATUSES[self.secondary_status]
        if self.operation_status == "DISABLE":
            return ("Switched off", "bad")
        return (self.secondary_status or self.operation_status or "Unknown", "muted")

    @property
    def source_label(self) -> str:
        return self.SOURCES.get(self.identity_type, self.identity_type)

    @property
    def daily(self) -> Money:
        return Money(self.daily_spend, self.currency)

    @property
    def last_7_days(self) -> Money:
        return Money(self.spend_last_7_days, self.currency)

    @property
    def lifetime(self) -> Money:
        return Money(self.lifetime_spend, self.currency)


class SparkAdDay(models.Model):
    """What one ad spent on one day of its ad account's calendar, as TikTok's report says."""

    ad = models.ForeignKey(SparkAd, on_delete=models.CASCADE, related_name="days")
    day = models.DateField()
    spend = models.DecimalField(max_digits=14, decimal_places=2)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ad", "day"], name="sparkads_one_row_per_ad_day")]

    def __str__(self) -> str:
        return f"{self.ad.ad_id} {self.day}: {self.spend}"


class AdAccountSubscription(models.Model):
    """A webhook subscription TikTok holds for an ad account that may feed a live code:
    REPORT_DATA_CHANGE and CREATIVE_FATIGUE for the whole account, AD for one of its Spark ads
    (TikTok requires ``ad_id`` there). An empty ``subscription_id`` is one TikTok refused
    (``last_error``); the next sweep tries again."""

    class Entity(models.TextChoices):
        REPORT_DATA_CHANGE = "REPORT_DATA_CHANGE"
        AD = "AD"
        CREATIVE_FATIGUE = "CREATIVE_FATIGUE"

    ad_account = models.ForeignKey(AdAccount, on_delete=models.CASCADE, related_name="ad_subscriptions")
    entity = models.CharField(max_length=20, choices=Entity.choices)
    ad_id = models.CharField(max_length=64, blank=True)
    subscription_id = models.CharField(max_length=64, blank=True)
    subscribed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ad_account", "entity", "ad_id"], name="sparkads_one_subscription_each")
        ]

    def __str__(self) -> str:
        return (
            f"{self.entity} {self.ad_id or self.ad_account.advertiser_id} ({self.subscription_id or 'not subscribed'})"
        )
