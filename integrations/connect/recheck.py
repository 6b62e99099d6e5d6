"""The periodic re-check of a brand's connection: verification, ad accounts, Business
Center assets and access read again; the brand's owners told when Spark Ads change."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from ..models import Brand, BrandNotice, Credential, TikTokOneAccount
from ..polling import claim_due, give_back
from ..tiktok import Kind, TikTokError
from ..tiktok import tokens as tiktok_tokens
from .capability import Capability, record_capability
from .discovery import apply, discover

logger = logging.getLogger("integrations.flows")


@dataclass
class RecheckResult:
    outcome: str  # "ok" | "reconnect" | "retry" | "deferred" | "skipped"
    capability: Capability | None = None
    retry_in: float | None = None


def _backoff(failures: int) -> timedelta:
    base = settings.INTEGRATIONS_RECHECK_RETRY_SECONDS
    return timedelta(seconds=min(base * 2 ** max(failures - 1, 0), settings.INTEGRATIONS_RECHECK_SECONDS))


def mark_inactive(credential: Credential, error: str) -> None:
    """TikTok says the grant is gone (40105): the connection needs the brand to reconnect."""
    if credential.status == Credential.Status.OK:
        credential.mark_needs_reconnect(error)
    TikTokOneAccount.objects.filter(credential=credential).update(
        status=TikTokOneAccount.Status.INACTIVE, last_checked_at=timezone.now()
    )


def recheck_credential(credential_id: int) -> RecheckResult:
    """Re-read verification, ad accounts, BC assets and access for one brand connection.

    Transient failures back the accounts' next poll off and leave everything as it was;
    a revoked token marks the connection Inactive and asks the brand to reconnect.
    """
    credential = Credential.objects.filter(pk=credential_id, kind=Credential.Kind.BUSINESS).first()
    if credential is None:
        return RecheckResult("skipped")
    brand = credential.brand
    accounts = TikTokOneAccount.objects.filter(credential=credential)
    if credential.status != Credential.Status.OK:
        mark_inactive(credential, credential.last_error or "needs reconnect")
        return RecheckResult("reconnect", record_capability(brand) if brand else None)
    try:
        discovery = tiktok_tokens.call_with_credential(
            credential.pk, lambda client: discover(client, None, with_ads=brand is not None)
        )
    except TikTokError as exc:
        now = timezone.now()
        if exc.kind == Kind.AUTH:
            credential.refresh_from_db()
            mark_inactive(credential, f"TikTok rejected the token: {exc}")
            if brand is None:
                return RecheckResult("reconnect")
            previous = brand.spark_capability_case
            capability = record_capability(brand)
            if capability.case == previous:  # no capability notice went out: say it on the page
                _notice_reconnect(brand)
            return RecheckResult("reconnect", capability)
        if give_back(accounts, exc, now=now):
            return RecheckResult("deferred")
        credential.record_error(f"Re-check failed: {exc}")
        failures = (accounts.order_by("-poll_failures").values_list("poll_failures", flat=True).first() or 0) + 1
        delay = _backoff(failures)
        if exc.retry_after:
            delay = max(delay, timedelta(seconds=exc.retry_after))
        accounts.update(poll_failures=failures, next_poll_at=now + delay)
        return RecheckResult("retry", None, delay.total_seconds())

    now = timezone.now()
    with transaction.atomic():
        apply(brand, credential, discovery, now)
        Credential.objects.filter(pk=credential.pk).update(last_used_at=now, last_error="")
    return RecheckResult("ok", record_capability(brand) if brand else None)


def _notice_reconnect(brand: Brand) -> None:
    exists = BrandNotice.objects.filter(brand=brand, dismissed_at__isnull=True, message__startswith="Reconnect")
    if not exists.exists():
        BrandNotice.objects.create(
            brand=brand,
            level=BrandNotice.Level.WARNING,
            message="Reconnect TikTok: TikTok no longer accepts this platform's access to your TikTok One "
            "account (it was revoked or expired). Click “Reconnect” to authorize again; your accounts "
            "and history are kept.",
        )


def rechecked_accounts() -> QuerySet[TikTokOneAccount]:
    """The TikTok One accounts the re-check poller looks after (next_poll_at)."""
    return TikTokOneAccount.objects.filter(
        status=TikTokOneAccount.Status.ACTIVE, removed_at__isnull=True, credential__isnull=False
    )


def due_credentials(now: datetime | None = None, limit: int = 500) -> list[int]:
    """Claim the TikTok One accounts due for a re-check; their connections, each once."""
    lease = timedelta(seconds=settings.INTEGRATIONS_RECHECK_LEASE_SECONDS)
    claimed = claim_due(rechecked_accounts(), lease=lease, limit=limit, now=now)
    return list(dict.fromkeys(a.credential_id for a in claimed if a.credential_id is not None))
