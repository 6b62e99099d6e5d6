"""TikTok's TCM_VIDEOS events move a campaign post's review status as they arrive, instead of
when the next review poll or report catches up: `tto_video_uploaded` (the video is linked to
the campaign and TikTok is reviewing it) and `tto_video_published` (it is live).

Delivery is at-least-once and in no promised order, so each event is a conditional update
that only moves a post forward: a repeated event, or an `uploaded` arriving after
`published`, changes nothing, and of two deliveries of one `published` only one tells the
creator.
"""

from __future__ import annotations

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import capfirst

from .. import mail
from ..models import Campaign, CampaignPost, Collaboration, TikTokAccount
from ..models.campaigns import CampaignPostQuerySet
from ..tiktok.webhooks import TcmVideoEvent
from ..words import clipped

UPLOADED = "tto_video_uploaded"
PUBLISHED = "tto_video_published"
Status = CampaignPost.PublishStatus


def apply(events: list[TcmVideoEvent]) -> list[int]:
    """Apply each event to its campaign's post; returns the ids of posts that changed."""
    changed = []
    for event in events:
        if event.event_type not in (UPLOADED, PUBLISHED) or not event.video_id or not event.campaign_id:
            continue
        campaign = (
            Campaign.objects.select_related("tiktok_one_account")
            .filter(campaign_id=event.campaign_id, tiktok_one_account__tto_tcm_account_id=event.tto_tcm_account_id)
            .first()
        )
        if campaign is None:
            continue  # not a campaign of this platform
        post_id = _apply_one(campaign, event)
        if post_id is not None:
            changed.append(post_id)
    return changed


def _apply_one(campaign: Campaign, event: TcmVideoEvent) -> int | None:
    published = event.event_type == PUBLISHED
    post = CampaignPost.objects.filter(campaign=campaign, video_id=event.video_id).first()
    if post is None:
        return _create(campaign, event, Status.PUBLISHED if published else Status.REVIEWING)
    if not published:
        return None  # already known: reviewing, or further along
    return post.pk if went_live(CampaignPost.objects.filter(pk=post.pk)) else None


def went_live(posts: CampaignPostQuerySet) -> list[int]:
    """TikTok proved these posts live: the ones still in review are published now, and their
    creators told once (CampaignPost.objects.mark_live)."""
    moved = posts.mark_live()
    for pk in moved:
        _tell_creator(CampaignPost.objects.get(pk=pk))
    return moved


def _create(campaign: Campaign, event: TcmVideoEvent, status: str) -> int | None:
    """A campaign video the platform has not seen (posted through the Sponsored Video tab)."""
    if not event.handle_name:
        return None
    account, _ = TikTokAccount.objects.get_or_create(handle=event.handle_name)
    try:
        with transaction.atomic():
            post = CampaignPost.objects.create(
                campaign=campaign,
                video_id=event.video_id,
                tiktok_account=account,
                collaboration=Collaboration.objects.filter(campaign=campaign, tiktok_account=account).first(),
                link_status=CampaignPost.LinkStatus.APPROVE,
                publish_status=status,
                linked_at=timezone.now(),
                # A post in review is also polled, in case the `published` event never comes.
                next_poll_at=timezone.now() if status == Status.REVIEWING else None,
            )
    except IntegrityError:
        return None  # another delivery of the same event created it
    return post.pk


def _tell_creator(post: CampaignPost) -> None:
    """The creator was told "we will tell you when it is published" when linking it."""
    post = CampaignPost.objects.select_related("tiktok_account__owner", "campaign").get(pk=post.pk)
    owner = post.tiktok_account.owner
    if owner is None or not owner.email:
        return
    text = f"{capfirst(post.name)} for {post.campaign.name} is live on TikTok."
    mail.send_later(
        f"TikTok @{post.tiktok_account.handle}: {clipped(text, mail.SUBJECT_CHARS)}",
        f"{text}\n\n{settings.SITE_URL}",
        [owner.email],
    )
