"""Celery tasks of the brand side. Tasks take ids and are idempotent."""

from __future__ import annotations

import logging
from functools import partial

from celery import shared_task
from django.db import transaction


@shared_task(time_limit=30, soft_time_limit=20)
def ping(value: str) -> str:
    """Round-trip check used by the worker smoke test and `make run`'s readiness probe."""
    return f"pong:{value}"


# --- brand connections: periodic re-check ------------------------------------------------

logger = logging.getLogger(__name__)


@shared_task(time_limit=60, soft_time_limit=50)
def dispatch_rechecks() -> int:
    """Beat: claim the brand connections whose TikTok One accounts are due (next_poll_at,
    partial index tto_poll_due_idx) and enqueue one re-check per connection."""
    from . import flows

    with transaction.atomic():
        credential_ids = flows.due_credentials()
        for credential_id in credential_ids:
            transaction.on_commit(partial(recheck_connection.delay, credential_id))
    return len(credential_ids)


@shared_task(time_limit=240, soft_time_limit=200)
def recheck_connection(credential_id: int) -> str:
    """Re-read one connection's TikTok One accounts (verification), ad accounts, Business
    Center assets and access; tell the brand's owners when the Spark Ads capability changes.
    TikTok being down or throttling backs the next poll off (no Celery retry storm)."""
    from . import flows

    result = flows.recheck_credential(credential_id)
    logger.info("recheck credential=%s outcome=%s", credential_id, result.outcome)
    return result.outcome
