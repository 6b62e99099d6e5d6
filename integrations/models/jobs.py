"""Slow TikTok work a person asked for, run by a worker while the page shows its progress."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

# A job still unfinished after this long lost its worker (the task's time limit is shorter).
STALE_AFTER = timedelta(minutes=6)


# Each kind's key and label, filled by integrations.jobs.register from the AppConfig.ready()
# of the app whose flow runs it: an app adds a kind of job without a migration here.
KIND_LABELS: dict[str, str] = {}


def kind_choices() -> list[tuple[str, str]]:
    return list(KIND_LABELS.items())


class BackgroundJob(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", "Waiting for a worker"
        RUNNING = "running", "Asking TikTok"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=32, choices=kind_choices)
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
