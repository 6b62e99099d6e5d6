"""Token refresh, in one place, under a row lock.

TikTok rotates refresh tokens: once a refresh token is used, it answers 40107 (invalid
refresh token). Two processes
refreshing the same grant at once would therefore lose it: the second sends a dead token and
the grant needs reconnecting. So every refresh goes through `refresh_credential`, which
locks the Credential row (``select_for_update`` inside ``transaction.atomic``), re-reads it,
and skips the refresh when another caller already did it while this one waited.

The row lock is held during the HTTP call (bounded by TIKTOK_HTTP_TIMEOUT and retries); that
is the point: the other callers must wait for the new token, not race for it.

No lock helps a process killed while its refresh is in flight: TikTok has spent the refresh
token it was sent, the answer dies unsaved with the process, and TikTok offers no way to read
the new one. The next refresh then gets 40107 and the creator is asked to reconnect.

This module is the one writer of a credential's tokens: `apply_grant` stores what TikTok
granted, `erase` forgets them when the grant is over.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from integrations.models import Credential

from . import clock
from .base import TokenGrant
from .client import BusinessClient
from .errors import Kind, TikTokError

logger = logging.getLogger("integrations.tiktok")
# OAuth errors that mean our app is misconfigured, not that the user's grant is gone.
_CONFIG_ERRORS = frozenset({"invalid_client", "unauthorized_client", "unsupported_grant_type"})


def client_for(credential: Credential) -> BusinessClient:
    """The client that speaks for this credential (an advertiser or a tt_user token)."""
    return BusinessClient(credential.access_token)


def _margin() -> timedelta:
    return timedelta(seconds=settings.TIKTOK_REFRESH_MARGIN_SECONDS)


def apply_grant(credential: Credential, grant: TokenGrant) -> Credential:
    """Store a token response on the credential (after a code exchange or a refresh). Expiries
    and the refresh's deadline are on TikTok's clock (they are TikTok's windows); when the grant
    was stored is a record on real time."""
    now = timezone.now()
    tiktok_now = clock.now()
    credential.access_token = grant.access_token
    if grant.refresh_token:  # rotation: always keep the newest
        credential.refresh_token = grant.refresh_token
    credential.access_expires_at = grant.access_expires_at(tiktok_now)
    credential.refresh_expires_at = grant.refresh_expires_at(tiktok_now) or credential.refresh_expires_at
    credential.scopes = grant.scope or credential.scopes
    credential.open_id = grant.open_id or credential.open_id
    if grant.advertiser_ids:
        credential.advertiser_ids = grant.advertiser_ids
    credential.refresh_due_at = _refresh_due_at(tiktok_now, grant.expires_in)
    credential.status = Credential.Status.OK
    credential.last_refreshed_at = now
    credential.last_error = ""
    credential.save()
    return credential


def erase(credential_id: int, *, status: str, reason: str) -> None:
    """The grant is over (disconnected, or TikTok no longer honours it): forget both tokens and
    stop refreshing. The row stays, with the status and why, for its history and a reconnect."""
    Credential.objects.filter(pk=credential_id).update(
        status=status,
        access_token="",
        refresh_token="",
        refresh_due_at=None,
        last_error=reason[:2000],
        last_error_at=timezone.now(),
    )


def _refresh_due_at(tiktok_now: datetime, expires_in: int | None) -> datetime | None:
    if expires_in is None:
        return None  # long-term API for Business tokens are never refreshed
    lead = min(settings.TIKTOK_REFRESH_MARGIN_SECONDS, expires_in // 2)
    return tiktok_now + timedelta(seconds=expires_in - lead)


def _request_refresh(credential: Credential) -> TokenGrant:
    return BusinessClient().tt_user_oauth2_refresh_token(credential.refresh_token)


def _record_failure(credential: Credential, exc: TikTokError) -> None:
    if exc.kind == Kind.TRANSIENT or exc.code in _CONFIG_ERRORS:
        credential.record_error(f"Refresh failed: {exc}")
    else:
        # Rejected refresh token (40107 invalid, 40103 expired): only the user can fix it.
        credential.mark_needs_reconnect(f"Refresh rejected: {exc}")
    logger.warning(
        "tiktok refresh credential=%s outcome=%s code=%s request_id=%s",
        credential.pk,
        credential.status,
        exc.code,
        exc.request_id,
    )


def _refresh_needed(
    cred: Credential, started: datetime, stale_access_token: str | None, only_if_expiring: bool
) -> bool:
    if cred.last_refreshed_at and cred.last_refreshed_at >= started:
        return False  # another caller refreshed while we waited for the lock
    if stale_access_token is not None and cred.access_token != stale_access_token:
        return False  # the token we saw fail has already been replaced
    return not (only_if_expiring and not cred.access_expires_soon(_margin()))


def refresh_credential(
    credential_id: int, *, stale_access_token: str | None = None, only_if_expiring: bool = False
) -> Credential:
    """Refresh a tt_user grant at most once among concurrent callers.

    Returns the credential holding the newest token. Raises TikTokError: transient (try
    later; the grant is intact) or auth/permanent (the credential is now needs_reconnect).
    """
    started = timezone.now()
    failure: TikTokError | None = None
    with transaction.atomic():
        cred = Credential.objects.select_for_update().get(pk=credential_id)
        if cred.kind == Credential.Kind.BUSINESS or not _refresh_needed(
            cred, started, stale_access_token, only_if_expiring
        ):
            return cred
        if cred.status != Credential.Status.OK or not cred.refresh_token:
            raise TikTokError(
                "Credential cannot be refreshed; reconnect needed", kind=Kind.AUTH, code="needs_reconnect", sent=False
            )
        try:
            grant = _request_refresh(cred)
        except TikTokError as exc:
            failure = exc
            _record_failure(cred, exc)  # saved inside the transaction, so raise after it commits
        else:
            apply_grant(cred, grant)
            logger.info("tiktok refresh credential=%s outcome=ok", cred.pk)
    if failure is not None:
        raise failure
    return cred


def ensure_fresh(credential_id: int) -> Credential:
    """The credential, refreshed first if its access token expires within the margin."""
    cred = Credential.objects.get(pk=credential_id)
    if cred.kind == Credential.Kind.BUSINESS or not cred.access_expires_soon(_margin()):
        return cred
    return refresh_credential(credential_id, only_if_expiring=True)


def call_with_credential[T](
    credential_id: int | None, call: Callable[[BusinessClient], T], *, credential: Credential | None = None
) -> T:
    """Run ``call(client)`` with the credential's token.

    An "expired" auth error (40102) triggers one refresh and one retry; an error that means
    the grant is gone (40105, 40107, ...) marks the credential needs_reconnect.
    An account with no credential at all (``credential_id`` None) needs connecting too.
    A caller that keeps the credential loaded passes it as ``credential``: it is used as it is
    unless its token is about to expire (then read and refreshed as usual).
    """
    if credential_id is None:
        raise TikTokError(
            "No credential: connect the account first", kind=Kind.AUTH, code="needs_reconnect", sent=False
        )
    fresh = credential is not None and (
        credential.kind == Credential.Kind.BUSINESS or not credential.access_expires_soon(_margin())
    )
    cred = credential if credential is not None and fresh else ensure_fresh(credential_id)
    if cred.status != Credential.Status.OK or not cred.access_token:
        raise TikTokError("Credential needs reconnecting", kind=Kind.AUTH, code="needs_reconnect", sent=False)
    try:
        return call(client_for(cred))
    except TikTokError as exc:
        if exc.is_expired and cred.refresh_token:
            cred = refresh_credential(credential_id, stale_access_token=cred.access_token)
            return _call_once_more(cred, call)
        if exc.needs_reconnect:
            cred.mark_needs_reconnect(f"TikTok rejected the token: {exc}")
        raise


def _call_once_more[T](cred: Credential, call: Callable[[BusinessClient], T]) -> T:
    try:
        return call(client_for(cred))
    except TikTokError as exc:
        if exc.kind == Kind.AUTH:
            cred.mark_needs_reconnect(f"TikTok rejected the refreshed token: {exc}")
        raise
