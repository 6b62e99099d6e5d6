"""Celery tasks: per-row tasks take ids and are idempotent; one dispatcher per kind finds
due rows through `next_poll_at` (partial indexes) and claims them with skip-locked rows."""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from typing import Any

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from integrations.tiktok import TikTokError

from . import flows
from .models import AdsManagerLink, SparkAuthorization

RETRY: dict[str, Any] = {
    "autoretry_for": (TikTokError,),
    "retry_backoff": True,
    "max_retries": 5,
    "time_limit": 120,
    "soft_time_limit": 100,
}
Status = SparkAuthorization.Status
# A claimed row is pushed this far out, so a second dispatcher run does not enqueue it again.
CLAIM_LEASE = timedelta(minutes=5)
BATCH = 200


def _transient_only(fn):
    """Permanent and auth TikTok errors are recorded by the flows, not retried."""

    def run(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except TikTokError as exc:
            if exc.is_transient:
                raise
            return None

    return run


@shared_task(**RETRY)
def poll_spark_request(auth_id: int) -> str | None:
    return _transient_only(flows.poll_request)(auth_id)


@shared_task(**RETRY)
def apply_spark_authorization(auth_id: int) -> bool | None:
    return _transient_only(flows.apply_approved)(auth_id)


@shared_task(**RETRY)
def check_spark_authorization(auth_id: int) -> str | None:
    """Notice cancellations and extensions, move to expiring/expired, send due reminders."""
    auth = SparkAuthorization.objects.select_related("brand", "tiktok_account__owner").filter(pk=auth_id).first()
    if auth is None or auth.status not in (Status.ACTIVE, Status.EXPIRING):
        return None
    _transient_only(flows.refresh_from_tiktok)(auth)
    if auth.status in (Status.ACTIVE, Status.EXPIRING):
        flows.advance(auth)
    return auth.status


@shared_task(**RETRY)
def poll_ads_manager_links(ad_account_id: int) -> int | None:
    return _transient_only(flows.poll_links)(ad_account_id)


def _claim_due(queryset, now) -> list:
    with transaction.atomic():
        rows = list(
            queryset.filter(next_poll_at__lte=now)
            .order_by("next_poll_at")
            .select_for_update(skip_locked=True)
            .values_list("pk", "status")[:BATCH]
        )
        queryset.model.objects.filter(pk__in=[pk for pk, _ in rows]).update(next_poll_at=now + CLAIM_LEASE)
    return rows


@shared_task(time_limit=60, soft_time_limit=50)
def dispatch_spark_polls() -> int:
    now = timezone.now()
    due = SparkAuthorization.objects.filter(
        status__in=[Status.REQUESTED, Status.APPROVED, Status.ACTIVE, Status.EXPIRING]
    )
    rows = _claim_due(due, now)
    task_for = {Status.REQUESTED: poll_spark_request, Status.APPROVED: apply_spark_authorization}
    for pk, status in rows:
        task = task_for.get(status, check_spark_authorization)
        transaction.on_commit(partial(task.delay, pk))
    return len(rows)


@shared_task(time_limit=60, soft_time_limit=50)
def dispatch_ads_manager_polls() -> int:
    now = timezone.now()
    rows = _claim_due(AdsManagerLink.objects.filter(status=AdsManagerLink.Status.PENDING), now)
    ad_accounts = set(
        AdsManagerLink.objects.filter(pk__in=[pk for pk, _ in rows]).values_list("ad_account_id", flat=True)
    )
    for ad_account_id in ad_accounts:
        transaction.on_commit(partial(poll_ads_manager_links.delay, ad_account_id))
    return len(ad_accounts)
