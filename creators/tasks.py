"""Celery tasks of creator onboarding. Each takes an id, re-reads the row, claims it by a
conditional update and is safe to run twice. Dispatchers (one per kind, in
CELERY_BEAT_SCHEDULE) find due rows by `next_poll_at` / `next_refresh_at`."""

from __future__ import annotations

import logging
from functools import partial

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from integrations.models import CampaignPost, Credential, TikTokAccount
from integrations.tiktok import TikTokError, tokens
from integrations.tiktok.errors import Kind

from . import flows
from .models import MarketplaceOnboarding

logger = logging.getLogger(__name__)
DISPATCH_BATCH = 500


class TransientTikTokError(TikTokError):
    """Raised again from a transient TikTokError so autoretry_for matches only those."""


def _transient_only(exc: TikTokError) -> None:
    if exc.kind == Kind.TRANSIENT:
        raise TransientTikTokError(exc.message, kind=exc.kind, code=exc.code, request_id=exc.request_id) from exc


def _enqueue_each(task, ids: list[int]) -> int:
    for pk in ids:
        transaction.on_commit(partial(task.delay, pk))
    return len(ids)


@shared_task(time_limit=60, soft_time_limit=50)
def dispatch_onboarding_polls() -> int:
    """Enqueue a poll for every waiting creator that is due (partial index onboarding_poll_due_idx)."""
    ids = list(
        MarketplaceOnboarding.objects.filter(
            state__in=MarketplaceOnboarding.POLLED_STATES, next_poll_at__lte=timezone.now()
        )
        .order_by("next_poll_at")
        .values_list("pk", flat=True)[:DISPATCH_BATCH]
    )
    return _enqueue_each(poll_onboarding, ids)


@shared_task(
    time_limit=120,
    soft_time_limit=100,
    autoretry_for=(TransientTikTokError,),
    retry_backoff=True,
    max_retries=5,
)
def poll_onboarding(onboarding_id: int) -> str:
    """Check one creator's Marketplace status and move its state machine."""
    if not MarketplaceOnboarding.objects.filter(pk=onboarding_id).exists():
        return "gone"
    if not flows.claim_poll(onboarding_id):
        return "not due or claimed by another worker"
    try:
        return flows.poll(onboarding_id)
    except flows.FlowError as exc:
        MarketplaceOnboarding.objects.filter(pk=onboarding_id).update(last_error=str(exc))
        return "not configured"
    except TikTokError as exc:
        MarketplaceOnboarding.objects.filter(pk=onboarding_id).update(last_error=str(exc)[:2000])
        _transient_only(exc)
        return f"failed: {exc.code}"


@shared_task(time_limit=60, soft_time_limit=50)
def dispatch_post_polls() -> int:
    """Enqueue a check for every campaign post TikTok is still reviewing (post_review_poll_idx)."""
    ids = list(
        CampaignPost.objects.filter(
            publish_status=CampaignPost.PublishStatus.REVIEWING, next_poll_at__lte=timezone.now()
        )
        .order_by("next_poll_at")
        .values_list("pk", flat=True)[:DISPATCH_BATCH]
    )
    return _enqueue_each(poll_post_review, ids)


@shared_task(
    time_limit=120,
    soft_time_limit=100,
    autoretry_for=(TransientTikTokError,),
    retry_backoff=True,
    max_retries=5,
)
def poll_post_review(post_id: int) -> str:
    """Is a reviewed post published yet? Claimed by pushing next_poll_at out first."""
    now = timezone.now()
    claimed = CampaignPost.objects.filter(
        pk=post_id, publish_status=CampaignPost.PublishStatus.REVIEWING, next_poll_at__lte=now
    ).update(next_poll_at=now + flows.POST_POLL)
    if not claimed:
        return "not due or claimed by another worker"
    post = CampaignPost.objects.select_related("tiktok_account__owner", "campaign").get(pk=post_id)
    try:
        return "published" if flows.refresh_publish_status(post, announce=True) else "reviewing"
    except flows.FlowError as exc:
        return f"failed: {exc}"


@shared_task(time_limit=60, soft_time_limit=50)
def refresh_due_creator_tokens() -> int:
    """Enqueue a refresh for every creator (tt_user) grant due soon (cred_refresh_due_idx)."""
    ids = list(
        Credential.objects.filter(
            kind=Credential.Kind.TT_USER, status=Credential.Status.OK, next_refresh_at__lte=timezone.now()
        )
        .order_by("next_refresh_at")
        .values_list("pk", flat=True)[:DISPATCH_BATCH]
    )
    return _enqueue_each(refresh_creator_token, ids)


@shared_task(
    time_limit=60,
    soft_time_limit=50,
    autoretry_for=(TransientTikTokError,),
    retry_backoff=True,
    max_retries=5,
)
def refresh_creator_token(credential_id: int) -> str:
    """Refresh one grant through the client's one refresh function (row lock, rotation)."""
    if not Credential.objects.filter(pk=credential_id, status=Credential.Status.OK).exists():
        return "gone"
    try:
        tokens.refresh_credential(credential_id, only_if_expiring=True)
    except TikTokError as exc:
        _transient_only(exc)
        # The refresh token was rejected: the creator must authorize again.
        for account in TikTokAccount.objects.select_related("owner").filter(credential_id=credential_id):
            flows.mark_disconnected(account, "TikTok no longer accepts this platform's access.", revoked=False)
        return "needs reconnect"
    return "ok"
