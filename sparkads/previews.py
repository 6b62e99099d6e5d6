"""Post previews: what a campaign post is (its caption and thumbnail), as TikTok lists it.

A worker fills them, never a page view: the pollers that already read a creator's Spark
rows (a waiting request, a live authorization) ask `business/video/list/` with the creator's
token when the row's post has no preview yet, and the answer is kept on the posts. The
creator's page renders what is stored and shows a post without a preview by its id.
"""

from __future__ import annotations

import logging
from typing import Any

from integrations.models import CampaignPost, TikTokAccount
from integrations.tiktok import TikTokError
from integrations.tiktok.tokens import call_with_credential

from .models import SparkAuthorization

logger = logging.getLogger("sparkads")
# TikTok's page size for business/video/list/ (max_count 1-20): one call covers this many posts.
PREVIEWS_PER_CALL = 20
VIDEO_LIST_SCOPE = "video.list"


def fill_for(auth: SparkAuthorization) -> int:
    """The poller's step: when the row's post has no preview yet, fill the creator's posts."""
    if auth.post is None or auth.post.thumbnail_url:
        return 0
    return fill(auth.post.tiktok_account)


def fill(account: TikTokAccount) -> int:
    """Give up to PREVIEWS_PER_CALL of the account's campaign posts without a preview their
    caption and thumbnail, in one call; returns how many were filled. A post TikTok does not
    list keeps its id, and a failed call is only logged: the poll that asked goes on."""
    if not account.open_id or not (account.credential and account.credential.has_scope(VIDEO_LIST_SCOPE)):
        return 0
    missing = CampaignPost.objects.filter(tiktok_account=account, thumbnail_url="").order_by("pk")
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
        found = {"caption": str(video.get("caption") or ""), "thumbnail_url": str(video.get("thumbnail_url") or "")}
        if not found["thumbnail_url"] or len(found["thumbnail_url"]) > 1000:
            continue
        filled += CampaignPost.objects.filter(tiktok_account=account, video_id=str(video.get("item_id"))).update(
            **found
        )
    return filled


def _listed(account: TikTokAccount, ids: list[str]) -> list[dict[str, Any]]:
    open_id = account.open_id
    data = call_with_credential(
        account.credential_id,
        lambda c: c.business_video_list(
            open_id, fields=["caption", "thumbnail_url"], video_ids=ids, max_count=PREVIEWS_PER_CALL
        ),
    )
    return [dict(v) for v in data.get("videos") or []]
