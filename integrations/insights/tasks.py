"""Celery tasks of post insights, on the insights queue."""

from __future__ import annotations

from functools import partial

from celery import shared_task
from django.db import transaction

from ..tiktok import TikTokError
from . import report


class ReportUnavailable(Exception):
    """A transient TikTokError re-raised so Celery's autoretry (backoff, at most 5) handles
    only those; auth and permanent errors are recorded on the campaign and not retried."""


@shared_task(
    autoretry_for=(ReportUnavailable,),
    retry_backoff=True,
    max_retries=5,
    time_limit=15 * 60,
    soft_time_limit=14 * 60,
)
def poll_campaign_report(campaign_id: int) -> str:
    """Poll one campaign's `tto/tcm/report/` from its resume page on."""
    try:
        result = report.poll_campaign(campaign_id)
    except TikTokError as exc:
        if exc.is_transient:
            raise ReportUnavailable(str(exc)) from exc
        return f"failed:{exc.kind}"
    return f"{result.status}:pages={result.pages}:posts={result.saved}"


@shared_task(time_limit=60, soft_time_limit=50)
def dispatch_insights_polls() -> int:
    """Beat: claim the campaigns whose report is due and enqueue one poll each."""
    ids = report.claim_due_campaigns()
    enqueue_polls(ids)
    return len(ids)


def enqueue_polls(campaign_ids: list[int]) -> None:
    """Poll these campaigns once the current transaction commits."""
    for campaign_id in campaign_ids:
        transaction.on_commit(partial(poll_campaign_report.delay, campaign_id))
