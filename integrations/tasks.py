"""Celery tasks of the brand side. Tasks take ids and are idempotent."""

from __future__ import annotations

import logging
import smtplib

from celery import shared_task
from django.core.mail import EmailMultiAlternatives

from . import jobs
from .connect import recheck
from .models import WebhookDelivery
from .polling import TikTokTask, enqueue_on_commit
from .service_status import incidents

logger = logging.getLogger(__name__)


@shared_task(time_limit=30, soft_time_limit=20)
def ping(value: str) -> str:
    """Round-trip check used by the worker smoke test and `make run`'s readiness probe."""
    return f"pong:{value}"


# Mail: 5 retries at 1, 2, 4, 8 and 16 minutes, then the message is given up (and logged).
MAIL_MAX_RETRIES = 5
MAIL_RETRY_BASE_SECONDS = 60


@shared_task(bind=True, max_retries=MAIL_MAX_RETRIES, time_limit=60, soft_time_limit=50)
def send_email(self, subject: str, body: str, to: list[str], from_email: str, html: str = "", headers=None) -> int:
    """Send one message (integrations.mail.send_later queues it). Not idempotent by nature:
    a retry after SMTP accepted the message but dropped the connection may send it twice,
    which beats losing a password reset."""
    message = EmailMultiAlternatives(subject, body, from_email, to, headers=headers or {})
    if html:
        message.attach_alternative(html, "text/html")
    try:
        return message.send()
    except (smtplib.SMTPException, OSError) as exc:
        raise self.retry(exc=exc, countdown=MAIL_RETRY_BASE_SECONDS * 2**self.request.retries) from exc


# --- brand connections: periodic re-check ------------------------------------------------


@shared_task(time_limit=60, soft_time_limit=50)
def dispatch_rechecks() -> int:
    """Beat: claim the brand connections whose TikTok One accounts are due (next_poll_at,
    partial index tto_poll_due_idx) and enqueue one re-check per connection."""
    return enqueue_on_commit(recheck_connection, recheck.due_credentials())


@shared_task(base=TikTokTask, time_limit=240, soft_time_limit=200)
def recheck_connection(credential_id: int) -> str:
    """Re-read one connection's TikTok One accounts (verification), ad accounts, Business
    Center assets and access; tell the brand's owners when the Spark Ads capability changes.
    TikTok being down or throttling backs the next poll off (recorded on the accounts)."""
    result = recheck.recheck_credential(credential_id)
    logger.info("recheck credential=%s outcome=%s", credential_id, result.outcome)
    return result.outcome


@shared_task(time_limit=30, soft_time_limit=20)
def refresh_incident_banner() -> int:
    """Beat, every minute: the cache that pages read open TikTok One incidents from, rewritten
    from the table, so a flushed cache shows an open incident again within a minute."""
    return len(incidents.refresh_cache())


@shared_task(time_limit=300, soft_time_limit=240)
def purge_webhook_deliveries() -> int:
    """Beat, daily: forget webhook deliveries past TikTok's retry window."""
    return WebhookDelivery.purge()


@shared_task(time_limit=5 * 60, soft_time_limit=4 * 60)
def run_job(job_id: int) -> str:
    """One slow piece of work a person is watching (integrations.jobs); not retried: the
    transport already retried TikTok, and the page tells the person to try again."""
    return jobs.run(job_id)
