"""Ads Manager links: the brand asks a creator (by username) in TikTok Ads Manager to link
their account to an ad account; the outcome is read from `identity/get/`. Unlinking stops
the Spark Ads that use the account's posts on that ad account."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Collection, Mapping
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from integrations.errors import FlowError
from integrations.models import AdAccount, Brand, BrandNotice, TikTokAccount
from integrations.polling import claim_due
from integrations.tiktok import TikTokError, clock, items, iter_pages
from integrations.tiktok.spark import identity_handle
from integrations.tiktok.tokens import call_with_credential

from ..flows import credential_id, unbind
from ..models import AdsManagerLink, AuditEvent, SparkAuthorization

Status = SparkAuthorization.Status

LINK_POLL_EVERY = timedelta(minutes=5)
# The time a person has to send a recorded request from Ads Manager. Past it (or once they
# ask "Check now"), a request identity/get/ lists neither waiting nor bound was rejected or
# expired on TikTok, whether or not a check saw it waiting first.
SEND_WINDOW = timedelta(hours=1)
# A claimed waiting link is not claimed again for this long; its poll sets the real next time.
CLAIM_LEASE = timedelta(minutes=5)
# TikTok usernames: letters, digits, underscores and periods, 2-24 characters.
USERNAME_RE = re.compile(r"^[A-Za-z0-9_.]{2,24}$")


def pending_links() -> QuerySet[AdsManagerLink]:
    """The links the Ads Manager poller looks after (next_poll_at): asked, not yet answered."""
    return AdsManagerLink.objects.filter(status=AdsManagerLink.Status.PENDING)


def claim_due_ad_accounts(limit: int) -> list[int]:
    """The dispatcher's claim: waiting links that are due, as the ad accounts to read (one
    `identity/get/` answers every link of an ad account)."""
    links = claim_due(pending_links(), lease=CLAIM_LEASE, limit=limit)
    return sorted({link.ad_account_id for link in links})


def record_link_request(brand: Brand, ad_account: AdAccount, username: str, user: Any) -> AdsManagerLink:
    """Record that the brand asked @username in Ads Manager; the outcome is read from identity/get/.

    The row goes in first (one open link per ad account and username), so a double submit
    finds it and TikTok is asked about the username once.
    """
    username = username.strip().lstrip("@")
    if not USERNAME_RE.match(username):
        raise FlowError("A TikTok username has 2-24 letters, digits, underscores or periods, e.g. demo.creator.")
    try:
        with transaction.atomic():
            link = AdsManagerLink.objects.create(
                brand=brand,
                ad_account=ad_account,
                username=username,
                requested_by=user,
                tiktok_account=TikTokAccount.objects.filter(handle=username).first(),
            )
    except IntegrityError:
        raise FlowError(_already(ad_account, username)) from None
    try:
        _check_username_exists(brand, username)
    except (FlowError, TikTokError):
        link.delete()  # nothing to wait for: the form may be sent again
        raise
    AdsManagerLink.objects.filter(pk=link.pk).update(next_poll_at=timezone.now())
    AuditEvent.record(
        brand,
        AuditEvent.Kind.REQUESTED,
        f"Asked @{username} to authorize ad account {ad_account} in Ads Manager",
        actor=user,
        ad_account=ad_account,
        tiktok_account=link.tiktok_account,
    )
    return link


def with_open_successor(links: QuerySet[AdsManagerLink]) -> QuerySet[AdsManagerLink]:
    """Mark each link `superseded` when a newer request for its ad account and username is
    open (waiting or authorized): a rejected row then offers no "Send again", which would only
    answer "Already requested"."""
    newer_open = AdsManagerLink.objects.filter(
        ad_account=OuterRef("ad_account"),
        username=OuterRef("username"),
        status__in=[AdsManagerLink.Status.PENDING, AdsManagerLink.Status.AUTHORIZED],
    ).exclude(pk=OuterRef("pk"))
    return links.annotate(superseded=Exists(newer_open))


def _already(ad_account: AdAccount, username: str) -> str:
    open_link = (
        AdsManagerLink.objects.filter(ad_account=ad_account, username=username, status__in=["pending", "authorized"])
        .select_related("requested_by")
        .first()
    )
    if open_link is not None and open_link.status == AdsManagerLink.Status.AUTHORIZED:
        return f"Already linked: @{username} authorized {ad_account}."
    if open_link is not None:
        who = open_link.requested_by.email if open_link.requested_by else "someone"
        when = timezone.localtime(clock.on_clock(open_link.requested_at))
        return f"Already requested: {who} asked @{username} for {ad_account} on {when:%Y-%m-%d %H:%M}."
    return f"@{username} is already linked or waiting for {ad_account}."


def _check_username_exists(brand: Brand, username: str) -> None:
    tto = brand.tiktok_one_accounts.filter(credential__isnull=False).first()
    if tto is None:
        return  # without a TikTok One account there is no public lookup; Ads Manager will say
    try:
        call_with_credential(tto.credential_id, lambda c: c.tto_tcm_creator_public(tto.tto_tcm_account_id, username))
    except TikTokError as exc:
        if "not exist" in exc.message or "handle" in exc.message.lower():
            raise FlowError(f"There is no TikTok account @{username}. Check the spelling.") from exc
        if not exc.is_transient:
            raise


def poll_links(ad_account_id: int, *, sent: Collection[int] = ()) -> int:
    """Compare the ad account's TT_USER identities with its link requests; return changes.
    One read of `identity/get/` answers for every link of the ad account. `sent` names links a
    person has just said were sent ("Check now"): what TikTok lists now decides them."""
    ad_account = AdAccount.objects.select_related("brand").filter(pk=ad_account_id).first()
    if ad_account is None:
        return 0
    cred = credential_id(ad_account)

    def fetch(page: int) -> Any:
        return call_with_credential(
            cred, lambda c: c.identity_get(ad_account.advertiser_id, identity_type="TT_USER", page=page)
        )

    # Every page (100 identities each): a link missing from page 1 may be on a later one, and
    # reading only the first would unlink authorized accounts that are not on it.
    listed = {identity_handle(i): i for i in items(iter_pages(fetch), key="identity_list")}
    changed = 0
    now = timezone.now()
    for link in AdsManagerLink.objects.filter(ad_account=ad_account, status__in=["pending", "authorized"]):
        identity = listed.get(link.username)
        waiting = identity is not None and identity.get("available_status") == WAITING_STATUS
        if link.status == AdsManagerLink.Status.PENDING and identity and not waiting:
            _authorize_link(link, identity)
            changed += 1
        elif link.status == AdsManagerLink.Status.AUTHORIZED and not identity:
            with contextlib.suppress(FlowError):  # a person unlinked it meanwhile
                unlink(link, None, reason=f"@{link.username} removed the link on TikTok")
                changed += 1
        elif link.status == AdsManagerLink.Status.PENDING and identity is None and _was_sent(link, sent, now):
            changed += _rejected_on_tiktok(link)
        elif link.status == AdsManagerLink.Status.PENDING:
            # Waiting for the owner (listed, not usable), or not sent from Ads Manager yet.
            seen = {"seen_waiting_at": link.seen_waiting_at or now} if waiting else {}
            AdsManagerLink.objects.filter(pk=link.pk).update(next_poll_at=now + LINK_POLL_EVERY, **seen)
    return changed


def _was_sent(link: AdsManagerLink, sent: Collection[int], now: datetime) -> bool:
    """Whether the request has left Ads Manager: a check saw it waiting, a person said so, or
    the time to send it is over."""
    return bool(link.seen_waiting_at) or link.pk in sent or link.requested_at <= now - SEND_WINDOW


# identity/get/'s available_status for a TikTok account the owner has not approved yet.
WAITING_STATUS = "NO_VALID_BIND_ACCOUNT"


def _rejected_on_tiktok(link: AdsManagerLink) -> int:
    """A sent request identity/get/ lists neither waiting nor bound: the owner rejected it, or
    it expired or was withdrawn on TikTok. Recorded once, by a conditional update; the brand is told what to do."""
    now = timezone.now()
    won = AdsManagerLink.objects.filter(pk=link.pk, status=AdsManagerLink.Status.PENDING).update(
        status=AdsManagerLink.Status.REJECTED, decided_at=now, decided_by=None, next_poll_at=None
    )
    if not won:
        return 0
    if link.seen_waiting_at:
        message = f"@{link.username} did not approve the link to {link.ad_account} on TikTok."
    else:
        message = (
            f"TikTok does not list the request to @{link.username} for {link.ad_account}: "
            "the account owner rejected it or let it expire."
        )
    AuditEvent.record(
        link.brand,
        AuditEvent.Kind.REJECTED,
        message,
        ad_account=link.ad_account,
        tiktok_account=link.tiktok_account,
    )
    BrandNotice.objects.create(
        brand=link.brand, level=BrandNotice.Level.WARNING, message=f"{message} {AdsManagerLink.REJECTED_ADVICE}"
    )
    return 1


def send_again(link: AdsManagerLink, user: Any) -> AdsManagerLink:
    """“Send again” after a rejection: a new request for the same account and ad account."""
    if link.status != AdsManagerLink.Status.REJECTED:
        raise FlowError("Only a rejected request can be sent again.")
    return record_link_request(link.brand, link.ad_account, link.username, user)


def _authorize_link(link: AdsManagerLink, identity: Mapping[str, Any]) -> None:
    account, _ = TikTokAccount.objects.get_or_create(
        handle=link.username, defaults={"display_name": identity.get("display_name") or ""}
    )
    link.status, link.identity_id, link.tiktok_account = (
        AdsManagerLink.Status.AUTHORIZED,
        identity["identity_id"],
        account,
    )
    link.decided_at, link.next_poll_at = timezone.now(), None
    link.save()
    AuditEvent.record(
        link.brand,
        AuditEvent.Kind.LINKED,
        f"@{link.username} authorized ad account {link.ad_account}",
        ad_account=link.ad_account,
        tiktok_account=account,
    )


def mark_link_rejected(link: AdsManagerLink, user: Any) -> None:
    """A rejection the brand saw in Ads Manager, recorded by hand: for a request identity/get/
    never listed (TikTok may not list requests the owner has not answered)."""
    if link.status != AdsManagerLink.Status.PENDING:
        raise FlowError("Only a waiting request can be marked rejected.")
    link.status, link.decided_at, link.decided_by, link.next_poll_at = "rejected", timezone.now(), user, None
    link.save()
    AuditEvent.record(
        link.brand,
        AuditEvent.Kind.REJECTED,
        f"@{link.username} rejected the link to {link.ad_account}",
        actor=user,
        ad_account=link.ad_account,
        tiktok_account=link.tiktok_account,
    )


def unlink(link: AdsManagerLink, user: Any, *, reason: str = "") -> int:
    """Stop using the account: its Spark Ads on this ad account are unbound; returns how many.
    The link turns unlinked in one conditional UPDATE first, so a double submit or a poll
    arriving at the same time does not unbind them a second time."""
    decided_by = user if user is not None and getattr(user, "is_authenticated", False) else None
    now = timezone.now()
    won = (
        AdsManagerLink.objects.filter(pk=link.pk)
        .exclude(status=AdsManagerLink.Status.UNLINKED)
        .update(status=AdsManagerLink.Status.UNLINKED, decided_at=now, decided_by=decided_by, next_poll_at=None)
    )
    if not won:
        raise FlowError(f"Already unlinked: @{link.username} no longer runs Spark Ads on {link.ad_account}.")
    link.status, link.decided_at, link.decided_by, link.next_poll_at = "unlinked", now, decided_by, None
    AuditEvent.record(
        link.brand,
        AuditEvent.Kind.UNLINKED,
        reason or f"@{link.username} unlinked from {link.ad_account}",
        actor=user,
        ad_account=link.ad_account,
        tiktok_account=link.tiktok_account,
    )
    affected = (
        SparkAuthorization.objects.live()
        .filter(ad_account=link.ad_account)
        .filter(Q(tiktok_name=link.username) | Q(tiktok_account__handle=link.username))
    )
    count = 0
    for auth in affected.select_related("brand", "ad_account"):
        try:
            unbind(auth, user, reason=f"@{link.username} was unlinked from {link.ad_account}")
        except FlowError:
            auth.end("unbind", user, f"@{link.username} was unlinked; TikTok did not confirm the unbind")
        count += 1
    return count
