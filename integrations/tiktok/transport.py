"""The one HTTP transport to TikTok: timeouts, envelopes, classification, retries, budget.

It speaks API for Business (https://business-api.tiktok.com/open_api/v1.3/): JSON bodies,
``Access-Token: <token>`` with no "Bearer", GET arrays/objects JSON-encoded in the query
string (``advertiser_ids=["1","2"]``), envelope ``{code, message, request_id, data}`` where
HTTP 200 with ``code != 0`` is an error
(https://business-api.tiktok.com/portal/docs?id=1737172488964097). Creators authorize through
the same app (tt_user OAuth).

Transient failures are retried here with exponential backoff and jitter, honouring
Retry-After, at most TIKTOK_MAX_RETRIES times. Two exceptions keep people and TikTok's
limits safe: inside a web request (`request_deadline`) a call gets one attempt that ends
before the deadline, so a hanging TikTok never holds a server worker; inside a Celery task a
throttled call is not retried in-process but raised with TikTok's wait, for the task to
reschedule, so a throttled poll costs one HTTP call per task run. A write (``idempotent=False``) is resent
only when TikTok certainly did not act on it (throttled, or never sent), because resending
e.g. a campaign create after a read timeout could create it twice.

Logs carry the path, outcome, code and request_id; never a URL (the query string
can hold ``secret``), a header or a body.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any

import requests
from django.conf import settings

from . import callstats, clock, ratelimit
from .errors import CONNECTION, MALFORMED, RATE_BUDGET, TIMEOUT, Kind, TikTokError
from .ratelimit import RateBudget, default_budget

logger = logging.getLogger("integrations.tiktok")
# urllib3 logs full request lines (with ?secret=...) at DEBUG; keep it above that so a
# DEBUG root logger cannot leak the app secret of oauth2/advertiser/get and tto/oauth2/tcm.
logging.getLogger("urllib3.connectionpool").setLevel(logging.INFO)

BUSINESS_PREFIX = "open_api/v1.3/"
_local = threading.local()
# When set, the monotonic time by which every TikTok call of this web request must end.
_deadline: ContextVar[float | None] = ContextVar("tiktok_deadline", default=None)
# Never spend more than this of the remaining deadline connecting.
CONNECT_TIMEOUT_SECONDS = 3.0


@contextmanager
def request_deadline(seconds: float) -> Iterator[None]:
    """Calls made inside get one attempt each, and none outlives `seconds` from now."""
    token = _deadline.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _deadline.reset(token)


@dataclass
class Request:
    """One logical call; ``path`` is relative to the API's root (e.g. ``bc/get/``)."""

    method: str
    path: str
    access_token: str | None = None
    params: dict[str, Any] | None = None
    json: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    idempotent: bool | None = None

    @property
    def safe_to_resend(self) -> bool:
        return self.method == "GET" if self.idempotent is None else self.idempotent

    def url(self) -> str:
        return f"{settings.TIKTOK_BUSINESS_API_BASE_URL}/{BUSINESS_PREFIX}{self.path}"


def business_budget_key() -> str:
    """TikTok counts API for Business calls per app, all endpoints together."""
    return f"business:{settings.TIKTOK_APP_ID}"


def encode_query(params: dict[str, Any] | None) -> dict[str, str]:
    """API for Business query encoding: arrays/objects as compact JSON, bools lower-case."""
    out: dict[str, str] = {}
    for key, value in (params or {}).items():
        if value is None:
            continue
        if isinstance(value, (list, tuple, dict)):
            out[key] = json.dumps(list(value) if isinstance(value, tuple) else value, separators=(",", ":"))
        elif isinstance(value, bool):
            out[key] = "true" if value else "false"
        else:
            out[key] = str(value)
    return out


def _session() -> requests.Session:
    # requests.Session is not documented as thread-safe: one per thread, reused for keep-alive.
    session = getattr(_local, "session", None)
    if session is None:
        session = _local.session = requests.Session()
        session.headers["User-Agent"] = "aspire_tiktok"
    return session


def _retry_after(resp: requests.Response) -> float | None:
    value = resp.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def _normalize_code(code: Any) -> int | str | None:
    if isinstance(code, str) and code.lstrip("-").isdigit():
        return int(code)
    return code


def _json_body(resp: requests.Response, path: str) -> dict[str, Any]:
    try:
        body = resp.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        return body
    if resp.status_code >= 400:
        raise TikTokError(
            f"HTTP {resp.status_code}", http_status=resp.status_code, path=path, retry_after=_retry_after(resp)
        )
    # Truncated or non-JSON 200s happen under load; treat them as a failed attempt.
    raise TikTokError("Malformed JSON in response", code=MALFORMED, http_status=resp.status_code, path=path)


def parse_business(resp: requests.Response, path: str) -> tuple[Any, str]:
    body = _json_body(resp, path)
    code = _normalize_code(body.get("code"))
    request_id = str(body.get("request_id") or "")
    if code == 0 and resp.status_code < 400:
        return body.get("data") or {}, request_id
    if code is None and resp.status_code < 400:
        raise TikTokError("Envelope without code", code=MALFORMED, http_status=resp.status_code, path=path)
    raise TikTokError(
        str(body.get("message") or f"HTTP {resp.status_code}"),
        code=code,
        request_id=request_id,
        http_status=resp.status_code,
        retry_after=_retry_after(resp),
        path=path,
    )


class Transport:
    """Sends `Request`s. One per client is fine; sessions are per thread underneath."""

    def __init__(
        self,
        *,
        timeout: float | None = None,
        max_retries: int | None = None,
        budget: RateBudget | None | bool = True,
    ) -> None:
        self.timeout = timeout
        self.max_retries = max_retries
        # True = from settings at call time (so tests can flip TIKTOK_RATE_BUDGET_ENABLED).
        self._budget = budget

    @property
    def budget(self) -> RateBudget | None:
        return default_budget() if self._budget is True else (self._budget or None)

    def send(self, req: Request) -> Any:
        """Send with retries; return the envelope's data or raise TikTokError."""
        attempt = 0
        while True:
            started = time.monotonic()
            try:
                data, request_id = self._attempt(req)
            except TikTokError as exc:
                delay = self._retry_delay(req, exc, attempt)
                self._log(req, exc, attempt, started, retrying=delay is not None)
                if delay is None:
                    raise
                clock.sleep(delay)
                attempt += 1
                continue
            logger.debug(
                "tiktok %s %s outcome=ok request_id=%s attempt=%d ms=%d",
                req.method,
                req.path,
                request_id,
                attempt,
                (time.monotonic() - started) * 1000,
            )
            return data

    def _timeout(self, req: Request) -> float | tuple[float, float]:
        timeout = self.timeout or settings.TIKTOK_HTTP_TIMEOUT
        deadline = _deadline.get()
        if deadline is None:
            return timeout
        left = deadline - time.monotonic()
        if left <= 0.05:
            raise TikTokError("No time left to call TikTok in this request", code=TIMEOUT, path=req.path, sent=False)
        connect = min(CONNECT_TIMEOUT_SECONDS, left / 2, timeout)
        # requests' read timeout bounds each wait for bytes, so the read gets what is left.
        return connect, min(timeout, left - connect)

    def _attempt(self, req: Request) -> tuple[Any, str]:
        """One attempt, counted in the call counters: with the budget on, its grant counts
        it as a call in the budget's own round trip, and only an error is recorded after the
        answer (one round trip to Redis per call instead of two).

        The request is built before the budget grants its slot, so that nothing but the send
        stands between the grant and TikTok's count: on a busy CPU, building it after the grant
        (encoding, headers, the environment's proxy settings) let a call reach TikTok later than
        its grant by more than the jitter allowance."""
        budget = self.budget
        limits = ratelimit.limits_for()
        tally = callstats.grant_tally() if budget is not None else None
        # The Redis time of the grant that counted this attempt as a call (0: none), handed back
        # if the process sat on it.
        granted_at = 0
        try:
            prepared, options = self._prepare(req)
            while True:
                asked = 0.0
                if budget is not None:
                    given_up, granted_at = granted_at, 0
                    granted_at, asked = budget.acquire_to_send(
                        business_budget_key(),
                        limits,
                        background=ratelimit.in_background(),
                        path=req.path,
                        tally=tally,
                        given_up=given_up,
                    )
                timeout = self._timeout(req)
                # The last moment before sending: a grant this process sat on too long is given up.
                if budget is None or budget.fresh(asked):
                    break
            result = self._exchange(req, prepared, options, budget, limits, timeout)
        except TikTokError as exc:
            callstats.record(req.path, exc, counted_minute=self._counted_minute(tally, granted_at))
            raise
        callstats.record(req.path, None, counted_minute=self._counted_minute(tally, granted_at))
        return result

    @staticmethod
    def _counted_minute(tally: ratelimit.Tally | None, granted_at: int) -> int:
        """The minute in which the grant counted the attempt as a call, or 0 if none did."""
        return ratelimit.minute_of(granted_at) if tally is not None and granted_at else 0

    def _prepare(self, req: Request) -> tuple[requests.PreparedRequest, dict[str, Any]]:
        """The request as it goes on the wire, and the send options the environment gives it
        (what `Session.request` does before it sends)."""
        session = _session()
        try:
            prepared = session.prepare_request(
                requests.Request(
                    req.method,
                    req.url(),
                    params=encode_query(req.params) if req.params else None,
                    json=req.json,
                    headers=self._headers(req),
                )
            )
            options = dict(session.merge_environment_settings(prepared.url, {}, None, None, None))
        except requests.RequestException as exc:
            raise TikTokError(f"{type(exc).__name__} building the request", code=CONNECTION, path=req.path,
                              sent=False) from exc  # fmt: skip
        return prepared, options

    def _exchange(
        self,
        req: Request,
        prepared: requests.PreparedRequest,
        options: dict[str, Any],
        budget: RateBudget | None,
        limits: ratelimit.Limits,
        timeout: float | tuple[float, float],
    ) -> tuple[Any, str]:
        """Send one granted request and read TikTok's envelope."""
        try:
            resp = _session().send(prepared, timeout=timeout, **options)
        except requests.ConnectTimeout as exc:
            raise TikTokError("Connect timeout", code=TIMEOUT, path=req.path, sent=False) from exc
        except requests.Timeout as exc:
            raise TikTokError("Read timeout", code=TIMEOUT, path=req.path) from exc
        except requests.RequestException as exc:
            # Never str(exc): requests puts the full URL, query string included, in it.
            raise TikTokError(f"{type(exc).__name__} talking to TikTok", code=CONNECTION, path=req.path) from exc
        try:
            return parse_business(resp, req.path)
        except TikTokError as exc:
            if exc.code == ratelimit.THROTTLED:
                # TikTok names the window in the message and says how long to stay away;
                # with the shared budget every process stays away, not only this one.
                window = ratelimit.throttled_window(exc.message)
                if budget is None:
                    told = ratelimit.back_off_seconds(window)
                else:
                    told = budget.back_off(business_budget_key(), window, limits)
                exc.retry_after = max(exc.retry_after or 0.0, told)
            raise

    def _headers(self, req: Request) -> dict[str, str]:
        headers = dict(req.headers)
        if req.access_token:
            headers["Access-Token"] = req.access_token  # no "Bearer" on API for Business
        return headers

    def _retry_delay(self, req: Request, exc: TikTokError, attempt: int) -> float | None:
        """Seconds to wait before the next attempt, or None to give up and raise."""
        max_retries = settings.TIKTOK_MAX_RETRIES if self.max_retries is None else self.max_retries
        if exc.kind != Kind.TRANSIENT or attempt >= max_retries or _deadline.get() is not None:
            return None
        if exc.code == RATE_BUDGET:
            return None  # the budget already waited its bound; the caller reschedules
        if ratelimit.in_background() and (exc.code == ratelimit.THROTTLED or exc.http_status == 429):
            return None  # TikTok said how long to stay away: the task reschedules for that
        if not req.safe_to_resend and not exc.not_processed:
            return None
        base = settings.TIKTOK_RETRY_BASE_DELAY * (2**attempt)
        delay = max(exc.retry_after or 0.0, base / 2 + random.uniform(0, base / 2))
        if delay > settings.TIKTOK_RETRY_MAX_SLEEP:
            exc.retry_after = delay  # too long to block a worker: let the task reschedule
            return None
        return delay

    def _log(self, req: Request, exc: TikTokError, attempt: int, started: float, *, retrying: bool) -> None:
        level = logging.INFO if retrying else logging.WARNING
        logger.log(
            level,
            "tiktok %s %s outcome=%s kind=%s code=%s http=%s request_id=%s attempt=%d ms=%d msg=%s",
            req.method,
            req.path,
            "retry" if retrying else "error",
            exc.kind,
            exc.code,
            exc.http_status,
            exc.request_id,
            attempt,
            (time.monotonic() - started) * 1000,
            exc.message,
        )
