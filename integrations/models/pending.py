"""A row that carries at most one TikTok write in flight."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import models
from django.db.models import Q
from django.utils import timezone


class PendingWrite(models.Model):
    """The TikTok write in flight for this row, claimed in a committed conditional update
    before the call, so a double submit or a race sends it once."""

    # A claim older than this belonged to a process that died mid-call; another may take it over.
    CLAIM_STALE_AFTER = timedelta(minutes=10)

    pending_write = models.CharField(max_length=10, blank=True)
    pending_since = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    def claim_write(self, action: str) -> bool:
        """Win the right to send `action` to TikTok for this row: one committed conditional
        UPDATE (a claim left by a dead process is taken over after CLAIM_STALE_AFTER)."""
        now = timezone.now()
        return bool(
            type(self)
            ._default_manager.filter(pk=self.pk)
            .filter(Q(pending_write="") | Q(pending_since__lt=now - self.CLAIM_STALE_AFTER))
            .update(pending_write=action, pending_since=now)
        )

    def release_write(self, error: str | None = None) -> None:
        """Give the claim back. TikTok's refusal, if any, stays on the row's `last_error` (for
        models that keep one) and a retry may follow."""
        fields: dict[str, Any] = {"pending_write": "", "pending_since": None}
        if error is not None:
            fields["last_error"] = error[:500]
        type(self)._default_manager.filter(pk=self.pk).update(**fields)

    def write_abandoned(self, action: str) -> bool:
        """`action` was claimed by a process that died before recording TikTok's answer."""
        return (
            self.pending_write == action
            and self.pending_since is not None
            and self.pending_since < timezone.now() - self.CLAIM_STALE_AFTER
        )
