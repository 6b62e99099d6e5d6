"""Celery tasks of the brand side. Tasks take ids and are idempotent."""

from __future__ import annotations

from celery import shared_task


@shared_task(time_limit=30, soft_time_limit=20)
def ping(value: str) -> str:
    """Round-trip check used by the worker smoke test and `make run`'s readiness probe."""
    return f"pong:{value}"
