"""The client's only way to wait: tests patch `integrations.tiktok.clock.sleep`."""

from __future__ import annotations

import time


def sleep(seconds: float) -> None:
    time.sleep(seconds)
