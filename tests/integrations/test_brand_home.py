"""The brand home walks a new brand through its first steps, then says what needs attention,
each with a link to where to act, for a bounded number of queries; with everything set up and
nothing to do it says all is well."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from creators.models import MarketplaceOnboarding
from integrations.models import ApiIncident, BrandInvitation, Campaign, Collaboration, TikTokAccount, TikTokOneAccount
from integrations.service_status import incidents
from sparkads.models import AdsManagerLink, SparkAuthorization

pytestmark = pytest.mark.django_db
State = MarketplaceOnboarding.State
_n = itertools.count(1)


def _home(client, brand) -> str:
    response = client.get(reverse("brand_home", args=[brand.slug]))
    assert response.status_code == 200
    return response.content.decode()


def _attention(html: str) -> str:
    return html[html.index('id="attention"') :]


def _creator(brand, state: str, **fields) -> MarketplaceOnboarding:
    n = next(_n)
    account = TikTokAccount.objects.create(handle=f"stuck.creator{n}", open_id=f"open-{n}")
    campaign = Campaign.objects.filter(brand=brand).first() or Campaign.objects.create(brand=brand, name="Summer")
    Collaboration.objects.create(campaign=campaign, tiktok_account=account)
    return MarketplaceOnboarding.objects.create(
        tiktok_account=account, state=state, state_changed_at=timezone.now(), **fields
    )


def _spark(brand, **fields) -> SparkAuthorization:
    return SparkAuthorization.objects.create(brand=brand, video_id=f"77{next(_n):017d}", **fields)


@pytest.fixture
def ready(brand, tto_factory, ad_factory):
    """The brand with its first steps done: connected, Spark Ads account chosen, a team (bob), a campaign."""
    ad_factory(brand, tto_factory(brand=brand), is_active_for_spark=True)
    Campaign.objects.create(brand=brand, name="Launch")
    return brand


def _checklist(html: str) -> str:
    return html[html.index('id="first-steps"') : html.index("</ol>", html.index('id="first-steps"'))]


def test_a_new_brand_is_not_told_all_is_well_but_to_connect_tiktok_one_first(client_for, alice, brand_factory):
    fresh = brand_factory(name="Fresh", owner=alice)
    html = _home(client_for(alice), fresh)
    assert "All is well" not in html
    steps = _checklist(html)
    assert "Add TikTok One and Ad Account" in steps
    assert steps.count('class="step done"') == 0 and steps.count('class="step todo"') == 4
    assert reverse("integrations:tiktok_settings", args=[fresh.slug]) in steps


def test_a_brand_whose_account_support_removed_is_told_to_connect_one_again(client_for, alice, ready, tto_factory):
    TikTokOneAccount.objects.filter(brand=ready).update(removed_at=timezone.now())
    html = _home(client_for(alice), ready)
    assert "All is well" not in html
    assert "Support removed" in _checklist(html)


def test_each_first_step_is_ticked_from_the_brands_real_state(
    client_for, alice, brand_factory, user_factory, tto_factory, ad_factory
):
    fresh = brand_factory(name="Fresh", owner=alice)
    client = client_for(alice)
    ad = ad_factory(fresh, tto_factory(brand=fresh))
    assert _checklist(_home(client, fresh)).count('class="step done"') == 1
    ad.is_active_for_spark = True
    ad.save()
    assert _checklist(_home(client, fresh)).count('class="step done"') == 2
    BrandInvitation.objects.create(
        brand=fresh, email="new@example.test", token_hash="x" * 64,
        sent_at=timezone.now(), expires_at=timezone.now() + timedelta(days=7),
    )  # fmt: skip
    assert _checklist(_home(client, fresh)).count('class="step done"') == 3
    Campaign.objects.create(brand=fresh, name="First")
    html = _home(client, fresh)
    assert 'id="first-steps"' not in html and "All is well" in html


def test_a_brand_with_nothing_to_do_is_told_all_is_well(client_for, alice, ready):
    brand = ready
    html = _attention(_home(client_for(alice), brand))
    assert "All is well" in html
    assert "attention-" not in html.replace("attention-title", "").replace("attention-empty", "")


def test_a_connection_needing_reconnect_links_to_integrations(client_for, alice, brand, tto_factory):
    tto_factory(brand=brand, name="Acme One", status=TikTokOneAccount.Status.INACTIVE)
    html = _attention(_home(client_for(alice), brand))
    assert "needs reconnecting" in html and "Acme One" in html
    assert reverse("integrations:tiktok_settings", args=[brand.slug]) in html
    assert "All is well" not in html


def test_expiring_codes_link_to_the_ledger_with_days_left(client_for, alice, brand):
    _spark(brand, status=SparkAuthorization.Status.EXPIRING, auth_end=timezone.now() + timedelta(days=3, hours=1))
    _spark(brand, status=SparkAuthorization.Status.ACTIVE, auth_end=timezone.now() + timedelta(days=200))
    html = _attention(_home(client_for(alice), brand))
    assert "1 Spark Ads code expiring" in html and "in 3 days" in html
    assert reverse("sparkads:ledger", args=[brand.slug]) in html


def test_requests_waiting_on_creators_and_on_account_owners(client_for, alice, brand, tto_factory, ad_factory):
    _spark(brand, status=SparkAuthorization.Status.REQUESTED)
    _spark(brand, status=SparkAuthorization.Status.REQUESTED)
    ad = ad_factory(brand, tto_factory(brand=brand))
    AdsManagerLink.objects.create(brand=brand, ad_account=ad, username="someone")
    html = _attention(_home(client_for(alice), brand))
    assert "2 Spark Ads requests waiting on creators" in html
    assert "1 Ads Manager link request waiting on the account owner" in html
    assert reverse("sparkads:ads_manager", args=[brand.slug]) in html


def test_creators_stuck_in_onboarding_with_what_they_need_and_the_campaigns_creators_page(client_for, alice, brand):
    overdue = _creator(brand, State.OVERDUE)
    _creator(brand, State.WAITING, invite_requested_at=timezone.now() - timedelta(hours=25))
    _creator(brand, State.WAITING, invite_requested_at=timezone.now() - timedelta(hours=2))  # not yet
    _creator(brand, State.PROCESSING, accepted_at=timezone.now() - timedelta(hours=3))
    _creator(brand, State.IN_MARKETPLACE)
    html = _attention(_home(client_for(alice), brand))
    assert "3 creators stuck joining the Creator Marketplace" in html
    assert f"@{overdue.tiktok_account.handle}" in html and "after 24 hours" in html
    assert "authorize TikTok again" in html
    campaign = Collaboration.objects.get(tiktok_account=overdue.tiktok_account).campaign
    assert reverse("creators:campaign_creators", args=[brand.slug, campaign.pk]) in html


def test_another_brands_creators_and_codes_are_not_shown(client_for, alice, ready, other_brand):
    brand = ready
    _creator(other_brand, State.OVERDUE)
    _spark(other_brand, status=SparkAuthorization.Status.REQUESTED)
    assert "All is well" in _attention(_home(client_for(alice), brand))


def test_an_open_tiktok_incident_is_shown(client_for, alice, brand):
    ApiIncident.objects.create(incident_id="inc-1", title="Creator Marketplace API degraded")
    incidents.refresh_cache()
    html = _attention(_home(client_for(alice), brand))
    assert "TikTok reports a problem" in html and "Creator Marketplace API degraded" in html


def test_a_member_reads_the_home_and_an_outsider_gets_404(client_for, bob, charlie, ready):
    brand = ready
    assert "All is well" in _home(client_for(bob), brand)
    assert client_for(charlie).get(reverse("brand_home", args=[brand.slug])).status_code == 404


def test_the_home_costs_the_same_queries_with_more_to_show(
    client_for, alice, brand, tto_factory, ad_factory, django_assert_max_num_queries
):
    client = client_for(alice)
    tto_factory(brand=brand, status=TikTokOneAccount.Status.INACTIVE)
    _spark(brand, status=SparkAuthorization.Status.REQUESTED)
    _spark(brand, status=SparkAuthorization.Status.EXPIRING, auth_end=timezone.now() + timedelta(days=2))
    _creator(brand, State.OVERDUE)

    def count() -> int:
        with django_assert_max_num_queries(25) as captured:
            _home(client, brand)
        return len(captured)

    few = count()
    for _ in range(8):
        tto_factory(brand=brand, status=TikTokOneAccount.Status.INACTIVE)
        _spark(brand, status=SparkAuthorization.Status.REQUESTED)
        _spark(brand, status=SparkAuthorization.Status.EXPIRING, auth_end=timezone.now() + timedelta(days=2))
        _creator(brand, State.OVERDUE)
    assert count() == few
