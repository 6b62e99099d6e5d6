"""OAuth semantics shared by the TikTok-account-holder (tt_user) flow and the advertiser
portal: single-use short-lived codes bound to a redirect URI, rotating refresh
tokens, revocation."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction

from tiktok_sandbox import clock, ids
from tiktok_sandbox.models import BusinessUser, OAuthCode, OAuthToken, TikTokUser

# The creator's (tt_user) code: 10 minutes, single use (TikTok's Accounts API authorization
# guide); the portal's auth_code: 1 hour, single use.
CODE_TTL = {"tt_user": timedelta(minutes=10), "portal": timedelta(hours=1)}
# tt_user: access 24 h, refresh 1 year, rotating. Clients must use each answer's expires_in, not these.
ACCESS_TTL = {"tt_user": timedelta(hours=24)}
REFRESH_TTL = {"tt_user": timedelta(days=365)}
# The integer permission ids an advertiser token reports in `scope`.
ADVERTISER_SCOPES = [1, 2, 3, 4, 5, 6, 7, 10, 11, 13, 14]


class OAuthFailure(Exception):
    """``error`` is the OAuth error string; ``code`` the API for Business code the
    tt_user endpoints answer with (TikTok's table: 40107 invalid refresh token, 40103 refresh
    token expired)."""

    def __init__(self, error: str, description: str, code: int | None = None) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.code = code


def code_kind_for(client_key: str) -> str | None:
    if client_key in settings.SANDBOX_APPS:
        return "tt_user"
    return None


def redirect_allowed(uri: str) -> bool:
    allowed = [u for u in getattr(settings, "SANDBOX_REDIRECT_URIS", []) if u]
    if allowed:
        return uri in allowed
    return uri.startswith(("http://", "https://")) and "#" not in uri


def issue_code(
    kind: str,
    client_key: str,
    redirect_uri: str,
    scope: str = "",
    tiktok_user: TikTokUser | None = None,
    business_user: BusinessUser | None = None,
) -> OAuthCode:
    return OAuthCode.objects.create(
        code=ids.token("code" if kind != "portal" else "auth"),
        kind=kind,
        client_key=client_key,
        redirect_uri=redirect_uri,
        scope=scope,
        tiktok_user=tiktok_user,
        business_user=business_user,
        expires_at=clock.now() + CODE_TTL[kind],
    )


def consume_code(code: str, kind: str, client_key: str, redirect_uri: str | None) -> OAuthCode:
    """Marks a code used exactly once; `redirect_uri=None` skips the check (portal codes)."""
    with transaction.atomic():
        row = OAuthCode.objects.filter(code=code, kind=kind).first()
        if row is None or row.client_key != client_key:
            raise OAuthFailure("invalid_grant", "Authorization code is invalid.")
        if row.used_at:
            raise OAuthFailure("invalid_grant", "Authorization code has been used.")
        if row.expires_at <= clock.now():
            raise OAuthFailure("invalid_grant", "Authorization code is expired.")
        if redirect_uri is not None and redirect_uri != row.redirect_uri:
            raise OAuthFailure("invalid_grant", "redirect_uri does not match the authorization request.")
        # Conditional update: two racing exchanges cannot both win.
        if not OAuthCode.objects.filter(pk=row.pk, used_at__isnull=True).update(used_at=clock.now()):
            raise OAuthFailure("invalid_grant", "Authorization code has been used.")
    return row


def issue_token(
    kind: str,
    client_key: str,
    scope: str,
    tiktok_user: TikTokUser | None = None,
    business_user: BusinessUser | None = None,
) -> OAuthToken:
    now = clock.now()
    refreshable = kind in REFRESH_TTL
    return OAuthToken.objects.create(
        kind=kind,
        client_key=client_key,
        access_token=ids.token("act"),
        refresh_token=ids.token("rft") if refreshable else None,
        scope=scope,
        tiktok_user=tiktok_user,
        business_user=business_user,
        access_expires_at=now + ACCESS_TTL[kind] if kind in ACCESS_TTL else None,
        refresh_expires_at=now + REFRESH_TTL[kind] if refreshable else None,
        created_at=now,
    )


def rotate(refresh_token: str, kind: str, client_key: str) -> OAuthToken:
    """Exchanges a refresh token for a new pair; the old refresh token is dead afterwards."""
    with transaction.atomic():
        old = OAuthToken.objects.filter(refresh_token=refresh_token, kind=kind).first()
        if old is None or old.client_key != client_key:
            raise OAuthFailure("invalid_grant", "Refresh token is invalid.", 40107)
        if old.revoked_at:
            raise OAuthFailure("invalid_grant", "Refresh token has been revoked.", 40107)
        if old.refresh_used_at:
            raise OAuthFailure("invalid_grant", "Refresh token has been used.", 40107)
        if old.refresh_expires_at and old.refresh_expires_at <= clock.now():
            raise OAuthFailure("invalid_grant", "Refresh token is expired.", 40103)
        if not OAuthToken.objects.filter(pk=old.pk, refresh_used_at__isnull=True).update(refresh_used_at=clock.now()):
            raise OAuthFailure("invalid_grant", "Refresh token has been used.", 40107)
        return issue_token(kind, client_key, old.scope, tiktok_user=old.tiktok_user, business_user=old.business_user)


def revoke_grant(token: OAuthToken) -> None:
    """Revokes every token of the same user and app: TikTok disconnects the app."""
    OAuthToken.objects.filter(
        kind=token.kind,
        client_key=token.client_key,
        tiktok_user=token.tiktok_user,
        business_user=token.business_user,
        revoked_at__isnull=True,
    ).update(revoked_at=clock.now())


def seconds_left(moment) -> int:
    return max(0, round((moment - clock.now()).total_seconds())) if moment else 0
