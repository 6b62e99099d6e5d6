"""The one error type of the TikTok client and the one table that classifies outcomes.

Every failure a TikTok call can have (an envelope error code, an HTTP status, a network
fault, a body that is not JSON) becomes a `TikTokError` whose `kind` says what the caller
should do:

- ``transient``: try again later (the transport already retried with backoff);
- ``auth``: the token is the problem; ``expired`` means refresh once and retry, otherwise
  the grant is gone and the credential needs reconnecting;
- ``permanent``: the request is wrong for TikTok; record it, do not retry.

Codes: TikTok's table (the official SDK's ``tiktok_business/tiktok_code.py``;
https://business-api.tiktok.com/portal/docs?id=1737172488964097); API for Business answers
its OAuth calls (advertiser and tt_user grants) in the same envelope, with the same codes.
"""

from __future__ import annotations

from enum import StrEnum


class Kind(StrEnum):
    TRANSIENT = "transient"
    AUTH = "auth"
    PERMANENT = "permanent"


# API for Business codes by name, as TikTok's code table has them.
INVALID_PARAMS = 40000
PERMISSION_ERROR = 40001
PARAM_ERROR = 40002
NOT_EXIST = 40007
REQUEST_TOO_FREQUENT = 40100
ACCESS_TOKEN_EXPIRED = 40102
REFRESH_TOKEN_EXPIRED = 40103
EMPTY_ACCESS_TOKEN = 40104
INVALID_ACCESS_TOKEN = 40105
INVALID_REFRESH_TOKEN = 40107
AUTH_CODE_ERROR = 40110
NOT_A_TCM_CREATOR = 40121
TCM_CREATOR_INVALID_COUNTRY = 40122
SCOPE_NOT_AUTHORIZED = 40130
REQUEST_FREQUENCY_LIMITED = 40132
ROUTE_NOT_FOUND = 40400
INTERFACE_OFFLINE = 41001
FIELDS_OFFLINE = 41002

# Business API codes that mean "the request was not served, try again": 40100 is the QPS
# limit and 40132 a per-action frequency limit, 402xx task/conflict states, 40700 and 500xx
# TikTok-side failures (the same list singer-io/tap-tiktok-ads retries on).
TRANSIENT_CODES: frozenset[int] = frozenset(
    {
        REQUEST_TOO_FREQUENT,
        REQUEST_FREQUENCY_LIMITED,
        40200,
        40201,
        40202,
        40700,
        50000,
        50002,
    }
)
# The access token expired: one refresh under the row lock, then one retry.
EXPIRED_CODES: frozenset[int] = frozenset({ACCESS_TOKEN_EXPIRED})
# The grant is gone (no token, revoked or invalid token, refresh token expired or rejected):
# the user must reconnect.
RECONNECT_CODES: frozenset[int] = frozenset(
    {
        EMPTY_ACCESS_TOKEN,
        INVALID_ACCESS_TOKEN,
        REFRESH_TOKEN_EXPIRED,
        INVALID_REFRESH_TOKEN,
    }
)
# Codes that say TikTok rejected the request before acting on it, so even a write can be
# resent safely.
NOT_PROCESSED_CODES: frozenset[int] = frozenset({REQUEST_TOO_FREQUENT, REQUEST_FREQUENCY_LIMITED})

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
        self.request_id = request_id
        self.retry_after = retry_after
        self.path = path
        # False when the request never left this process (rate budget): safe to resend.
        self.sent = sent

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

    @property
    def is_permission_error(self) -> bool:
        """40001: the token may not act on this object (TikTok also says so for an id that
        does not exist or was deleted, so the message tells which)."""
        return self.code == PERMISSION_ERROR

    @property
    def is_campaign_gone(self) -> bool:
        """A TikTok One campaign that no longer exists on TikTok's side (deleted there): TikTok
        answers 40001 (or 40007 not exist) naming the campaign. Other 40001s (a bad account
        id, no permission) must not end a campaign."""
        return self.code in (PERMISSION_ERROR, NOT_EXIST) and "campaign" in self.message.lower()

    @property
    def is_param_error(self) -> bool:
        """40000 / 40002: a parameter is missing or has a value TikTok does not take."""
        return self.code in (INVALID_PARAMS, PARAM_ERROR)

    @property
    def is_auth_code_error(self) -> bool:
        """40110: an authorization code that is unknown, expired or already used."""
        return self.code == AUTH_CODE_ERROR

    @property
    def is_not_tcm_creator(self) -> bool:
        """40121 / 40122: the creator is not in the Creator Marketplace (or not in a
        Marketplace country), so TikTok One creator calls refuse them."""
        return self.code in (NOT_A_TCM_CREATOR, TCM_CREATOR_INVALID_COUNTRY)

    @property
    def is_scope_missing(self) -> bool:
        """40130: the user did not grant the scope this call needs; authorizing again with it fixes it."""
        return self.code in (SCOPE_NOT_AUTHORIZED, "scope_not_authorized", "scope_permission_missed")

    @property
    def is_interface_offline(self) -> bool:
        """41001 / 41002: TikTok took the endpoint (or the fields asked for) offline."""
        return self.code in (INTERFACE_OFFLINE, FIELDS_OFFLINE)

    @property
    def is_endpoint_gone(self) -> bool:
        """TikTok no longer serves the endpoint: interface offline (41001/41002), route not
        found (40400, TikTok's code table), or an HTTP 404 page (what a summary of TikTok's
        errors says an unknown path answers). The sources disagree, so each counts."""
        return self.is_interface_offline or self.code == ROUTE_NOT_FOUND or self.http_status == 404

    def __str__(self) -> str:
        ident = f" request_id={self.request_id}" if self.request_id else ""
        return f"{self.message} [{self.kind} code={self.code} path={self.path}{ident}]"

    def __repr__(self) -> str:
        return f"TikTokError({self.message!r}, kind={self.kind!s}, code={self.code!r}, request_id={self.request_id!r})"
