"""One clock on every page: in a sandbox deployment whose clock runs ahead of real time, a page
that shows TikTok's dates (a code's window, an invite's 24 hours) shows every other date on the
same clock, so "requested" never reads days before a window that began at the request."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from creators import marketplace
from creators.models import CreatorProfile, MarketplaceOnboarding
from integrations.models import TikTokAccount
from integrations.tiktok import clock
from sparkads.models import AuditEvent, SparkAuthorization
from tests.sparkads.conftest import make_world

pytestmark = pytest.mark.django_db

AHEAD = timedelta(days=100)


@pytest.fixture
def clock_ahead(settings, monkeypatch):
    """A sandbox deployment whose clock was advanced 100 days."""
    settings.TIKTOK_SANDBOX = True
    monkeypatch.setattr(clock, "_sandbox_offset", lambda: AHEAD.total_seconds())


def _real_dates() -> set[str]:
    today = timezone.localdate()
    return {today.isoformat(), f"{today:%b} {today.day},"}


def test_the_ledger_and_audit_show_requests_payments_and_extensions_on_tiktoks_clock(brand, alice, client, clock_ahead):
    world = make_world(brand, "token")
    tiktok_now = clock.now()
    SparkAuthorization.objects.create(
        brand=brand,
        post=world["post"],
        video_id=world["post"].video_id,
        status="active",
        ad_account=world["ad"],
        tiktok_account=world["account"],
        code_hash="h1",
        auth_start=tiktok_now,
        auth_end=tiktok_now + timedelta(days=30),
        applied_at=timezone.now(),
        paid_at=timezone.now(),
        extension_requested_at=timezone.now(),
    )
    AuditEvent.objects.create(brand=brand, kind="applied", summary="Video authorized", actor=alice)
    client.force_login(alice)
    for name in ("ledger", "audit"):
        page = client.get(reverse(f"sparkads:{name}", args=[brand.slug])).content.decode()
        assert tiktok_now.date().isoformat() in page
        for real in _real_dates():
            assert real not in page, (name, real)


def test_the_creator_stepper_dates_every_step_on_tiktoks_clock(user_factory, client, clock_ahead):
    user = user_factory()
    CreatorProfile.objects.create(user=user)
    account = TikTokAccount.objects.create(handle="step.by.step", open_id="o-1", owner=user, follower_count=20000)
    onboarding = marketplace.restart_onboarding(account)
    assert marketplace.transition(onboarding, MarketplaceOnboarding.State.WAITING, invite_requested_at=clock.now())
    client.force_login(user)
    page = client.get(reverse("creators:home")).content.decode()
    assert f"{clock.now():%b} {clock.now().day}," in page
    for real in _real_dates():
        assert real not in page, real
