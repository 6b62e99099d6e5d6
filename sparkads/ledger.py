"""An applied Spark Ads authorization over its window: the creator's cancellation or
extension seen on TikTok, expiring, the renewal reminders (each mark once per recipient) and,
at the end of an unrenewed term, the post unbound from the ad account."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings

from integrations import mail, previews
from integrations.errors import FlowError
from integrations.tiktok import TikTokError, clock
from integrations.tiktok.tokens import call_with_credential

from .ads import flows as spark_ads
from .flows import apply_approved, capability_for, parse_tiktok_time, unbind
from .models import AuditEvent, SparkAuthorization, SparkReminder, code_digest

Status = SparkAuthorization.Status
# TikTok's answer for a post whose code was never made or was deleted (docs/sandbox.md).
CODE_DELETED = 40007
# auth_code_status of a code that can still be applied.
LIVE_CODE = ("NOT_USED", "IN_USE")


def refresh_from_tiktok(auth: SparkAuthorization) -> None:
    """Notice a creator's cancellation or a longer window on TikTok. A code made with the
    creator's token is read with that token (`business/post/authorize/status/`); a code that
    came through TikTok One with the brand's (`tcm/tt_video/status/`). A pasted code has
    nothing to read. The post's preview is filled on the way when it has none."""
    previews.fill_for(auth.post)
    if auth.source == SparkAuthorization.Source.CREATOR:
        data = _creator_code_status(auth)
    elif auth.post_id is not None:
        data = _tcm_status(auth)
    else:
        return
    if data is None:
        return
    code = str(data.get("auth_code") or "")
    ours = bool(code) and code_digest(code) == auth.code_hash
    new_end = parse_tiktok_time(data.get("auth_code_end_time"))
    # The post's code is another one: ours was deleted and the creator made a new one since.
    replaced = auth.source == SparkAuthorization.Source.CREATOR and bool(code) and not ours
    if (ours and data.get("auth_code_status") == "DELETED") or replaced:
        revoked_in_tiktok(auth)
        return
    if not ours:
        # TikTok One's status is the post's latest request, which may name another code (a
        # newer request's, since applied, deleted or expired): its window is not this row's.
        # Only the extension this row asked for, approved as a new code, becomes its own, and
        # only while no newer request of another row is what the status answers for.
        later = new_end is not None and auth.auth_end is not None and new_end > auth.auth_end
        if (
            auth.extension_pending
            and later
            and data.get("auth_code_status") in LIVE_CODE
            and not auth.waits_for_newer_request()
        ):
            extended_with_new_code(auth, code, new_end)
        return
    if new_end and auth.auth_end and new_end > auth.auth_end:
        renewed(auth, new_end)


def _tcm_status(auth: SparkAuthorization) -> Mapping[str, Any] | None:
    tto = capability_for(auth.brand).tiktok_one_account
    if tto is None or not tto.credential_id:
        return None
    return call_with_credential(
        tto.credential_id, lambda c: c.tcm_tt_video_status(auth.video_id, tto.tto_tcm_account_id)
    )


def _creator_code_status(auth: SparkAuthorization) -> Mapping[str, Any] | None:
    """The post's code as TikTok has it, read with the creator's own token. TikTok answers
    40007 for a post whose code was deleted: that is the creator's cancellation. Without the
    creator's grant nothing can be read, and the window's own end still applies."""
    account = auth.creator_account
    if account is None or not account.open_id or account.credential_id is None:
        return None
    try:
        return call_with_credential(
            account.credential_id,
            lambda c: c.business_post_authorize_status(account.open_id, auth.item_id or auth.video_id),
        )
    except TikTokError as exc:
        if exc.code == CODE_DELETED:
            return {"auth_code": auth.auth_code, "auth_code_status": "DELETED"}
        if exc.is_scope_missing or exc.needs_reconnect:
            return None
        raise


def renewed(auth: SparkAuthorization, new_end: datetime) -> None:
    """TikTok confirmed a longer window: the pending extension is done and the new window earns
    its own reminders."""
    if not auth.accept_extension(new_end):
        return  # the row ended meanwhile
    auth.reminders.all().delete()
    # Marks the new window is already inside were reminded about in the old one.
    now = clock.now()
    SparkReminder.objects.bulk_create(
        [
            SparkReminder(authorization=auth, days_before=d, recipient=r, sent_at=now)
            for d in due_marks(auth, now)
            for r in SparkReminder.Recipient.values
        ],
        ignore_conflicts=True,
    )
    auth.audit(
        AuditEvent.Kind.RENEWED,
        f"Spark Ads authorization for {auth.post_name} renewed until {new_end:%Y-%m-%d}",
    )


def extended_with_new_code(auth: SparkAuthorization, code: str, new_end: datetime | None) -> None:
    """The creator approved this row's EXTEND request in TikTok and TikTok made a new code for
    the post. The ads run on the old code only until its own end, so the row takes the new code
    and the one apply path authorizes the ad account with it; the row's window is then the new
    code's as tt_video/info/ gives it. A code another row holds stays that row's."""
    if not auth.accept_extension_code(code, new_end):
        return
    auth.audit(
        AuditEvent.Kind.RENEWED,
        f"@{auth.handle} approved the extension of {auth.post_name} in TikTok with a new code"
        + (f" until {new_end:%Y-%m-%d}" if new_end else ""),
    )
    apply_approved(auth.pk)
    auth.refresh_from_db()


def revoked_in_tiktok(auth: SparkAuthorization) -> None:
    if auth.end("revoke", None, "The creator cancelled the authorization on TikTok"):
        auth.audit(AuditEvent.Kind.REVOKED, f"@{auth.handle} cancelled Spark Ads for {auth.post_name}")


def advance(auth: SparkAuthorization, now: datetime | None = None) -> None:
    """Move an applied authorization to expiring, send the renewal reminders that are due, and
    at the end of its term unbind the post from the ad account. The window and the next
    deadline are on TikTok's clock; the daily read on TikTok is on real time."""
    now = now or clock.now()
    send_due_reminders(auth, now)
    status = auth.lifecycle_status(now)
    if status == Status.EXPIRED:
        end_of_term(auth, now)
        return
    auth.advance(now)


UNBIND_RETRY = timedelta(minutes=30)


def end_of_term(auth: SparkAuthorization, now: datetime) -> None:
    """The term ended without a renewal: the platform unbinds the post (`tt_video/unbind/`),
    records it and tells the brand. A code never bound to an ad account simply expires."""
    reason = f"The authorization ended on {auth.auth_end:%Y-%m-%d} without a renewal"
    if auth.allows("unbind"):
        try:
            unbind(auth, None, reason=reason)
        except FlowError as exc:
            # TikTok did not take it now: the row stays live and the next check tries again.
            SparkAuthorization.objects.filter(pk=auth.pk).update(
                last_error=exc.message[:500], due_at=now + UNBIND_RETRY
            )
            return
        _tell_brand(
            auth,
            f"Spark Ads: {auth.post_name} was unbound from {auth.ad_account}",
            f"The Spark Ads authorization for {auth.post_name} by @{auth.handle} ended on "
            f"{auth.auth_end:%Y-%m-%d %H:%M} UTC without a renewal, so the post was unbound from ad account "
            f"{auth.ad_account}. Ads using it stop delivering. To run it again, ask the creator for a new code.",
        )
        return
    if auth.expire(reason):
        auth.audit(AuditEvent.Kind.EXPIRED, f"Spark Ads authorization for {auth.post_name} expired")


def due_marks(auth: SparkAuthorization, now: datetime) -> list[int]:
    """The renewal marks (days before the end) reached by now."""
    if auth.auth_end is None:
        return []
    return [d for d in settings.SPARK_RENEWAL_REMINDER_DAYS if auth.mark_at(d) <= now]


def send_due_reminders(auth: SparkAuthorization, now: datetime | None = None) -> int:
    """Each renewal mark goes out once to the brand and once to the creator, oldest mark first:
    the SparkReminder row is the receipt, so a mark a clock jump skipped is sent by the next
    check and never again. Marks already passed when the window began are recorded without a
    mail (there was nothing to remind about yet)."""
    now = now or clock.now()
    began = auth.auth_start or auth.applied_at
    sent = 0
    for days in due_marks(auth, now):
        before_window = bool(days) and began is not None and auth.mark_at(days) <= began
        mailed = False
        for recipient, emails in _recipients(auth).items():
            created = SparkReminder.objects.get_or_create(authorization=auth, days_before=days, recipient=recipient)[1]
            if created and emails and not before_window:
                mail.send_later(*_reminder(auth, days), emails)
                mailed, sent = True, sent + 1
        if mailed:
            auth.audit(
                AuditEvent.Kind.REMINDED,
                f"Renewal reminder ({_when(days)}) for {auth.post_name} sent to brand and creator",
            )
    return sent


def _when(days: int) -> str:
    return "on the last day" if days == 0 else f"{days} days before the end"


def _at_risk_sentence(auth: SparkAuthorization) -> str:
    amounts = spark_ads.spend_at_risk_of(auth)
    if not amounts:
        return ""
    figures = " and ".join(str(money) for money in amounts)
    return (
        f"Spend at risk: {figures}, what the ads using this code would spend after its end, until "
        f"their ad groups' scheduled end and at most {spark_ads.AT_RISK_DAYS} days; they stop when it ends. "
    )


def _reminder(auth: SparkAuthorization, days: int) -> tuple[str, str]:
    end = f"{auth.auth_end:%Y-%m-%d %H:%M} UTC, between {auth.brand} and @{auth.handle}"
    at_risk = _at_risk_sentence(auth)
    how = (
        "Brands renew with Extend on the Spark Ads page; the creator approves it."
        if auth.source != SparkAuthorization.Source.PASTED
        else "This code was pasted, so it cannot be extended: the creator makes a new code on TikTok."
    )
    if days == 0:
        return (
            f"Spark Ads authorization for {auth.post_name} ends today",
            f"The Spark Ads authorization for {auth.post_name} ({auth.terms_summary}) ends on {end}. "
            "Unless it is renewed, the post is unbound from the brand's ad account and its ads stop. " + at_risk + how,
        )
    return (
        f"Spark Ads authorization for {auth.post_name} ends in {days} days",
        f"The Spark Ads authorization for {auth.post_name} ({auth.terms_summary}) ends on {end}. " + at_risk + how,
    )


def _tell_brand(auth: SparkAuthorization, subject: str, body: str) -> None:
    emails = _recipients(auth)[SparkReminder.Recipient.BRAND]
    if emails:
        mail.send_later(subject, body, emails)


def _recipients(auth: SparkAuthorization) -> dict[str, list[str]]:
    owner = auth.tiktok_account.owner if auth.tiktok_account else None
    return {
        SparkReminder.Recipient.BRAND: auth.brand_emails(),
        SparkReminder.Recipient.CREATOR: [owner.email] if owner and owner.email else [],
    }
