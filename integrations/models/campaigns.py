"""Campaigns, the creators taking part in them and the posts linked to them."""

from __future__ import annotations

from datetime import timedelta

from django.db import models
from django.db.models import Q
from django.utils import timezone

from ..words import clipped, post_name
from .brands import Brand, BrandScopedQuerySet
from .pending import PendingWrite
from .tiktok import TikTokAccount, TikTokOneAccount


class Campaign(models.Model):
    """A brand's TikTok One campaign, with the requirements creators must meet."""

    class Status(models.TextChoices):
        # The row is written before tto/tcm/campaign/create/ is called, so that a double
        # submit finds it instead of creating a second campaign at TikTok.
        CREATING = "creating", "Being created on TikTok One"
        ACTIVE = "active", "Active"
        ENDED = "ended", "Ended"
        DELETED = "deleted", "Deleted on TikTok"

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="campaigns")
    tiktok_one_account = models.ForeignKey(
        TikTokOneAccount, null=True, blank=True, on_delete=models.SET_NULL, related_name="campaigns"
    )
    campaign_id = models.CharField(max_length=64, blank=True, help_text="TikTok's id, once created there")
    name = models.CharField(max_length=200)
    brand_name = models.CharField(max_length=200, blank=True)
    invite_link = models.URLField(max_length=1000, blank=True)
    # The requirements a brand may ask of creators; each shows on the creator's checklist.
    require_tiktok_authorized = models.BooleanField(default=True)
    require_sponsored_video_tab = models.BooleanField(default=True)
    require_original_or_promo_sound = models.BooleanField(default=True)
    spark_ads_default_days = models.PositiveSmallIntegerField(default=30)
    # What the campaign was created with at TikTok One (tto/tcm/campaign/create/).
    country_codes = models.JSONField(default=list, blank=True)
    dm_business_account_handle = models.CharField(max_length=100, blank=True)
    dm_allowed = models.BooleanField(default=False)
    brand_profile_id = models.CharField(max_length=64, blank=True)
    anchor_id = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True)
    # Insights polling: when the report should be fetched next (a new campaign at once; NULL
    # once polling stopped), and where a failed run stopped.
    next_poll_at = models.DateTimeField(null=True, blank=True, default=timezone.now)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    report_resume_page = models.PositiveIntegerField(default=1)
    last_poll_error = models.TextField(blank=True)

    objects = BrandScopedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["campaign_id"], condition=~Q(campaign_id=""), name="integrations_campaign_id_unique"
            ),
            models.UniqueConstraint(
                fields=["brand", "name"], condition=Q(status="creating"), name="integrations_one_campaign_create"
            ),
        ]
        indexes = [
            models.Index(fields=["next_poll_at"], condition=Q(status="active"), name="campaign_poll_due_idx"),
        ]
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name

    @property
    def fetch_is_due(self) -> bool:
        """The next report fetch is under a minute away (or late): "in 0 minutes" reads as never."""
        return self.next_poll_at is not None and self.next_poll_at < timezone.now() + timedelta(minutes=1)


class Collaboration(PendingWrite):
    """A creator (by TikTok account) taking part in a brand's campaign. Its pending write is the
    creator's step in flight (join, link a video, answer a link request)."""

    class Status(models.TextChoices):
        INVITED = "invited", "Invited"
        JOINED = "joined", "Joined"
        DECLINED = "declined", "Declined"

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="collaborations")
    tiktok_account = models.ForeignKey(TikTokAccount, on_delete=models.CASCADE, related_name="collaborations")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.INVITED)
    joined_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        # Created by the creators app; the table keeps its name.
        db_table = "creators_collaboration"
        constraints = [
            models.UniqueConstraint(fields=["campaign", "tiktok_account"], name="creators_collaboration_unique")
        ]

    def __str__(self) -> str:
        return f"{self.tiktok_account} in {self.campaign}"


class CampaignPostQuerySet(models.QuerySet):
    def mark_live(self) -> list[int]:
        """These posts are live on TikTok (a `tto_video_published` event, the report's figures,
        the creator's own post list said so): those still in review become published and stop
        being polled. Forward only, one conditional update per post, so of two sources proving
        it at once exactly one moves each post; returns the ids that moved (tell their
        creators once)."""
        moved = []
        for pk in self.filter(publish_status=CampaignPost.PublishStatus.REVIEWING).values_list("pk", flat=True):
            won = CampaignPost.objects.filter(pk=pk, publish_status=CampaignPost.PublishStatus.REVIEWING).update(
                publish_status=CampaignPost.PublishStatus.PUBLISHED, next_poll_at=None
            )
            if won:
                moved.append(pk)
        return moved


# A post's caption as its title on a page, with its cover and id beside it.
TITLE_CHARS = 70


class CampaignPost(models.Model):
    """A TikTok video linked to a campaign."""

    class LinkStatus(models.TextChoices):
        # TikTok's link statuses (tto/tcm/campaign/link/).
        IN_REVIEW = "IN_REVIEW", "Waiting for approval"
        APPROVE = "APPROVE", "Linked"
        REJECTED = "REJECTED", "Rejected"
        REVOKE = "REVOKE", "Revoked"

    class PublishStatus(models.TextChoices):
        REVIEWING = "reviewing", "TikTok is reviewing this post"
        PUBLISHED = "published", "Published"
        REMOVED = "removed", "Removed"

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="posts")
    collaboration = models.ForeignKey(
        Collaboration, null=True, blank=True, on_delete=models.SET_NULL, related_name="posts"
    )
    tiktok_account = models.ForeignKey(TikTokAccount, on_delete=models.CASCADE, related_name="campaign_posts")
    video_id = models.CharField(max_length=64)
    link_status = models.CharField(max_length=10, choices=LinkStatus.choices, default=LinkStatus.IN_REVIEW)
    link_request_id = models.CharField(max_length=64, blank=True)
    publish_status = models.CharField(max_length=10, choices=PublishStatus.choices, default=PublishStatus.REVIEWING)
    caption = models.TextField(blank=True)
    embed_url = models.URLField(max_length=1000, blank=True)
    thumbnail_url = models.URLField(max_length=1000, blank=True)
    # When the creator's post list gave the caption and cover (integrations.previews); until
    # then a worker asks for them.
    previewed_at = models.DateTimeField(null=True, blank=True)
    posted_at = models.DateTimeField(null=True, blank=True)
    linked_at = models.DateTimeField(null=True, blank=True)
    # Until TikTok publishes the post, it is polled on this schedule.
    next_poll_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CampaignPostQuerySet.as_manager()

    class Meta:
        db_table = "creators_campaignpost"
        constraints = [models.UniqueConstraint(fields=["campaign", "video_id"], name="creators_campaign_post_unique")]
        indexes = [
            models.Index(fields=["next_poll_at"], condition=Q(publish_status="reviewing"), name="post_review_poll_idx"),
        ]

    def __str__(self) -> str:
        return f"video {self.video_id}"

    @property
    def name(self) -> str:
        """The post in a sentence (a message, a mail, an audit line, an accessible name)."""
        return post_name(self.caption, self.video_id)

    @property
    def title(self) -> str:
        """How people name the post: TikTok's caption, else the day it was posted (the id goes beside it)."""
        if self.caption:
            return clipped(self.caption, TITLE_CHARS)
        return f"Post of {self.posted_at:%b %d, %Y}" if self.posted_at else "Post"
