"""Spark Ads authorizations: the steps, one function each.

Request: `tcm/tt_video/apply/` → the creator answers on TikTok → `tcm/tt_video/status/` →
the code is applied once (`tt_video/authorize/`, guarded by a conditional-update claim so two
workers never apply it twice) → `tt_video/info/` gives the item id and the window. A pasted
code (codes.py) joins at the apply step. The window's lifecycle is in ledger.py, Ads Manager
links in ads_manager.py.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import capfirst

from integrations import mail, previews
from integrations.connect.capability import Capability, spark_ads_capability
from integrations.errors import FlowError, message_for
from integrations.models import AdAccount, Brand, CampaignPost, TikTokAccount
from integrations.polling import give_back
from integrations.tiktok import TikTokError, clock
from integrations.tiktok.tokens import call_with_credential

from . import music
from .models import (
    AUTHORIZATION_DAYS,
    MAX_REQUESTS_PER_VIDEO,
    REQUEST_POLL_EVERY,
    AuditEvent,
    SparkAuthorization,
    UsageTerms,
)

logger = logging.getLogger("sparkads")
Status = SparkAuthorization.Status
# Right after the brand asked, the creator's answer is most likely: a waiting request is read
# again this soon, then ever less often (a quarter of its wait) up to REQUEST_POLL_EVERY, so an
# approval shows within seconds without polling old requests at that pace.
REQUEST_POLL_FIRST = timedelta(seconds=15)


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


def capability_for(brand: Brand) -> Capability:
    return spark_ads_capability(brand)


def enabled_capability(brand: Brand) -> Capability:
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


def request_permission(post: CampaignPost, user: Any, days: int, terms: UsageTerms | None = None) -> SparkAuthorization:
    """Ask the creator for Spark Ads permission on a campaign post (`tcm/tt_video/apply/`).

    The row is inserted and committed first, under the one-open-request-per-post constraint,
    and only its inserter calls TikTok: a double submit or a race finds that row instead.
    """
    brand = post.campaign.brand
    cap = enabled_capability(brand)
    if days not in AUTHORIZATION_DAYS:
        raise FlowError("Pick 7, 30, 60 or 365 days.")
    waiting = waiting_extension(post)
    if waiting:
        raise FlowError(waiting)
    last = SparkAuthorization.objects.filter(post=post).exclude(num_remaining_request=None).first()
    if last is not None and last.num_remaining_request == 0:
        raise FlowError(f"TikTok allows {MAX_REQUESTS_PER_VIDEO} requests per video and all have been used.")
    auth = _insert_request(post, user, days, cap, last, terms or UsageTerms())
    tto = cap.tiktok_one_account
    assert tto is not None  # an enabled capability names its TikTok One account
    try:
        call_with_credential(
            tto.credential_id, lambda c: c.tcm_tt_video_apply(post.video_id, tto.tto_tcm_account_id, days)
        )
    except TikTokError as exc:
        message = apply_error(exc)
        _fail_request(auth, message)
        raise FlowError(message) from exc
    SparkAuthorization.objects.filter(pk=auth.pk).update(
        pending_write="", pending_since=None, next_poll_at=timezone.now()
    )
    auth.audit(
        AuditEvent.Kind.REQUESTED,
        f"Requested Spark Ads permission for {post.name} from @{post.tiktok_account.handle}: {auth.terms_summary}",
        actor=user,
    )
    return auth


def _insert_request(
    post: CampaignPost, user: Any, days: int, cap: Any, last: SparkAuthorization | None, terms: UsageTerms
) -> SparkAuthorization:
    """The committed pending row that makes this caller the one who sends the request."""
    for _ in range(2):  # the second try follows the take-over of an abandoned row
        try:
            with transaction.atomic():
                return SparkAuthorization.objects.create(
                    brand=post.campaign.brand,
                    post=post,
                    tiktok_account=post.tiktok_account,
                    video_id=post.video_id,
                    authorization_days=days,
                    requested_by=user,
                    ad_account=cap.ad_account,
                    num_remaining_request=(last.num_remaining_request - 1)
                    if last and last.num_remaining_request
                    else None,
                    pending_write="request",
                    pending_since=timezone.now(),
                    **terms.fields(),
                )
        except IntegrityError:
            existing = SparkAuthorization.objects.filter(post=post, status=Status.REQUESTED).first()
            if existing is None:
                continue  # it was answered or failed in between
            if not existing.write_abandoned("request"):
                raise FlowError(already_requested(existing)) from None
            _fail_request(existing, "The request was never confirmed sent to TikTok.")
    raise FlowError("This post's request changed while you asked; reload the page and try again.")


def _fail_request(auth: SparkAuthorization, message: str) -> None:
    """TikTok refused or never got the request: the row says so and frees the post for a retry.
    It did not use one of the video's requests, so it carries no remaining count."""
    auth.fail(message, pending_write="", pending_since=None, num_remaining_request=None)


def already_requested(auth: SparkAuthorization) -> str:
    who = auth.requested_by.email if auth.requested_by else "someone"
    when = timezone.localtime(clock.on_clock(auth.requested_at))
    if auth.pending_write == "request":
        return f"Already requested: {who}'s {auth.authorization_days}-day request is being sent to TikTok right now."
    return (
        f"Already requested: {who} asked for {auth.authorization_days} days on {when:%Y-%m-%d %H:%M}; "
        "it is waiting for the creator's answer."
    )


def waiting_extension(post: CampaignPost) -> str:
    """Why no new request for `post` is sent while a live code's EXTEND request for it waits:
    TikTok's status would answer for the new one, and the extension's answer be lost. "" if
    none waits."""
    extending = SparkAuthorization.objects.filter(post=post).open_requests().exclude(status=Status.REQUESTED).first()
    if extending is None:
        return ""
    assert extending.extension_requested_at is not None  # an open request of a live code
    when = timezone.localtime(clock.on_clock(extending.extension_requested_at))
    return (
        f"Not sent: the extension of {extending.post_name} asked for on {when:%Y-%m-%d %H:%M} is waiting for "
        f"@{extending.handle}'s answer on TikTok, which reports on a post's latest request only. "
        "Request again once it is answered."
    )


def apply_error(exc: TikTokError) -> str:
    if "maximum number" in exc.message:
        return f"TikTok allows {MAX_REQUESTS_PER_VIDEO} requests per video and all have been used."
    if exc.is_transient:
        return "TikTok is busy right now; nothing was sent. Try again in a minute."
    return f"TikTok refused the request: {exc.message}"


def next_request_poll(auth: SparkAuthorization, now: datetime) -> timedelta:
    """How soon to read a request still waiting for the creator again."""
    return min(max((now - auth.requested_at) / 4, REQUEST_POLL_FIRST), REQUEST_POLL_EVERY)


def poll_request(auth_id: int) -> str | None:
    """Read `tcm/tt_video/status/` for a waiting request; on approval apply the code."""
    auth = SparkAuthorization.objects.select_related("brand", "post").filter(pk=auth_id).first()
    if auth is None or auth.status != Status.REQUESTED or auth.post_id is None:
        return None
    if auth.waits_for_newer_request():
        # TikTok's status answers the newer request now; this one is read once that is answered.
        SparkAuthorization.objects.filter(pk=auth.pk, status=Status.REQUESTED).update(
            next_poll_at=timezone.now() + REQUEST_POLL_EVERY
        )
        return Status.REQUESTED
    previews.fill_for(auth.post)
    cap = capability_for(auth.brand)
    tto = cap.tiktok_one_account
    if tto is None or tto.credential_id is None:
        return None
    data = call_with_credential(
        tto.credential_id, lambda c: c.tcm_tt_video_status(auth.video_id, tto.tto_tcm_account_id)
    )
    remaining = data.get("num_remaining_request")
    now = timezone.now()
    if data.get("auth_status") == "REJECTED":
        if auth.reject(num_remaining_request=remaining):
            auth.audit(AuditEvent.Kind.REJECTED, f"@{auth.handle} declined Spark Ads for {auth.post_name}")
        return Status.REJECTED
    code = data.get("auth_code") or ""
    if not code:  # still WAITING
        SparkAuthorization.objects.filter(pk=auth.pk, status=Status.REQUESTED).update(
            next_poll_at=now + next_request_poll(auth, now), num_remaining_request=remaining
        )
        return Status.REQUESTED
    if not _record_approval(auth, code, data, remaining, now):
        return None
    apply_approved(auth.pk)
    return Status.APPROVED


def _record_approval(
    auth: SparkAuthorization, code: str, data: Mapping[str, Any], remaining: int | None, now: datetime
) -> bool:
    """REQUESTED → APPROVED exactly once, whoever polls; returns whether this caller did it.
    The code must be this row's to carry (SparkAuthorization.free_code): one a live row already
    has closes the request as answered by it, never an approved row without a code."""
    with transaction.atomic():
        live = auth.free_code(code)
        if live is None:
            won = auth.approve(
                code,
                decided_at=now,
                num_remaining_request=remaining,
                next_poll_at=now,
                auth_end=parse_tiktok_time(data.get("auth_code_end_time")),
            )
    if live is not None:
        message = (
            f"@{auth.handle} answered with the code for {auth.post_name} that is already in the ledger "
            f"({live.get_status_display().lower()}): no new code was made."
        )
        if auth.fail(message, decided_at=now):
            auth.audit(AuditEvent.Kind.REJECTED, message)
        return False
    if won:
        auth.audit(AuditEvent.Kind.APPROVED, f"@{auth.handle} approved Spark Ads for {auth.post_name}")
    return bool(won)


def apply_approved(auth_id: int, actor: Any = None) -> bool:
    """Apply an approved code to the brand's active Spark ad account, once, and read it back.
    Every path that applies a code comes here, so the payment hold is checked here."""
    if held_for_payment(auth_id):
        return False
    auth = SparkAuthorization.objects.select_related("brand").filter(pk=auth_id).first()
    if auth is None:
        return False
    if not auth.allows("apply"):
        # An empty code is never sent: the row stops being polled and says why.
        auth.in_states_for("apply").update(next_poll_at=None, last_error=auth.refusal("apply")[:500])
        return False
    if not auth.claim_apply():
        return False
    try:
        ad_account = enabled_capability(auth.brand).ad_account
        assert ad_account is not None  # an enabled capability names its ad account
        cred = credential_id(ad_account)
        # The post and its identity come from the code before it is applied, so the music is
        # checked first and a post without the rights never reaches the ad account.
        info = call_with_credential(cred, lambda c: c.tt_video_info(ad_account.advertiser_id, auth.auth_code))
        if _music_blocks(auth, ad_account, cred, info):
            return False
        _authorize_once(auth, ad_account.advertiser_id, cred)
    except (FlowError, TikTokError) as exc:
        transient = isinstance(exc, TikTokError) and exc.is_transient
        row = SparkAuthorization.objects.filter(pk=auth_id)
        row.update(apply_claimed_at=None, last_error=message_for(exc)[:500])
        if isinstance(exc, TikTokError) and exc.not_processed and exc.path.endswith("tt_video/authorize/"):
            row.update(authorize_sent_at=None)  # TikTok certainly did not act on it
        if not (isinstance(exc, TikTokError) and give_back(row, exc)):
            row.update(next_poll_at=timezone.now() + timedelta(minutes=1 if transient else 60))
        if transient:
            raise
        return False
    _store_window(auth, info, ad_account)
    # A music warning stays in view on the row; an earlier error does not.
    if not auth.apply(actor, "" if auth.music_status == music.WITH_FULL_AUTHORIZATION else auth.music_note):
        return False  # the row changed meanwhile (it ended or expired): nothing to record
    auth.audit(
        AuditEvent.Kind.APPLIED,
        f"{capfirst(auth.post_name)} authorized to ad account {ad_account} until {auth.auth_end:%Y-%m-%d}",
        actor=actor,
        ad_account=ad_account,
    )
    return True


def _authorize_once(auth: SparkAuthorization, advertiser_id: str, cred: int) -> None:
    """Send `tt_video/authorize/` for the row's code, recorded as sent before it goes. When an
    earlier send's answer was lost (garbled, cut off, its worker killed), TikTok may have
    applied the code: the ad account's Spark Ads posts are read first (`tt_video/list/`, by
    the post's item_id, an exact match) and a code listed there is not sent again."""
    if auth.authorize_sent_at is not None:
        listed = call_with_credential(
            cred, lambda c: c.tt_video_list(advertiser_id, keyword=auth.item_id or auth.video_id, page_size=50)
        )
        if any((item.get("item_info") or {}).get("auth_code") == auth.auth_code for item in listed.get("list") or []):
            return
    SparkAuthorization.objects.filter(pk=auth.pk).update(authorize_sent_at=timezone.now())
    call_with_credential(cred, lambda c: c.tt_video_authorize(advertiser_id, auth.auth_code))


def _music_blocks(auth: SparkAuthorization, ad_account: AdAccount, cred: int, info: Mapping[str, Any]) -> bool:
    """The music pre-flight for the code's window; a missing authorization stops the row (it
    says why) until the window ends and the deadline poller records it expired."""
    window = info.get("auth_info") or {}
    start = max(parse_tiktok_time(window.get("auth_start_time")) or clock.now(), clock.now())
    end = parse_tiktok_time(window.get("auth_end_time")) or start + timedelta(days=auth.authorization_days)
    found = music.check(
        auth,
        ad_account,
        cred,
        item_id=str((info.get("item_info") or {}).get("item_id") or auth.item_id or auth.video_id),
        identity_id=str((info.get("user_info") or {}).get("identity_id") or auth.identity_id),
        start=start,
        end=end,
    )
    if not found.blocks:
        return False
    SparkAuthorization.objects.filter(pk=auth.pk, status=Status.APPROVED).update(
        apply_claimed_at=None, last_error=found.note[:500], next_poll_at=None, due_at=end, auth_end=auth.auth_end or end
    )
    return True


def held_for_payment(auth_id: int) -> bool:
    """The release gate. With the brand's "release only after payment" setting on, an approved
    code whose fee is unpaid is not applied: its row waits for "Mark paid" (terms.mark_paid,
    which comes back through apply_approved) and is checked again when its window ends. An
    approved code whose window ended before it was applied is recorded as expired instead of
    being sent to TikTok, which would refuse it."""
    auth = SparkAuthorization.objects.select_related("brand").filter(pk=auth_id, status=Status.APPROVED).first()
    if auth is None:
        return False
    if auth.auth_end is not None and auth.auth_end <= clock.now():
        _expire_unapplied(auth)
        return True
    if not auth.awaiting_payment:
        return False
    first = not AuditEvent.objects.filter(authorization=auth, kind=AuditEvent.Kind.HELD).exists()
    # Nothing to ask TikTok until it is paid; the deadline poller expires it when its window
    # ends on TikTok's clock.
    if auth.hold() and first:
        auth.audit(
            AuditEvent.Kind.HELD,
            f"Code for {auth.post_name} approved; held until the fee ({auth.fee_label}) is marked paid",
        )
    return True


def _expire_unapplied(auth: SparkAuthorization) -> None:
    unpaid = auth.payment_status == SparkAuthorization.Payment.UNPAID
    why = "while waiting for the fee to be paid" if unpaid else "before it reached the ad account"
    reason = f"The window ended on {auth.auth_end:%Y-%m-%d} {why}; the code was never used"
    if not auth.expire(reason):
        return  # another worker recorded it
    auth.audit(AuditEvent.Kind.EXPIRED, f"Code for {auth.post_name} expired unused {why}")
    mail.send_later(
        f"Spark Ads: the code for {auth.post_name} expired unused",
        f"{reason}. The post was never authorized to your ad account. To run it as a Spark Ad, "
        f"ask @{auth.handle} for a new code on the Spark Ads page.",
        auth.brand_emails(),
    )


def _store_window(auth: SparkAuthorization, info: Mapping[str, Any], ad_account: AdAccount) -> None:
    window = info.get("auth_info") or {}
    item = info.get("item_info") or {}
    user = info.get("user_info") or {}
    auth.ad_account = ad_account
    auth.item_id = str(item.get("item_id") or auth.item_id)
    auth.auth_start = parse_tiktok_time(window.get("auth_start_time")) or auth.auth_start
    auth.auth_end = parse_tiktok_time(window.get("auth_end_time")) or auth.auth_end
    auth.caption = str(item.get("text") or "") or auth.caption
    auth.tiktok_name = user.get("tiktok_name") or auth.tiktok_name
    auth.identity_id = str(user.get("identity_id") or auth.identity_id)
    if auth.tiktok_account_id is None and auth.tiktok_name:
        auth.tiktok_account = TikTokAccount.objects.filter(handle=auth.tiktok_name).first()


# --- one write per row, unbind and the end of an authorization -----------------------------------


def unbind(auth: SparkAuthorization, user: Any, *, reason: str = "") -> None:
    """Remove the post from the ad account (`tt_video/unbind/`)."""
    if not auth.claim_write("unbind"):
        raise FlowError(f"Already requested: {auth.post_name} is being unbound right now.")
    auth.refresh_from_db()
    try:
        if auth.status == Status.UNBOUND:
            raise FlowError(
                f"Already unbound: {auth.post_name} was removed from its ad account "
                f"on {timezone.localtime(clock.on_clock(auth.ended_at or auth.updated_at)):%Y-%m-%d %H:%M}."
            )
        auth.guard("unbind")
        ad_account = auth.ad_account
        assert ad_account is not None  # the guard requires one
        call_with_credential(
            credential_id(ad_account), lambda c: c.tt_video_unbind(ad_account.advertiser_id, auth.item_id)
        )
    except TikTokError as exc:
        if "not authorized" not in exc.message:  # already gone on TikTok: record it anyway
            message = message_for(exc) if exc.is_transient else f"TikTok could not unbind the post: {exc.message}"
            auth.release_write(message)
            raise FlowError(message) from exc
    except FlowError:
        auth.release_write()
        raise
    auth.end("unbind", user, reason or "Unbound from the ad account")
    auth.release_write("")
    auth.audit(
        AuditEvent.Kind.UNBOUND,
        f"{capfirst(auth.post_name)} unbound from {ad_account}. {reason}".strip(),
        actor=user,
        ad_account=ad_account,
    )
