"""Celery tasks of Spark Ads, in the project's polling idiom (integrations.polling): one
dispatcher per kind claims due rows in batches and enqueues per-row tasks on commit; tasks
take ids, are idempotent (each step is a conditional update, the apply is claimed once) and
retry transient TikTok errors through TikTokTask."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.db.models import QuerySet

from integrations.polling import TikTokTask, claim_due, enqueue_on_commit, give_back
from integrations.tiktok import TikTokError, clock

from . import flows, ledger, renewal
from .ads import flows as spark_ads
from .ads_manager import flows as ads_manager
from .models import SparkAuthorization

Status = SparkAuthorization.Status
# A claimed row is not claimed again for this long; the task sets the real next time.
CLAIM_LEASE = timedelta(minutes=5)
BATCH = 200


def polled_authorizations() -> QuerySet[SparkAuthorization]:
    """The authorizations the Spark poller looks after (next_poll_at): requests waiting for the
    creator, approved codes to apply, live authorizations to check."""
    return SparkAuthorization.objects.filter(
        status__in=[Status.REQUESTED, Status.APPROVED, Status.ACTIVE, Status.EXPIRING]
    )


def deadline_authorizations() -> QuerySet[SparkAuthorization]:
    """The authorizations the deadline poller looks after (due_at, on TikTok's clock): live
    ones reaching a renewal mark or their end, held codes reaching the end of their window."""
    return SparkAuthorization.objects.filter(status__in=[Status.APPROVED, Status.ACTIVE, Status.EXPIRING])


def _give_back_if_unsent(auth_id: int, exc: TikTokError) -> None:
    give_back(SparkAuthorization.objects.filter(pk=auth_id, next_poll_at__isnull=False), exc)


@shared_task(base=TikTokTask, queue="spark", time_limit=120, soft_time_limit=100)
def poll_spark_request(auth_id: int) -> str | None:
    try:
        return flows.poll_request(auth_id)
    except TikTokError as exc:
        _give_back_if_unsent(auth_id, exc)
        raise


@shared_task(base=TikTokTask, queue="spark", time_limit=120, soft_time_limit=100)
def apply_spark_authorization(auth_id: int) -> bool:
    return flows.apply_approved(auth_id)


@shared_task(base=TikTokTask, queue="spark", time_limit=120, soft_time_limit=100)
def check_spark_authorization(auth_id: int) -> str | None:
    """Notice cancellations and extensions, move to expiring/expired, send due reminders."""
    auth = SparkAuthorization.objects.select_related("brand", "tiktok_account__owner").filter(pk=auth_id).first()
    if auth is None or auth.status not in (Status.ACTIVE, Status.EXPIRING):
        return None
    try:
        ledger.refresh_from_tiktok(auth)
    except TikTokError as exc:
        _give_back_if_unsent(auth_id, exc)
        raise
    if auth.status in (Status.ACTIVE, Status.EXPIRING) and auth.lifecycle_status() == Status.EXPIRING:
        # Only with the creator's standing grant, within its cap; otherwise nothing is extended.
        renewal.renew_under_grant(auth)
    if auth.status in (Status.ACTIVE, Status.EXPIRING):
        ledger.advance(auth)
    return auth.status


@shared_task(base=TikTokTask, queue="spark", time_limit=120, soft_time_limit=100)
def poll_ads_manager_links(ad_account_id: int) -> int:
    try:
        return ads_manager.poll_links(ad_account_id)
    except TikTokError as exc:
        give_back(ads_manager.pending_links().filter(ad_account_id=ad_account_id), exc)
        raise


@shared_task(queue="spark", time_limit=60, soft_time_limit=50)
def dispatch_spark_polls() -> int:
    """Claim due requests, approved codes and live authorizations; one task per row."""
    rows = claim_due(polled_authorizations(), lease=CLAIM_LEASE, limit=BATCH)
    sent = 0
    for task in (poll_spark_request, apply_spark_authorization, check_spark_authorization):
        sent += enqueue_on_commit(task, [row.pk for row in rows if _task_for(row.status) is task])
    return sent


def _task_for(status: str) -> TikTokTask:
    if status == Status.REQUESTED:
        return poll_spark_request
    if status == Status.APPROVED:
        return apply_spark_authorization
    return check_spark_authorization


@shared_task(queue="spark", time_limit=60, soft_time_limit=50)
def dispatch_spark_deadlines() -> int:
    """Claim the rows whose deadline TikTok's clock has reached; one task per row. The lease
    is on TikTok's clock too: the task sets the next deadline when it ends."""
    rows = claim_due(deadline_authorizations(), lease=CLAIM_LEASE, limit=BATCH, now=clock.now(), field="due_at")
    # Renewal marks and term ends go out biggest spend at risk first: the queue is worked in
    # the order of the money that would stop.
    order = {pk: n for n, pk in enumerate(spark_ads.biggest_at_risk_first([row.pk for row in rows]))}
    rows.sort(key=lambda row: order[row.pk])
    sent = 0
    for task in (apply_spark_authorization, check_spark_authorization):
        sent += enqueue_on_commit(task, [row.pk for row in rows if _task_for(row.status) is task])
    return sent


@shared_task(queue="spark", time_limit=60, soft_time_limit=50)
def dispatch_ads_manager_polls() -> int:
    """Claim due waiting links; one `identity/get/` poll per ad account."""
    return enqueue_on_commit(poll_ads_manager_links, ads_manager.claim_due_ad_accounts(BATCH))


@shared_task(base=TikTokTask, queue="spark", time_limit=300, soft_time_limit=280)
def sweep_spark_ads(ad_account_ids: list[int]) -> int:
    """Up to five ad accounts of one grant: their Spark ads, then their spend in one report."""
    try:
        return spark_ads.sweep(ad_account_ids)
    except TikTokError as exc:
        give_back(
            spark_ads.swept_ad_accounts().filter(pk__in=ad_account_ids),
            exc,
            now=clock.now(),
            field="next_spend_read_at",
        )
        raise


@shared_task(queue="spark", time_limit=60, soft_time_limit=50)
def dispatch_spark_ad_sweeps() -> int:
    """Claim the ad accounts due for their daily sweep; one task per five of one grant."""
    batches = spark_ads.claim_due_batches(BATCH)
    for ids in batches:
        sweep_spark_ads.delay_on_commit(ids)
    return len(batches)
