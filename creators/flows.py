"""Creator accounts: authorize TikTok, disconnect, and TikTok's own revocation.

Views and tasks call these; each step talks to TikTok only through integrations.tiktok and
records what happened on the rows, so a retried task or a second caller finds the work done.
The Marketplace onboarding lives in marketplace.py, campaigns and posts in collaborations.py.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from integrations.errors import FlowError, message_for
from integrations.models import Credential, TikTokAccount
from integrations.previews import VIDEO_LIST_SCOPE
from integrations.tiktok import BusinessClient, Kind, TikTokError, tokens
from integrations.tiktok.spark import SPARK_AUTH_SCOPE

from .marketplace import State, restart_onboarding, transition
from .models import CreatorProfile, MarketplaceOnboarding
from .notify import notify

# biz.spark.auth lets the creator approve a brand's Spark Ads request here in one click
# (business/post/authorize/*); it cannot post or change the profile.
SCOPES = ["user.info.basic", "user.info.profile", "user.info.stats", "video.list", SPARK_AUTH_SCOPE]
# TikTok's consent screen lets a creator untick any scope but user.info.basic, and the token's
# granted `scope` then lacks it. What stops working here without each one a creator is told
# about (biz.spark.auth has its own note on the account card): (consent-screen line, what).
UNTICKED = {
    "user.info.stats": (
        "Read your stats",
        "TikTok shares your follower, like and video counts only with it: your account shows “?” for them, "
        "and the Creator Marketplace's 10,000-follower check cannot be read here",
    ),
    VIDEO_LIST_SCOPE: (
        "Read your public videos",
        "your campaign posts' captions and covers are read from your video list: without it, you and your "
        "brands see those posts by their ids only",
    ),
}
SESSION_STATE_KEY = "creators_tiktok_oauth_state"
logger = logging.getLogger("creators.flows")


# --- Authorize TikTok ---------------------------------------------------------------------


def redirect_uri() -> str:
    # Static: TikTok only accepts the exact registered URI, without a query string.
    return settings.SITE_URL + reverse("creators:callback")


def ensure_profile(user: Any) -> CreatorProfile:
    profile, _ = CreatorProfile.objects.get_or_create(user=user, defaults={"display_name": user.get_full_name()})
    return profile


def start_authorization(request: HttpRequest, *, another_account: bool = False) -> str:
    """The TikTok consent URL, with a fresh single-use state bound to this session.

    ``another_account`` asks TikTok to show its consent screen even to a creator already
    signed in there (``disable_auto_auth=1``), so they can switch to another TikTok account."""
    ensure_profile(request.user)
    state = secrets.token_urlsafe(32)
    request.session[SESSION_STATE_KEY] = state
    return BusinessClient.tt_user_authorize_url(state, redirect_uri(), SCOPES, disable_auto_auth=another_account)


def unticked(credential: Credential | None) -> list[tuple[str, str]]:
    """What the creator left unticked on TikTok's consent screen of what we asked, and what will
    not work without it; nothing for a grant that is not working at all (that has its own note)."""
    if credential is None or credential.status != Credential.Status.OK:
        return []
    return [what for scope, what in UNTICKED.items() if not credential.has_scope(scope)]


def check_state(request: HttpRequest, state: str) -> None:
    """Pop the session's state (single use) and require it to match."""
    expected = request.session.pop(SESSION_STATE_KEY, None)
    if not expected or not state or not secrets.compare_digest(expected, state):
        raise FlowError(
            "This TikTok authorization link was already used or did not start here. Click Authorize TikTok again."
        )


def _account_type(value: str) -> str:
    value = (value or "").lower()
    return value if value in TikTokAccount.AccountType.values else ""


def _apply_profile(account: TikTokAccount, profile: Mapping[str, Any]) -> None:
    account.handle = profile.get("handle_name") or profile.get("username") or account.handle
    account.display_name = profile.get("display_name") or account.display_name
    account.avatar_url = profile.get("profile_image") or profile.get("avatar_url") or account.avatar_url
    account.follower_count = profile.get("followers_count", profile.get("follower_count"))
    account.following_count = profile.get("following_count")
    account.likes_count = profile.get("likes_count")
    account.video_count = profile.get("videos_count", profile.get("video_count"))
    account.is_verified = bool(profile.get("is_verified", account.is_verified))
    account.account_type = _account_type(profile.get("account_type", "")) or account.account_type
    account.stats_updated_at = timezone.now()


def complete_authorization(user: Any, code: str) -> TikTokAccount:
    """Exchange the code, read the creator's profile, store account + encrypted credential.

    Raises FlowError with nothing stored; ``retryable`` when TikTok did not answer the code
    exchange itself, so the same code may be exchanged again (integrations.connect.oauth_retry)."""
    client = BusinessClient()
    try:
        grant = client.tt_user_oauth2_token(code, redirect_uri())
    except TikTokError as exc:
        if exc.kind == Kind.TRANSIENT:
            raise FlowError(
                "TikTok is not answering right now (it may be down), so nothing was connected yet. "
                "Try again in a minute.",
                retryable=True,
            ) from exc
        raise FlowError(
            "TikTok did not accept this authorization: it expired or was already used. "
            "Click Authorize TikTok to start again."
        ) from exc
    try:
        creator_id = str(client.tt_user_token_info_get(grant.access_token).get("creator_id") or "")
        profile = BusinessClient(grant.access_token).tto_creator_authorized(creator_id)
    except TikTokError as exc:
        _revoke_quietly(grant.access_token)  # the code is spent: leave no unused grant behind
        if exc.kind == Kind.TRANSIENT:
            raise FlowError(
                "TikTok stopped answering while we read your profile (it may be down), so nothing was "
                "connected. Click Authorize TikTok again in a few minutes."
            ) from exc
        raise FlowError(f"{message_for(exc)} Nothing was connected; click Authorize TikTok to start again.") from exc
    open_id = grant.open_id or f"creator-{creator_id}"
    with transaction.atomic():
        account = TikTokAccount.objects.select_for_update().filter(open_id=open_id).first()
        if account is None:
            handle = profile.get("handle_name") or ""
            account = TikTokAccount.objects.select_for_update().filter(handle=handle).first()
        if account is not None and account.owner_id not in (None, user.pk):
            raise FlowError(
                f"@{account.handle} is already connected to another creator on this platform. "
                "If it is yours, ask that creator to disconnect it, or contact support."
            )
        account = account or TikTokAccount(open_id=open_id)
        account.open_id, account.creator_id, account.owner = open_id, creator_id, user
        _apply_profile(account, profile)
        credential = account.credential or Credential(kind=Credential.Kind.TT_USER)
        credential.user, credential.open_id = user, open_id
        tokens.apply_grant(credential, grant)
        account.credential = credential
        account.save()
        # Due now: the Marketplace dispatcher (every few seconds) polls it next.
        restart_onboarding(account)
    return account


def _revoke_quietly(access_token: str) -> None:
    try:
        BusinessClient().tt_user_oauth2_revoke(access_token)
    except TikTokError as exc:
        logger.warning("could not revoke an unused creator token code=%s request_id=%s", exc.code, exc.request_id)


# --- Disconnect, revoke, webhooks -----------------------------------------------------------


def mark_disconnected(account: TikTokAccount, reason: str, *, revoked: bool = True) -> None:
    """TikTok no longer honours the grant: keep the account, drop the tokens, ask to reconnect."""
    with transaction.atomic():
        if account.credential_id:
            status = Credential.Status.REVOKED if revoked else Credential.Status.NEEDS_RECONNECT
            tokens.erase(account.credential_id, status=status, reason=reason)
        onboarding = MarketplaceOnboarding.objects.filter(tiktok_account=account).first()
        if onboarding is not None and onboarding.state != State.DISCONNECTED:
            transition(
                onboarding, State.DISCONNECTED, f"{reason} Authorize TikTok again to continue.", next_poll_at=None
            )
        elif onboarding is None:
            notify(account, f"{reason} Authorize TikTok again to continue.")


def disconnect(account: TikTokAccount) -> str:
    """The creator's Disconnect: revoke at TikTok, then forget the tokens. Returns what to
    tell the creator.

    The revoke goes through `call_with_credential` like every other call: an expired access
    token (40102) is refreshed once and the revoke sent again. When TikTok no longer holds
    the grant (refresh token expired or rejected, token revoked), there is nothing left to
    revoke there: the account is disconnected here all the same, and the creator is told so.
    """
    credential = account.credential
    if credential is not None and credential.access_token and credential.status == Credential.Status.OK:
        try:
            tokens.call_with_credential(credential.pk, lambda c: c.tt_user_oauth2_revoke(c.access_token or ""))
        except TikTokError as exc:
            if not exc.needs_reconnect:
                raise FlowError(f"{message_for(exc)} Your account is still connected.", retryable=True) from exc
            mark_disconnected(account, "You disconnected TikTok.")
            return (
                f"TikTok had already ended this platform's access to @{account.handle}, so there was nothing left "
                "to revoke there. It is disconnected here and its tokens are deleted."
            )
    mark_disconnected(account, "You disconnected TikTok.")
    return f"@{account.handle} is disconnected; its tokens are revoked and deleted."


def handle_authorization_removed(open_id: str) -> bool:
    """`authorization.removed`: TikTok already revoked the token on arrival."""
    account = TikTokAccount.objects.select_related("credential", "owner").filter(open_id=open_id).first()
    if account is None or account.credential is None or account.credential.status == Credential.Status.REVOKED:
        return False
    mark_disconnected(account, "TikTok removed this platform's access to your account.")
    return True
