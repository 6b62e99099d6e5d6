"""The rate budget, shared by every process through Redis, counted the way TikTok counts.

One budget per API for Business app (its app id), in TikTok's three windows:
requests per second, per minute and per UTC day, preset by the app's tier
(https://business-api.tiktok.com/portal/docs/rate-limits/v1.3).
A request is counted before it is sent; one over budget is never sent. The caller waits up to
``max_wait`` seconds for a slot, otherwise gets a transient `TikTokError` whose
``retry_after`` tells a Celery task when to come back.

Pacing, not bursts. TikTok counts a request when it arrives, we grant it a little earlier,
and the delay between the two varies (the process is descheduled, the connection is slow).
If L + 1 consecutive grants span less than W + J, where J is that jitter, TikTok can count
L + 1 in some window of W. A sliding window of L per W lets L grants go at once, and a burst
is exactly what makes the jitter large: the L requests queue behind each other for the CPU
and the connection pool. So grants are paced instead, on a grid with step
T = (W + jitter + credit) / L (the largest over the windows that have a limit), and any L + 1
consecutive grants span at least W + jitter. Paced requests leave one at a time, so the
jitter stays a few milliseconds and a small allowance covers it: sustained throughput is
W / (W + jitter + credit) of the ceiling (0.976 with the defaults; with a 30 ms allowance,
0.966, measured 0.965 with four processes at 10 QPS and 0.960 with six at 50 QPS), where widening each window by a guard of
0.25 s capped it at 0.8.

Waiting processes wake a little late; if every grant moved the schedule by that lateness the
pace would drift below 1/T. The schedule is therefore kept on a grid: a grant late by up to
``credit`` still advances the grid by exactly T, which is why the credit is part of the
spacing above (a grant may follow the previous one after T - credit; L + 1 of them still
span L * T - credit = W + jitter).

The daily quota is a counter per UTC day (TikTok resets it at 00:00 UTC).

Reserved share: calls a person is waiting on (web requests, management commands) come
first, and background calls (the ones made inside a Celery task) use what they leave. Both are
paced on the same grid of T, so background polling alone reaches the whole paced ceiling; but a
person's call that finds the slot taken claims the next one (field ``iwant``), and no
background call is granted before that claim is used or lapses one interval later. Under
saturating background polling a lone interactive call therefore waits about one or two T. The
daily quota is where a share is set aside outright: background calls may use only
(1 - TIKTOK_RATE_RESERVED_SHARE) of it, so polling can never spend the day a person needs.

A busy CPU. The pace holds only for calls that leave within the jitter allowance of their
grant. A process descheduled between the grant and the send would arrive bunched with the
next grants, so the transport gives such a grant up (`fresh`) and asks again: a slot is
wasted, no window is overrun.

Back-off: when TikTok answers code 40100 anyway (HTTP 200, no headers), its message names the
window. Over the QPS, calls still arrived bunched by more than the margin (the network, or
TikTok's own side): the throttled call takes one slot, and the margin grows by a step for
every process, learnt from TikTok's count; it fades while TikTok stays quiet. One QPS 40100
therefore costs one slot, not a second of every process. Over the QPM or the daily quota
TikTok says how long to stay away (5 min, until 00:00 UTC); `back_off` records that in the
same Redis hash, so every process stops, not only the one that was told.

All decisions use the Redis server clock, so machines with skewed clocks still agree.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import timedelta
from enum import IntEnum, StrEnum
from functools import lru_cache

import redis
from celery import current_task
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from . import clock
from .errors import RATE_BUDGET, Kind, TikTokError

# API for Business "request too frequent": throttling is this code in an HTTP 200 envelope.
THROTTLED = 40100
# A waiting process that wakes this much late still gets its grid slot (see the docstring).
LATE_CREDIT_SECONDS = 0.005
# The margin learnt from QPS 40100s: each adds a step, up to a cap, and it fades by FADE per
# second without one (100 ms fades in about 17 minutes).
LEARNT_STEP_SECONDS = 0.01
LEARNT_CAP_SECONDS = 0.25
LEARNT_FADE_PER_SECOND = 0.0001

# The margin learnt from QPS 40100s (see LEARNT_*): what one 40100 adds, the most it grows
# to, and how fast it fades (µs of margin per second) while TikTok stays quiet.
_LEARNT = """
local function learnt(s_extra, s_at, now, fade)
  local extra = tonumber(s_extra) or 0
  if extra <= 0 then return 0 end
  local faded = extra - (now - (tonumber(s_at) or now)) * fade / 1000000
  if faded < 0 then return 0 end
  return faded
end
"""

# KEYS[1]: the budget's hash (fields grid, day, used, blocked, iwant, extra, extra_at; times in
# µs of Redis time). ARGV: interval between grants (µs), late credit (µs), daily limit (0 =
# none), 1 for a background call (0 for a person's), how long a person's claim on a slot holds
# (µs), grants per window of the window that sets the interval, the learnt margin's fade.
# Returns {wait_us, now_us, reason}: reason 0 = granted at now_us, 1 = pacing, 2 = daily
# quota, 3 = backing off after a 40100. Numbers are written with %.0f: Lua's own conversion
# keeps 14 digits and would round microsecond timestamps.
# With a `Tally` (KEYS[2]: its prefix; ARGV[8]: its field, ARGV[9]: how long a minute's hash
# is kept, ARGV[10]: the minute of a grant given up since, or 0) the grant counts itself in the
# hash of its minute, so a sent call costs one round trip, not two; a grant given up is taken
# back from its own minute.
_TAKE = (
    _LEARNT
    + """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local tally = ARGV[8] or ''
if tally ~= '' and tonumber(ARGV[10]) > 0 then
  redis.call('HINCRBY', KEYS[2] .. ':m:' .. ARGV[10], tally, -1)
end
local credit = tonumber(ARGV[2])
local day_limit = tonumber(ARGV[3])
local background = tonumber(ARGV[4]) == 1
local hold = tonumber(ARGV[5])
local s = redis.call('HMGET', KEYS[1], 'blocked', 'grid', 'day', 'used', 'iwant', 'extra', 'extra_at')
local blocked = tonumber(s[1]) or 0
if now < blocked then return {blocked - now, now, 3} end
-- L + 1 grants must span the window plus every margin, the learnt one included.
local interval = tonumber(ARGV[1]) + math.floor(learnt(s[6], s[7], now, tonumber(ARGV[7])) / tonumber(ARGV[6]))
local grid = tonumber(s[2])
local iwant = tonumber(s[5]) or 0
if grid and now < grid + interval then
  local slot = grid + interval
  if background then
    if iwant > slot then slot = iwant end
  elseif slot + hold > iwant then
    redis.call('HSET', KEYS[1], 'iwant', string.format('%.0f', slot + hold))
  end
  return {slot - now, now, 1}
end
if background and now < iwant then return {iwant - now, now, 1} end
local today = math.floor(now / 86400000000)
local used = 0
if tonumber(s[3]) == today then used = tonumber(s[4]) or 0 end
if day_limit > 0 and used >= day_limit then return {(today + 1) * 86400000000 - now, now, 2} end
local next_grid = now - credit
if grid and grid + interval > next_grid then next_grid = grid + interval end
redis.call('HSET', KEYS[1], 'grid', string.format('%.0f', next_grid), 'day', string.format('%.0f', today),
  'used', string.format('%.0f', used + 1))
if not background then redis.call('HDEL', KEYS[1], 'iwant') end
redis.call('PEXPIRE', KEYS[1], 2 * 86400 * 1000)
if tally ~= '' then
  local minute = KEYS[2] .. ':m:' .. string.format('%.0f', math.floor(now / 60000000))
  redis.call('HINCRBY', minute, tally, 1)
  redis.call('EXPIRE', minute, tonumber(ARGV[9]))
end
return {0, now, 0}
"""
)

# KEYS[1]: the budget's hash. ARGV: the interval between grants (µs), the learnt margin's
# step, cap and fade (µs). A QPS 40100 means calls arrived bunched more than the margin
# allows: the throttled call takes the next slot (the grid moves to now) and the margin grows
# by one step. Returns the µs to wait: one interval.
_LEARN = (
    _LEARNT
    + """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local s = redis.call('HMGET', KEYS[1], 'grid', 'extra', 'extra_at')
local extra = learnt(s[2], s[3], now, tonumber(ARGV[4])) + tonumber(ARGV[2])
if extra > tonumber(ARGV[3]) then extra = tonumber(ARGV[3]) end
local grid = tonumber(s[1]) or now
if now > grid then grid = now end
redis.call('HSET', KEYS[1], 'grid', string.format('%.0f', grid), 'extra', string.format('%.0f', extra),
  'extra_at', string.format('%.0f', now))
redis.call('PEXPIRE', KEYS[1], 2 * 86400 * 1000)
return grid + tonumber(ARGV[1]) - now
"""
)

# KEYS[1]: the budget's hash. ARGV[1]: back-off in µs, or 0 for "until 00:00 UTC".
# Never shortens a longer back-off already recorded. Returns the µs left to wait.
_BACK_OFF = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local span = tonumber(ARGV[1])
local until_us = now + span
if span == 0 then until_us = (math.floor(now / 86400000000) + 1) * 86400000000 end
local blocked = tonumber(redis.call('HGET', KEYS[1], 'blocked')) or 0
if blocked > until_us then until_us = blocked end
redis.call('HSET', KEYS[1], 'blocked', string.format('%.0f', until_us))
redis.call('PEXPIRE', KEYS[1], 2 * 86400 * 1000)
return until_us - now
"""


class Window(StrEnum):
    SECOND = "second"
    MINUTE = "minute"
    DAY = "day"


class Reason(IntEnum):
    GRANTED = 0
    PACING = 1
    DAILY_QUOTA = 2
    BACKING_OFF = 3


@dataclass(frozen=True)
class Limits:
    """Requests per second, per minute and per UTC day; 0 means no limit in that window."""

    per_second: int = 0
    per_minute: int = 0
    per_day: int = 0

    def interval(self, margin: float) -> float:
        """Seconds between grants so that L + 1 consecutive grants span each window + margin."""
        return self._pacing(margin)[0]

    def paced_by(self, margin: float) -> int:
        """L of the window that sets the interval (1 when none does): a margin added to that
        window adds margin / L to the interval."""
        return self._pacing(margin)[1]

    def _pacing(self, margin: float) -> tuple[float, int]:
        spans = [((1.0 + margin) / self.per_second, self.per_second)] if self.per_second else []
        spans += [((60.0 + margin) / self.per_minute, self.per_minute)] if self.per_minute else []
        return max(spans, default=(0.0, 1))


# API for Business tiers (portal/docs/rate-limits/v1.3; per day for the higher tiers as
# summarised by api-evangelist/tiktok-ads rate-limits/tiktok-ads-rate-limits.yml).
TIERS: dict[str, Limits] = {
    "basic": Limits(10, 600, 864_000),
    "advanced": Limits(20, 1_200, 1_728_000),
    "premium": Limits(30, 1_800, 2_592_000),
    "ultimate": Limits(50, 3_000, 4_320_000),
    "sandbox": Limits(1, 30, 1_000),
}

# TikTok's 40100 messages name the window ("App … reaches the QPS limit 10, current QPS is
# 11."). Only the QPS wording is seen in public sources; the others are matched loosely (see
# docs/sandbox.md), and a message naming no window is taken as the shortest one.
_DAY_WORDS = re.compile(r"\b(qpd|daily|day)\b", re.IGNORECASE)
_MINUTE_WORDS = re.compile(r"\b(qpm|minute)\b", re.IGNORECASE)
_BACK_OFF_SECONDS = {Window.SECOND: 1.0, Window.MINUTE: 300.0}


@dataclass(frozen=True)
class Tally:
    """A per-minute counter that a grant bumps in its own round trip (the call counters of
    `callstats`): field `field` of the hash `{prefix}:m:{minute by the Redis clock}`, kept
    `keep_seconds`."""

    prefix: str
    field: str
    keep_seconds: int


def minute_of(micros: int) -> int:
    """The minute (since the epoch) of a Redis time in µs, as the tally keys it."""
    return micros // 60_000_000


@dataclass(frozen=True)
class BudgetState:
    """Grants counted today (UTC) and the seconds left of a back-off after a 40100."""

    used_today: int
    blocked_for: float


def throttled_window(message: str) -> Window:
    """Which of TikTok's windows a 40100 message is about."""
    if _DAY_WORDS.search(message):
        return Window.DAY
    if _MINUTE_WORDS.search(message):
        return Window.MINUTE
    return Window.SECOND


def back_off_seconds(window: Window) -> float:
    """How long TikTok says to stay away, by this machine's clock (used without Redis)."""
    if window == Window.DAY:
        now = timezone.now()
        midnight = now.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
        return (midnight - now).total_seconds()
    return _BACK_OFF_SECONDS[window]


def limits_for() -> Limits:
    """The configured budget of the API for Business app: its tier's, window by window overridable."""
    tier = TIERS.get(settings.TIKTOK_API_TIER)
    if tier is None:
        raise ImproperlyConfigured(f"TIKTOK_API_TIER must be one of {', '.join(TIERS)}")
    overrides = (settings.TIKTOK_RATE_QPS, settings.TIKTOK_RATE_QPM, settings.TIKTOK_RATE_PER_DAY)
    presets = (tier.per_second, tier.per_minute, tier.per_day)
    return Limits(
        *(preset if override is None else override for override, preset in zip(overrides, presets, strict=True))
    )


def in_background() -> bool:
    """A call made inside a Celery task is background work; anything else has a person
    waiting on it (a web request, a management command) and may use the reserved share."""
    return bool(current_task)


@lru_cache(maxsize=8)
def _redis(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)


class RateBudget:
    """Paced budget in Redis; `acquire` returns when a request may be sent."""

    def __init__(
        self,
        redis_url: str,
        *,
        prefix: str = "tiktok:rate",
        max_wait: float = 2.0,
        jitter: float = 0.02,
        reserved_share: float = 0.2,
    ) -> None:
        self.client = _redis(redis_url)
        self.prefix = prefix
        self.max_wait = max_wait
        self.margin = jitter + LATE_CREDIT_SECONDS
        self.reserved_share = reserved_share
        self.jitter = jitter
        # Scripts are sent once per Redis server and then called by their SHA (EVALSHA).
        self.take = self.client.register_script(_TAKE)
        self.back_off_script = self.client.register_script(_BACK_OFF)
        self.learn_script = self.client.register_script(_LEARN)

    def _key(self, budget: str) -> str:
        return f"{self.prefix}:{budget}"

    def try_acquire(
        self, budget: str, limits: Limits, *, background: bool, tally: Tally | None = None, given_up: int = 0
    ) -> tuple[float, int, Reason]:
        """One attempt: (seconds to wait, 0.0 if granted; Redis time in µs; why). A grant
        counts itself in `tally`; `given_up` is the minute of a counted grant never sent."""
        interval, per_day = limits.interval(self.margin), limits.per_day
        if background and per_day:
            per_day = max(1, int(per_day * (1 - self.reserved_share)))
        interval_us = round(interval * 1_000_000)
        # A person's claim on the next slot holds one interval past it: long enough for a
        # waiter that wakes late, short enough that a caller who gave up costs one slot.
        args: list[int | str] = [
            interval_us,
            round(LATE_CREDIT_SECONDS * 1_000_000),
            per_day,
            int(background),
            interval_us,
            limits.paced_by(self.margin),
            round(LEARNT_FADE_PER_SECOND * 1_000_000),
        ]
        keys = [self._key(budget)]
        if tally is not None:
            keys.append(tally.prefix)
            args += [tally.field, tally.keep_seconds, given_up]
        wait_us, now_us, reason = self.take(keys=keys, args=args)
        return int(wait_us) / 1_000_000, int(now_us), Reason(int(reason))

    def acquire(self, budget: str, limits: Limits, *, background: bool, path: str = "") -> int:
        """Wait (bounded) for a slot; raise a transient TikTokError if none comes in time.
        Returns the Redis time (µs) of the grant."""
        return self.acquire_to_send(budget, limits, background=background, path=path)[0]

    def acquire_to_send(
        self,
        budget: str,
        limits: Limits,
        *,
        background: bool,
        path: str = "",
        tally: Tally | None = None,
        given_up: int = 0,
    ) -> tuple[int, float]:
        """`acquire`, also returning when (time.monotonic()) the granting request left this
        process: the call must leave within the jitter allowance of it (`fresh`). The grant
        counts itself in `tally`; `given_up` takes back a counted grant that was never sent."""
        waited = 0.0
        while True:
            asked = time.monotonic()
            wait, granted_at, reason = self.try_acquire(
                budget, limits, background=background, tally=tally, given_up=given_up
            )
            given_up = 0  # taken back by that round trip
            if reason == Reason.GRANTED:
                return granted_at, asked
            if waited + wait > self.max_wait:
                raise TikTokError(
                    f"Rate budget for {budget} exhausted ({reason.name.lower()}); not sent",
                    kind=Kind.TRANSIENT,
                    code=RATE_BUDGET,
                    retry_after=wait,
                    path=path,
                    sent=False,
                )
            clock.sleep(wait)
            waited += wait

    def state(self, budget: str) -> BudgetState:
        """What the budget holds now, read without taking a slot (for the freshness page)."""
        pipe = self.client.pipeline(transaction=False)
        pipe.time()
        pipe.hmget(self._key(budget), "blocked", "day", "used")
        (seconds, micros), (blocked, day, used) = pipe.execute()
        now = int(seconds) * 1_000_000 + int(micros)
        today = now // 86_400_000_000
        used_today = int(used) if used is not None and day is not None and int(day) == today else 0
        blocked_for = max(0, int(blocked or 0) - now) / 1_000_000
        return BudgetState(used_today=used_today, blocked_for=blocked_for)

    def fresh(self, asked: float) -> bool:
        """Whether a grant asked for at `asked` (time.monotonic()) may still be used: the pace
        holds TikTok's windows only for calls that arrive within the jitter allowance of their
        grant. A process descheduled longer (a busy CPU) would arrive bunched with the next
        grants: it gives the slot up and asks again."""
        return time.monotonic() - asked <= self.jitter

    def back_off(self, budget: str, window: Window, limits: Limits | None = None) -> float:
        """After a 40100 for `window`; seconds to wait.

        Over the QPS (the pace let calls arrive bunched): the throttled call costs one slot
        and the shared margin grows, learnt from TikTok's own count (`limits` gives the pace).
        Over the QPM or the daily quota: every process stops for as long as TikTok says."""
        if window == Window.SECOND:
            interval_us = round((limits or Limits()).interval(self.margin) * 1_000_000)
            args = [interval_us, *(round(x * 1_000_000) for x in (LEARNT_STEP_SECONDS, LEARNT_CAP_SECONDS))]
            return (
                int(self.learn_script(keys=[self._key(budget)], args=[*args, round(LEARNT_FADE_PER_SECOND * 1e6)]))
                / 1e6
            )
        span_us = 0 if window == Window.DAY else round(_BACK_OFF_SECONDS[window] * 1_000_000)
        return int(self.back_off_script(keys=[self._key(budget)], args=[span_us])) / 1_000_000


def default_budget() -> RateBudget | None:
    """The budget from settings, or None when TIKTOK_RATE_BUDGET_ENABLED is off."""
    if not settings.TIKTOK_RATE_BUDGET_ENABLED:
        return None
    return _budget(
        settings.REDIS_URL,
        settings.TIKTOK_RATE_BUDGET_KEY_PREFIX,
        settings.TIKTOK_RATE_BUDGET_MAX_WAIT,
        settings.TIKTOK_RATE_JITTER_SECONDS,
        settings.TIKTOK_RATE_RESERVED_SHARE,
    )


@lru_cache(maxsize=8)
def _budget(url: str, prefix: str, max_wait: float, jitter: float, reserved_share: float) -> RateBudget:
    # One per process and configuration: every call reuses its scripts' SHAs.
    return RateBudget(url, prefix=prefix, max_wait=max_wait, jitter=jitter, reserved_share=reserved_share)
