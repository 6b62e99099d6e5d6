"""Creator-side tables: a creator's profile, collaborations and campaign posts.

The creator onboarding state machine is added here by the creators work; CampaignPost is
shared with insights (integrations) and Spark Ads (sparkads), which refer to it by name.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from integrations.models import Campaign, TikTokAccount


class CreatorProfile(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="creator_profile")
    display_name = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.display_name or str(self.user)


class Collaboration(models.Model):
    """A creator (by TikTok account) taking part in a brand's campaign."""

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
        constraints = [
            models.UniqueConstraint(fields=["campaign", "tiktok_account"], name="creators_collaboration_unique")
        ]

    def __str__(self) -> str:
        return f"{self.tiktok_account} in {self.campaign}"


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
    posted_at = models.DateTimeField(null=True, blank=True)
    linked_at = models.DateTimeField(null=True, blank=True)
    # Until TikTok publishes the post, it is polled on this schedule.
    next_poll_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["campaign", "video_id"], name="creators_campaign_post_unique")]
        indexes = [
            models.Index(fields=["next_poll_at"], condition=Q(publish_status="reviewing"), name="post_review_poll_idx"),
        ]

    def __str__(self) -> str:
        return f"video {self.video_id}"
