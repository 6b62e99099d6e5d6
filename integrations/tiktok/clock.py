"""TikTok's time as the platform sees it, and the client's only way to wait.

`now()` is the one function every time-based decision and display reads (an invite not
arrived after 24 hours, TikTok processing for 2+ hours, a code's days left, a token about
to expire). In production it is real time. In a sandbox deployment (``TIKTOK_SANDBOX``) it
is the sandbox's clock, which a demo or a test advances by hours, so the platform's pages
tell the same story as TikTok's side. Records of when something happened here
(``created_at``, ``updated_at``) and the polling schedule stay on real time; a deadline on
TikTok's clock is stored in TikTok's time and found by a poller whose `clock` is `now`
(integrations.polling.Poller), never converted once into real time, which a clock move
would leave behind. A page shows such a record beside TikTok's dates through `on_clock`, so
every date a person reads is on the one clock.

Tests patch `integrations.tiktok.clock.sleep` to skip backoff waits.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

import requests
from django.conf import settings
from django.utils import timezone

logger = logging.getLogger(__name__)

# The sandbox's offset is read at most this often per process: a page calls now() many times.
OFFSET_TTL_SECONDS = 2.0
_offset: dict[str, float] = {"value": 0.0, "read_at": float("-inf")}


def sleep(seconds: float) -> None:
    time.sleep(seconds)


def now() -> datetime:
    """Real time, or the sandbox's time in a sandbox deployment."""
    if not settings.TIKTOK_SANDBOX:
        return timezone.now()
    return timezone.now() + timedelta(seconds=_sandbox_offset())


def on_clock(moment: datetime) -> datetime:
    """A record kept on real time, moved by the sandbox's offset for display.

    The offset is the current one, not the one when the record was made (it is not kept): a
    record from before the clock moved shows later than it was, but never on another clock
    than TikTok's dates beside it."""
    if not settings.TIKTOK_SANDBOX:
        return moment
    return moment + timedelta(seconds=_sandbox_offset())


def forget() -> None:
    """Read the sandbox's offset afresh on the next call (after advancing it)."""
    _offset["read_at"] = float("-inf")


def _sandbox_offset() -> float:
    if time.monotonic() - _offset["read_at"] < OFFSET_TTL_SECONDS:
        return _offset["value"]
    try:
        # A short timeout: a page must not wait long on a sandbox that is down.
        answer = requests.get(f"{settings.SANDBOX_URL}/sandbox/api/state", timeout=1)
        answer.raise_for_status()
        _offset["value"] = float(answer.json()["offset_seconds"])
    except (requests.RequestException, ValueError, KeyError) as exc:
        # The last offset read stays: a sandbox restarting must not send the pages back in time.
        logger.warning("sandbox clock unreadable, keeping offset %.0fs: %r", _offset["value"], exc)
    _offset["read_at"] = time.monotonic()
    return _offset["value"]
