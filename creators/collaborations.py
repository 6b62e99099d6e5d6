"""Campaigns and posts from the creator's side: the brand's checklist, joining, linking a
posted video, the review poll until it is published, and the brand's link requests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.text import capfirst

from integrations import previews
from integrations.errors import FlowError, message_for
from integrations.models import BackgroundJob, Campaign, CampaignPost, Collaboration, Credential, TikTokAccount
from integrations.polling import claim_due
from integrations.tiktok import TikTokError, tokens

from .flows import mark_disconnected
from .notify import notify

# A post in review is checked at most this far apart; a claimed poll holds its row as long.
POST_POLL = timedelta(minutes=10)
# Right after the creator linked it, TikTok's answer is close: the post is checked this soon,
# then ever less often (a quarter of its time in review) up to POST_POLL, so an approval shows
# within seconds without polling old posts at that pace.
POST_POLL_FIRST = timedelta(seconds=15)
# The dispatcher holds a claimed post until its task takes it (shorter than POST_POLL).
DISPATCH_LEASE = timedelta(minutes=5)


def in_review() -> QuerySet[CampaignPost]:
    """The posts the review poller looks after (next_poll_at): linked, still in TikTok's review."""
    return CampaignPost.objects.filter(publish_status=CampaignPost.PublishStatus.REVIEWING)


def claim_due_post_polls(limit: int) -> list[int]:
    """The dispatcher's claim: up to `limit` posts in review whose check is due."""
    return [row.pk for row in claim_due(in_review(), lease=DISPATCH_LEASE, limit=limit)]


def requirements(campaign: Campaign, account: TikTokAccount | None) -> list[dict]:
    """The brand's checklist; only the items this campaign requires."""
    items = []
    if campaign.require_tiktok_authorized:
        ok = bool(account and account.credential and account.credential.status == Credential.Status.OK)
        items.append({"label": "TikTok authenticated on this platform", "done": ok})
    if campaign.require_sponsored_video_tab:
        items.append({"label": f'Post through the "Sponsored Video" tab with "{campaign.name}" selected', "done": None})
    if campaign.require_original_or_promo_sound:
        items.append({"label": "Use Original Sound or a Promo+ sound only", "done": None})
    return items


def _creator_call(account: TikTokAccount, call: Callable[[Any], Any]) -> Any:
    if account.credential_id is None:
        raise FlowError("Authorize TikTok first.")
    try:
        return tokens.call_with_credential(account.credential_id, call)
    except TikTokError as exc:
        if exc.needs_reconnect:
            mark_disconnected(account, "TikTok no longer accepts this platform's access.", revoked=False)
            raise FlowError("TikTok no longer accepts our access to your account. Authorize TikTok again.") from exc
        if exc.is_not_tcm_creator:
            raise FlowError(
                "TikTok says you are not in the Creator Marketplace (or not in one of its countries) yet. "
                "Join it first; campaigns open to you once TikTok lists you."
            ) from exc
        if exc.is_scope_missing:
            raise FlowError(
                "You did not give this platform the TikTok permission this needs. "
                "Authorize TikTok again and leave every permission ticked."
            ) from exc
        if exc.is_transient:
            # Throttling, 5xx, a timeout: the poller's task retries it (and gives an unsent
            # call's row back at once); a person's click reads message_for from the view.
            raise
        raise FlowError(message_for(exc)) from exc


def _claim(collab: Collaboration, action: str) -> None:
    """Win the right to send the creator's `action` to TikTok for this collaboration; a second
    submit is told the first is on its way."""
    if not collab.claim_write(action):
        raise FlowError(
            f"Already requested: your last step on {collab.campaign.name} is being sent to TikTok; "
            "this page shows it in a moment."
        )


def _collaboration(account: TikTokAccount, campaign: Campaign) -> tuple[Collaboration, bool]:
    for _ in range(2):  # a concurrent insert of the same pair: the second try finds it
        try:
            with transaction.atomic():
                return Collaboration.objects.get_or_create(campaign=campaign, tiktok_account=account)
        except IntegrityError:
            continue
    raise FlowError("Could not open this campaign; please try again.")


def join_campaign(account: TikTokAccount, campaign: Campaign) -> Collaboration:
    if not campaign.invite_link:
        raise FlowError("This campaign has no TikTok invite link yet; ask the brand.")
    collab, created = _collaboration(account, campaign)
    _claim(collab, "join")
    try:
        collab.refresh_from_db()
        if collab.status == Collaboration.Status.JOINED:
            raise FlowError(f"Already joined: you are in {campaign.name} since {collab.joined_at:%Y-%m-%d %H:%M}.")
        _creator_call(account, lambda c: c.tto_creator_campaign_join(account.creator_id, campaign.invite_link))
    except (FlowError, TikTokError):
        if created:  # joining by link failed: the creator was never in this campaign
            Collaboration.objects.filter(pk=collab.pk, status=Collaboration.Status.INVITED).delete()
        collab.release_write()
        raise
    collab.status, collab.joined_at = Collaboration.Status.JOINED, timezone.now()
    collab.pending_write, collab.pending_since = "", None
    collab.save(update_fields=["status", "joined_at", "pending_write", "pending_since"])
    return collab


def _published(account: TikTokAccount, video_id: str) -> dict | None:
    data = _creator_call(
        account, lambda c: c.tto_creator_authorized_video_list(account.creator_id, video_ids=[video_id])
    )
    return next((p for p in data.get("posts") or [] if str(p.get("video_id")) == video_id), None)


def link_video(collab: Collaboration, video_id: str) -> CampaignPost:
    """Link a posted video to the campaign; a post still in review is polled until published."""
    account, campaign = collab.tiktok_account, collab.campaign
    _claim(collab, "link")
    try:
        linked = CampaignPost.objects.filter(
            campaign=campaign, video_id=video_id, link_status=CampaignPost.LinkStatus.APPROVE
        ).first()
        if linked is not None:
            raise FlowError(f"Already linked: {linked.name} counts for {campaign.name}.")
        _creator_call(
            account, lambda c: c.tto_creator_campaign_video_link(account.creator_id, campaign.invite_link, video_id)
        )
        post, _ = CampaignPost.objects.update_or_create(
            campaign=campaign,
            video_id=video_id,
            defaults={
                "collaboration": collab,
                "tiktok_account": account,
                "link_status": CampaignPost.LinkStatus.APPROVE,
                "linked_at": timezone.now(),
            },
        )
    finally:
        collab.release_write()
    refresh_publish_status(post)
    return post


def next_review_poll(post: CampaignPost, now: datetime) -> timedelta:
    """How soon to look again at a post TikTok is still reviewing."""
    in_review = now - (post.linked_at or post.created_at or now)
    return min(max(in_review / 4, POST_POLL_FIRST), POST_POLL)


def refresh_publish_status(post: CampaignPost, *, announce: bool = False) -> bool:
    """True once TikTok shows the post; until then it stays reviewing and due for a poll.
    With `announce` (the poller), the creator is told once when it goes live."""
    found = _published(post.tiktok_account, post.video_id)
    now = timezone.now()
    if found is None:
        # Not in the creator's list yet: poll again, but never undo what TikTok already told us
        # (a TCM_VIDEOS "published" event or the report may have proved it live first).
        reviewing = CampaignPost.objects.filter(pk=post.pk, publish_status=CampaignPost.PublishStatus.REVIEWING)
        if reviewing.update(next_poll_at=now + next_review_poll(post, now)):
            return False
        post.refresh_from_db(fields=["publish_status"])
        return post.publish_status == CampaignPost.PublishStatus.PUBLISHED
    CampaignPost.objects.filter(pk=post.pk).update(
        caption=found.get("caption") or "",
        embed_url=found.get("embed_url") or "",
        thumbnail_url=found.get("thumbnail_url") or "",
    )
    won = CampaignPost.objects.filter(pk=post.pk).mark_live()
    if won and announce:
        notify(post.tiktok_account, f"{capfirst(post.name)} for {post.campaign.name} is live on TikTok.")
    post.refresh_from_db(fields=["publish_status"])
    return post.publish_status == CampaignPost.PublishStatus.PUBLISHED


def link_requests(collab: Collaboration) -> list[dict]:
    account = collab.tiktok_account
    data = _creator_call(
        account, lambda c: c.tto_creator_link_request_get(account.creator_id, collab.campaign.invite_link)
    )
    return list(data.get("link_requests") or [])


def link_requests_job(job: BackgroundJob) -> tuple[str, dict[str, Any]]:
    """integrations.jobs runner: the brand's link requests waiting for the creator's answer."""
    collab = Collaboration.objects.select_related("campaign", "tiktok_account__credential").get(
        pk=job.params["collab"], tiktok_account__owner=job.user
    )
    requests = link_requests(collab)
    named = previews.captions(collab.tiktok_account, [str(r.get("video_id")) for r in requests])
    for r in requests:
        r["caption"] = named.get(str(r.get("video_id")), "")
    return "", {"campaign": collab.campaign.name, "requests": requests}


def answer_link_request(collab: Collaboration, link_request_id: str, video_id: str, approve: bool) -> None:
    account = collab.tiktok_account
    action = "APPROVE" if approve else "REJECT"
    _claim(collab, "answer")
    try:
        answered = CampaignPost.objects.filter(
            campaign=collab.campaign,
            link_request_id=link_request_id,
            link_status__in=[CampaignPost.LinkStatus.APPROVE, CampaignPost.LinkStatus.REJECTED],
        ).first()
        if answered is not None:
            verb = "approved" if answered.link_status == CampaignPost.LinkStatus.APPROVE else "rejected"
            raise FlowError(f"Already answered: you {verb} the brand's request for {answered.name}.")
        _creator_call(
            account, lambda c: c.tto_creator_link_request_confirm(account.creator_id, link_request_id, action)
        )
        status = CampaignPost.LinkStatus.APPROVE if approve else CampaignPost.LinkStatus.REJECTED
        post, _ = CampaignPost.objects.update_or_create(
            campaign=collab.campaign,
            video_id=video_id,
            defaults={
                "collaboration": collab,
                "tiktok_account": account,
                "link_status": status,
                "link_request_id": link_request_id,
                "linked_at": timezone.now() if approve else None,
            },
        )
    finally:
        collab.release_write()
    if approve:
        refresh_publish_status(post)
