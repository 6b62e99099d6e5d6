"""The one error type of the TikTok client and the one table that classifies outcomes.

Every failure a TikTok call can have (an envelope error code, an HTTP status, a network
fault, a body that is not JSON) becomes a `TikTokError` whose `kind` says what the caller
should do:

- ``transient``: try again later (the transport already retried with backoff);
- ``auth``: the token is the problem; ``expired`` means refresh once and retry, otherwise
  the grant is gone and the credential needs reconnecting;
- ``permanent``: the request is wrong for TikTok; record it, do not retry.

Codes: https://business-api.tiktok.com/portal/docs?id=1737172488964097 (API for Business),
https://developers.tiktok.com/doc/tiktok-api-v2-error-handling (Login Kit v2),
https://developers.tiktok.com/doc/oauth-error-handling (OAuth).
"""

from __future__ import annotations

from enum import StrEnum


class Kind(StrEnum):
    TRANSIENT = "transient"
    AUTH = "auth"
    PERMANENT = "permanent"


# Business API codes that mean "the request was not served, try again": 40100 is the QPS
# limit, 402xx task/conflict states, 40700 and 500xx TikTok-side failures (the same list
# singer-io/tap-tiktok-ads retries on).
TRANSIENT_CODES: frozenset[int | str] = frozenset(
    {
        40100,
        40200,
        40201,
        40202,
        40700,
        50000,
        50002,
        # Login Kit v2 (HTTP 429 / 500) and OAuth error strings.
        "rate_limit_exceeded",
        "internal_error",
        "server_error",
        "temporarily_unavailable",
    }
)
# The access token expired: one refresh under the row lock, then one retry.
EXPIRED_CODES: frozenset[int | str] = frozenset({40102, "access_token_expired"})
# The grant is gone (revoked, invalid, refresh token rejected): the user must reconnect.
RECONNECT_CODES: frozenset[int | str] = frozenset({40105, "access_token_invalid", "invalid_grant"})
# Codes that say TikTok rejected the request before acting on it, so even a write can be
# resent safely.
NOT_PROCESSED_CODES: frozenset[int | str] = frozenset({40100, "rate_limit_exceeded"})

# Synthetic codes for outcomes that carry no TikTok code.
TIMEOUT = "timeout"
CONNECTION = "connection_error"
MALFORMED = "malformed_json"
RATE_BUDGET = "local_rate_budget"


def classify(code: int | str | None, http_status: int | None = None) -> Kind:
    """The single classification table: envelope code first, then the HTTP status."""
    if code in TRANSIENT_CODES or code in (TIMEOUT, CONNECTION, MALFORMED, RATE_BUDGET):
        return Kind.TRANSIENT
    if code in EXPIRED_CODES or code in RECONNECT_CODES:
        return Kind.AUTH
    if http_status is not None and (http_status == 429 or http_status >= 500):
        # Unknown (or no) code on a 429/5xx is still TikTok being unavailable.
        return Kind.TRANSIENT
    return Kind.PERMANENT


class TikTokError(Exception):
    """Any failed TikTok call. Never carries a token, secret or authorization code."""

    def __init__(
        self,
        message: str,
        *,
        kind: Kind | str | None = None,
        code: int | str | None = None,
        request_id: str = "",
        retry_after: float | None = None,
        http_status: int | None = None,
        path: str = "",
        sent: bool = True,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.http_status = http_status
        self.kind = Kind(kind) if kind else classify(code, http_status)
        # Business API calls it request_id, Login Kit calls it log_id; one attribute.
        self.request_id = request_id
        self.retry_after = retry_after
        self.path = path
        # False when the request never left this process (rate budget): safe to resend.
        self.sent = sent

    @property
    def log_id(self) -> str:
        return self.request_id

    @property
    def is_transient(self) -> bool:
        return self.kind == Kind.TRANSIENT

    @property
    def is_expired(self) -> bool:
        """Auth error that a refresh can fix."""
        return self.kind == Kind.AUTH and self.code in EXPIRED_CODES

    @property
    def needs_reconnect(self) -> bool:
        """Auth error that only the user can fix by authorizing again."""
        return self.kind == Kind.AUTH and not self.is_expired

    @property
    def not_processed(self) -> bool:
        """TikTok certainly did not act on the request (throttled, or never sent)."""
        return not self.sent or self.code in NOT_PROCESSED_CODES or self.http_status == 429

    def __str__(self) -> str:
        ident = f" request_id={self.request_id}" if self.request_id else ""
        return f"{self.message} [{self.kind} code={self.code} path={self.path}{ident}]"

    def __repr__(self) -> str:
        return f"TikTokError({self.message!r}, kind={self.kind!s}, code={self.code!r}, request_id={self.request_id!r})"
