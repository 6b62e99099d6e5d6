"""The sandbox clock: real time plus an offset that tests and the control page advance.

Every TikTok-side delay (invite delivery, processing, content review, token expiry, metric
growth) reads this clock, so "up to 24 hours" can happen inside a test.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.utils import timezone

from tiktok_sandbox.models import ClockState

# The offset in memory: every API call reads the clock, often twice, and only advance() and
# reset() in this process change it (the sandbox is one process, as its rate-limit windows
# assume). Read from the database when the process first asks, and after a wipe.
_offset: float | None = None


def offset() -> float:
    global _offset
    if _offset is None:
        state = ClockState.objects.first()
        _offset = state.offset_seconds if state else 0.0
    return _offset


def now() -> datetime:
    return timezone.now() + timedelta(seconds=offset())


def advance(seconds: float) -> datetime:
    global _offset
    state, _ = ClockState.objects.get_or_create(pk=1)
    state.offset_seconds += max(0.0, seconds)
    state.save(update_fields=["offset_seconds"])
    _offset = state.offset_seconds
    return now()


def reset() -> None:
    global _offset
    ClockState.objects.update_or_create(pk=1, defaults={"offset_seconds": 0.0})
    _offset = 0.0


def forget() -> None:
    """The database's offset is read again at the next call (the world was wiped)."""
    global _offset
    _offset = None


def fmt(moment: datetime | None) -> str:
    """TikTok's API for Business time format: UTC "YYYY-MM-DD HH:MM:SS"."""
    if moment is None:
        return ""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def parse(value: str) -> datetime:
    """A time in TikTok's API for Business format (UTC "YYYY-MM-DD HH:MM:SS")."""
    return datetime.strptime(value, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
