"""Outgoing mail: queued for a worker after the transaction commits, never sent in a request.

SMTP being slow or down must not turn a request whose work is already committed (signup,
password reset, a webhook) into a 500: the worker's task retries with backoff, and if even
the broker is unreachable the mail is logged as lost and the request carries on.
"""

from __future__ import annotations

import logging
import smtplib

from celery import Task, shared_task
from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.core.mail.backends import console
from django.db import transaction

from .models import SentMail

logger = logging.getLogger(__name__)

# 5 retries at 1, 2, 4, 8 and 16 minutes, then the message is given up (and logged).
MAIL_MAX_RETRIES = 5
MAIL_RETRY_BASE_SECONDS = 60


# A subject's text: enough to say what happened in a mail client's list, short of a line.
SUBJECT_CHARS = 60


def _message(subject: str, body: str, to: list[str], from_email: str, html: str, headers: dict | None) -> dict:
    return {
        "subject": subject,
        "body": body,
        "to": list(to),
        "from_email": from_email or settings.DEFAULT_FROM_EMAIL,
        "html": html,
        "headers": headers or {},
    }


def send_later(
    subject: str, body: str, to: list[str], *, from_email: str = "", html: str = "", headers: dict | None = None
) -> None:
    """Queue one message once the current transaction commits (at once outside one)."""
    message = _message(subject, body, to, from_email, html, headers)
    transaction.on_commit(lambda: _enqueue(message))


def send_or_raise(subject: str, body: str, to: list[str]) -> None:
    """Queue one message now, or raise (integrations/outage.py's unavailable errors) if the
    broker cannot take it: for a request whose whole point is the mail (an invitation), which
    must not say "sent" about a mail that was lost. Call it inside the transaction that records
    the mail, so a failure records nothing; the task reads no rows, so it may run first."""
    _publish(_message(subject, body, to, "", "", None))


def _publish(message: dict) -> None:
    if settings.EMAIL_VIA_WORKER:
        # No publish retries: with the broker down the request must not wait on it.
        send_email.apply_async(kwargs=message, retry=False)
    else:
        send_email.apply(kwargs=message)


@shared_task(bind=True, queue="default", max_retries=MAIL_MAX_RETRIES, time_limit=60, soft_time_limit=50)
def send_email(
    self: Task,
    subject: str,
    body: str,
    to: list[str],
    from_email: str,
    html: str = "",
    headers: dict[str, str] | None = None,
) -> int:
    """Send one message (`send_later` queues it). Not idempotent by nature: a retry after SMTP
    accepted the message but dropped the connection may send it twice, which beats losing a
    password reset."""
    message = EmailMultiAlternatives(subject, body, from_email, to, headers=headers or {})
    if html:
        message.attach_alternative(html, "text/html")
    try:
        return message.send()
    except (smtplib.SMTPException, OSError) as exc:
        raise self.retry(exc=exc, countdown=MAIL_RETRY_BASE_SECONDS * 2**self.request.retries) from exc


def _enqueue(message: dict) -> None:
    try:
        _publish(message)
    except Exception:
        logger.exception("mail to %s not queued (broker unreachable?): %s", message["to"], message["subject"])


class OutboxBackend(console.EmailBackend):
    """Dev and sandbox mail: each message is kept for the staff Outbox page (readable, links
    that work) and printed to the console decoded, not as the quoted-printable MIME the
    plain console backend prints, so an invitation link can be read from the log too."""

    def write_message(self, message: EmailMessage) -> None:
        html = next((a.content for a in getattr(message, "alternatives", []) if a.mimetype == "text/html"), "")
        recipients = [*message.to, *message.cc, *message.bcc]
        SentMail.objects.create(
            subject=str(message.subject),
            from_email=message.from_email,
            to="\n".join(recipients),
            body=str(message.body),
            html=str(html),
        )
        self.stream.write(
            f"From: {message.from_email}\nTo: {', '.join(recipients)}\nSubject: {message.subject}\n\n{message.body}\n"
        )
        self.stream.write("-" * 79 + "\n")
