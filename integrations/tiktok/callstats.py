"""What the transport sent, counted per minute in Redis, for the freshness page and /metrics.

Each attempt the transport makes is recorded under the Celery task that made it (or
"interactive" outside a task): one HINCRBY into the hash of the current minute (kept
``KEEP_MINUTES``), with the error list when the attempt failed. With the rate budget on, a
granted call counts itself as sent in the budget's own round trip (`grant_tally`), so a call
answered without error costs no round trip here; only an error is recorded after the answer. Outcomes:
``calls`` (sent to TikTok, whatever the answer), ``throttled`` (TikTok answered 40100 or HTTP 429), ``failed``
(any other error after sending), ``unsent`` (never sent: our rate budget had no slot in
time, or the connection was never made). Counting never breaks a call: a Redis error is logged and ignored.

The buckets are keyed by the Redis server's clock, like the rate budget, so every process
writes to the same minute.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

import redis
from celery import current_task
from django.conf import settings
from redis.commands.core import Script

from .errors import RATE_BUDGET, TikTokError
from .ratelimit import THROTTLED, Tally

logger = logging.getLogger(__name__)

INTERACTIVE = "interactive"
OUTCOMES = ("calls", "throttled", "failed", "unsent")
KEEP_MINUTES = 120
# The most recent errors of all sources, newest first.
KEEP_ERRORS = 200

# KEYS[1]: key prefix. ARGV: source, outcome, error JSON ("" when none), bucket TTL (s),
# errors kept, the minute its grant already counted the attempt as a call in (0 = not
# counted). Uses the server clock for the minute, so every process agrees on it.
_RECORD = """
local t = redis.call('TIME')
local minute = math.floor(tonumber(t[1]) / 60)
local key = KEYS[1] .. ':m:' .. minute
local counted = tonumber(ARGV[6])
redis.call('HINCRBY', key, ARGV[1] .. '|' .. ARGV[2], 1)
if counted > 0 then
  -- Granted but never sent (the connection was never made): not a call after all.
  if ARGV[2] == 'unsent' then redis.call('HINCRBY', KEYS[1] .. ':m:' .. ARGV[6], ARGV[1] .. '|calls', -1) end
elseif ARGV[2] == 'throttled' or ARGV[2] == 'failed' then
  -- A throttled or failed attempt was sent too: TikTok counted it as a call.
  redis.call('HINCRBY', key, ARGV[1] .. '|calls', 1)
end
redis.call('EXPIRE', key, tonumber(ARGV[4]))
if ARGV[3] ~= '' then
  local errors = KEYS[1] .. ':errors'
  redis.call('LPUSH', errors, string.format('%d', tonumber(t[1])) .. ' ' .. ARGV[3])
  redis.call('LTRIM', errors, 0, tonumber(ARGV[5]) - 1)
end
return minute
"""


@dataclass(frozen=True)
class Minute:
    """One minute's counts: {(source, outcome): n}."""

    minute: int
    counts: dict[tuple[str, str], int]


@dataclass(frozen=True)
class RecentError:
    at: datetime  # by the Redis clock
    source: str
    path: str
    code: str
    message: str


@lru_cache(maxsize=4)
def _redis(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)


@lru_cache(maxsize=4)
def _record_script(url: str) -> Script:
    # Hashed once per process; every attempt then sends its SHA (EVALSHA), not the script.
    return _redis(url).register_script(_RECORD)


def _prefix() -> str:
    return f"{settings.TIKTOK_RATE_BUDGET_KEY_PREFIX}:calls"


def current_source() -> str:
    """The Celery task making the call, or "interactive" (a web request, a command)."""
    return str(current_task.name) if current_task else INTERACTIVE


def outcome_of(exc: TikTokError | None) -> str:
    if exc is None:
        return "calls"
    if exc.code == RATE_BUDGET or not exc.sent:
        return "unsent"
    if exc.code == THROTTLED or exc.http_status == 429:
        return "throttled"
    return "failed"


def grant_tally() -> Tally | None:
    """Where the rate budget's grant counts the call it allows as sent, or None with the
    counters off."""
    if not settings.TIKTOK_CALL_COUNTERS_ENABLED:
        return None
    return Tally(_prefix(), f"{current_source()}|calls", KEEP_MINUTES * 60)


def record(path: str, exc: TikTokError | None, *, counted_minute: int = 0) -> None:
    """Count one attempt (and keep its error); never raises. `counted_minute` is the minute
    in which its grant already counted it as a call (`grant_tally`), 0 if none did."""
    if not settings.TIKTOK_CALL_COUNTERS_ENABLED or (exc is None and counted_minute):
        return
    outcome, source = outcome_of(exc), current_source()
    error = ""
    if exc is not None:
        error = json.dumps(
            {
                "source": source,
                "path": path,
                "code": str(exc.code or exc.http_status or ""),
                "message": exc.message[:300],
            }
        )
    try:
        _record_script(settings.REDIS_URL)(
            keys=[_prefix()], args=[source, outcome, error, KEEP_MINUTES * 60, KEEP_ERRORS, counted_minute]
        )
    except redis.RedisError as exc_redis:
        logger.warning("call counters unavailable: %s", exc_redis)


def server_minute() -> int:
    seconds, _micros = _redis(settings.REDIS_URL).time()
    return int(seconds) // 60


def minutes(last: int) -> list[Minute]:
    """The counts of the `last` whole minutes before the current one, oldest first, and the
    current (partial) minute last: one round trip."""
    client = _redis(settings.REDIS_URL)
    now = server_minute()
    wanted = list(range(now - last, now + 1))
    pipe = client.pipeline(transaction=False)
    for minute in wanted:
        pipe.hgetall(f"{_prefix()}:m:{minute}")
    out = []
    for minute, raw in zip(wanted, pipe.execute(), strict=True):
        counts: dict[tuple[str, str], int] = {}
        for field, value in raw.items():
            source, _, outcome = field.decode().rpartition("|")
            counts[(source, outcome)] = int(value)
        out.append(Minute(minute, counts))
    return out


def recent_errors(limit: int = KEEP_ERRORS) -> list[RecentError]:
    out = []
    raws: list[bytes] = _redis(settings.REDIS_URL).lrange(f"{_prefix()}:errors", 0, limit - 1)  # type: ignore[assignment]
    for raw in raws:
        at, _, body = raw.decode().partition(" ")
        data = json.loads(body)
        out.append(
            RecentError(
                datetime.fromtimestamp(int(at), tz=UTC), data["source"], data["path"], data["code"], data["message"]
            )
        )
    return out
