"""Slow TikTok work a person asked for, run by a worker while the page shows its progress."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

# A job no worker has taken after this long was lost in the broker.
STALE_AFTER = timedelta(minutes=6)
UNFINISHED = ["pending", "running"]


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
    # Who asked for what (kind, brand, person, parameters), hashed: unique among unfinished
    # jobs, so concurrent clicks of one intent join one job. Empty for jobs that never join.
    intent = models.CharField(max_length=64, blank=True)
    # Until when the job is in hand: a pending job must be taken by a worker by then (STALE_AFTER),
    # a running one holds this lease, renewed at every step its runner records. Once it passes,
    # the job was lost, and the lost-jobs poller hands it to a worker (integrations.jobs).
    alive_until = models.DateTimeField(null=True, blank=True)
    # How many workers have taken the job: a job that keeps killing its worker is given up.
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["kind", "brand", "state"], name="job_kind_brand_state_idx"),
            models.Index(fields=["alive_until"], condition=Q(state__in=UNFINISHED), name="job_alive_due_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["intent"],
                condition=Q(state__in=UNFINISHED) & ~Q(intent=""),
                name="job_one_unfinished_per_intent",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.state})"

    @property
    def lost(self) -> bool:
        """Its worker died or no worker took it (its lease ran out): the page says so until
        the lost-jobs poller has handed it to a worker."""
        unfinished = self.state in UNFINISHED
        return unfinished and self.alive_until is not None and self.alive_until < timezone.now()

    @property
    def in_progress(self) -> bool:
        """Still on its way, lost or not (a lost job is handed to a worker): the page polls."""
        return self.state in UNFINISHED
