"""Everything between the network and the fake endpoints: the request log, sliding-window
rate limits like TikTok's, injected faults, and applying due world events."""

from __future__ import annotations

import fnmatch
import json
import random
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from tiktok_sandbox import envelopes
from tiktok_sandbox.models import FaultRule, RateLimit, RequestLog

_lock = threading.Lock()
_windows: dict[tuple, deque] = defaultdict(deque)
_rng = random.Random()


def reset_windows() -> None:
    with _lock:
        _windows.clear()


def is_api_path(path: str) -> bool:
    return path.startswith("/open_api/") or (path.startswith("/v2/") and not path.startswith("/v2/auth/"))


def is_business(path: str) -> bool:
    return path.startswith("/open_api/")


def _caller_key(request: HttpRequest) -> str:
    return request.headers.get("Access-Token") or request.headers.get("Authorization") or "-"


def _over_limit(request: HttpRequest) -> bool:
    """Sliding window: count accepted requests in the last window_seconds of real time."""
    now = time.monotonic()
    for rule in RateLimit.objects.all():
        if not fnmatch.fnmatchcase(request.path, rule.pattern):
            continue
        who = _caller_key(request) if rule.per == "token" else ""
        key = (rule.pk, request.path, who)
        with _lock:
            window = _windows[key]
            while window and window[0] <= now - rule.window_seconds:
                window.popleft()
            if len(window) >= rule.limit:
                return True
            window.append(now)
    return False


def _throttled(path: str, status: int = 200) -> HttpResponse:
    if is_business(path):
        return envelopes.business_error(40100, "App reaches the QPS limit.", status=status)
    return envelopes.login_kit_error("rate_limit_exceeded", "Rate limit exceeded.")


def _server_error(path: str, status: int) -> HttpResponse:
    if is_business(path):
        return envelopes.business_error(50000, "System error", status=status)
    response = envelopes.login_kit_error("internal_error", "Internal error.")
    response.status_code = status
    return response


def _take_fault(path: str) -> FaultRule | None:
    """The first matching rule with hits left; using a limited rule consumes one hit."""
    for rule in FaultRule.objects.order_by("pk"):
        if not fnmatch.fnmatchcase(path, rule.pattern):
            continue
        if rule.times is not None:
            if rule.times <= 0:
                continue
            rule.times -= 1
            FaultRule.objects.filter(pk=rule.pk).update(times=rule.times)
        return rule
    return None


def _fault_response(rule: FaultRule, path: str) -> tuple[HttpResponse | None, bool]:
    """(replacement response or None, whether to mangle the real body)."""
    roll = _rng.random()
    for rate, make in (
        (rule.error_40100, lambda: _throttled(path)),
        (rule.http_429, lambda: _throttled(path, status=429)),
        (rule.http_5xx, lambda: _server_error(path, rule.status_5xx)),
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
        if not is_api_path(request.path):
            return self.get_response(request)
        at = time.time()
        from tiktok_sandbox import events

        events.tick()
        response, throttled = self._handle(request)
        _log(request, response, at, throttled)
        return response

    def _handle(self, request: HttpRequest) -> tuple[HttpResponse, bool]:
        rule = _take_fault(request.path)
        if rule and rule.latency_ms:
            time.sleep(rule.latency_ms / 1000)
        if _over_limit(request):
            return _throttled(request.path, status=200 if is_business(request.path) else 429), True
        mangle = False
        if rule:
            replacement, mangle = _fault_response(rule, request.path)
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


def _path_stats(rows: list, window: float) -> dict:
    best, start = 0, 0
    times = [r[0] for r in rows]
    for end, t in enumerate(times):
        while times[start] <= t - window:
            start += 1
        best = max(best, end - start + 1)
    statuses: dict[str, int] = defaultdict(int)
    for _, status, _ in rows:
        statuses[str(status)] += 1
    return {"count": len(rows), "max_in_window": best, "statuses": statuses, "throttled": sum(1 for r in rows if r[2])}
