"""Run in child processes by test_ratelimit: hammer one budget, report grant times."""

from __future__ import annotations

from integrations.tiktok.errors import TikTokError
from integrations.tiktok.ratelimit import Limits, RateBudget


def hammer(
    redis_url: str, prefix: str, attempts: int, limits: Limits, jitter: float, background: bool = False
) -> list[int]:
    """Acquire ``attempts`` slots (waiting as needed); return the Redis times they were granted."""
    budget = RateBudget(redis_url, prefix=prefix, max_wait=30.0, jitter=jitter)
    granted = []
    for _ in range(attempts):
        try:
            granted.append(budget.acquire("business:app", limits, background=background))
        except TikTokError:
            pass
    return granted
