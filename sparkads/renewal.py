"""Renewing an authorization through the path its code came by.

A code the creator approved here is extended only by agreement: the brand proposes more days
for a fee, the creator accepts or declines on their Spark Ads page, and only an acceptance
sends `business/post/authorize/` with the creator's own token, once. A creator may instead
grant auto-renewal at agreed terms up to a cap on the code's total days; without that grant
nothing is extended on their behalf. The creator is mailed on the proposal and on every change.

A requested code is extended by a new request with `action=EXTEND` that the creator approves
in TikTok's notifications (pending until ledger.refresh_from_tiktok sees the longer window); a
pasted code cannot be extended by the brand, only replaced by a new code the creator makes.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import capfirst

from integrations import mail
from integrations.errors import FlowError, message_for
from integrations.tiktok import TikTokError, clock
from integrations.tiktok.tokens import call_with_credential

from . import flows, ledger, music
from .models import (
    AUTHORIZATION_DAYS,
    AuditEvent,
    AutoRenewal,
    ExtensionProposal,
    SparkAuthorization,
    UsageTerms,
    code_digest,
)

Source = SparkAuthorization.Source
Proposal = ExtensionProposal.Status
# An extension asked for is in the creator's TikTok notifications; asking again sooner than
# this only repeats the notification (a double submit is the usual cause).
EXTENSION_WAIT = timedelta(days=1)


def extend(auth: SparkAuthorization, user: Any, days: int, terms: UsageTerms | None = None) -> str:
    """The brand's Extend; returns what the brand should be told. Nothing is written to TikTok
    on a code the creator made here: the brand's offer goes to the creator."""
    auth.guard("extend_propose")
    if days not in AUTHORIZATION_DAYS:
        raise FlowError("Pick 7, 30, 60 or 365 days.")
    if auth.source == Source.CREATOR:
        proposal = propose(auth, user, days, terms or UsageTerms())
        return (
            f"Proposed to @{auth.handle}: {proposal.summary}. Nothing changes until they accept it on their "
            "Spark Ads page; we emailed them."
        )
    _extend_requested_code(auth, user, days)
    return "Extension requested: the creator answers in TikTok's notifications. It shows as pending until then."


# --- the agreement: propose, accept, decline ----------------------------------------------------


def propose(auth: SparkAuthorization, user: Any, days: int, terms: UsageTerms) -> ExtensionProposal:
    """Offer the creator `days` more for `terms`' fee; one open offer per code."""
    auth.guard("extend_propose")
    fields = terms.fields()
    if fields["fee_amount"] and auth.fee_currency and fields["fee_currency"] != auth.fee_currency:
        raise FlowError(f"This deal's fee is in {auth.fee_currency}: propose the extension's fee in it too.")
    try:
        with transaction.atomic():
            proposal = ExtensionProposal.objects.create(
                authorization=auth,
                days=days,
                fee_amount=fields["fee_amount"],
                fee_currency=fields["fee_currency"],
                proposed_by=user,
            )
    except IntegrityError:
        open_one = auth.proposals.filter(status__in=ExtensionProposal.OPEN).first()
        shown = (
            f" ({open_one.summary}, {timezone.localtime(clock.on_clock(open_one.proposed_at)):%Y-%m-%d})"
            if open_one
            else ""
        )
        raise FlowError(f"Already proposed{shown}: it is waiting for @{auth.handle}'s answer.") from None
    auth.audit(
        AuditEvent.Kind.PROPOSED,
        f"Proposed to @{auth.handle}: extend {auth.post_name} by {proposal.summary}",
        actor=user,
    )
    _tell_creator(
        auth,
        f"{auth.brand} proposes to extend Spark Ads for {auth.post_name}",
        f"{auth.brand} would like to run {auth.post_name} as a Spark Ad for {proposal.summary}. "
        f"Today's terms: {auth.terms_summary}. Nothing changes unless you accept: open Spark Ads on the "
        "platform to accept or decline.",
    )
    return proposal


def accept(proposal: ExtensionProposal, user: Any) -> str:
    """The creator's acceptance: the one `business/post/authorize/` write of this offer."""
    won = ExtensionProposal.objects.filter(pk=proposal.pk, status=Proposal.PROPOSED).update(
        status=Proposal.SENDING, sending_since=timezone.now(), decided_by=user
    )
    if not won:
        proposal.refresh_from_db()
        raise FlowError(_already(proposal))
    return _send(proposal, user)


def decline(proposal: ExtensionProposal, user: Any) -> None:
    auth = proposal.authorization
    if not ExtensionProposal.objects.filter(pk=proposal.pk, status=Proposal.PROPOSED).update(
        status=Proposal.DECLINED, decided_by=user, decided_at=timezone.now()
    ):
        proposal.refresh_from_db()
        raise FlowError(_already(proposal))
    auth.audit(
        AuditEvent.Kind.DECLINED,
        f"@{auth.handle} declined extending {auth.post_name} by {proposal.summary}",
        actor=user,
    )
    _tell_both(
        auth,
        f"Spark Ads extension for {auth.post_name} declined",
        f"@{auth.handle} declined extending {auth.post_name} by {proposal.summary}. The terms stay "
        f"{auth.terms_summary}.",
    )


def _already(proposal: ExtensionProposal) -> str:
    if proposal.status == Proposal.SENDING:
        return "Already accepted: the extension is being sent to TikTok right now."
    return f"Already answered: this proposal is {proposal.get_status_display().lower()}."


def _send(proposal: ExtensionProposal, user: Any) -> str:
    """Extend with the creator's token, then grow the row's terms by what was agreed."""
    auth = SparkAuthorization.objects.select_related("brand", "tiktok_account__credential", "post").get(
        pk=proposal.authorization_id
    )
    reason = auth.refusal("extend_accept")
    if reason:
        _close(proposal, Proposal.WITHDRAWN, reason)
        raise FlowError(reason)
    if not auth.claim_write("extend"):
        _close(proposal, Proposal.PROPOSED, "")
        raise FlowError(f"{capfirst(auth.post_name)} is being changed on TikTok right now; try again in a minute.")
    account = auth.creator_account
    try:
        if account is None or not account.open_id or account.credential_id is None:
            raise FlowError(
                f"@{auth.handle} is no longer connected here, so the code cannot be extended: "
                "reconnect TikTok on Social Accounts, then accept again."
            )
        _check_music(auth, proposal.days)
        data = call_with_credential(
            account.credential_id,
            lambda c: c.business_post_authorize(account.open_id, auth.item_id or auth.video_id, proposal.days),
        )
    except (TikTokError, FlowError) as exc:
        message = exc.message if isinstance(exc, FlowError) else _extend_error(exc)
        auth.release_write(message)
        if isinstance(exc, TikTokError) and exc.code == ledger.CODE_DELETED:
            # The creator deleted the code in TikTok: that is their cancellation, and there is
            # nothing left to extend, so a second click must not ask TikTok again.
            ledger.revoked_in_tiktok(auth)
            _close(proposal, Proposal.WITHDRAWN, message)
        else:
            _close(proposal, Proposal.PROPOSED, message)
        raise FlowError(message) from exc
    answered = str(data.get("auth_code") or "")
    if answered and code_digest(answered) != auth.code_hash:
        # TikTok extended the post's code it has, which is not the row's: the creator deleted
        # the row's code in the app and made another. That code's window is not this row's.
        message = (
            f"TikTok extended another code of {auth.post_name}: @{auth.handle} cancelled this one in TikTok, "
            "so it was not extended here. Ask them for the new code and paste it."
        )
        auth.release_write(message)
        ledger.revoked_in_tiktok(auth)
        _close(proposal, Proposal.WITHDRAWN, message)
        raise FlowError(message)
    auth.release_write("")
    _close(proposal, Proposal.ACCEPTED, "")
    _grow_terms(auth, proposal)
    auth.audit(
        AuditEvent.Kind.EXTENDED,
        f"@{auth.handle} {'auto-renewed' if proposal.by_auto_renewal else 'accepted'}: {auth.post_name} "
        f"extended by {proposal.summary}; terms now {auth.terms_summary}",
        actor=user,
    )
    new_end = flows.parse_tiktok_time(data.get("auth_code_end_time"))
    if new_end is not None and (auth.auth_end is None or new_end > auth.auth_end):
        ledger.renewed(auth, new_end)
    until = f" until {auth.auth_end:%Y-%m-%d}" if auth.auth_end else ""
    _tell_both(
        auth,
        f"Spark Ads for {auth.post_name} extended{until}",
        f"@{auth.handle} {'auto-renewed' if proposal.by_auto_renewal else 'accepted'} the extension of "
        f"{auth.post_name} by {proposal.summary}. Terms now: {auth.terms_summary}.",
    )
    return f"Extended: {auth.post_name} can run as a Spark Ad{until}. Terms now: {auth.terms_summary}."


def _check_music(auth: SparkAuthorization, days: int) -> None:
    """The music pre-flight for the extended window, on the ad account the code runs in: a
    missing authorization stops the extension (FlowError), with the track named. A code not yet
    applied has no ad account or identity to ask about: its apply runs the check."""
    ad_account = auth.ad_account
    if ad_account is None or not auth.identity_id:
        return
    start = clock.now()
    end = max(auth.auth_end or start, start) + timedelta(days=days)
    found = music.check(
        auth,
        ad_account,
        flows.credential_id(ad_account),
        item_id=auth.item_id or auth.video_id,
        identity_id=auth.identity_id,
        start=start,
        end=end,
        refused="Not extended",
    )
    if found.blocks:
        raise FlowError(found.note)


def _extend_error(exc: TikTokError) -> str:
    if exc.is_transient or exc.needs_reconnect or exc.is_scope_missing:
        return message_for(exc)
    return f"TikTok refused the extension: {exc.message}"


def _close(proposal: ExtensionProposal, status: str, error: str) -> None:
    done = status in (Proposal.ACCEPTED, Proposal.WITHDRAWN)
    ExtensionProposal.objects.filter(pk=proposal.pk, status=Proposal.SENDING).update(
        status=status, last_error=error[:500], sending_since=None, decided_at=timezone.now() if done else None
    )


def _grow_terms(auth: SparkAuthorization, proposal: ExtensionProposal) -> None:
    """The agreed days join the term; the agreed fee joins the fee and is owed until paid."""
    auth.authorization_days += proposal.days
    fields = ["authorization_days", "updated_at"]
    if proposal.fee_amount:
        auth.fee_amount = (auth.fee_amount or 0) + proposal.fee_amount
        auth.fee_currency = auth.fee_currency or proposal.fee_currency
        auth.payment_status = SparkAuthorization.Payment.UNPAID
        fields += ["fee_amount", "fee_currency", "payment_status"]
    auth.save(update_fields=fields)


# --- auto-renewal ---------------------------------------------------------------------------------


def grant_auto_renewal(auth: SparkAuthorization, user: Any, days: int, terms: UsageTerms, cap: int) -> AutoRenewal:
    """The creator's consent to extend at these terms, up to `cap` total days."""
    auth.guard("extend_accept")
    if auth.source != Source.CREATOR:
        raise FlowError("Only a code you approved here can be renewed from here; this one is renewed in TikTok.")
    if days not in AUTHORIZATION_DAYS:
        raise FlowError("Pick 7, 30, 60 or 365 days.")
    if cap < auth.authorization_days + days:
        raise FlowError(
            f"The cap must allow at least one renewal: the code has {auth.authorization_days} days already."
        )
    fields = terms.fields()
    grant, _ = AutoRenewal.objects.update_or_create(
        authorization=auth,
        defaults={
            "days": days,
            "fee_amount": fields["fee_amount"],
            "fee_currency": fields["fee_currency"],
            "max_total_days": cap,
            "granted_by": user,
            "granted_at": timezone.now(),
        },
    )
    text = f"{days} days for {_fee(grant)} each time, up to {cap} days in all"
    auth.audit(AuditEvent.Kind.AUTO_RENEWAL, f"@{auth.handle} allowed auto-renewal of {auth.post_name}: {text}")
    _tell_both(
        auth,
        f"Auto-renewal on for {auth.post_name}",
        f"@{auth.handle} allowed {auth.brand} to renew {auth.post_name} automatically: {text}. "
        "It can be turned off at any time on the Spark Ads page.",
    )
    return grant


def stop_auto_renewal(auth: SparkAuthorization, user: Any) -> None:
    deleted, _ = AutoRenewal.objects.filter(authorization=auth).delete()
    if not deleted:
        raise FlowError("Auto-renewal was already off.")
    auth.audit(AuditEvent.Kind.AUTO_RENEWAL, f"@{auth.handle} turned off auto-renewal of {auth.post_name}")
    _tell_both(
        auth,
        f"Auto-renewal off for {auth.post_name}",
        f"@{auth.handle} turned off auto-renewal of {auth.post_name}. From now on an extension needs their acceptance.",
    )


def renew_under_grant(auth: SparkAuthorization) -> bool:
    """Near the end of the term, extend at the creator's granted terms if the cap allows: the
    grant stands for the acceptance. Returns whether the code was extended."""
    grant = AutoRenewal.objects.filter(authorization=auth).first()
    if grant is None or not grant.allows_another(auth.authorization_days) or not auth.allows("extend_accept"):
        return False
    try:
        with transaction.atomic():
            proposal = ExtensionProposal.objects.create(
                authorization=auth,
                days=grant.days,
                fee_amount=grant.fee_amount,
                fee_currency=grant.fee_currency,
                status=Proposal.SENDING,
                sending_since=timezone.now(),
                by_auto_renewal=True,
            )
    except IntegrityError:
        return False  # an offer is open: the creator answers it, or another check is sending this one
    try:
        _send(proposal, None)
    except FlowError as exc:
        # Not taken now: the offer stays open for the creator, and the brand sees why.
        SparkAuthorization.objects.filter(pk=auth.pk).update(last_error=exc.message[:500])
        return False
    auth.refresh_from_db()
    return True


def _fee(grant: AutoRenewal) -> str:
    return f"{grant.fee_amount:,.2f} {grant.fee_currency}" if grant.fee_amount else "no fee"


def _tell_creator(auth: SparkAuthorization, subject: str, body: str) -> None:
    emails = auth.creator_emails()
    if emails:
        mail.send_later(subject, body, emails)


def _tell_both(auth: SparkAuthorization, subject: str, body: str) -> None:
    _tell_creator(auth, subject, body)
    emails = auth.brand_emails()
    if emails:
        mail.send_later(subject, body, emails)


# --- a requested code: TikTok's own EXTEND request -------------------------------------------------


def _extend_requested_code(auth: SparkAuthorization, user: Any, days: int) -> None:
    """Ask the creator for more time before the authorization lapses (`action=EXTEND`)."""
    tto = flows.enabled_capability(auth.brand).tiktok_one_account
    if not auth.claim_write("extend"):
        raise FlowError(f"Already requested: the extension of {auth.post_name} is being sent to TikTok.")
    auth.refresh_from_db()
    try:
        auth.guard("extend_propose")
        if auth.post_id is None:
            raise FlowError("Only an active authorization of a campaign post can be extended.")
        asked = auth.extension_requested_at
        if asked is not None and asked > timezone.now() - EXTENSION_WAIT:
            raise FlowError(
                f"Already requested: an extension was asked for on {timezone.localtime(asked):%Y-%m-%d %H:%M}; "
                "the creator answers in TikTok's notifications."
            )
        assert tto is not None  # an enabled capability names its TikTok One account
        call_with_credential(
            tto.credential_id,
            lambda c: c.tcm_tt_video_apply(auth.video_id, tto.tto_tcm_account_id, days, extend=True),
        )
    except TikTokError as exc:
        auth.release_write(flows.apply_error(exc))
        raise FlowError(flows.apply_error(exc)) from exc
    except FlowError:
        auth.release_write()
        raise
    if not auth.propose_extension():
        auth.release_write()  # the row ended while TikTok took the request
        return
    auth.audit(
        AuditEvent.Kind.EXTENDED,
        f"Asked @{auth.handle} to extend {auth.post_name} by {days} days",
        actor=user,
    )
