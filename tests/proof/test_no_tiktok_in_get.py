"""No GET calls TikTok: a person never waits on TikTok to see a page.

Every URL of the platform (the three apps and the project's own pages, found by introspecting
the URLconf, so a page added later is covered without editing this file) is asked with GET, plain
and as an htmx fragment, by the brand's owner, a member, the creator of its TikTok account and
staff, while all outbound HTTP is trapped: nothing is registered, so any call fails at once and
is recorded. Slow TikTok work a GET needs starts a background job (integrations.jobs) instead.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import responses
from django.contrib.auth.models import User
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from integrations.models import Brand, BusinessCenter, BusinessCenterMember, Credential, TikTokOneAccount
from integrations.sourcing.flows import sourcing_account
from tests.proof.urlsweep import all_url_cases, populate_brand_world, url_kwargs

pytestmark = pytest.mark.django_db

URLS = all_url_cases()
VARIANTS = [
    pytest.param({}, id="GET"),
    pytest.param({"HTTP_HX_REQUEST": "true"}, id="htmx-GET"),
]


@pytest.fixture
def creator(user_factory: Any) -> User:
    """A creator who owns the brand world's TikTok account."""
    from creators.models import CreatorProfile

    user = user_factory(email="dave.creator@example.test")
    CreatorProfile.objects.get_or_create(user=user)
    return user


@pytest.fixture
def staff(user_factory: Any) -> User:
    return user_factory(email="sam.staff@example.test", is_staff=True)


@pytest.fixture
def world(brand: Brand, alice: User, creator: User) -> dict:
    """One row of every model for the brand, connected as a working brand is: every grant holds
    a live token and the TikTok One account is verified, so a view that would ask TikTok does."""
    made = populate_brand_world(brand, alice, creator)
    # The owner is the Business Center's admin, so its admin-only pages are reachable to them.
    BusinessCenterMember.objects.filter(user=alice).update(role=BusinessCenter.Role.ADMIN)
    far = timezone.now() + timedelta(days=30)
    for credential in Credential.objects.all():
        credential.access_token, credential.refresh_token = "live-access-token", "live-refresh-token"
        credential.access_expires_at = credential.refresh_expires_at = far
        credential.status = Credential.Status.OK
        credential.save()
    TikTokOneAccount.objects.filter(brand=brand).update(
        business_verification_status=TikTokOneAccount.Verification.VERIFIED
    )
    return made


def _tiktok_calls_of_every_get(user: User, brand: Brand, headers: dict[str, str]) -> tuple[list[str], int]:
    """Each URL whose GET tried an outbound call, with the calls; and how many URLs took GET."""
    client = Client(raise_request_exception=False)
    client.force_login(user)
    offenders: list[str] = []
    asked = 0
    for case in URLS:
        url = reverse(case.name, kwargs=url_kwargs(case, brand))
        with responses.RequestsMock(assert_all_requests_are_fired=False) as trap, transaction.atomic():
            status = client.get(url, **headers).status_code  # type: ignore[arg-type]
            # Rolled back, so what one page started cannot change what the next one shows.
            transaction.set_rollback(True)
            # Read inside the block: leaving it resets the record.
            called = sorted({call.request.url.split("?")[0] for call in trap.calls})
        if status == 405:
            continue
        asked += 1
        if called:
            offenders.append(f"GET {url} ({case.name}) -> {status}; called {', '.join(called)}")
    return offenders, asked


@pytest.mark.parametrize("headers", VARIANTS)
@pytest.mark.parametrize("who", ["alice", "bob", "creator", "staff"], ids=["owner", "member", "creator", "staff"])
def test_no_page_or_fragment_calls_tiktok_whoever_asks_for_it(
    world: dict, brand: Brand, who: str, headers: dict[str, str], request: pytest.FixtureRequest
) -> None:
    user = request.getfixturevalue(who)
    offenders, asked = _tiktok_calls_of_every_get(user, brand, headers)
    assert not offenders, "\n" + "\n".join(offenders)
    assert asked > 0


def test_the_swept_brand_can_use_tiktok_so_a_quiet_sweep_proves_something(world: dict, brand: Brand) -> None:
    assert sourcing_account(brand) is not None


def test_the_sweep_covers_the_apps_and_the_projects_own_pages() -> None:
    names = {case.name for case in URLS}
    for name in ("home", "brand_home", "staff_freshness", "integrations:creator_search", "sparkads:ledger"):
        assert name in names, sorted(names)
    assert any(name.startswith("creators:") for name in names), sorted(names)


def test_the_trap_records_a_call_a_view_would_make() -> None:
    """Control: a call made under the trap fails at once and is seen, so an empty record proves something."""
    import requests

    url = "https://business-api.tiktok.com/open_api/v1.3/tto/tcm/creator/discover/"
    with responses.RequestsMock(assert_all_requests_are_fired=False) as trap:
        with pytest.raises(requests.ConnectionError):
            requests.get(url, timeout=1)
        assert [call.request.url for call in trap.calls] == [url]
