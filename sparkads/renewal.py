"""Renewing an authorization through the path its code came by.

A code the creator approved here is extended at once with their own token
(`business/post/authorize/`, which answers the new window); a requested code is extended by a
new request with `action=EXTEND` that the creator approves in TikTok's notifications (pending
until ledger.refresh_from_tiktok sees the longer window); a pasted code cannot be extended by
the brand, only replaced by a new code the creator makes.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from integrations.errors import FlowError, message_for
from integrations.tiktok import TikTokError
from integrations.tiktok.tokens import call_with_credential

from . import flows, ledger
from .models import AUTHORIZATION_DAYS, AuditEvent, SparkAuthorization

Source = SparkAuthorization.Source
# An extension asked for is in the creator's TikTok notifications; asking again sooner than
# this only repeats the notification (a double submit is the usual cause).
EXTENSION_WAIT = timedelta(days=1)


def extend(auth: SparkAuthorization, user: Any, days: int) -> str:
    """Renew `auth` by `days`; returns what the brand should be told."""
    if auth.source == Source.PASTED:
        raise FlowError(
            f"Video {auth.video_id}'s code was pasted, so it cannot be extended from here: ask "
            f"@{auth.handle} for a new code (TikTok: the post's Ad settings) and paste it."
        )
    if auth.source == Source.CREATOR:
        return _extend_creator_code(auth, user, days)
    _extend_requested_code(auth, user, days)
    return "Extension requested: the creator answers in TikTok's notifications. It shows as pending until then."


def _extend_creator_code(auth: SparkAuthorization, user: Any, days: int) -> str:
    if days not in AUTHORIZATION_DAYS:
        raise FlowError("Pick 7, 30, 60 or 365 days.")
    if not auth.claim_write("extend"):
        raise FlowError(f"Already requested: the extension of video {auth.video_id} is being sent to TikTok.")
    auth.refresh_from_db()
    account = auth.tiktok_account
    try:
        if not auth.can_extend:
            raise FlowError("Only an active authorization can be extended.")
        if account is None or not account.open_id or account.credential_id is None:
            raise FlowError(
                f"@{auth.handle} is no longer connected here, so the code cannot be extended: "
                "ask them to reconnect TikTok, or to extend it in TikTok."
            )
        data = call_with_credential(
            account.credential_id,
            lambda c: c.business_post_authorize(account.open_id, auth.item_id or auth.video_id, days),
        )
    except TikTokError as exc:
        message = message_for(exc) if exc.is_transient else f"TikTok refused the extension: {exc.message}"
        auth.release_write(message)
        raise FlowError(message) from exc
    except FlowError:
        auth.release_write()
        raise
    auth.release_write("")
    audit_extended(auth, user, days)
    new_end = flows.parse_tiktok_time(data.get("auth_code_end_time"))
    if new_end is None or (auth.auth_end and new_end <= auth.auth_end):
        return f"Extension sent; TikTok has not shown the new end date yet for video {auth.video_id}."
    ledger.renewed(auth, new_end)
    return f"Extended: video {auth.video_id} can run as a Spark Ad until {new_end:%Y-%m-%d}."


def audit_extended(auth: SparkAuthorization, user: Any, days: int) -> None:
    auth.audit(
        AuditEvent.Kind.EXTENDED,
        f"Extended video {auth.video_id} by {days} days with @{auth.handle}'s authorization",
        actor=user,
    )


def _extend_requested_code(auth: SparkAuthorization, user: Any, days: int) -> None:
    """Ask the creator for more time before the authorization lapses (`action=EXTEND`)."""
    if days not in AUTHORIZATION_DAYS:
        raise FlowError("Pick 7, 30, 60 or 365 days.")
    tto = flows.enabled_capability(auth.brand).tiktok_one_account
    if not auth.claim_write("extend"):
        raise FlowError(f"Already requested: the extension of video {auth.video_id} is being sent to TikTok.")
    auth.refresh_from_db()
    try:
        if not auth.can_extend:
            raise FlowError("Only an active authorization of a campaign post can be extended.")
        asked = auth.extension_requested_at
        if asked is not None and asked > timezone.now() - EXTENSION_WAIT:
            raise FlowError(
                f"Already requested: an extension was asked for on {timezone.localtime(asked):%Y-%m-%d %H:%M}; "
                "the creator answers in TikTok's notifications."
            )
        assert tto is not None  # an enabled capability names its TikTok One account
        call_with_credential(
            tto.credential_id,
            lambda c: c.tcm_tt_video_apply(auth.video_id, tto.tto_tcm_account_id, days, extend=True),
        )
    except TikTokError as exc:
        auth.release_write(flows.apply_error(exc))
        raise FlowError(flows.apply_error(exc)) from exc
    except FlowError:
        auth.release_write()
        raise
    now = timezone.now()
    SparkAuthorization.objects.filter(pk=auth.pk).update(
        extension_requested_at=now, next_poll_at=now + flows.REQUEST_POLL_EVERY, pending_write="", pending_since=None
    )
    auth.audit(
        AuditEvent.Kind.EXTENDED,
        f"Asked @{auth.handle} to extend video {auth.video_id} by {days} days",
        actor=user,
    )
