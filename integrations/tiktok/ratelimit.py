"""The rate budget, shared by every process through Redis, counted the way TikTok counts.

One budget per API for Business app (its app id), in TikTok's three windows:
requests per second, per minute and per UTC day, preset by the app's tier
(https://business-api.tiktok.com/portal/docs/rate-limits/v1.3).
A request is counted before it is sent; one over budget is never sent. The caller waits up to
``max_wait`` seconds for a slot, otherwise gets a transient `TikTokError` whose
``retry_after`` tells a Celery task when to come back.

The rule: any L + 1 consecutive grants span at least W + jitter, in every window of W with a
limit of L. TikTok counts a request when it arrives, we grant it a little earlier, and the delay
between the two varies (the process is descheduled, the connection is slow). A call may leave
no later than the jitter allowance J after its grant (`fresh`), so L + 1 arrivals still span W
and TikTok never counts L + 1 in any window of W, fixed or sliding. The budget keeps the times
of the last L grants of each window (a list per window) and grants when the L-th latest is at
least W + J old: sustained throughput is W / (W + J) of the ceiling (0.985 with the default
15 ms).

Catching up, not losing slots. A fixed pace loses every slot nobody is ready to take (all the
pool's processes busy with slow calls on a loaded machine, a grant given up): the rule above
counts grants, not slots, so the next calls may follow each other more closely until L + 1 of
them span W + J again. They are never closer than half the pace (W + J) / L: a burst is what
makes the jitter large, as the requests queue behind each other for the CPU and the
connection pool. A grant given up is taken out of the lists, so it costs no slot either.

The daily quota is a counter per UTC day (TikTok resets it at 00:00 UTC).

Reserved share: calls a person is waiting on (web requests, management commands) come
first, and background calls (the ones made inside a Celery task) use what they leave. Both
follow the same rule, so background polling alone reaches the whole ceiling; but a person's call
that finds no slot claims the next one (field ``iwant``), and no background call is granted
before that claim is used or lapses one interval later. Under saturating background polling a
lone interactive call therefore waits about one or two intervals. The daily quota is where a
share is set aside outright: background calls may use only (1 - TIKTOK_RATE_RESERVED_SHARE) of
it, so polling can never spend the day a person needs.

A busy CPU. The rule holds only for calls that leave within the jitter allowance of their
grant. A process descheduled between the grant and the send would arrive bunched with the
next grants, so the transport gives such a grant up (`fresh`) and asks again, handing the
given-up grant back in the same round trip.

Back-off: when TikTok answers code 40100 anyway (HTTP 200, no headers), its message names the
window. Over the QPS, calls still arrived bunched by more than the allowance (the network, or
TikTok's own side): the throttled call counts as a grant again, and the allowance grows by a
step for every process, learnt from TikTok's count; it fades while TikTok stays quiet. One QPS
40100 therefore costs one slot, not a second of every process. Over the QPM or the daily quota
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
# The allowance learnt from QPS 40100s: each adds a step, up to a cap, and it fades by FADE per
# second without one (100 ms fades in about 17 minutes).
LEARNT_STEP_SECONDS = 0.01
LEARNT_CAP_SECONDS = 0.25
LEARNT_FADE_PER_SECOND = 0.0001

# The allowance learnt from QPS 40100s (see LEARNT_*): what one 40100 adds, the most it grows
# to, and how fast it fades (µs of allowance per second) while TikTok stays quiet.
_LEARNT = """
local function learnt(s_extra, s_at, now, fade)
  local extra = tonumber(s_extra) or 0
  if extra <= 0 then return 0 end
  local faded = extra - (now - (tonumber(s_at) or now)) * fade / 1000000
  if faded < 0 then return 0 end
  return faded
end
"""

# The windows with a limit, each a list of its last L grant times (µs of Redis time, newest
# first) under KEYS[2] (second) and KEYS[3] (minute). ARGV[1], ARGV[2]: L per second, per minute
# (0 = no limit). A list expires a little longer than its window plus the largest allowance
# after its last grant, so it never forgets a grant the rule still needs.
_WINDOWS = """
local function windows(per_second, per_minute)
  local w = {}
  if per_second > 0 then w[#w + 1] = {KEYS[2], per_second, 1000000, 3000} end
  if per_minute > 0 then w[#w + 1] = {KEYS[3], per_minute, 60000000, 62000} end
  return w
end
local function push(w, at)
  for _, win in ipairs(w) do
    redis.call('LPUSH', win[1], at)
    redis.call('LTRIM', win[1], 0, win[2] - 1)
    redis.call('PEXPIRE', win[1], win[4])
  end
end
"""

# KEYS[1]: the budget's hash (fields day, used, blocked, iwant, extra, extra_at; times in µs of
# Redis time); KEYS[2], KEYS[3]: the second's and the minute's lists of grants. ARGV: L per
# second and per minute (0 = none), the jitter allowance (µs), the closest two grants may follow
# each other (µs), the daily limit (0 = none), 1 for a background call (0 for a person's), how
# long a person's claim on a slot holds (µs), the learnt allowance's fade, and the time of a
# grant given up since (0 = none). Returns {wait_us, now_us, reason}: reason 0 = granted at
# now_us, 1 = pacing, 2 = daily quota, 3 = backing off after a 40100. Numbers are written with
# %.0f: Lua's own conversion keeps 14 digits and would round microsecond timestamps.
# With a `Tally` (KEYS[4]: its prefix; ARGV[10]: its field, ARGV[11]: how long a minute's hash
# is kept) the grant counts itself in the hash of its minute, so a sent call costs one round
# trip, not two; a grant given up is taken back from the lists, the day and its own minute.
_TAKE = (
    _LEARNT
    + _WINDOWS
    + """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local w = windows(tonumber(ARGV[1]), tonumber(ARGV[2]))
local tally = ARGV[10] or ''
local given_up = tonumber(ARGV[9])
local s = redis.call('HMGET', KEYS[1], 'blocked', 'day', 'used', 'iwant', 'extra', 'extra_at')
local today = math.floor(now / 86400000000)
local used = 0
if tonumber(s[2]) == today then used = tonumber(s[3]) or 0 end
if given_up > 0 then
  local at = string.format('%.0f', given_up)
  for _, win in ipairs(w) do redis.call('LREM', win[1], 1, at) end
  if math.floor(given_up / 86400000000) == today and used > 0 then
    used = used - 1
    redis.call('HSET', KEYS[1], 'used', string.format('%.0f', used))
  end
  if tally ~= '' then
    redis.call('HINCRBY', KEYS[4] .. ':m:' .. string.format('%.0f', math.floor(given_up / 60000000)), tally, -1)
  end
end
local blocked = tonumber(s[1]) or 0
if now < blocked then return {blocked - now, now, 3} end
-- L + 1 grants must span the window plus the allowance, the learnt part included.
local allowance = tonumber(ARGV[3]) + learnt(s[5], s[6], now, tonumber(ARGV[8]))
local earliest = 0
for _, win in ipairs(w) do
  local oldest = tonumber(redis.call('LINDEX', win[1], win[2] - 1))
  if oldest and oldest + win[3] + allowance > earliest then earliest = oldest + win[3] + allowance end
end
if #w > 0 then
  local last = tonumber(redis.call('LINDEX', w[1][1], 0))
  if last and last + tonumber(ARGV[4]) > earliest then earliest = last + tonumber(ARGV[4]) end
end
local background = tonumber(ARGV[6]) == 1
local iwant = tonumber(s[4]) or 0
if now < earliest then
  local slot = earliest
  if background then
    if iwant > slot then slot = iwant end
  elseif slot + tonumber(ARGV[7]) > iwant then
    redis.call('HSET', KEYS[1], 'iwant', string.format('%.0f', slot + tonumber(ARGV[7])))
  end
  return {slot - now, now, 1}
end
if background and now < iwant then return {iwant - now, now, 1} end
local day_limit = tonumber(ARGV[5])
if day_limit > 0 and used >= day_limit then return {(today + 1) * 86400000000 - now, now, 2} end
push(w, string.format('%.0f', now))
redis.call('HSET', KEYS[1], 'day', string.format('%.0f', today), 'used', string.format('%.0f', used + 1))
if not background then redis.call('HDEL', KEYS[1], 'iwant') end
redis.call('PEXPIRE', KEYS[1], 2 * 86400 * 1000)
if tally ~= '' then
  local minute = KEYS[4] .. ':m:' .. string.format('%.0f', math.floor(now / 60000000))
  redis.call('HINCRBY', minute, tally, 1)
  redis.call('EXPIRE', minute, tonumber(ARGV[11]))
end
return {0, now, 0}
"""
)

# KEYS as _TAKE's first three. ARGV: L per second and per minute, the interval of the pace (µs),
# the learnt allowance's step, cap and fade (µs). A QPS 40100 means calls arrived bunched more
# than the allowance: the throttled call counts as a grant again (now), so the next calls keep
# the rule with it, and the allowance grows by one step. Returns the µs to wait: one interval.
_LEARN = (
    _LEARNT
    + _WINDOWS
    + """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local s = redis.call('HMGET', KEYS[1], 'extra', 'extra_at')
local extra = learnt(s[1], s[2], now, tonumber(ARGV[6])) + tonumber(ARGV[4])
if extra > tonumber(ARGV[5]) then extra = tonumber(ARGV[5]) end
push(windows(tonumber(ARGV[1]), tonumber(ARGV[2])), string.format('%.0f', now))
redis.call('HSET', KEYS[1], 'extra', string.format('%.0f', extra), 'extra_at', string.format('%.0f', now))
redis.call('PEXPIRE', KEYS[1], 2 * 86400 * 1000)
return tonumber(ARGV[3])
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

    def interval(self, allowance: float) -> float:
        """The pace: seconds between grants when L + 1 of them span each window + allowance."""
        spans = [(1.0 + allowance) / self.per_second] if self.per_second else []
        spans += [(60.0 + allowance) / self.per_minute] if self.per_minute else []
        return max(spans, default=0.0)


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
    """The budget in Redis; `acquire` returns when a request may be sent."""

    def __init__(
        self,
        redis_url: str,
        *,
        prefix: str = "tiktok:rate",
        max_wait: float = 2.0,
        jitter: float = 0.015,
        reserved_share: float = 0.2,
    ) -> None:
        self.client = _redis(redis_url)
        self.prefix = prefix
        self.max_wait = max_wait
        self.reserved_share = reserved_share
        self.jitter = jitter
        # Scripts are sent once per Redis server and then called by their SHA (EVALSHA).
        self.take = self.client.register_script(_TAKE)
        self.back_off_script = self.client.register_script(_BACK_OFF)
        self.learn_script = self.client.register_script(_LEARN)

    def _key(self, budget: str) -> str:
        return f"{self.prefix}:{budget}"

    def _keys(self, budget: str) -> list[str]:
        """The budget's hash and its second's and minute's lists of grants."""
        key = self._key(budget)
        return [key, f"{key}:s", f"{key}:m"]

    def try_acquire(
        self, budget: str, limits: Limits, *, background: bool, tally: Tally | None = None, given_up: int = 0
    ) -> tuple[float, int, Reason]:
        """One attempt: (seconds to wait, 0.0 if granted; Redis time in µs; why). A grant
        counts itself in `tally`; `given_up` is the Redis time of a grant never sent, which
        is taken back."""
        interval, per_day = limits.interval(self.jitter), limits.per_day
        if background and per_day:
            per_day = max(1, int(per_day * (1 - self.reserved_share)))
        interval_us = round(interval * 1_000_000)
        # Catching up, grants may follow each other at half the pace, never closer. A person's
        # claim on the next slot holds one interval past it: long enough for a waiter that
        # wakes late, short enough that a caller who gave up costs one slot.
        args: list[int | str] = [
            limits.per_second,
            limits.per_minute,
            round(self.jitter * 1_000_000),
            interval_us // 2,
            per_day,
            int(background),
            interval_us,
            round(LEARNT_FADE_PER_SECOND * 1_000_000),
            given_up,
        ]
        keys = self._keys(budget)
        if tally is not None:
            keys.append(tally.prefix)
            args += [tally.field, tally.keep_seconds]
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
        counts itself in `tally`; `given_up` (the Redis time of a grant that was never sent)
        is taken back."""
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
        """Whether a grant asked for at `asked` (time.monotonic()) may still be used: the rule
        holds TikTok's windows only for calls that leave within the jitter allowance of their
        grant. A process descheduled longer (a busy CPU) would arrive bunched with the next
        grants: it gives the grant up, handing it back as it asks again.

        A third of the allowance goes to the wait between the grant and this check, the rest
        to the send that follows it (the HTTP library's own work, and the process descheduled
        once more before the bytes leave): on a loaded machine, calls checked at the full
        allowance, and one in 5,000 checked at half of it, reached the sandbox later than their
        grant by more than the allowance."""
        return time.monotonic() - asked <= self.jitter / 3

    def back_off(self, budget: str, window: Window, limits: Limits | None = None) -> float:
        """After a 40100 for `window`; seconds to wait.

        Over the QPS (calls arrived bunched): the throttled call costs one slot and the shared
        allowance grows, learnt from TikTok's own count (`limits` gives the windows).
        Over the QPM or the daily quota: every process stops for as long as TikTok says."""
        if window == Window.SECOND:
            limits = limits or Limits()
            args = [
                limits.per_second,
                limits.per_minute,
                round(limits.interval(self.jitter) * 1_000_000),
                *(round(x * 1_000_000) for x in (LEARNT_STEP_SECONDS, LEARNT_CAP_SECONDS, LEARNT_FADE_PER_SECOND)),
            ]
            return int(self.learn_script(keys=self._keys(budget), args=args)) / 1_000_000
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
