"""Slow TikTok work a person asked for, run by a worker while the page shows its progress."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

# A job still unfinished after this long lost its worker (the task's time limit is shorter).
STALE_AFTER = timedelta(minutes=6)


class BackgroundJob(models.Model):
    class Kind(models.TextChoices):
        BC_SYNC = "bc_sync", "Read the Business Center's members and TikTok accounts"
        BC_APPROVALS = "bc_approvals", "Check which TikTok accounts approved access"
        PROMOTE_POSTS = "promote_posts", "Load the account's posts for Spark Ads"
        CREATOR_SEARCH = "creator_search", "Load a page of creators"
        ONBOARDING_CHECK = "onboarding_check", "Check the Creator Marketplace status"
        SPARK_BULK_REQUEST = "spark_bulk_request", "Request Spark Ads codes for a campaign's posts"

    class State(models.TextChoices):
        PENDING = "pending", "Waiting for a worker"
        RUNNING = "running", "Asking TikTok"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=32, choices=Kind.choices)
    # None for a creator's own jobs; otherwise only members of this brand may see the job.
    brand = models.ForeignKey("integrations.Brand", null=True, blank=True, on_delete=models.CASCADE)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="background_jobs")
    params = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    message = models.TextField(blank=True)
    result = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["kind", "brand", "state"], name="job_kind_brand_state_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.state})"

    @property
    def lost(self) -> bool:
        """Unfinished long after any worker would have ended it: say so instead of spinning."""
        unfinished = self.state in (self.State.PENDING, self.State.RUNNING)
        return unfinished and self.created_at < timezone.now() - STALE_AFTER

    @property
    def in_progress(self) -> bool:
        return self.state in (self.State.PENDING, self.State.RUNNING) and not self.lost
