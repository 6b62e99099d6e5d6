"""Post previews: what a campaign post is (its caption and thumbnail), as TikTok lists it.

TikTok's campaign report names a post only by its id, cover and link; the caption comes from
the creator's own post list (`business/video/list/`, the creator's token). A worker fills it,
never a page view: the insights poll after it saves a campaign's posts, and the Spark pollers
when the post of a row they read has none. A post TikTok listed is not asked about again;
pages render what is stored and name a post TikTok gave no caption by its day
(CampaignPost.title).
"""

from __future__ import annotations

import logging
from typing import Any

from django.utils import timezone

from integrations.models import Campaign, CampaignPost, TikTokAccount
from integrations.tiktok import TikTokError
from integrations.tiktok.tokens import call_with_credential

logger = logging.getLogger(__name__)
# TikTok's page size for business/video/list/ (max_count 1-20): one call covers this many posts.
PREVIEWS_PER_CALL = 20
VIDEO_LIST_SCOPE = "video.list"


def fill_for(post: CampaignPost | None) -> int:
    """A poller's step: when the post it reads has no preview yet, fill the creator's posts."""
    if post is None or post.previewed_at is not None:
        return 0
    return fill(post.tiktok_account)


def fill_campaign(campaign: Campaign) -> int:
    """The insights poll's step: fill the posts of each of the campaign's creators who
    authorized the platform (others have no token to ask with)."""
    accounts = TikTokAccount.objects.filter(
        campaign_posts__campaign=campaign, campaign_posts__previewed_at__isnull=True, credential__isnull=False
    ).distinct()
    return sum(fill(account) for account in accounts.select_related("credential"))


def fill(account: TikTokAccount) -> int:
    """Give up to PREVIEWS_PER_CALL of the account's campaign posts not yet previewed their
    caption and thumbnail, in one call; returns how many were filled. A post TikTok does not
    list keeps what it has, and a failed call is only logged: the poll that asked goes on."""
    if not account.open_id or not (account.credential and account.credential.has_scope(VIDEO_LIST_SCOPE)):
        return 0
    missing = CampaignPost.objects.filter(tiktok_account=account, previewed_at__isnull=True).order_by("pk")
    ids = list(dict.fromkeys(missing.values_list("video_id", flat=True)))[:PREVIEWS_PER_CALL]
    if not ids:
        return 0
    try:
        videos = _listed(account, ids)
    except TikTokError as exc:
        logger.info("post previews for @%s not read: %s", account.handle, exc.message)
        return 0
    filled = 0
    for video in videos:
        found: dict[str, Any] = {"caption": str(video.get("caption") or ""), "previewed_at": timezone.now()}
        thumbnail = str(video.get("thumbnail_url") or "")
        if thumbnail and len(thumbnail) <= 1000:
            found["thumbnail_url"] = thumbnail
        filled += CampaignPost.objects.filter(tiktok_account=account, video_id=str(video.get("item_id"))).update(
            **found
        )
    return filled


def captions(account: TikTokAccount, ids: list[str]) -> dict[str, str]:
    """The captions of up to PREVIEWS_PER_CALL of the account's posts, for a worker naming posts
    that are no campaign post yet (a brand's link requests); none without video.list or when
    TikTok does not answer, so the caller names those posts by their ids."""
    if not ids or not account.open_id or not (account.credential and account.credential.has_scope(VIDEO_LIST_SCOPE)):
        return {}
    try:
        videos = _listed(account, ids[:PREVIEWS_PER_CALL])
    except TikTokError as exc:
        logger.info("captions for @%s not read: %s", account.handle, exc.message)
        return {}
    return {str(v.get("item_id")): str(v.get("caption") or "") for v in videos}


def _listed(account: TikTokAccount, ids: list[str]) -> list[dict[str, Any]]:
    open_id = account.open_id
    data = call_with_credential(
        account.credential_id,
        lambda c: c.business_video_list(
            open_id, fields=["caption", "thumbnail_url"], video_ids=ids, max_count=PREVIEWS_PER_CALL
        ),
    )
    return [dict(v) for v in data.get("videos") or []]
