"""Celery tasks of the brand side. Tasks take ids and are idempotent."""

from __future__ import annotations

import logging

from celery import shared_task

from .connect import recheck
from .models import WebhookDelivery
from .polling import TikTokTask, enqueue_on_commit
from .service_status import incidents

logger = logging.getLogger(__name__)


@shared_task(queue="default", time_limit=30, soft_time_limit=20)
def ping(value: str) -> str:
    """Round-trip check used by the worker smoke test and `make run`'s readiness probe."""
    return f"pong:{value}"


# --- brand connections: periodic re-check ------------------------------------------------


@shared_task(queue="default", time_limit=60, soft_time_limit=50)
def dispatch_rechecks() -> int:
    """Beat: claim the brand connections whose TikTok One accounts are due (next_poll_at,
    partial index tto_poll_due_idx) and enqueue one re-check per connection."""
    return enqueue_on_commit(recheck_connection, recheck.due_credentials())


@shared_task(base=TikTokTask, queue="default", time_limit=240, soft_time_limit=200)
def recheck_connection(credential_id: int) -> str:
    """Re-read one connection's TikTok One accounts (verification), ad accounts, Business
    Center assets and access; tell the brand's owners when the Spark Ads capability changes.
    TikTok being down or throttling backs the next poll off (recorded on the accounts)."""
    result = recheck.recheck_credential(credential_id)
    logger.info("recheck credential=%s outcome=%s", credential_id, result.outcome)
    return result.outcome


@shared_task(queue="default", time_limit=30, soft_time_limit=20)
def refresh_incident_banner() -> int:
    """Beat, every minute: the cache that pages read open TikTok One incidents from, rewritten
    from the table, so a flushed cache shows an open incident again within a minute."""
    return len(incidents.refresh_cache())


@shared_task(queue="default", time_limit=300, soft_time_limit=240)
def purge_webhook_deliveries() -> int:
    """Beat, daily: forget webhook deliveries past TikTok's retry window."""
    return WebhookDelivery.purge()
