"""An applied Spark Ads authorization over its window: the creator's cancellation or
extension seen on TikTok, expiring and expired, and the reminders (each sent once)."""

from __future__ import annotations

from datetime import timedelta

from django.template.defaultfilters import pluralize
from django.utils import timezone

from integrations import mail
from integrations.models import BrandMembership
from integrations.tiktok.tokens import call_with_credential

from .flows import audit, capability_for, end_authorization, handle_of, parse_tiktok_time
from .models import REMINDER_DAYS, AuditEvent, SparkAuthorization, SparkReminder, code_digest

Status = SparkAuthorization.Status


def refresh_from_tiktok(auth: SparkAuthorization) -> None:
    """Notice a creator's cancellation or an approved extension."""
    if auth.post_id is not None:
        tto = capability_for(auth.brand).tiktok_one_account
        if tto is not None and tto.credential_id:
            data = call_with_credential(
                tto.credential_id, lambda c: c.tcm_tt_video_status(auth.video_id, tto.tto_tcm_account_id)
            )
            if data.get("auth_code_status") == "DELETED" and code_digest(data.get("auth_code") or "") == auth.code_hash:
                _revoke(auth)
                return
            new_end = parse_tiktok_time(data.get("auth_code_end_time"))
            if new_end and auth.auth_end and new_end > auth.auth_end:
                auth.auth_end = new_end
                auth.reminders.all().delete()  # a new window earns new reminders


def _revoke(auth: SparkAuthorization) -> None:
    end_authorization(auth, Status.REVOKED, None, "The creator cancelled the authorization on TikTok")
    audit(
        auth.brand,
        AuditEvent.Kind.REVOKED,
        f"@{handle_of(auth)} cancelled Spark Ads for video {auth.video_id}",
        authorization=auth,
        tiktok_account_id=auth.tiktok_account_id,
    )


def advance(auth: SparkAuthorization, now=None) -> None:
    """Move an applied authorization to expiring/expired and send the reminders that are due."""
    now = now or timezone.now()
    status = auth.lifecycle_status(now)
    if status == Status.EXPIRED and auth.status != Status.EXPIRED:
        auth.status, auth.ended_at, auth.next_poll_at = status, now, None
        auth.save(update_fields=["status", "ended_at", "next_poll_at", "updated_at", "auth_end"])
        audit(
            auth.brand,
            AuditEvent.Kind.EXPIRED,
            f"Spark Ads authorization for video {auth.video_id} expired",
            authorization=auth,
            tiktok_account_id=auth.tiktok_account_id,
        )
        return
    auth.status = status
    auth.next_poll_at = auth.next_check_at(now)
    auth.save(update_fields=["status", "next_poll_at", "updated_at", "auth_end"])
    send_due_reminders(auth, now)


def send_due_reminders(auth: SparkAuthorization, now=None) -> int:
    """Each reminder (14, 3, 1 days; brand and creator) goes out once: the row is the receipt."""
    now = now or timezone.now()
    if auth.auth_end is None or auth.auth_end <= now:
        return 0
    due = [d for d in REMINDER_DAYS if auth.auth_end - timedelta(days=d) <= now]
    if not due:
        return 0
    days, sent = min(due), 0
    for recipient, emails in _recipients(auth).items():
        # Thresholds already passed are recorded too, so a late first check sends one mail, not three.
        created = [
            SparkReminder.objects.get_or_create(authorization=auth, days_before=d, recipient=recipient)[1] for d in due
        ]
        if created[due.index(days)] and emails:
            mail.send_later(
                f"Spark Ads authorization ends in {auth.days_left} day{pluralize(auth.days_left)}",
                f"The Spark Ads authorization for video {auth.video_id} ends on {auth.auth_end:%Y-%m-%d %H:%M} UTC. "
                "Brands can ask for more time with Extend on the Spark Ads page; creators will get the request "
                "in TikTok's notifications.",
                emails,
            )
            sent += 1
    return sent


def _recipients(auth: SparkAuthorization) -> dict[str, list[str]]:
    brand_emails = set(
        BrandMembership.objects.filter(brand=auth.brand, role__in=BrandMembership.MANAGER_ROLES).values_list(
            "user__email", flat=True
        )
    )
    if auth.requested_by is not None:
        brand_emails.add(auth.requested_by.email)
    owner = auth.tiktok_account.owner if auth.tiktok_account else None
    return {
        SparkReminder.Recipient.BRAND: sorted(e for e in brand_emails if e),
        SparkReminder.Recipient.CREATOR: [owner.email] if owner and owner.email else [],
    }
