"""The creator's side of Spark Ads on this platform: approve a brand's request in one click,
see every authorization given, and revoke one.

Approve: with the creator's own TikTok token (scope ``biz.spark.auth``),
`business/post/authorize/setting/` turns on ad authorization for the post and answers its
code; the code goes straight into the brand's ledger row (source CREATOR, encrypted, keyed
hash), and the apply task releases it to the brand's active Spark ad account once the click
commits: the same apply step every code takes (`flows.apply_approved`), so the creator waits
on one TikTok call. The row is claimed first (`claim_write`), so a double click or a second
tab sends one setting call.

Revoke: a code made here is deleted on TikTok (`business/post/authorize/delete/`). A code the
creator made in the TikTok app or approved in TikTok's notifications is turned off there: the
page says how. Either way the brand's managers are emailed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from integrations import mail
from integrations.errors import FlowError, message_for
from integrations.models import CampaignPost, TikTokAccount
from integrations.polling import enqueue_on_commit
from integrations.tiktok import TikTokError
from integrations.tiktok.spark import SPARK_AUTH_SCOPE
from integrations.tiktok.tokens import call_with_credential

from . import flows
from .ledger import CODE_DELETED
from .models import AuditEvent, SparkAuthorization
from .tasks import apply_spark_authorization

Status = SparkAuthorization.Status
Source = SparkAuthorization.Source
SCOPE_MISSING = (
    "To approve here, allow this platform to manage your posts' ad authorization: click "
    "“Authorize TikTok again” on Social Accounts and keep “Spark Ads codes” ticked. "
    "Until then, approve in the TikTok app (Inbox › notifications) or paste a code below."
)
# Revoking one of these is possible; an ended or refused row has nothing left to revoke.
REVOCABLE = (Status.APPROVED, Status.ACTIVE, Status.EXPIRING)


def has_spark_scope(account: TikTokAccount | None) -> bool:
    """Whether the account's TikTok grant lets this platform make post codes."""
    return bool(account and account.credential and account.credential.has_scope(SPARK_AUTH_SCOPE))


def _owned(user: Any) -> Q:
    return Q(tiktok_account__owner=user) | Q(post__tiktok_account__owner=user)


def own_posts(user: Any, search: str = "") -> QuerySet[CampaignPost]:
    """The creator's campaign posts a code made in the TikTok app can be pasted for, newest
    first; with `search`, those whose caption, campaign or brand names it, or whose id it is."""
    posts = (
        CampaignPost.objects.filter(tiktok_account__owner=user)
        .select_related("campaign__brand", "tiktok_account__credential")
        .order_by("-pk")
    )
    if search:
        posts = posts.filter(
            Q(caption__icontains=search)
            | Q(campaign__name__icontains=search)
            | Q(campaign__brand__name__icontains=search)
            | Q(video_id=search)
        )
    return posts


def waiting_requests(user: Any) -> QuerySet[SparkAuthorization]:
    """Brands' requests for this creator's posts that TikTok has and nobody answered yet."""
    return (
        SparkAuthorization.objects.filter(_owned(user), status=Status.REQUESTED)
        .exclude(pending_write="request")
        .select_related("brand", "post__campaign", "post__tiktok_account__credential")
        .order_by("requested_at", "pk")
    )


def given(user: Any) -> QuerySet[SparkAuthorization]:
    """Every authorization this creator gave, to any brand, newest first."""
    return (
        SparkAuthorization.objects.filter(_owned(user))
        .exclude(status__in=[Status.REQUESTED, Status.FAILED, Status.REJECTED])
        .select_related(
            "brand",
            "post__campaign",
            "post__tiktok_account__credential",
            "tiktok_account",
            "ad_account",
            "auto_renewal",
        )
        .order_by("-decided_at", "-pk")
    )


def _account(auth: SparkAuthorization) -> TikTokAccount:
    account = auth.creator_account
    if account is None:
        raise FlowError("This authorization is not tied to one of your TikTok accounts.")
    return account


# --- approve in one click -----------------------------------------------------------------------


def approve(auth: SparkAuthorization, user: Any) -> SparkAuthorization:
    """Make the post's code with the creator's token and hand it to the brand: one TikTok
    write (`business/post/authorize/setting/`) per click, whatever the double clicks. The
    code is applied to the brand's ad account by the apply task once this commits."""
    account = _account(auth)
    if not has_spark_scope(account):
        raise FlowError(SCOPE_MISSING)
    if not flows.capability_for(auth.brand).enabled:
        # The window would start now while the brand cannot use it: make no code yet.
        raise FlowError(
            f"{auth.brand} can't receive Spark Ads codes right now, so nothing was approved. "
            "The request stays here; approve it once they have fixed their ad account."
        )
    if not auth.claim_write("approve"):
        raise FlowError(f"Already approving {auth.post_name}: your answer is being sent to TikTok right now.")
    auth.refresh_from_db()
    if auth.status != Status.REQUESTED:
        auth.release_write()
        raise FlowError(f"Already answered: this request is {auth.get_status_display().lower()}.")
    days = auth.authorization_days
    try:
        data = call_with_credential(
            account.credential_id,
            lambda c: c.business_post_authorize_setting(account.open_id, auth.video_id, authorization_days=days),
        )
    except TikTokError as exc:
        message = _setting_error(exc)
        auth.release_write(message)
        raise FlowError(message) from exc
    code = str(data.get("auth_code") or "").strip()
    if not code:
        auth.release_write("TikTok turned ad authorization on but sent no code.")
        raise FlowError("TikTok turned ad authorization on but sent no code. Try again in a minute.")
    if _record(auth, code, data, user):
        # Applying takes two more calls with the brand's token: a worker makes them.
        enqueue_on_commit(apply_spark_authorization, [auth.pk])
    auth.refresh_from_db()
    return auth


def _setting_error(exc: TikTokError) -> str:
    if exc.is_scope_missing:
        return SCOPE_MISSING
    if exc.needs_reconnect:
        return "TikTok no longer accepts this platform's access to your account. Authorize TikTok again, then approve."
    if exc.is_transient:
        return "TikTok is busy right now; nothing was approved. Try again in a minute."
    return f"TikTok did not approve the post: {exc.message}"


def _record(auth: SparkAuthorization, code: str, data: Mapping[str, Any], user: Any) -> bool:
    """REQUESTED → APPROVED with the code, exactly once; returns whether this caller did it."""
    now = timezone.now()
    fields: dict[str, Any] = {
        "source": Source.CREATOR,
        "decided_at": now,
        "pending_write": "",
        "pending_since": None,
        "last_error": "",
        # Due at once: if the queued apply is lost, the poller applies it.
        "next_poll_at": now,
        "auth_start": flows.parse_tiktok_time(data.get("auth_code_start_time")),
        "auth_end": flows.parse_tiktok_time(data.get("auth_code_end_time")),
        "authorization_days": _days(data.get("authorization_days"), auth.authorization_days),
    }
    with transaction.atomic():
        live = auth.free_code(code)
        won = live is None and auth.approve(code, **fields)
    auth.release_write()
    if live is not None:
        # TikTok answered the code another live row of this ledger already carries: no new
        # code exists, so this request is closed as such rather than approved without one.
        message = (
            f"TikTok answered the code for {auth.post_name} that {auth.brand} already has "
            f"({live.get_status_display().lower()}"
            + (f" until {live.auth_end:%Y-%m-%d}" if live.auth_end else "")
            + "): no new code was made, so nothing changed."
        )
        auth.fail(message, decided_at=now)
        auth.audit(AuditEvent.Kind.REJECTED, message, actor=user)
        raise FlowError(message)
    if not won:
        # The poller recorded TikTok's answer first (the same code, seen by tcm/tt_video/status).
        return False
    auth.audit(
        AuditEvent.Kind.APPROVED,
        f"@{auth.handle} approved Spark Ads for {auth.post_name} here "
        f"for {fields['authorization_days']} days (code made with their TikTok account)",
        actor=user,
    )
    return True


def _days(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


# --- revoke ---------------------------------------------------------------------------------------


def can_revoke_here(auth: SparkAuthorization) -> bool:
    """A code made on this platform is deleted here; other codes are turned off in TikTok."""
    return auth.source == Source.CREATOR and auth.status in REVOCABLE


def revoke(auth: SparkAuthorization, user: Any) -> SparkAuthorization:
    """Delete a code the creator made here (`business/post/authorize/delete/`), record it,
    and tell the brand. Running ads using the post stop: TikTok no longer authorizes it."""
    if auth.source != Source.CREATOR:
        raise FlowError(
            "This code was made in the TikTok app, so it is turned off there: open the post, tap “…” › "
            "Ad settings, and turn off Ad authorization (or delete the code)."
        )
    if auth.status not in REVOCABLE:
        raise FlowError(f"Nothing to revoke: this authorization is {auth.get_status_display().lower()}.")
    account = _account(auth)
    if not auth.claim_write("revoke"):
        raise FlowError(f"Already revoking {auth.post_name}: it is being sent to TikTok right now.")
    auth.refresh_from_db()
    if auth.status not in REVOCABLE:
        auth.release_write()
        raise FlowError(f"Already done: this authorization is {auth.get_status_display().lower()}.")
    try:
        call_with_credential(
            account.credential_id,
            lambda c: c.business_post_authorize_delete(account.open_id, auth.item_id or auth.video_id),
        )
    except TikTokError as exc:
        # TikTok has no code for the post any more (deleted in the app): already done.
        if exc.code != CODE_DELETED:
            message = (
                message_for(exc)
                if exc.is_transient or exc.needs_reconnect
                else f"TikTok did not delete the code: {exc.message}"
            )
            auth.release_write(message)
            raise FlowError(message) from exc
    auth.end("revoke", user, "The creator revoked the authorization here")
    auth.release_write("")
    auth.audit(
        AuditEvent.Kind.REVOKED,
        f"@{auth.handle} revoked Spark Ads for {auth.post_name}; the code was deleted on TikTok",
        actor=user,
        ad_account=auth.ad_account,
    )
    _tell_brand(auth)
    return auth


def _tell_brand(auth: SparkAuthorization) -> None:
    emails = auth.brand_emails()
    if not emails:
        return
    where = f" on ad account {auth.ad_account}" if auth.ad_account_id else ""
    mail.send_later(
        f"@{auth.handle} revoked Spark Ads for {auth.post_name}",
        f"@{auth.handle} revoked the Spark Ads authorization for {auth.post_name}{where}. "
        "TikTok no longer authorizes the post, so ads using it stop delivering. "
        "Ask the creator for a new authorization on the Spark Ads page if you need it again.",
        emails,
    )
