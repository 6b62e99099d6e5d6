"""What a person does on a TikTok-side screen. The screens and the control API's test helpers
both call these, so a test that drives a helper exercises the same code as a click."""

from __future__ import annotations

import random

from django.utils.text import slugify

from tiktok_sandbox import clock, events, ids, world
from tiktok_sandbox.api.spark import DURATIONS, new_auth_code
from tiktok_sandbox.models import (
    AdAuthCode,
    AdsManagerLink,
    Advertiser,
    BCAsset,
    BCQrLink,
    Campaign,
    MarketplaceInvite,
    SparkRequest,
    TikTokUser,
    Video,
    VideoLink,
)


class ActionError(Exception):
    """The person cannot do that (nothing to accept, wrong account, ...)."""


def delivered_invite(user: TikTokUser) -> MarketplaceInvite | None:
    invite = world.latest_invite(user)
    if invite and world.invite_delivered(invite) and invite.accepted_at is None:
        return invite
    return None


def accept_invite(user: TikTokUser) -> MarketplaceInvite:
    invite = delivered_invite(user)
    if invite is None:
        raise ActionError("No Marketplace invite has arrived in this inbox.")
    invite.accepted_at = clock.now()
    invite.save(update_fields=["accepted_at"])
    return invite


def join_marketplace(user: TikTokUser) -> TikTokUser:
    """Creator Marketplace > Join in TikTok Studio: only an eligible creator may; TikTok then
    processes the application (2+ hours) before the status reads IN."""
    if world.marketplace_status(user) == "IN" or user.joined_in_app_at:
        raise ActionError("You have already joined the Creator Marketplace.")
    unmet = [label for label, ok in world.join_checks(user) if not ok]
    if unmet:
        raise ActionError("Not eligible yet: " + "; ".join(unmet) + ".")
    user.joined_in_app_at = clock.now()
    user.save(update_fields=["joined_in_app_at"])
    return user


def _check_days(days: int) -> int:
    if days not in DURATIONS:
        raise ActionError("Choose 7, 30, 60 or 365 days.")
    return days


def waiting_spark(video: Video) -> SparkRequest:
    request = video.spark_requests.filter(status="WAITING").order_by("-requested_at").first()
    if request is None:
        raise ActionError("There is no waiting Spark Ads request for this video.")
    return request


def approve_spark(request: SparkRequest, days: int | None = None) -> AdAuthCode:
    code = new_auth_code(request.video, _check_days(days or request.days))
    request.status, request.decided_at, request.auth_code = "ACCEPTED", clock.now(), code
    request.save(update_fields=["status", "decided_at", "auth_code"])
    return code


def reject_spark(request: SparkRequest) -> None:
    request.status, request.decided_at = "REJECTED", clock.now()
    request.save(update_fields=["status", "decided_at"])


def generate_code(video: Video, days: int) -> AdAuthCode:
    owner = video.owner
    if not owner.ad_authorization_on:
        owner.ad_authorization_on = True
        owner.save(update_fields=["ad_authorization_on"])
    return new_auth_code(video, _check_days(days))


def cancel_code(code: AdAuthCode) -> None:
    code.deleted_at = clock.now()
    code.save(update_fields=["deleted_at"])


def approve_qr(link: BCQrLink, user: TikTokUser, existing_posts: bool, publish: bool) -> BCAsset:
    if not (existing_posts or publish):
        raise ActionError("Choose at least one permission.")
    asset, _ = BCAsset.objects.update_or_create(
        bc=link.bc,
        asset_type="TT_ACCOUNT",
        asset_id=user.creator_id,
        defaults={
            "asset_name": user.display_name,
            "relation_type": "OWNER_INDIVIDUAL",
            "relation_status": "BOUND",
            "tiktok_user": user,
            "can_pull": existing_posts,
            "can_push": publish,
            "authorized_at": clock.now(),
            "cancelled_at": None,
        },
    )
    return asset


def cancel_bc_authorization(asset: BCAsset) -> None:
    asset.relation_status, asset.cancelled_at = "UNBOUND", clock.now()
    asset.save(update_fields=["relation_status", "cancelled_at"])


def request_ads_manager_link(advertiser: Advertiser, user: TikTokUser) -> AdsManagerLink:
    return AdsManagerLink.objects.create(
        link_request_id=ids.numeric_id("792"), advertiser=advertiser, tiktok_user=user, requested_at=clock.now()
    )


def decide_ads_manager_link(link: AdsManagerLink, approve: bool) -> None:
    if link.status not in ("PENDING", "APPROVED"):
        raise ActionError("This request was already answered.")
    link.status = "APPROVED" if approve else ("REJECTED" if link.status == "PENDING" else "CANCELLED")
    link.decided_at = clock.now()
    link.save(update_fields=["status", "decided_at"])


def post_sponsored_video(user: TikTokUser, campaign: Campaign, title: str) -> Video:
    """A post made in the Sponsored Video tab: linked to the campaign, then content review."""
    if not campaign.joins.filter(creator=user).exists():
        raise ActionError("Join the campaign before posting to it.")
    now = clock.now()
    rng = random.Random(f"{user.creator_id}-{now.timestamp()}")
    video = Video.objects.create(
        video_id=ids.numeric_id("77"),
        owner=user,
        title=title or f"{campaign.brand_name} x {user.handle}",
        description=f"{title} #ad #{slugify(campaign.brand_name).replace('-', '')}",
        duration=rng.randint(15, 60),
        create_time=now,
        peak_views=max(2000, int(user.median_views * rng.uniform(0.8, 2.0))),
        like_ratio=round(user.engagement_rate * 0.85, 4),
        comment_ratio=round(user.engagement_rate * 0.05, 4),
        share_ratio=round(user.engagement_rate * 0.04, 4),
        favorite_ratio=round(user.engagement_rate * 0.1, 4),
        campaign=campaign,
        review_until=now + world.CONTENT_REVIEW,
        paid_peak_views=max(5000, int(user.median_views * rng.uniform(1, 4))),
    )
    VideoLink.objects.create(
        campaign=campaign, video=video, status="APPROVE", link_request_id=ids.numeric_id("791"), created_at=now
    )
    events.video_event(video, "tto_video_uploaded")
    return video


def join_campaign_via_link(user: TikTokUser, campaign: Campaign) -> None:
    from tiktok_sandbox.models import CampaignJoin

    if world.marketplace_status(user) != "IN":
        raise ActionError("Only Creator Marketplace members can join campaigns.")
    CampaignJoin.objects.get_or_create(campaign=campaign, creator=user, defaults={"joined_at": clock.now()})
