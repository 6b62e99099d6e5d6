"""Webhook deliveries already handled, so a redelivery or a replay does no work twice."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from django.db import IntegrityError, models, transaction
from django.utils import timezone

# TikTok retries a delivery for up to 72 h; a day more covers its last retry.
DELIVERY_RETENTION = timedelta(days=4)


class WebhookDelivery(models.Model):
    """One delivery by endpoint and SHA-256 of its signed raw body."""

    endpoint = models.CharField(max_length=40)
    digest = models.CharField(max_length=64)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["endpoint", "digest"], name="webhook_delivery_once")]

    @classmethod
    def first_time(cls, endpoint: str, raw_body: bytes) -> bool:
        """Record the delivery; False when it was recorded before (answer it, do nothing).

        Call it inside the transaction that does the delivery's work: if the work fails, the
        record rolls back with it and TikTok's retry is handled as new.
        """
        digest = hashlib.sha256(raw_body).hexdigest()
        try:
            with transaction.atomic():
                cls.objects.create(endpoint=endpoint, digest=digest)
        except IntegrityError:
            return False
        return True

    @classmethod
    def purge(cls, now: datetime | None = None) -> int:
        """Forget deliveries older than TikTok's retry window."""
        deleted, _ = cls.objects.filter(received_at__lt=(now or timezone.now()) - DELIVERY_RETENTION).delete()
        return deleted
