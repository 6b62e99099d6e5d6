"""Spark Ads authorizations: the steps, one function each.

Request: `tcm/tt_video/apply/` → the creator answers on TikTok → `tcm/tt_video/status/` →
the code is applied once (`tt_video/authorize/`, guarded by a conditional-update claim so two
workers never apply it twice) → `tt_video/info/` gives the item id and the window. A pasted
code joins at the apply step. The window's lifecycle is in ledger.py, Ads Manager links in
ads_manager.py.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from integrations.errors import FlowError, message_for
from integrations.models import AdAccount, Brand, TikTokAccount
from integrations.tiktok import TikTokError
from integrations.tiktok.tokens import call_with_credential

from .models import AUTHORIZATION_DAYS, MAX_REQUESTS_PER_VIDEO, AuditEvent, SparkAuthorization, code_digest

logger = logging.getLogger("sparkads")
Status = SparkAuthorization.Status
# A claim older than this belonged to a worker that died mid-call; another may take it over.
CLAIM_STALE_AFTER = timedelta(minutes=10)
REQUEST_POLL_EVERY = timedelta(minutes=5)


def audit(brand: Brand, kind: str, summary: str, *, actor=None, **objects) -> AuditEvent:
    """Record an event. Callers pass names and ids only: never a code, token or link."""
    user = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    return AuditEvent.objects.create(brand=brand, kind=kind, summary=summary[:500], actor=user, **objects)


def parse_tiktok_time(value: str | int | None) -> datetime | None:
    """TikTok's UTC "YYYY-MM-DD HH:MM:SS"; absent, null, "" or "-" is None. Epoch seconds or
    milliseconds and "YYYY-MM-DD" are read too, as TikTok's Go SDK reads its DateTime fields;
    anything else is None rather than an error."""
    if value in (None, "", "-") or isinstance(value, bool):
        return None
    text = str(value).strip()
    if text.isdigit():
        stamp = int(text)
        return datetime.fromtimestamp(stamp / 1000 if stamp > 10**12 else stamp, tz=UTC)
    for layout in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, layout).replace(tzinfo=UTC)
        except ValueError:
            continue
    return None


def capability_for(brand: Brand):
    # Imported here: integrations owns the capability and may import sparkads' models later.
    from integrations.capability import spark_ads_capability

    return spark_ads_capability(brand)


def _enabled_capability(brand: Brand):
    cap = capability_for(brand)
    if not cap.enabled:
        raise FlowError(f"Spark Ads are off for this brand: {cap.reason} {cap.next_step}".strip())
    return cap


def credential_id(ad_account: AdAccount) -> int:
    cred = ad_account.credential_id or (
        ad_account.tiktok_one_account.credential_id if ad_account.tiktok_one_account else None
    )
    if cred is None:
        raise FlowError(f"Ad account {ad_account} has no TikTok connection. Reconnect it under Integrations.")
    return cred


# --- requests from a campaign post ------------------------------------------------------------


def request_permission(post, user, days: int) -> SparkAuthorization:
    """Ask the creator for Spark Ads permission on a campaign post (`tcm/tt_video/apply/`)."""
    brand = post.campaign.brand
    cap = _enabled_capability(brand)
    if days not in AUTHORIZATION_DAYS:
        raise FlowError("Pick 7, 30, 60 or 365 days.")
    last = SparkAuthorization.objects.filter(post=post).exclude(num_remaining_request=None).first()
    if last is not None and last.num_remaining_request == 0:
        raise FlowError(f"TikTok allows {MAX_REQUESTS_PER_VIDEO} requests per video and all have been used.")
    if SparkAuthorization.objects.filter(post=post, status=Status.REQUESTED).exists():
        raise FlowError("A request for this post is already waiting for the creator.")
    tto = cap.tiktok_one_account
    try:
        call_with_credential(
            tto.credential_id, lambda c: c.tcm_tt_video_apply(post.video_id, tto.tto_tcm_account_id, days)
        )
    except TikTokError as exc:
        raise FlowError(_apply_error(exc)) from exc
    auth = SparkAuthorization.objects.create(
        brand=brand,
        post=post,
        tiktok_account=post.tiktok_account,
        video_id=post.video_id,
        authorization_days=days,
        requested_by=user,
        ad_account=cap.ad_account,
        num_remaining_request=(last.num_remaining_request - 1) if last and last.num_remaining_request else None,
        next_poll_at=timezone.now(),
    )
    audit(
        brand,
        AuditEvent.Kind.REQUESTED,
        f"Requested {days}-day Spark Ads permission for video {post.video_id} from @{post.tiktok_account.handle}",
        actor=user,
        authorization=auth,
        tiktok_account=post.tiktok_account,
    )
    return auth


def _apply_error(exc: TikTokError) -> str:
    if "maximum number" in exc.message:
        return f"TikTok allows {MAX_REQUESTS_PER_VIDEO} requests per video and all have been used."
    if exc.is_transient:
        return "TikTok is busy right now; nothing was sent. Try again in a minute."
    return f"TikTok refused the request: {exc.message}"


def poll_request(auth_id: int) -> str | None:
    """Read `tcm/tt_video/status/` for a waiting request; on approval apply the code."""
    auth = SparkAuthorization.objects.select_related("brand", "post").filter(pk=auth_id).first()
    if auth is None or auth.status != Status.REQUESTED or auth.post_id is None:
        return None
    cap = capability_for(auth.brand)
    tto = cap.tiktok_one_account
    if tto is None or tto.credential_id is None:
        return None
    data = call_with_credential(
        tto.credential_id, lambda c: c.tcm_tt_video_status(auth.video_id, tto.tto_tcm_account_id)
    )
    remaining = data.get("num_remaining_request")
    now = timezone.now()
    base = SparkAuthorization.objects.filter(pk=auth.pk, status=Status.REQUESTED)
    if data.get("auth_status") == "REJECTED":
        if base.update(status=Status.REJECTED, decided_at=now, next_poll_at=None, num_remaining_request=remaining):
            audit(
                auth.brand,
                AuditEvent.Kind.REJECTED,
                f"@{handle_of(auth)} declined Spark Ads for video {auth.video_id}",
                authorization=auth,
                tiktok_account_id=auth.tiktok_account_id,
            )
        return Status.REJECTED
    code = data.get("auth_code") or ""
    if not code:  # still WAITING
        base.update(next_poll_at=now + REQUEST_POLL_EVERY, num_remaining_request=remaining)
        return Status.REQUESTED
    if not _record_approval(auth, code, data, remaining, now):
        return None
    apply_approved(auth.pk)
    return Status.APPROVED


def _record_approval(auth, code: str, data: Mapping[str, Any], remaining, now) -> bool:
    """REQUESTED → APPROVED exactly once, whoever polls; returns whether this caller did it."""
    try:
        with transaction.atomic():
            won = SparkAuthorization.objects.filter(pk=auth.pk, status=Status.REQUESTED).update(
                status=Status.APPROVED,
                auth_code=code.strip(),
                code_hash=code_digest(code),
                decided_at=now,
                num_remaining_request=remaining,
                next_poll_at=now,
                auth_end=parse_tiktok_time(data.get("auth_code_end_time")),
            )
    except IntegrityError:
        # The same code was already pasted into the ledger: that row carries it.
        SparkAuthorization.objects.filter(pk=auth.pk, status=Status.REQUESTED).update(
            status=Status.APPROVED,
            decided_at=now,
            next_poll_at=None,
            last_error="The creator's code is already in the ledger (pasted earlier); see that row.",
        )
        return False
    if won:
        audit(
            auth.brand,
            AuditEvent.Kind.APPROVED,
            f"@{handle_of(auth)} approved Spark Ads for video {auth.video_id}",
            authorization=auth,
            tiktok_account_id=auth.tiktok_account_id,
        )
    return bool(won)


def handle_of(auth: SparkAuthorization) -> str:
    return auth.tiktok_name or (auth.tiktok_account.handle if auth.tiktok_account else "creator")


def claim_for_apply(auth_id: int) -> bool:
    """Win the right to call `tt_video/authorize/` for this code: one conditional UPDATE."""
    now = timezone.now()
    return bool(
        SparkAuthorization.objects.filter(pk=auth_id, status=Status.APPROVED)
        .filter(Q(apply_claimed_at__isnull=True) | Q(apply_claimed_at__lt=now - CLAIM_STALE_AFTER))
        .update(apply_claimed_at=now)
    )


def apply_approved(auth_id: int, actor=None) -> bool:
    """Apply an approved code to the brand's active Spark ad account, once, and read it back."""
    if not claim_for_apply(auth_id):
        return False
    auth = SparkAuthorization.objects.select_related("brand").get(pk=auth_id)
    try:
        ad_account = _enabled_capability(auth.brand).ad_account
        cred = credential_id(ad_account)
        call_with_credential(cred, lambda c: c.tt_video_authorize(ad_account.advertiser_id, auth.auth_code))
        info = call_with_credential(cred, lambda c: c.tt_video_info(ad_account.advertiser_id, auth.auth_code))
    except (FlowError, TikTokError) as exc:
        transient = isinstance(exc, TikTokError) and exc.is_transient
        unsent = isinstance(exc, TikTokError) and not exc.sent
        # Not sent at all (the rate budget had no room): due again at once.
        wait = timedelta(0) if transient and unsent else timedelta(minutes=1 if transient else 60)
        SparkAuthorization.objects.filter(pk=auth_id).update(
            apply_claimed_at=None, last_error=message_for(exc)[:500], next_poll_at=timezone.now() + wait
        )
        if transient:
            raise
        return False
    _store_window(auth, info, ad_account)
    auth.applied_at, auth.applied_by, auth.last_error = timezone.now(), actor, ""
    auth.status = auth.lifecycle_status()
    auth.next_poll_at = auth.next_check_at()
    auth.save()
    audit(
        auth.brand,
        AuditEvent.Kind.APPLIED,
        f"Video {auth.video_id} authorized to ad account {ad_account} until {auth.auth_end:%Y-%m-%d}",
        actor=actor,
        authorization=auth,
        ad_account=ad_account,
        tiktok_account_id=auth.tiktok_account_id,
    )
    return True


def _store_window(auth: SparkAuthorization, info: Mapping[str, Any], ad_account: AdAccount) -> None:
    window = info.get("auth_info") or {}
    item = info.get("item_info") or {}
    user = info.get("user_info") or {}
    auth.ad_account = ad_account
    auth.item_id = str(item.get("item_id") or auth.item_id)
    auth.auth_start = parse_tiktok_time(window.get("auth_start_time")) or auth.auth_start
    auth.auth_end = parse_tiktok_time(window.get("auth_end_time")) or auth.auth_end
    auth.tiktok_name = user.get("tiktok_name") or auth.tiktok_name
    auth.identity_id = str(user.get("identity_id") or auth.identity_id)
    if auth.tiktok_account_id is None and auth.tiktok_name:
        auth.tiktok_account = TikTokAccount.objects.filter(handle=auth.tiktok_name).first()


# --- pasted codes ----------------------------------------------------------------------------


@dataclass
class CodeCheck:
    ok: bool
    message: str
    info: Mapping[str, Any]


def check_code(brand: Brand, code: str, *, post=None) -> CodeCheck:
    """`tt_video/info/` on the brand's Spark ad account, translated into plain language."""
    code = code.strip()
    if not code or len(code) > 200 or any(ch.isspace() for ch in code):
        return CodeCheck(False, "That doesn't look like a TikTok authorization code. Copy it again from TikTok.", {})
    if SparkAuthorization.objects.filter(brand=brand, code_hash=code_digest(code)).exists():
        return CodeCheck(False, "This code has already been used: it is in your ledger.", {})
    ad_account = _enabled_capability(brand).ad_account
    try:
        info = call_with_credential(
            credential_id(ad_account), lambda c: c.tt_video_info(ad_account.advertiser_id, code)
        )
    except TikTokError as exc:
        return CodeCheck(False, _code_error(exc), {})
    window = info.get("auth_info") or {}
    end = parse_tiktok_time(window.get("auth_end_time"))
    # TikTok documents no values for ad_auth_status: only an explicit EXPIRED (or an end
    # time in the past) refuses a code; any other value is kept and shown as TikTok sent it.
    if window.get("ad_auth_status") == "EXPIRED" or (end and end <= timezone.now()):
        return CodeCheck(False, "This code has expired. Ask the creator to generate a new one.", info)
    item_id = str((info.get("item_info") or {}).get("item_id") or "")
    if post is not None and item_id and item_id != post.video_id:
        return CodeCheck(
            False,
            f"This code is for another video ({item_id}), not video {post.video_id}. Check you picked the right post.",
            info,
        )
    return CodeCheck(True, "", info)


def _code_error(exc: TikTokError) -> str:
    text = exc.message.lower()
    if "expired" in text:
        return "This code has expired. Ask the creator to generate a new one."
    if "cancel" in text or "deleted" in text:
        return "The creator cancelled this code on TikTok, so it no longer authorizes the post."
    if "advertiser" in text:
        return "This code can't be used with your Spark Ads ad account. Check the ad account under Integrations."
    if exc.is_transient:
        return "TikTok is busy right now; the code was not checked. Try again in a minute."
    return "TikTok doesn't recognise this code. Check you copied all of it, or ask the creator for a new one."


def accept_pasted_code(brand: Brand, user, code: str, *, post=None) -> SparkAuthorization:
    """A code pasted by a creator or the brand: checked first, then applied once."""
    result = check_code(brand, code, post=post)
    if not result.ok:
        raise FlowError(result.message)
    item = result.info.get("item_info") or {}
    tiktok_status = str((result.info.get("auth_info") or {}).get("ad_auth_status") or "")
    video_id = str(item.get("item_id") or (post.video_id if post else ""))
    try:
        with transaction.atomic():
            auth = SparkAuthorization(
                brand=brand,
                post=post,
                source=SparkAuthorization.Source.PASTED,
                status=Status.APPROVED,
                video_id=video_id,
                requested_by=user,
                decided_at=timezone.now(),
                tiktok_account=post.tiktok_account if post else None,
            )
            auth.set_code(code)
            auth.save()
    except IntegrityError as exc:
        raise FlowError("This code has already been used: it is in your ledger.") from exc
    audit(
        brand,
        AuditEvent.Kind.APPROVED,
        f"Code for video {video_id} pasted and checked" + (f" (TikTok: {tiktok_status})" if tiktok_status else ""),
        actor=user,
        authorization=auth,
        tiktok_account_id=auth.tiktok_account_id,
    )
    apply_approved(auth.pk, actor=user)
    auth.refresh_from_db()
    if auth.status == Status.APPROVED and auth.last_error:
        raise FlowError(f"The code is valid but could not be applied yet: {auth.last_error}")
    return auth


# --- extend, unbind, expiry and reminders -------------------------------------------------------


def extend(auth: SparkAuthorization, user, days: int) -> None:
    """Ask the creator for more time before the authorization lapses (`action=EXTEND`)."""
    if not auth.can_extend:
        raise FlowError("Only an active authorization of a campaign post can be extended.")
    if days not in AUTHORIZATION_DAYS:
        raise FlowError("Pick 7, 30, 60 or 365 days.")
    tto = _enabled_capability(auth.brand).tiktok_one_account
    try:
        call_with_credential(
            tto.credential_id,
            lambda c: c.tcm_tt_video_apply(auth.video_id, tto.tto_tcm_account_id, days, extend=True),
        )
    except TikTokError as exc:
        raise FlowError(_apply_error(exc)) from exc
    auth.extension_requested_at = timezone.now()
    auth.next_poll_at = timezone.now() + REQUEST_POLL_EVERY
    auth.save(update_fields=["extension_requested_at", "next_poll_at", "updated_at"])
    audit(
        auth.brand,
        AuditEvent.Kind.EXTENDED,
        f"Asked @{handle_of(auth)} to extend video {auth.video_id} by {days} days",
        actor=user,
        authorization=auth,
        tiktok_account_id=auth.tiktok_account_id,
    )


def unbind(auth: SparkAuthorization, user, *, reason: str = "") -> None:
    """Remove the post from the ad account (`tt_video/unbind/`)."""
    if not auth.can_unbind or auth.ad_account is None:
        raise FlowError("Only a post that is authorized to an ad account can be unbound.")
    ad_account = auth.ad_account
    try:
        call_with_credential(
            credential_id(ad_account), lambda c: c.tt_video_unbind(ad_account.advertiser_id, auth.item_id)
        )
    except TikTokError as exc:
        if "not authorized" not in exc.message:  # already gone on TikTok: record it anyway
            raise FlowError(
                message_for(exc) if exc.is_transient else f"TikTok could not unbind the post: {exc.message}"
            ) from exc
    end_authorization(auth, Status.UNBOUND, user, reason or "Unbound from the ad account")
    audit(
        auth.brand,
        AuditEvent.Kind.UNBOUND,
        f"Video {auth.video_id} unbound from {ad_account}. {reason}".strip(),
        actor=user,
        authorization=auth,
        ad_account=ad_account,
        tiktok_account_id=auth.tiktok_account_id,
    )


def end_authorization(auth: SparkAuthorization, status: str, user, reason: str) -> None:
    auth.status, auth.ended_at, auth.end_reason, auth.next_poll_at = status, timezone.now(), reason[:300], None
    auth.ended_by = user if user is not None and getattr(user, "is_authenticated", False) else None
    auth.save(update_fields=["status", "ended_at", "ended_by", "end_reason", "next_poll_at", "updated_at"])
