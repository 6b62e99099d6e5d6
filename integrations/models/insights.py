"""Post insights from `tto/tcm/report/`: daily snapshots, latest totals and day totals."""

from __future__ import annotations

from django.db import models

from .campaigns import Campaign, CampaignPost
from .tiktok import TikTokOneAccount


class PostMetrics(models.Model):
    """The figures `tto/tcm/report/` gives per post. NULL means TikTok sent "-" or nothing.

    Organic/paid splits exist where TikTok gives them (paid = Spark Ads); ad_* figures only
    once the post is boosted.
    """

    video_views = models.BigIntegerField(null=True, blank=True)
    video_views_organic = models.BigIntegerField(null=True, blank=True)
    video_views_paid = models.BigIntegerField(null=True, blank=True)
    reach = models.BigIntegerField(null=True, blank=True)
    reach_organic = models.BigIntegerField(null=True, blank=True)
    reach_paid = models.BigIntegerField(null=True, blank=True)
    likes = models.BigIntegerField(null=True, blank=True)
    likes_organic = models.BigIntegerField(null=True, blank=True)
    likes_paid = models.BigIntegerField(null=True, blank=True)
    comments = models.BigIntegerField(null=True, blank=True)
    comments_organic = models.BigIntegerField(null=True, blank=True)
    comments_paid = models.BigIntegerField(null=True, blank=True)
    shares = models.BigIntegerField(null=True, blank=True)
    shares_organic = models.BigIntegerField(null=True, blank=True)
    shares_paid = models.BigIntegerField(null=True, blank=True)
    favorites = models.BigIntegerField(null=True, blank=True)
    favorites_organic = models.BigIntegerField(null=True, blank=True)
    favorites_paid = models.BigIntegerField(null=True, blank=True)
    engagement_count = models.BigIntegerField(null=True, blank=True)
    engagement_rate = models.FloatField(null=True, blank=True)
    engagement_rate_organic = models.FloatField(null=True, blank=True)
    engagement_rate_paid = models.FloatField(null=True, blank=True)
    video_completion_rate = models.FloatField(null=True, blank=True)
    average_view_time = models.FloatField(null=True, blank=True, help_text="Seconds")
    total_play_time = models.BigIntegerField(null=True, blank=True, help_text="Seconds")
    # {"for_you": n, "hashtag": n, "sound": n, "personal_profile": n, "search": n, ...}
    video_views_by_source = models.JSONField(null=True, blank=True)
    ad_impressions = models.BigIntegerField(null=True, blank=True)
    ad_clicks = models.BigIntegerField(null=True, blank=True)
    ad_ctr = models.FloatField(null=True, blank=True)
    ad_cost = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    ad_cpm = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    ad_cpc = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    ad_conversions = models.BigIntegerField(null=True, blank=True)
    video_boosted_date = models.DateField(null=True, blank=True)
    # anchor_metrics: the campaign anchor on the post, seen and tapped (NULL without an anchor).
    anchor_views = models.BigIntegerField(null=True, blank=True)
    anchor_clicks = models.BigIntegerField(null=True, blank=True)
    anchor_unique_views = models.BigIntegerField(null=True, blank=True)
    anchor_unique_clicks = models.BigIntegerField(null=True, blank=True)
    # {"gender": [...], "age": [...], "country": [...], "device": [...], "locale": ..., ...}
    # as TikTok lists them ({"<key>": ..., "percentage": 0.x}).
    audience = models.JSONField(null=True, blank=True)

    class Meta:
        abstract = True


class PostSnapshot(PostMetrics):
    """One post's figures on one day, upserted by (post, date), never deleted.

    The cumulative fields (from PostMetrics) are the totals as of `fetched_at` on that day;
    the day_* fields are that day's increase from the report's `daily_stats`. Days only seen
    in `daily_stats` (a backfill) have day_* figures and NULL totals.
    """

    post = models.ForeignKey(CampaignPost, on_delete=models.CASCADE, related_name="snapshots")
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="post_snapshots")
    date = models.DateField()
    day_views = models.BigIntegerField(null=True, blank=True)
    day_views_organic = models.BigIntegerField(null=True, blank=True)
    day_views_paid = models.BigIntegerField(null=True, blank=True)
    day_reach = models.BigIntegerField(null=True, blank=True)
    day_likes = models.BigIntegerField(null=True, blank=True)
    day_likes_organic = models.BigIntegerField(null=True, blank=True)
    day_likes_paid = models.BigIntegerField(null=True, blank=True)
    day_comments = models.BigIntegerField(null=True, blank=True)
    day_comments_organic = models.BigIntegerField(null=True, blank=True)
    day_comments_paid = models.BigIntegerField(null=True, blank=True)
    day_shares = models.BigIntegerField(null=True, blank=True)
    day_shares_organic = models.BigIntegerField(null=True, blank=True)
    day_shares_paid = models.BigIntegerField(null=True, blank=True)
    day_favorites = models.BigIntegerField(null=True, blank=True)
    day_favorites_organic = models.BigIntegerField(null=True, blank=True)
    day_favorites_paid = models.BigIntegerField(null=True, blank=True)
    day_engagement_rate = models.FloatField(null=True, blank=True)
    day_engagement_rate_organic = models.FloatField(null=True, blank=True)
    day_engagement_rate_paid = models.FloatField(null=True, blank=True)
    day_completion_rate = models.FloatField(null=True, blank=True)
    fetched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["post", "date"], name="integrations_snapshot_post_date")]
        # The campaign chart sums a campaign's snapshots per date.
        indexes = [models.Index(fields=["campaign", "date"], name="snapshot_campaign_date_idx")]

    def __str__(self) -> str:
        return f"{self.post_id} on {self.date}"


class PostInsight(PostMetrics):
    """A post's latest totals, one row per post, so the campaign table sorts and filters
    10,000 posts without aggregating their daily snapshots on every page view."""

    post = models.OneToOneField(CampaignPost, on_delete=models.CASCADE, related_name="insight")
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="post_insights")
    as_of = models.DateField(null=True, blank=True, help_text="The latest day TikTok reported")
    fetched_at = models.DateTimeField(null=True, blank=True, help_text="When TikTok last reported this post")
    changed_at = models.DateTimeField(null=True, blank=True, help_text="When its figures last changed")

    class Meta:
        indexes = [
            models.Index(fields=["campaign", "video_views"], name="insight_campaign_views_idx"),
            models.Index(fields=["campaign", "engagement_count"], name="insight_campaign_eng_idx"),
        ]

    def __str__(self) -> str:
        return f"insight of {self.post_id}"


class CampaignDayTotal(models.Model):
    """A campaign's daily views, organic and paid, summed after each poll for the chart."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="day_totals")
    date = models.DateField()
    views_organic = models.BigIntegerField(default=0)
    views_paid = models.BigIntegerField(default=0)
    engagement = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["campaign", "date"], name="integrations_campaign_day_total")]
        ordering = ["date"]


class ReportSubscription(models.Model):
    """A TCM_VIDEOS webhook subscription of a TikTok One account (one per account)."""

    tiktok_one_account = models.OneToOneField(
        TikTokOneAccount, on_delete=models.CASCADE, related_name="report_subscription"
    )
    subscription_id = models.CharField(max_length=64, blank=True)
    callback_url = models.URLField(max_length=1000)
    created_at = models.DateTimeField(auto_now_add=True)
    last_error = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"TCM_VIDEOS {self.subscription_id or '(failed)'}"
