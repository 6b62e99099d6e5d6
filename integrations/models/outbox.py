"""Mail the platform sent, kept in dev and sandbox deployments for the staff Outbox page."""

from __future__ import annotations

from django.db import models


class SentMail(models.Model):
    """One message as the dev mail backend handed it over: readable, links intact."""

    subject = models.CharField(max_length=998)
    from_email = models.CharField(max_length=320)
    to = models.TextField(help_text="Recipients, one per line")
    body = models.TextField()
    html = models.TextField(blank=True)
    sent_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-sent_at", "-pk"]
        verbose_name = "sent mail"
        verbose_name_plural = "sent mail"

    def __str__(self) -> str:
        return self.subject

    @property
    def recipients(self) -> list[str]:
        return self.to.splitlines()
