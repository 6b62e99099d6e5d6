"""OAuth retry keys already spent, so one held authorization code is exchanged at most once."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from django.db import IntegrityError, models, transaction
from django.utils import timezone

# The longest a held code lives (the portal's auth_code: 1 hour); a spent key is useless after.
SPENT_KEY_RETENTION = timedelta(hours=2)


class SpentRetryKey(models.Model):
    """One "Try again" key taken. The session holds the code, but concurrent requests of one
    session each load it before any saves it, so the session cannot make the take single use:
    this row's unique constraint does."""

    digest = models.CharField(max_length=64)
    spent_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["digest"], name="oauth_retry_key_spent_once")]

    @classmethod
    def spend(cls, key: str) -> bool:
        """Mark `key` spent; False when another request spent it first (it must not exchange)."""
        cls.objects.filter(spent_at__lt=timezone.now() - SPENT_KEY_RETENTION).delete()
        try:
            with transaction.atomic():
                cls.objects.create(digest=hashlib.sha256(key.encode()).hexdigest())
        except IntegrityError:
            return False
        return True
