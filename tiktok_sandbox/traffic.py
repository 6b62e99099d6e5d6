"""Everything between the network and the fake endpoints: the request log, rate limits
like TikTok's (the app's tier, plus sliding-window rules), injected faults, and applying due
world events."""

from __future__ import annotations

import bisect
import fnmatch
import json
import random
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from tiktok_sandbox import envelopes
from tiktok_sandbox.models import FaultRule, RateLimit, RequestLog
from tiktok_sandbox.server import ARRIVED_AT

_lock = threading.Lock()
_windows: dict[tuple, list[float]] = defaultdict(list)  # arrivals counted, sorted
_rng = random.Random()

# TikTok's API for Business tiers: requests per second, per minute and per UTC day, counted
# per app over every endpoint (portal/docs/rate-limits/v1.3).
TIERS: dict[str, tuple[int, int, int]] = {
    "basic": (10, 600, 864_000),
    "advanced": (20, 1_200, 1_728_000),
    "premium": (30, 1_800, 2_592_000),
    "ultimate": (50, 3_000, 4_320_000),
    "sandbox": (1, 30, 1_000),
}


@dataclass
class AppLimits:
    """The app's limits now; 0 means no limit in that window."""

    tier: str
    qps: int
    qpm: int
    per_day: int

    @classmethod
    def of(cls, tier: str, **overrides: int) -> AppLimits:
        if tier not in TIERS:
            raise ValueError(f"unknown tier {tier!r}; one of {', '.join(TIERS)}")
        qps, qpm, per_day = TIERS[tier]
        limits = cls(tier, qps, qpm, per_day)
        for name, value in overrides.items():
            setattr(limits, name, int(value))
        return limits


_app: AppLimits | None = AppLimits.of(settings.SANDBOX_API_TIER)  # None: lifted (control API)
_app_second: list[float] = []  # arrivals counted, sorted
_app_minute: list[float] = []
_app_day = [0, 0]  # [UTC day number, requests counted that day]


# The database queries this process has run (count_query), for the control API's `cost`: what
# an API call costs the sandbox. Concurrent requests may lose an increment; the figure is for
# measuring one call at a time.
_queries = [0]


def count_query(execute: Callable, sql: str, params: object, many: bool, context: dict) -> object:
    """A database execute wrapper (installed on every connection by the app's ready())."""
    _queries[0] += 1
    return execute(sql, params, many, context)


def cost() -> dict:
    """The CPU time this process has used (every thread) and the queries it has run so far."""
    return {"cpu_seconds": time.process_time(), "queries": _queries[0]}


def reset_windows() -> None:
    with _lock:
        _windows.clear()
        _app_second.clear()
        _app_minute.clear()
        _app_day[:] = [0, 0]


def set_app_limits(limits: AppLimits | None) -> None:
    global _app
    with _lock:
        _app = limits
    reset_windows()


def reset_app_limits() -> None:
    """Back to the tier the sandbox was started with (SANDBOX_API_TIER)."""
    set_app_limits(AppLimits.of(settings.SANDBOX_API_TIER))


def app_limits() -> dict:
    """The app's limits and what each window holds right now."""
    now = time.time()
    with _lock:
        limits = asdict(_app) if _app else {"tier": None, "qps": 0, "qpm": 0, "per_day": 0}
        used = {
            "second": sum(1 for t in _app_second if t > now - 1),
            "minute": sum(1 for t in _app_minute if t > now - 60),
            "day": _app_day[1] if _app_day[0] == int(now // 86_400) else 0,
        }
    return limits | {"app_id": settings.SANDBOX_APP_ID, "used": used}


def _fullest_window(counted: list[float], at: float, span: float) -> int:
    """The most requests counted in any window of `span` seconds that a request at `at` would join.

    Handler threads count arrivals slightly out of order, so requests counted already may have
    arrived after this one: every window holding both must stay within the limit, not only the
    one ending at `at`. `counted` is sorted.
    """
    later = counted[bisect.bisect_right(counted, at) : bisect.bisect_left(counted, at + span)]
    return max(bisect.bisect_right(counted, end) - bisect.bisect_right(counted, end - span) for end in [at, *later])


def _count(counted: list[float], at: float, span: float) -> None:
    """Count a request at `at`, and forget what no request still to count can share a window
    with: a window's worth before this one's is kept for requests that arrived earlier but are
    counted after it."""
    bisect.insort(counted, at)
    del counted[: bisect.bisect_right(counted, at - 2 * span)]


def _app_throttle(at: float) -> str | None:
    """Count an API for Business request against the app, or say which limit it is over.

    QPS and QPM are sliding windows (stricter than fixed ones, so a client that passes here
    passes TikTok either way); the daily quota resets at 00:00 UTC. When several windows are
    full the longest one is named, since that is the back-off that applies. The wording of
    the QPM and daily messages is the sandbox's choice (docs/sandbox.md).
    """
    if _app is None:
        return None
    app_id, today = settings.SANDBOX_APP_ID, int(at // 86_400)
    with _lock:
        if today > _app_day[0]:  # one that arrived before midnight but is counted after counts today
            _app_day[:] = [today, 0]
        if _app.per_day and _app_day[1] >= _app.per_day:
            return f"App {app_id} reaches the QPD limit {_app.per_day}, current QPD is {_app_day[1] + 1}."
        if _app.qpm and (minute := _fullest_window(_app_minute, at, 60)) >= _app.qpm:
            return f"App {app_id} reaches the QPM limit {_app.qpm}, current QPM is {minute + 1}."
        if _app.qps and (second := _fullest_window(_app_second, at, 1)) >= _app.qps:
            return f"App {app_id} reaches the QPS limit {_app.qps}, current QPS is {second + 1}."
        _count(_app_second, at, 1)
        _count(_app_minute, at, 60)
        _app_day[1] += 1
    return None


def is_business(path: str) -> bool:
    return path.startswith("/open_api/")


def _caller_key(request: HttpRequest) -> str:
    return request.headers.get("Access-Token") or request.headers.get("Authorization") or "-"


# The fault rules and rate-limit rules in memory: every API call consults both, while they
# change only when the control API or page saves or deletes one (forget_rules, connected to
# those signals by the app's ready()) or the world is wiped.
_rules: tuple[list[FaultRule], list[RateLimit]] | None = None


def _current_rules() -> tuple[list[FaultRule], list[RateLimit]]:
    global _rules
    rules = _rules
    if rules is None:
        rules = _rules = (list(FaultRule.objects.order_by("pk")), list(RateLimit.objects.order_by("pk")))
    return rules


def forget_rules(**kwargs: object) -> None:
    """Read the rules from the database again at the next call."""
    global _rules
    _rules = None


def _over_limit(request: HttpRequest, now: float) -> bool:
    """Sliding window: count accepted requests in the last window_seconds of real time."""
    for rule in _current_rules()[1]:
        if not fnmatch.fnmatchcase(request.path, rule.pattern):
            continue
        who = _caller_key(request) if rule.per == "token" else ""
        key = (rule.pk, request.path, who)
        with _lock:
            window = _windows[key]
            if _fullest_window(window, now, rule.window_seconds) >= rule.limit:
                return True
            _count(window, now, rule.window_seconds)
    return False


def _throttled(status: int = 200, message: str = "App reaches the QPS limit.") -> HttpResponse:
    return envelopes.business_error(40100, message, status=status)


def _server_error(status: int) -> HttpResponse:
    return envelopes.business_error(50000, "System error", status=status)


def _take_fault(path: str) -> FaultRule | None:
    """The first matching rule with hits left; using a limited rule consumes one hit."""
    for rule in _current_rules()[0]:
        if not fnmatch.fnmatchcase(path, rule.pattern):
            continue
        if rule.times is not None:
            with _lock:  # concurrent requests share the rule: each hit is used once
                if rule.times <= 0:
                    continue
                rule.times -= 1
                left = rule.times
            FaultRule.objects.filter(pk=rule.pk).update(times=left)
        return rule
    return None


def _fault_response(rule: FaultRule) -> tuple[HttpResponse | None, bool]:
    """(replacement response or None, whether to mangle the real body)."""
    roll = _rng.random()
    for rate, make in (
        (rule.error_40100, lambda: _throttled()),
        (rule.http_429, lambda: _throttled(status=429)),
        (rule.http_5xx, lambda: _server_error(rule.status_5xx)),
    ):
        if roll < rate:
            return make(), False
        roll -= rate
    if roll < rule.hang:
        time.sleep(rule.hang_seconds)
        return HttpResponse("upstream timed out", status=504, content_type="text/plain"), False
    roll -= rule.hang
    return None, roll < rule.malformed_json


def _code_of(response: HttpResponse) -> str:
    if "json" not in response.get("Content-Type", "") or len(response.content) > 200_000:
        return ""
    try:
        body = json.loads(response.content)
    except ValueError:
        return "malformed"
    if isinstance(body, dict):
        if "code" in body:
            return str(body["code"])
        if isinstance(body.get("error"), dict):
            return str(body["error"].get("code", ""))
        if "error" in body:
            return str(body["error"])
    return ""


def _log(request: HttpRequest, response: HttpResponse, at: float, throttled: bool) -> None:
    RequestLog.objects.create(
        at=at,
        method=request.method,
        path=request.path[:300],
        status=response.status_code,
        code=_code_of(response)[:40],
        throttled=throttled,
    )


class SandboxTrafficMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not is_business(request.path):
            return self.get_response(request)
        # Limits count a request when it arrives, as TikTok does: before any work is done on it,
        # and, when the sandbox's server stamped it, when its first bytes reached the machine, so
        # that handler threads waiting for a loaded CPU do not bunch requests sent paced. Without
        # a stamp (Django's test client), when this runs.
        at = request.META.get(ARRIVED_AT) or time.time()
        from tiktok_sandbox import events

        events.tick()
        response, throttled = self._handle(request, at)
        _log(request, response, at, throttled)
        return response

    def _handle(self, request: HttpRequest, at: float) -> tuple[HttpResponse, bool]:
        rule = _take_fault(request.path)
        if rule and rule.latency_ms:
            time.sleep(rule.latency_ms / 1000)
        if message := _app_throttle(at):
            return _throttled(message=message), True
        if _over_limit(request, at):
            return _throttled(), True
        mangle = False
        if rule:
            replacement, mangle = _fault_response(rule)
            if replacement is not None:
                return replacement, False
        response = self.get_response(request)
        if mangle:
            response.content = response.content[: max(1, len(response.content) // 2)]
        return response, False


def stats(window_seconds: float) -> dict:
    """Per path: total, the most requests inside any window, statuses and throttled count."""
    by_path: dict[str, list] = defaultdict(list)
    for at, path, status, throttled in RequestLog.objects.order_by("at").values_list(
        "at", "path", "status", "throttled"
    ):
        by_path[path].append((at, status, throttled))
    return {path: _path_stats(rows, window_seconds) for path, rows in by_path.items()}


def app_stats(window_seconds: float) -> dict:
    """The same figures for every API for Business request together: what the app's limits count."""
    rows = RequestLog.objects.filter(path__startswith="/open_api/").order_by("at")
    return _path_stats(list(rows.values_list("at", "status", "throttled")), window_seconds)


def _max_in_window(times: list[float], window: float) -> int:
    best, start = 0, 0
    for end, t in enumerate(times):
        while times[start] <= t - window:
            start += 1
        best = max(best, end - start + 1)
    return best


def _path_stats(rows: list, window: float) -> dict:
    best = _max_in_window([r[0] for r in rows], window)
    statuses: dict[str, int] = defaultdict(int)
    for _, status, _ in rows:
        statuses[str(status)] += 1
    return {"count": len(rows), "max_in_window": best, "statuses": statuses, "throttled": sum(1 for r in rows if r[2])}
