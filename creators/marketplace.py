"""The Marketplace onboarding state machine: the invite, TikTok's status, the backoff.

authorized -> waiting (invite requested) -> overdue / processing -> in the Marketplace, or
not eligible / invalid. Where TikTok no longer serves the legacy invite endpoint to this app:
authorized -> join in app (the creator joins in the TikTok app) -> in the Marketplace. Each
move is a conditional update from the state that was read, so two pollers never both move a
row (nor both send an invite).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Case, F, QuerySet, Value, When
from django.utils import timezone

from integrations.errors import FlowError
from integrations.models import TikTokAccount, TikTokOneAccount
from integrations.polling import claim_due, give_back, update_returning
from integrations.tiktok import Kind, TikTokError, clock, tokens
from integrations.tiktok.ratelimit import limits_for
from integrations.tiktok.tto import CREATOR_STATUS_BATCH

from .models import INVITE_DEADLINE, MIN_FOLLOWERS, MarketplaceOnboarding
from .notify import notify

State = MarketplaceOnboarding.State

# Polling backoff: start soon after a change, slow down while nothing happens.
POLL_BASE = timedelta(minutes=15)
POLL_MAX = timedelta(hours=2)
# The dispatcher holds a claimed row this long, until its task takes it; the task holds it
# for CLAIM_LEASE while it polls. A crashed poll's row is due again when the hold ends.
DISPATCH_LEASE = timedelta(minutes=5)
CLAIM_LEASE = timedelta(minutes=10)


def restart_onboarding(account: TikTokAccount) -> MarketplaceOnboarding:
    """A fresh authorization: the creator resumes where MarketplaceOnboarding's one rule says
    (never further back than they were), and the row is polled at once. Its steps are dated
    on TikTok's clock, as the wait of the state it resumes in is; the next poll on real time."""
    now, tiktok_now = timezone.now(), clock.now()
    onboarding, created = MarketplaceOnboarding.objects.get_or_create(tiktok_account=account)
    resumed = onboarding.state_after_authorization(tiktok_now)
    if resumed == State.AUTHORIZED and onboarding.state != State.AUTHORIZED:
        # A fresh attempt: what the last one found no longer applies.
        onboarding.ineligible_reasons = []
        onboarding.join_in_app_at = onboarding.accepted_at = onboarding.overdue_at = None
    if created or resumed != onboarding.state:
        onboarding.state, onboarding.state_changed_at = resumed, tiktok_now
    onboarding.authorized_at = tiktok_now
    onboarding.due_at = MarketplaceOnboarding.deadline_for(
        onboarding.state, onboarding.invite_requested_at, onboarding.accepted_at
    )
    onboarding.next_poll_at, onboarding.poll_attempts, onboarding.last_error = now, 0, ""
    onboarding.save()
    return onboarding


# The platform's account as last read, and when (time.monotonic()): see marketplace_account.
_platform: tuple[TikTokOneAccount, float] | None = None
PLATFORM_ACCOUNT_TTL_SECONDS = 60.0


def marketplace_account() -> TikTokOneAccount:
    """The platform's internal TikTok One account, which requests invites and reads status,
    with its credential (tokens decrypted).

    Every status poll uses it, so each process keeps it for PLATFORM_ACCOUNT_TTL_SECONDS
    instead of reading and decrypting it per poll; `forget_marketplace_account` drops it
    at once when it changes (a save in this process) or TikTok refuses its token, so a
    staff change reaches every worker within the minute.
    """
    global _platform
    if _platform is not None and time.monotonic() - _platform[1] < PLATFORM_ACCOUNT_TTL_SECONDS:
        return _platform[0]
    account = TikTokOneAccount.objects.select_related("credential").filter(is_internal=True).first()
    if account is None or account.credential is None:
        raise FlowError("The platform's TikTok One account is not set up yet. Contact support.")
    _platform = (account, time.monotonic())
    return account


def forget_marketplace_account(**_signal: Any) -> None:
    """Read the platform's account afresh at its next use (connected to saves of accounts and
    credentials in CreatorsConfig.ready())."""
    global _platform
    _platform = None


def _backoff(attempts: int) -> timedelta:
    return min(POLL_BASE * (2 ** min(attempts, 8)), POLL_MAX)


def claim_polls(onboarding_ids: list[int]) -> list[MarketplaceOnboarding]:
    """The rows of a batch this executor takes, in one conditional UPDATE that returns them:
    a row another executor holds is left out, the rest are polled together. A row qualifies
    while it is due or only held by a dispatcher's claim (DISPATCH_LEASE); the winner holds it
    for CLAIM_LEASE, beyond any dispatcher's claim, so the others find it taken, and it no
    longer counts as waiting in the queue."""
    now = timezone.now()
    free = polled().filter(pk__in=onboarding_ids, next_poll_at__lte=now + DISPATCH_LEASE)
    return update_returning(free, {"next_poll_at": now + CLAIM_LEASE, "claimed_until": None})


def polled() -> QuerySet[MarketplaceOnboarding]:
    """The onboardings the Marketplace status poller looks after (next_poll_at)."""
    return MarketplaceOnboarding.objects.filter(state__in=MarketplaceOnboarding.POLLED_STATES)


def dispatch_target() -> int:
    """How many claimed rows the dispatcher keeps waiting for a worker.

    Dispatch must never be what limits polling. TikTok's ceiling is the tier's QPS x 20
    handles per call: 10 x 20 = 200 creators/s at Basic (1,000/s at Ultimate). A beat-run
    dispatcher that claimed a fixed 500 rows every 60 s capped polling at 8.3 creators/s.
    This one runs every MARKETPLACE_DISPATCH_SECONDS (10 s) and when beat starts, and tops
    the queue up to MARKETPLACE_DISPATCH_QUEUE_SECONDS (30 s) of the ceiling: 6,000 rows at
    Basic, three runs' worth, so workers never run dry between runs (>= 200/s can be
    dispatched), while what waits in the queue is polled in ~30 s, far inside DISPATCH_LEASE
    (5 min): no claim runs out in the queue and gets dispatched twice.
    """
    limits = limits_for()
    per_second = limits.per_second or limits.per_minute / 60 or 50
    return math.ceil(per_second * CREATOR_STATUS_BATCH * settings.MARKETPLACE_DISPATCH_QUEUE_SECONDS)


def claim_due_deadlines(limit: int) -> list[int]:
    """The deadline dispatcher's claim: rows whose wait on TikTok's clock (`due_at`) has ended
    by clock.now(), most overdue first. Each deadline is met once: its row is made due for a
    status poll now and the deadline cleared, so the poll that follows (which moves the state
    and sets the next state's deadline) runs once however far the clock jumped.

    The claim holds `due_at` for DISPATCH_LEASE on TikTok's clock first: a dispatcher that
    dies before clearing it leaves the deadline to be claimed again when the hold ends."""
    tiktok_now = clock.now()
    claimed = claim_due(polled(), lease=DISPATCH_LEASE, limit=limit, now=tiktok_now, field="due_at")
    if not claimed:
        return []
    # Only the deadlines this claim holds: a transition since then has set its own.
    held = polled().filter(pk__in=[row.pk for row in claimed], due_at=tiktok_now + DISPATCH_LEASE)
    return [row.pk for row in update_returning(held, {"due_at": None, "next_poll_at": timezone.now()})]


def claim_due_polls(limit: int | None = None) -> list[int]:
    """The dispatcher's claim: the most overdue due rows, held for DISPATCH_LEASE, up to
    `limit` or else as many as tops the queue up to dispatch_target(). Their ids come back the
    most overdue first (as claim_due returns them), so the batches enqueued first, and polled
    first, are the rows that have waited longest.

    What waits in the queue is counted by the claim's own marker (`claimed_until`, set by
    this claim and cleared when a task takes the row; index onboarding_queued_idx), never by
    a range of `next_poll_at`: the back-off also schedules rows a few minutes ahead, and
    counting those as queued once starved overdue rows.

    A row falling due within half a dispatcher interval is claimed now: left to the next run it
    would wait up to a whole interval, polled late by as much. A status poll a few seconds early
    is harmless; a deadline is never claimed early (claim_due_deadlines)."""
    now = timezone.now()
    if limit is None:
        limit = dispatch_target() - MarketplaceOnboarding.objects.filter(claimed_until__gt=now).count()
    if limit <= 0:
        return []
    ahead = timedelta(seconds=settings.MARKETPLACE_DISPATCH_SECONDS / 2)
    claimed = claim_due(polled(), lease=DISPATCH_LEASE, limit=limit, now=now, mark="claimed_until", ahead=ahead)
    return [row.pk for row in claimed]


def release(onboarding_ids: list[int], error: TikTokError) -> None:
    """Polls that failed on a transient error let go of their rows: at once when TikTok never
    received the call (the rate budget had no room), when TikTok's wait ends if it throttled
    the call unprocessed, otherwise to a dispatcher-length hold, so the task's own retry can
    take them and the dispatcher does if no retry comes."""
    now = timezone.now()
    # A row the flow already rescheduled or moved (beyond this poll's hold) keeps its time.
    rows = MarketplaceOnboarding.objects.filter(
        pk__in=onboarding_ids, state__in=MarketplaceOnboarding.POLLED_STATES, next_poll_at__lte=now + CLAIM_LEASE
    )
    rows.update(last_error=str(error)[:2000])
    if not give_back(rows, error, now=now):
        # TikTok refused a throttled call unprocessed: nothing to wait for but TikTok's wait.
        hold = timedelta(seconds=error.retry_after or 0.0) if error.not_processed else DISPATCH_LEASE
        rows.update(next_poll_at=now + hold)


def transition(onboarding: MarketplaceOnboarding, new: str, notice: str = "", **fields: Any) -> bool:
    """Move from the state we read to `new`, only if nobody else moved it; notify once."""
    if onboarding.state == new:
        return False  # a stale read must not "win" a move that already happened
    values = {"state": new, "state_changed_at": clock.now(), "poll_attempts": 0, "last_error": "", **fields}
    values.setdefault(
        "due_at",
        MarketplaceOnboarding.deadline_for(
            new,
            values.get("invite_requested_at", onboarding.invite_requested_at),
            values.get("accepted_at", onboarding.accepted_at),
        ),
    )
    if notice:
        values["notice"] = notice
    won = MarketplaceOnboarding.objects.filter(pk=onboarding.pk, state=onboarding.state).update(**values)
    if not won:
        return False
    for name, value in values.items():
        setattr(onboarding, name, value)
    if notice:
        notify(onboarding.tiktok_account, notice)
    return True


def _record_statuses(rows: list[MarketplaceOnboarding], unmoved: list[MarketplaceOnboarding]) -> None:
    """What TikTok answered, on every row of the batch, and the next poll of the rows it did
    not move (each after its own back-off): one UPDATE for the batch, whatever its mix."""
    if not rows:
        return
    now = timezone.now()
    waiting = {row.pk for row in unmoved}
    every = len(rows)
    values: dict[str, Any] = {
        "tiktok_status": _by_row(rows, lambda row: row.tiktok_status, models.CharField(), every=every),
        # Shown beside TikTok's deadlines in the creator's steps: on TikTok's clock.
        "status_checked_at": clock.now(),
    }
    if waiting:
        # The back-off depends only on the attempt count: one WHEN per count in the batch.
        next_poll = {row.pk: now + _backoff(row.poll_attempts + 1) for row in unmoved}
        values |= {
            "next_poll_at": _by_row(
                unmoved, lambda row: next_poll[row.pk], models.DateTimeField(), F("next_poll_at"), every=every
            ),
            "poll_attempts": _by_row(
                unmoved,
                lambda row: row.poll_attempts + 1,
                models.PositiveIntegerField(),
                F("poll_attempts"),
                every=every,
            ),
            "last_error": _by_row(unmoved, lambda row: "", models.TextField(), F("last_error"), every=every),
        }
    MarketplaceOnboarding.objects.filter(pk__in=[row.pk for row in rows]).update(**values)
    for row in unmoved:
        row.next_poll_at, row.poll_attempts, row.last_error = next_poll[row.pk], row.poll_attempts + 1, ""


def _by_row(
    rows: list[MarketplaceOnboarding],
    value: Callable[[MarketplaceOnboarding], Any],
    output: models.Field,
    default: Any = None,
    *,
    every: int,
) -> Case | Value:
    """A CASE giving each row its value, one WHEN per distinct value; the bare value when the
    rows are all `every` rows the UPDATE touches and share it (a batch usually does: the CASE
    costs the worker more CPU to build and send than the rest of the statement)."""
    groups: dict[Any, list[int]] = {}
    for row in rows:
        groups.setdefault(value(row), []).append(row.pk)
    if len(groups) == 1 and len(rows) == every:
        return Value(next(iter(groups)), output_field=output)
    whens = [When(pk__in=pks, then=Value(v)) for v, pks in groups.items()]
    return Case(*whens, default=default, output_field=output)


def poll(rows: list[MarketplaceOnboarding]) -> dict[int, str]:
    """One look at TikTok for claimed rows: their handles in ONE `tto/tcm/creator/status/get/`
    call (at most CREATOR_STATUS_BATCH), then each row's state machine. Returns each row's
    state.

    Only what polling needs is read: the rows (as the claim returned them) and their handles;
    a row's account and its owner are read only when its state changes (to notify them).
    A row whose own step fails (its invite call) does not stop the others: a transient error
    gives that row back and is raised after the rest are done, so the task's retry takes it.
    """
    if len(rows) > CREATOR_STATUS_BATCH:
        raise ValueError(f"at most {CREATOR_STATUS_BATCH} creators per status call")
    if not rows:
        return {}
    handles_by_account = dict(
        TikTokAccount.objects.filter(pk__in={row.tiktok_account_id for row in rows}).values_list("pk", "handle")
    )
    tto = marketplace_account()
    handles = sorted(set(handles_by_account.values()))
    try:
        answer = tokens.call_with_credential(
            tto.credential_id,
            lambda c: c.tto_tcm_creator_status_get(tto.tto_tcm_account_id, handles),
            credential=tto.credential,
        )
    except TikTokError as exc:
        if exc.kind == Kind.AUTH:
            forget_marketplace_account()
        raise
    statuses = {r.get("handle_name"): r.get("status", "") for r in answer}
    for row in rows:
        # A handle TikTok leaves out of its answer is one it does not know.
        row.tiktok_status = statuses.get(handles_by_account[row.tiktok_account_id]) or "INVALID"
    retry: TikTokError | None = None
    unmoved = []
    for row in rows:
        try:
            if not _advance(row, row.tiktok_status, tto):
                unmoved.append(row)
        except TikTokError as exc:
            if exc.is_transient:
                release([row.pk], exc)
                retry = retry or exc
            else:
                MarketplaceOnboarding.objects.filter(pk=row.pk).update(last_error=str(exc)[:2000])
    _record_statuses(rows, unmoved)
    if retry is not None:
        raise retry
    return {row.pk: row.state for row in rows}


def _advance(onboarding: MarketplaceOnboarding, status: str, tto: TikTokOneAccount) -> bool:
    """Apply TikTok's status to the state machine; True if the row changed state.

    TikTok's deadlines ("up to 24 hours") run on TikTok's clock (`due_at`, met by the deadline
    poller, which polls the row at once); the next poll on real time."""
    now, tiktok_now = timezone.now(), clock.now()
    if status == "IN":
        return transition(
            onboarding,
            State.IN_MARKETPLACE,
            "You are in the TikTok Creator Marketplace.",
            joined_at=tiktok_now,
            next_poll_at=None,
        )
    if status == "INVALID":
        return transition(
            onboarding,
            State.INVALID,
            "TikTok does not recognise this account for the "
            "Creator Marketplace. Check the handle in the TikTok app, or contact support.",
            next_poll_at=None,
        )
    if onboarding.state == State.AUTHORIZED:
        overdue = (
            onboarding.invite_requested_at is None or onboarding.invite_requested_at + INVITE_DEADLINE <= tiktok_now
        )
        if status == "NOT_IN" or overdue:
            return request_invite(onboarding, tto)
        return transition(onboarding, State.WAITING, next_poll_at=now + POLL_BASE)
    if (
        onboarding.state == State.WAITING
        and onboarding.invite_requested_at is not None
        and onboarding.invite_requested_at + INVITE_DEADLINE <= tiktok_now
    ):
        return transition(onboarding, State.OVERDUE, OVERDUE_NOTICE, overdue_at=tiktok_now, next_poll_at=now + POLL_MAX)
    return False


OVERDUE_NOTICE = (
    "Your Creator Marketplace invite has not arrived after 24 hours. Check that your age is verified in "
    "the TikTok app, authorize TikTok again to request another invite, or contact support."
)


def eligibility_failures(account: TikTokAccount) -> list[dict]:
    """What the platform can check before asking TikTok; TikTok's own answers add the rest."""
    failures = []
    if account.follower_count is not None and account.follower_count < MIN_FOLLOWERS:
        failures.append(_reason("followers", ""))
    if account.account_type == TikTokAccount.AccountType.BUSINESS:
        failures.append(_reason("account_type", ""))
    return failures


REASON_TEXT = {
    "followers": ("10,000+ followers", "Grow your audience to at least 10,000 followers, then authorize again."),
    "account_type": (
        "A personal or creator account",
        "Switch to a personal or creator account in the TikTok app (Settings > Account), then authorize again.",
    ),
    "age": ("Age verified", "Verify your age in the TikTok app (Settings > Account), then authorize again."),
    "other": (
        "TikTok's requirements",
        "Check the Creator Marketplace requirements in the TikTok app, or contact support.",
    ),
}


def _reason(check: str, tiktok_reason: str) -> dict:
    label, fix = REASON_TEXT[check]
    return {"check": check, "label": label, "reason": tiktok_reason, "fix": fix}


def _classify_rejection(text: str) -> str:
    lowered = text.lower()
    if "business" in lowered:
        return "account_type"
    if "follower" in lowered:
        return "followers"
    if "age" in lowered:
        return "age"
    return "other"


def request_invite(onboarding: MarketplaceOnboarding, tto: TikTokOneAccount) -> bool:
    """Check eligibility, then ask TikTok for an invite. The state claim comes first, so two
    pollers never send two invites."""
    now, tiktok_now = timezone.now(), clock.now()
    if onboarding.state != State.AUTHORIZED:
        return False  # only a freshly authorized account asks for an invite
    account = onboarding.tiktok_account
    failures = eligibility_failures(account)
    if failures:
        return transition(
            onboarding,
            State.NOT_ELIGIBLE,
            _not_eligible_notice(failures),
            ineligible_reasons=failures,
            eligibility_checked_at=tiktok_now,
            next_poll_at=None,
        )
    if not transition(
        onboarding,
        State.WAITING,
        eligibility_checked_at=tiktok_now,
        invite_requested_at=tiktok_now,
        next_poll_at=now + POLL_BASE,
    ):
        return False
    try:
        result = tokens.call_with_credential(
            tto.credential_id, lambda c: c.tcm_creator_invite(tto.tto_tcm_account_id, [account.handle])
        )
    except TikTokError as exc:
        if invite_unavailable(exc):
            return transition(
                onboarding,
                State.JOIN_IN_APP,
                JOIN_IN_APP_NOTICE,
                invite_requested_at=None,
                join_in_app_at=tiktok_now,
                next_poll_at=now + POLL_BASE,
            )
        # Put the row back so the next poll asks again; the error is kept for staff.
        MarketplaceOnboarding.objects.filter(pk=onboarding.pk).update(
            state=State.AUTHORIZED,
            invite_requested_at=None,
            due_at=None,
            last_error=str(exc)[:2000],
            next_poll_at=now + POLL_BASE,
        )
        raise
    return _apply_invite_result(onboarding, account, result)


JOIN_IN_APP_NOTICE = (
    "Join the Creator Marketplace in the TikTok app: TikTok Studio › Monetization › Creator Marketplace › "
    "Join. We keep checking your status and will tell you when you are in."
)


def invite_unavailable(error: TikTokError) -> bool:
    """TikTok no longer serves `tcm/creator/invite/` to this app: 41001 interface offline (its
    answer for the legacy endpoint), or a route it no longer knows, whether answered as code
    40400 or as an HTTP 404 page. Asking again cannot help."""
    return error.is_endpoint_gone


def _apply_invite_result(onboarding: MarketplaceOnboarding, account: TikTokAccount, result: Mapping[str, Any]) -> bool:
    if account.handle in (result.get("in_tcm") or []):
        return transition(
            onboarding,
            State.IN_MARKETPLACE,
            "You are in the TikTok Creator Marketplace.",
            joined_at=clock.now(),
            next_poll_at=None,
        )
    if account.handle in (result.get("rejected") or []):
        reasons = result["reject_reasons"].get(account.handle) or ["TikTok rejected the invite."]
        failures = [_reason(_classify_rejection(r), r) for r in reasons]
        if any(f["check"] == "account_type" for f in failures):
            TikTokAccount.objects.filter(pk=account.pk).update(account_type=TikTokAccount.AccountType.BUSINESS)
        return transition(
            onboarding,
            State.NOT_ELIGIBLE,
            _not_eligible_notice(failures),
            ineligible_reasons=failures,
            next_poll_at=None,
        )
    notify(
        account,
        "We asked TikTok to invite you to the Creator Marketplace. The invite may take up to 24 hours "
        "to arrive in the TikTok app under Inbox > Monetization.",
    )
    MarketplaceOnboarding.objects.filter(pk=onboarding.pk).update(
        notice="Invite requested: it may take up to 24 hours to arrive in the TikTok app under Inbox > Monetization."
    )
    return True


def _not_eligible_notice(failures: list[dict]) -> str:
    return "Not eligible for the Creator Marketplace yet: " + "; ".join(f["label"] for f in failures) + "."


def mark_accepted(onboarding: MarketplaceOnboarding) -> bool:
    """The creator tapped Accept in the app: TikTok now processes for 2+ hours, so the row is
    not polled until that wait ends on TikTok's clock (its `due_at`, set by `transition`)."""
    if onboarding.state not in (State.WAITING, State.OVERDUE):
        return False
    return transition(
        onboarding,
        State.PROCESSING,
        accepted_at=clock.now(),
        next_poll_at=None,
        notice="Invite accepted. TikTok is processing it (2+ hours): come back and reconnect then.",
    )


def check_now(onboarding: MarketplaceOnboarding) -> None:
    """The creator asked to check again: make the row due at once."""
    MarketplaceOnboarding.objects.filter(pk=onboarding.pk, state__in=MarketplaceOnboarding.POLLED_STATES).update(
        next_poll_at=timezone.now()
    )
