"""Celery tasks of creator onboarding, in the project's polling idiom (integrations.polling):
dispatchers claim due rows in batches and enqueue tasks on commit, one per row or, for
Marketplace status, one per 20 rows (TikTok's most per call); each task takes ids, takes each
row by a conditional update (integrations.polling.take, so of two executors one acts) and is
safe to run twice.
Transient TikTok errors are retried by TikTokTask."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from celery import shared_task
from django.db.models import QuerySet

from integrations.errors import FlowError
from integrations.models import BackgroundJob, CampaignPost, Credential, TikTokAccount
from integrations.polling import TikTokTask, claim_due, enqueue_on_commit, give_back, take
from integrations.tiktok import TikTokError, clock, tokens
from integrations.tiktok.tto import CREATOR_STATUS_BATCH

from . import collaborations, marketplace
from .flows import mark_disconnected
from .models import MarketplaceOnboarding

DISPATCH_BATCH = 500
# A grant claimed for refresh is not claimed again for this long (a crashed refresh retries then).
REFRESH_LEASE = timedelta(minutes=10)


@shared_task(queue="invites", time_limit=60, soft_time_limit=50, ignore_result=True)
def dispatch_onboarding_polls() -> int:
    """Claim due waiting creators (partial index onboarding_poll_due_idx) and enqueue one
    poll per CREATOR_STATUS_BATCH of them; see marketplace.dispatch_target for how many."""
    return enqueue_on_commit(poll_onboardings, marketplace.claim_due_polls(), batch=CREATOR_STATUS_BATCH)


@shared_task(queue="invites", time_limit=60, soft_time_limit=50, ignore_result=True)
def dispatch_onboarding_deadlines() -> int:
    """Poll at once, in batches of CREATOR_STATUS_BATCH, the creators whose wait on TikTok's
    clock has ended (an invite's 24 hours, TikTok's 2+ hours of processing;
    onboarding_deadline_due_idx): a sandbox clock that jumps makes them due at this tick."""
    return enqueue_on_commit(
        poll_onboardings, marketplace.claim_due_deadlines(DISPATCH_BATCH), batch=CREATOR_STATUS_BATCH
    )


# Nobody reads a poll's result (the rows hold what it found): not stored in the result backend.
@shared_task(base=TikTokTask, queue="invites", time_limit=120, soft_time_limit=100, ignore_result=True)
def poll_onboardings(onboarding_ids: list[int]) -> dict[str, int]:
    """Check up to 20 creators' Marketplace status in one call and move their state machines.
    Returns how many rows are in each state after it: what the worker logs of the task (a
    state per row cost the worker a tenth of the batch's CPU to log)."""
    return dict(Counter(_poll(onboarding_ids).values()))


@shared_task(base=TikTokTask, queue="invites", time_limit=120, soft_time_limit=100)
def poll_onboarding(onboarding_id: int) -> str:
    """Check one creator at once (just authorized, so not worth waiting for a batch)."""
    if not MarketplaceOnboarding.objects.filter(pk=onboarding_id).exists():
        return "gone"
    return _poll([onboarding_id]).get(onboarding_id, "not due or claimed by another worker")


def _poll(onboarding_ids: list[int]) -> dict[int, str]:
    """Take the rows no other executor holds, poll them together, record what failed."""
    claimed = marketplace.claim_polls(onboarding_ids)
    if not claimed:
        return {}
    pks = [row.pk for row in claimed]
    try:
        return marketplace.poll(claimed)
    except FlowError as exc:
        MarketplaceOnboarding.objects.filter(pk__in=pks).update(last_error=exc.message)
        return dict.fromkeys(pks, "not configured")
    except TikTokError as exc:
        if exc.is_transient:
            marketplace.release(pks, exc)
        else:
            MarketplaceOnboarding.objects.filter(pk__in=pks).update(last_error=str(exc)[:2000])
        raise


def check_job(job: BackgroundJob) -> tuple[str, dict]:
    """integrations.jobs runner of the creator's "Check again now": one status read, made by
    a worker so the creator never waits on TikTok in their request."""
    onboarding = MarketplaceOnboarding.objects.get(pk=job.params["onboarding"], tiktok_account__owner=job.user)
    marketplace.check_now(onboarding)
    # Without the task's retries: a transient failure ends the job and the page says try again.
    if poll_onboarding.run(onboarding.pk) == "not configured":
        onboarding.refresh_from_db()
        raise FlowError(onboarding.last_error)
    onboarding.refresh_from_db()
    return f"Checked your Creator Marketplace status with TikTok: {onboarding.get_state_display()}.", {}


@shared_task(queue="invites", time_limit=60, soft_time_limit=50)
def dispatch_post_polls() -> int:
    """Enqueue a check for every campaign post TikTok is still reviewing (post_review_poll_idx)."""
    return enqueue_on_commit(poll_post_review, collaborations.claim_due_post_polls(DISPATCH_BATCH))


@shared_task(base=TikTokTask, queue="invites", time_limit=120, soft_time_limit=100)
def poll_post_review(post_id: int) -> str:
    """Is a reviewed post published yet? The post qualifies while due or held only by the
    dispatcher; the winner holds it for POST_POLL. A transient TikTok error is retried by
    TikTokTask; a call the rate budget never sent makes the post due again at once."""
    post_row = collaborations.in_review().filter(pk=post_id)
    if not take(post_row, free_within=collaborations.DISPATCH_LEASE, hold=collaborations.POST_POLL):
        return "not due or claimed by another worker"
    post = CampaignPost.objects.select_related("tiktok_account__owner", "campaign").get(pk=post_id)
    try:
        return "published" if collaborations.refresh_publish_status(post, announce=True) else "reviewing"
    except FlowError as exc:
        return f"failed: {exc.message}"
    except TikTokError as exc:
        give_back(post_row, exc)
        raise


def creator_grants() -> QuerySet[Credential]:
    """The creator (tt_user) grants the token refresher looks after (refresh_due_at, on TikTok's clock)."""
    return Credential.objects.filter(kind=Credential.Kind.TT_USER, status=Credential.Status.OK)


@shared_task(queue="tokens", time_limit=60, soft_time_limit=50)
def refresh_due_creator_tokens() -> int:
    """Enqueue a refresh for every creator (tt_user) grant whose access token is within its
    refresh margin by TikTok's clock (cred_refresh_due_idx), so a sandbox clock that jumps makes
    it due at this tick. The claim holds a grant for REFRESH_LEASE (on the same clock); a refresh
    sets its next deadline when it succeeds."""
    claimed = claim_due(
        creator_grants(), lease=REFRESH_LEASE, limit=DISPATCH_BATCH, field="refresh_due_at", now=clock.now()
    )
    return enqueue_on_commit(refresh_creator_token, [c.pk for c in claimed])


@shared_task(base=TikTokTask, queue="tokens", time_limit=60, soft_time_limit=50)
def refresh_creator_token(credential_id: int) -> str:
    """Refresh one grant through the client's one refresh function (row lock, rotation), so
    two executors rotate it once."""
    if not creator_grants().filter(pk=credential_id).exists():
        return "gone"
    try:
        tokens.refresh_credential(credential_id, only_if_expiring=True)
    except TikTokError as exc:
        if exc.is_transient:
            raise
        # The refresh token was rejected: the creator must authorize again.
        for account in TikTokAccount.objects.select_related("owner").filter(credential_id=credential_id):
            mark_disconnected(account, "TikTok no longer accepts this platform's access.", revoked=False)
        return "needs reconnect"
    return "ok"
