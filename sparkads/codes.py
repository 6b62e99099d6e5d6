"""Pasted Spark Ads codes: checked with `tt_video/info/` and translated into plain language,
then recorded once (the code's keyed hash is unique per brand) and applied like a requested
code."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from integrations.errors import FlowError
from integrations.models import Brand, CampaignPost
from integrations.tiktok import TikTokError, clock
from integrations.tiktok.tokens import call_with_credential
from integrations.words import post_name

from .flows import apply_approved, credential_id, enabled_capability, parse_tiktok_time
from .models import AUTHORIZATION_DAYS, AuditEvent, SparkAuthorization, code_digest

Status = SparkAuthorization.Status


@dataclass
class CodeCheck:
    ok: bool
    message: str
    info: Mapping[str, Any]


def check_code(brand: Brand, code: str, *, post: CampaignPost | None = None) -> CodeCheck:
    """`tt_video/info/` on the brand's Spark ad account, translated into plain language."""
    code = code.strip()
    if not code or len(code) > 200 or any(ch.isspace() for ch in code):
        return CodeCheck(False, "That doesn't look like a TikTok authorization code. Copy it again from TikTok.", {})
    if SparkAuthorization.objects.filter(brand=brand, code_hash=code_digest(code)).exists():
        return CodeCheck(False, "This code has already been used: it is in your ledger.", {})
    ad_account = enabled_capability(brand).ad_account
    assert ad_account is not None  # an enabled capability names its ad account
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
    if window.get("ad_auth_status") == "EXPIRED" or (end and end <= clock.now()):
        return CodeCheck(False, "This code has expired. Ask the creator to generate a new one.", info)
    item = info.get("item_info") or {}
    item_id = str(item.get("item_id") or "")
    if post is not None and item_id and item_id != post.video_id:
        other = post_name(str(item.get("text") or ""), item_id)
        return CodeCheck(
            False, f"This code is for another post ({other}), not {post.name}. Check you picked the right post.", info
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


def window_days(start: datetime | None, end: datetime | None) -> int:
    """A code's duration in whole days from its window; TikTok's shortest is 7."""
    if start is None or end is None or end <= start:
        return AUTHORIZATION_DAYS[0]
    return max(1, round((end - start).total_seconds() / 86400))


def accept_pasted_code(brand: Brand, user: Any, code: str, *, post: CampaignPost | None = None) -> SparkAuthorization:
    """A code pasted by a creator or the brand: checked first, then applied once."""
    result = check_code(brand, code, post=post)
    if not result.ok:
        raise FlowError(result.message)
    item = result.info.get("item_info") or {}
    window = result.info.get("auth_info") or {}
    tiktok_status = str(window.get("ad_auth_status") or "")
    start = parse_tiktok_time(window.get("auth_start_time"))
    end = parse_tiktok_time(window.get("auth_end_time"))
    video_id = str(item.get("item_id") or (post.video_id if post else ""))
    try:
        with transaction.atomic():
            auth = SparkAuthorization(
                brand=brand,
                post=post,
                source=SparkAuthorization.Source.PASTED,
                status=Status.APPROVED,
                video_id=video_id,
                caption=str(item.get("text") or ""),
                requested_by=user,
                decided_at=timezone.now(),
                tiktok_account=post.tiktok_account if post else None,
                # The terms are the code's own, as TikTok reports its window.
                auth_start=start,
                auth_end=end,
                authorization_days=window_days(start, end),
            )
            auth.set_code(code)
            auth.save()
    except IntegrityError as exc:
        raise FlowError("This code has already been used: it is in your ledger.") from exc
    AuditEvent.record(
        brand,
        AuditEvent.Kind.APPROVED,
        f"Code for {auth.post_name} pasted and checked: {auth.terms_summary}"
        + (f" (TikTok: {tiktok_status})" if tiktok_status else ""),
        actor=user,
        authorization=auth,
        tiktok_account_id=auth.tiktok_account_id,
    )
    apply_approved(auth.pk, actor=user)
    auth.refresh_from_db()
    if auth.status == Status.APPROVED and auth.last_error:
        raise FlowError(f"The code is valid but could not be applied yet: {auth.last_error}")
    return auth
