"""Creator-side tables: a creator's profile and their way into the Creator Marketplace.

Collaborations and campaign posts belong to the shared model (integrations.models).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q

from integrations.models import TikTokAccount
from integrations.tiktok import clock

# TikTok's Creator Marketplace eligibility (its support page): 18+, 10,000 followers, 1,000 post
# views and 3 posts in the last 30 days, a personal or creator account.
MIN_FOLLOWERS = 10_000
# TikTok: an invite "may take up to 24 hours" to reach Inbox > Monetization.
INVITE_DEADLINE = timedelta(hours=24)
# TikTok: processing after acceptance takes "2+ hours".
PROCESSING_TIME = timedelta(hours=2)


class CreatorProfile(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="creator_profile")
    display_name = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.display_name or str(self.user)


class MarketplaceOnboarding(models.Model):
    """One creator account's way into the TikTok Creator Marketplace, as a state machine.

    TikTok exposes only `tto/tcm/creator/status/get/` (IN / NOT_IN / INVITED / INVALID): an
    invite that was requested, delivered or accepted all read INVITED. So "accepted" is what
    the creator tells us after tapping Accept in the app, and "overdue" is INVITED for longer
    than TikTok's 24 hours. An app without the legacy invite endpoint (TikTok answers 41001)
    leads the creator to join in the TikTok app instead ("join in app") and keeps polling.
    Each state has its own timestamp so brands see where it stuck.
    """

    class State(models.TextChoices):
        AUTHORIZED = "authorized", "TikTok authorized"
        NOT_ELIGIBLE = "not_eligible", "Not eligible yet"
        WAITING = "waiting", "Waiting for the invite"
        OVERDUE = "overdue", "Invite not arrived after 24 hours"
        PROCESSING = "processing", "TikTok is processing"
        JOIN_IN_APP = "join_in_app", "Join in the TikTok app"
        IN_MARKETPLACE = "in_marketplace", "In the Creator Marketplace"
        INVALID = "invalid", "TikTok says the account is invalid"
        DISCONNECTED = "disconnected", "Disconnected"

    # States the poller keeps looking at; the others wait for the creator.
    POLLED_STATES = (State.AUTHORIZED, State.WAITING, State.OVERDUE, State.PROCESSING, State.JOIN_IN_APP)

    tiktok_account = models.OneToOneField(TikTokAccount, on_delete=models.CASCADE, related_name="onboarding")
    state = models.CharField(max_length=20, choices=State.choices, default=State.AUTHORIZED)
    tiktok_status = models.CharField(max_length=10, blank=True, help_text="TikTok's last onboarding status")
    # Why TikTok or the platform found the account not eligible: [{"check", "reason", "fix"}].
    ineligible_reasons = models.JSONField(default=list, blank=True)
    authorized_at = models.DateTimeField(null=True, blank=True)
    status_checked_at = models.DateTimeField(null=True, blank=True)
    eligibility_checked_at = models.DateTimeField(null=True, blank=True)
    invite_requested_at = models.DateTimeField(null=True, blank=True)
    overdue_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    # When TikTok told us it no longer takes invites from this app: the creator joins in the app.
    join_in_app_at = models.DateTimeField(null=True, blank=True)
    joined_at = models.DateTimeField(null=True, blank=True)
    state_changed_at = models.DateTimeField(null=True, blank=True)
    # The last change shown once on the creator's page (cleared when seen).
    notice = models.CharField(max_length=300, blank=True)
    # Real time: when the status poller next asks TikTok (its back-off).
    next_poll_at = models.DateTimeField(null=True, blank=True)
    # TikTok's time: the end of TikTok's wait in this state (an invite's 24 hours, its 2+
    # hours of processing). The deadline poller compares it with clock.now() on every tick and
    # polls the row at once, so a sandbox clock that jumps makes it due at the next tick; a
    # real time computed from it once would be left behind. Cleared when the deadline is met.
    due_at = models.DateTimeField(null=True, blank=True)
    # Set by the dispatcher's claim (to the end of its hold), cleared when a task takes the
    # row: the rows waiting in the queue are exactly those with a future value.
    claimed_until = models.DateTimeField(null=True, blank=True)
    poll_attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        indexes = [
            # The dispatcher's count of what it queued and no task has taken yet.
            models.Index(
                fields=["claimed_until"], condition=Q(claimed_until__isnull=False), name="onboarding_queued_idx"
            ),
            # The dispatcher's query: due rows in a polled state, oldest first.
            models.Index(
                fields=["next_poll_at"],
                condition=Q(state__in=["authorized", "waiting", "overdue", "processing", "join_in_app"]),
                name="onboarding_poll_due_idx",
            ),
            # The deadline poller's query: rows whose wait on TikTok's clock has ended.
            models.Index(fields=["due_at"], condition=Q(due_at__isnull=False), name="onboarding_deadline_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.tiktok_account} ({self.state})"

    @classmethod
    def deadline_for(
        cls, state: str, invite_requested_at: datetime | None, accepted_at: datetime | None
    ) -> datetime | None:
        """The end of TikTok's wait in `state`, on TikTok's clock (the steps' dates are on it):
        an invite not arrived 24 hours after it was requested is overdue; an accepted invite
        is worth asking about once TikTok's 2+ hours of processing are over."""
        if state == cls.State.WAITING and invite_requested_at is not None:
            return invite_requested_at + INVITE_DEADLINE
        if state == cls.State.PROCESSING and accepted_at is not None:
            return accepted_at + PROCESSING_TIME
        return None

    def state_after_authorization(self, now: datetime | None = None) -> str:
        """Where a new authorization of the same TikTok account leaves the creator: the one
        rule that reconnecting never moves a creator back.

        A creator further along than "authorized" (waiting for the invite, TikTok
        processing an accepted one, joining in the app, in the Marketplace) stays where they
        are; the poll then reads TikTok's status from there. A creator who had disconnected
        resumes at the furthest step their timestamps prove. Only a dead end starts afresh:
        not eligible or invalid (after fixing what failed), and an invite that never came in
        24 hours, for which authorizing again is TikTok's documented way to ask for another.
        """
        s = self.State
        if self.state in (s.WAITING, s.PROCESSING, s.JOIN_IN_APP, s.IN_MARKETPLACE):
            return self.state
        if self.state == s.DISCONNECTED:
            now = now or clock.now()
            if self.joined_at:
                return s.IN_MARKETPLACE
            if self.accepted_at:
                return s.PROCESSING
            if self.join_in_app_at:
                return s.JOIN_IN_APP
            if self.invite_requested_at and now - self.invite_requested_at < INVITE_DEADLINE:
                return s.WAITING
        return s.AUTHORIZED

    def steps(self) -> list[dict]:
        """The step list the creator and the brand see: label, done/current, timestamp."""
        s, st = self.State, self.state
        in_mp = st == s.IN_MARKETPLACE
        rows = [
            ("TikTok authorized", bool(self.authorized_at), st == s.AUTHORIZED, self.authorized_at),
            ("Creator Marketplace status checked", bool(self.status_checked_at), False, self.status_checked_at),
            (
                "Eligible: 10,000+ followers, age verified, a personal or creator account",
                in_mp or bool(self.invite_requested_at) or bool(self.join_in_app_at),
                st == s.NOT_ELIGIBLE,
                self.eligibility_checked_at,
            ),
        ]
        if self.join_in_app_at:
            rows += [
                (
                    "Join in the TikTok app: TikTok Studio › Monetization › Creator Marketplace › Join",
                    in_mp,
                    st == s.JOIN_IN_APP,
                    self.join_in_app_at,
                ),
                ("In the Creator Marketplace", in_mp, False, self.joined_at),
            ]
            return self._step_rows(rows)
        rows += [
            ("Invite requested", in_mp or bool(self.invite_requested_at), False, self.invite_requested_at),
            (
                "Invite arrives in the TikTok app under Inbox > Monetization (may take up to 24 hours)",
                in_mp or bool(self.accepted_at),
                st in (s.WAITING, s.OVERDUE),
                self.overdue_at,
            ),
            ("Invite accepted", in_mp or bool(self.accepted_at), False, self.accepted_at),
            ("TikTok is processing (2+ hours): come back and reconnect", in_mp, st == s.PROCESSING, None),
            ("In the Creator Marketplace", in_mp, False, self.joined_at),
        ]
        return self._step_rows(rows)

    @staticmethod
    def _step_rows(rows: list) -> list[dict]:
        return [
            {"label": label, "done": done and not current, "current": current, "at": at}
            for label, done, current, at in rows
        ]

    def join_checklist(self) -> list[dict]:
        """TikTok's requirements to join in the app, each met (True), not met (False) or only
        checked by TikTok in the app (None): the platform knows followers and account type."""
        account = self.tiktok_account
        followers = None if account.follower_count is None else account.follower_count >= MIN_FOLLOWERS
        account_type = None if not account.account_type else account.account_type != TikTokAccount.AccountType.BUSINESS
        rows = [
            ("18 or older", None),
            (f"{MIN_FOLLOWERS:,} followers or more", followers),
            ("1,000 post views in the last 30 days", None),
            ("3 posts in the last 30 days", None),
            ("A personal or creator account (not a business account)", account_type),
        ]
        return [{"label": label, "met": met} for label, met in rows]

    @property
    def stuck(self) -> str:
        """Where a brand should look, in one line; empty when nothing is stuck."""
        s = self.State
        reasons: dict[str, str] = {
            s.NOT_ELIGIBLE: "Not eligible: " + ", ".join(r.get("label", "") for r in self.ineligible_reasons),
            s.OVERDUE: "Invite not arrived after 24 hours (age verification?)",
            s.INVALID: "TikTok says the account is invalid",
            s.DISCONNECTED: "Creator disconnected TikTok; must authorize again",
        }
        return reasons.get(self.state, "")
