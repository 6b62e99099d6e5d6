"""A rate budget per (app, endpoint) shared by every process through Redis.

TikTok counts requests per app and endpoint across all our web and worker processes, so the
budget lives in Redis, not in memory. It is an exact sliding window (TikTok's Login Kit
limit is "600 requests per minute per endpoint, sliding window",
https://developers.tiktok.com/doc/tiktok-api-v2-rate-limit): one sorted set per key holds
the grant times of the last window; a Lua script trims, counts and adds atomically, using
the Redis server clock so machines with skewed clocks still agree.

A request is counted before it is sent; one over budget is never sent. The caller waits up
to ``max_wait`` seconds for a slot, otherwise gets a transient `TikTokError` whose
``retry_after`` tells a Celery task when to come back.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from functools import lru_cache

import redis
from django.conf import settings

from . import clock
from .errors import RATE_BUDGET, Kind, TikTokError

# KEYS[1]: the window's sorted set. ARGV: limit, window (µs), unique member.
# Returns {wait_us, now_us}: wait_us == 0 means granted at now_us.
_SLIDING_WINDOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], math.ceil(window / 1000) + 1000)
  return {0, now}
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {math.max(1, tonumber(oldest[2]) + window - now), now}
"""


@lru_cache(maxsize=8)
def _redis(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)


@dataclass(frozen=True)
class Limit:
    requests: int
    window_seconds: float


def limit_for(api: str) -> Limit:
    """The configured budget: Login Kit per minute, API for Business per second.

    The window is widened by a guard: slots are granted by Redis time but counted by TikTok
    on arrival, and two requests granted a window apart can arrive closer together when the
    first one was delayed on its way out (a busy CPU, a slow connect). Without the guard a
    budget of N grants N + 1 in some arrival window.
    """
    guard = settings.TIKTOK_RATE_BUDGET_GUARD_SECONDS
    if api == "login_kit":
        return Limit(settings.TIKTOK_LOGIN_KIT_PER_MINUTE, 60.0 + guard)
    return Limit(settings.TIKTOK_BUSINESS_QPS, 1.0 + guard)


class RateBudget:
    """Sliding-window budget; `acquire` returns when a request may be sent."""

    def __init__(self, redis_url: str, *, prefix: str = "tiktok:rate", max_wait: float = 2.0) -> None:
        self.client = _redis(redis_url)
        self.prefix = prefix
        self.max_wait = max_wait
        self.script = self.client.register_script(_SLIDING_WINDOW)

    def try_acquire(self, app: str, endpoint: str, limit: Limit) -> tuple[float, int]:
        """One attempt: (seconds to wait, 0.0 if granted; Redis time of the attempt in µs)."""
        key = f"{self.prefix}:{app}:{endpoint}"
        args: list[int | str] = [limit.requests, int(limit.window_seconds * 1_000_000), uuid.uuid4().hex]
        wait_us, now_us = self.script(keys=[key], args=args)
        return int(wait_us) / 1_000_000, int(now_us)

    def acquire(self, app: str, endpoint: str, limit: Limit) -> int:
        """Wait (bounded) for a slot; raise a transient TikTokError if none comes in time."""
        waited = 0.0
        while True:
            wait, granted_at = self.try_acquire(app, endpoint, limit)
            if wait == 0.0:
                return granted_at
            if waited + wait > self.max_wait:
                raise TikTokError(
                    f"Rate budget for {endpoint} exhausted; not sent",
                    kind=Kind.TRANSIENT,
                    code=RATE_BUDGET,
                    retry_after=wait,
                    path=endpoint,
                    sent=False,
                )
            clock.sleep(wait)
            waited += wait


def default_budget() -> RateBudget | None:
    """The budget from settings, or None when TIKTOK_RATE_BUDGET_ENABLED is off."""
    if not settings.TIKTOK_RATE_BUDGET_ENABLED:
        return None
    return RateBudget(
        settings.REDIS_URL,
        prefix=settings.TIKTOK_RATE_BUDGET_KEY_PREFIX,
        max_wait=settings.TIKTOK_RATE_BUDGET_MAX_WAIT,
    )
