"""Celery tasks of post insights, on the insights queue."""

from __future__ import annotations

from celery import shared_task

from ..polling import TikTokTask, enqueue_on_commit, mark_started
from . import report


@shared_task(base=TikTokTask, queue="insights", time_limit=15 * 60, soft_time_limit=14 * 60)
def poll_campaign_report(campaign_id: int) -> str:
    """Poll one campaign's `tto/tcm/report/` from its resume page on."""
    mark_started(poll_campaign_report, campaign_id)
    result = report.poll_campaign(campaign_id)
    return f"{result.status}:pages={result.pages}:posts={result.saved}"


@shared_task(queue="insights", time_limit=60, soft_time_limit=50)
def dispatch_insights_polls() -> int:
    """Beat: claim the campaigns whose report is due and enqueue one poll each."""
    return enqueue_on_commit(poll_campaign_report, report.claim_due_campaigns())
