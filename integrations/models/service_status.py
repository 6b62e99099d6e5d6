"""TikTok's own API incidents (API_SERVICE_STATUS webhooks) that touch the TikTok One API."""

from __future__ import annotations

from django.db import models


class ApiStatusSubscription(models.Model):
    """The app's API_SERVICE_STATUS webhook subscription (one per TikTok app)."""

    app_id = models.CharField(max_length=64, unique=True)
    subscription_id = models.CharField(max_length=64, blank=True)
    callback_url = models.URLField(max_length=1000)
    created_at = models.DateTimeField(auto_now_add=True)
    last_error = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"API_SERVICE_STATUS {self.subscription_id or '(failed)'}"


# TikTok's incident levels as a person reads them; a level not listed here is shown as sent.
LEVEL_NAMES = {"LOW_DISRUPTION": "Low disruption", "MAJOR_DISRUPTION": "Major disruption"}


def level_name(level: str) -> str:
    return LEVEL_NAMES.get(level, level)


class ApiIncident(models.Model):
    """An incident TikTok reported for the TikTok One API, open until TikTok resolves it.

    Level and products hold TikTok's values as sent (LOW_DISRUPTION, TIKTOK_ONE_API, ...).
    """

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        RESOLVED = "resolved", "Resolved"

    incident_id = models.CharField(max_length=64, unique=True)
    title = models.CharField(max_length=500, blank=True)
    detail = models.TextField(blank=True)
    level = models.CharField(max_length=40, blank=True)
    products = models.JSONField(default=list)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    started_at = models.DateTimeField(null=True, blank=True, help_text="TikTok's start time (UTC)")
    resolved_at = models.DateTimeField(null=True, blank=True, help_text="TikTok's resolution time (UTC)")
    first_seen_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-first_seen_at"]
        indexes = [models.Index(fields=["status"], name="api_incident_status_idx")]

    @property
    def level_name(self) -> str:
        return level_name(self.level)

    def __str__(self) -> str:
        return f"{self.incident_id} {self.title}"
