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


# The brand at a glance, once the first steps are done.


def _glance(html: str) -> str:
    start = html.index('id="glance"')
    return html[start : html.index("</section>", start)]


def _figure(html: str, key: str) -> tuple[str, str]:
    """(value, link) of one figure at a glance."""
    import re

    found = re.search(rf'glance-{key}"><a href="([^"]*)"><span class="figure">([^<]*)</span>', _glance(html))
    assert found, f"no {key} figure"
    return found[2], found[1].replace("&amp;", "&")


def _post(campaign, posted_days_ago: float, **fields):
    from integrations.models import CampaignPost

    n = next(_n)
    account = TikTokAccount.objects.create(handle=f"poster{n}", open_id=f"open-post-{n}")
    return CampaignPost.objects.create(
        campaign=campaign,
        tiktok_account=account,
        video_id=f"76{n:017d}",
        posted_at=timezone.now() - timedelta(days=posted_days_ago),
        **fields,
    )


def _live_ad(row, daily: str) -> None:
    from decimal import Decimal

    from sparkads.models import SparkAd

    SparkAd.objects.create(
        brand=row.brand,
        ad_account=row.ad_account,
        authorization=row,
        ad_id=f"ad-{next(_n)}",
        tiktok_item_id=row.video_id,
        identity_type=SparkAd.STOPS_WITH_CODE,
        operation_status="ENABLE",
        secondary_status="AD_STATUS_DELIVERY_OK",
        currency=row.ad_account.currency,
        daily_spend=Decimal(daily),
    )


def test_a_brand_still_setting_up_sees_no_glance_yet(client_for, alice, brand_factory):
    assert 'id="glance"' not in _home(client_for(alice), brand_factory(name="Fresh", owner=alice))


def test_the_glance_counts_campaigns_posts_and_views_of_the_last_7_days_each_linking_its_page(
    client_for, alice, ready, other_brand
):
    from integrations.models import PostSnapshot

    brand = ready
    launch = Campaign.objects.get(brand=brand)
    Campaign.objects.create(brand=brand, name="Last year", status=Campaign.Status.ENDED)
    recent, old = _post(launch, 2), _post(launch, 9)
    today = timezone.now().date()
    for post, day, organic, paid in [
        (recent, today, 1_000, 200),
        (recent, today - timedelta(days=6), 500, 0),
        (old, today - timedelta(days=7), 90_000, 90_000),  # eight days ago with today: outside
    ]:
        PostSnapshot.objects.create(
            post=post, campaign=launch, date=day, day_views_organic=organic, day_views_paid=paid
        )
    foreign = Campaign.objects.create(brand=other_brand, name="Theirs")
    PostSnapshot.objects.create(post=_post(foreign, 1), campaign=foreign, date=today, day_views_organic=7_000)

    html = _home(client_for(alice), brand)
    insights = reverse("integrations:insights", args=[brand.slug])
    assert _figure(html, "campaigns") == ("1", reverse("integrations:campaigns", args=[brand.slug]))
    assert _figure(html, "posts") == ("1", insights)
    assert _figure(html, "organic-views") == ("1,500", insights)
    assert _figure(html, "paid-views") == ("200", insights)


def test_the_glance_counts_spark_codes_on_tiktoks_clock_and_links_the_ledger_filtered(client_for, alice, ready):
    brand = ready
    now = timezone.now()
    Status = SparkAuthorization.Status
    _spark(brand, status=Status.ACTIVE, auth_end=now + timedelta(days=200))
    _spark(brand, status=Status.ACTIVE, auth_end=now + timedelta(days=13))
    _spark(brand, status=Status.EXPIRING, auth_end=now + timedelta(days=2))
    _spark(brand, status=Status.EXPIRED, auth_end=now - timedelta(days=1))
    _spark(brand, status=Status.REQUESTED)
    ledger = reverse("sparkads:ledger", args=[brand.slug])

    html = _home(client_for(alice), brand)
    assert _figure(html, "codes-active") == ("2", f"{ledger}?status=active")
    assert _figure(html, "codes-ending") == ("2", f"{ledger}?expiring_within=14")
    assert _figure(html, "codes-waiting") == ("1", f"{ledger}?status=requested")
    # The ledger's own filter lists exactly what the figure counts.
    listed = client_for(alice).get(f"{ledger}?expiring_within=14").content.decode()
    assert "2 authorizations match" in listed


def test_the_glance_follows_tiktoks_clock_not_the_servers(client_for, alice, ready, monkeypatch):
    from integrations.tiktok import clock

    _spark(ready, status=SparkAuthorization.Status.ACTIVE, auth_end=timezone.now() + timedelta(days=20))
    monkeypatch.setattr(clock, "now", lambda: timezone.now() + timedelta(days=10))
    assert _figure(_home(client_for(alice), ready), "codes-ending")[0] == "1"


def test_spend_at_risk_is_one_figure_per_currency_for_codes_ending_within_14_days(
    client_for, alice, ready, tto_factory, ad_factory
):
    brand = ready
    now = timezone.now()
    usd = ad_factory(brand, tto_factory(brand=brand), currency="USD")
    eur = ad_factory(brand, tto_factory(brand=brand), currency="EUR")
    live = SparkAuthorization.Status.ACTIVE
    _live_ad(_spark(brand, status=live, ad_account=usd, auth_end=now + timedelta(days=5)), "10.00")
    _live_ad(_spark(brand, status=live, ad_account=usd, auth_end=now + timedelta(days=12)), "2.50")
    _live_ad(_spark(brand, status=live, ad_account=usd, auth_end=now + timedelta(days=40)), "1000.00")  # later
    _live_ad(_spark(brand, status=live, ad_account=eur, auth_end=now + timedelta(days=3)), "4.00")

    glance = _glance(_home(client_for(alice), brand))
    # 30 days of each live ad's daily spend (AT_RISK_DAYS), never EUR added to USD.
    assert "375.00 USD" in glance and "120.00 EUR" in glance
    assert "495.00" not in glance and "30,375.00" not in glance
    assert glance.count("glance-at-risk") == 2


def test_a_brand_with_no_spend_at_risk_reads_none(client_for, alice, ready):
    assert _figure(_home(client_for(alice), ready), "at-risk")[0] == "None"


def test_creators_joining_the_marketplace_link_their_campaigns_creators_page(client_for, alice, ready):
    brand = ready
    campaign = Campaign.objects.get(brand=brand)
    for state in (State.WAITING, State.PROCESSING, State.JOIN_IN_APP):
        _creator(brand, state)
    _creator(brand, State.IN_MARKETPLACE)  # already in
    assert _figure(_home(client_for(alice), brand), "joining") == (
        "3",
        reverse("creators:campaign_creators", args=[brand.slug, campaign.pk]),
    )
    # Spread over two campaigns, the campaigns page leads to each one's creators.
    account = TikTokAccount.objects.create(handle="autumn.creator", open_id="open-autumn")
    Collaboration.objects.create(campaign=Campaign.objects.create(brand=brand, name="Autumn"), tiktok_account=account)
    MarketplaceOnboarding.objects.create(tiktok_account=account, state=State.WAITING, state_changed_at=timezone.now())
    assert _figure(_home(client_for(alice), brand), "joining") == (
        "4",
        reverse("integrations:campaigns", args=[brand.slug]),
    )


def _fill(brand, ad, size: int) -> None:
    """`size` of each thing the glance counts, in bulk."""
    from integrations.models import CampaignPost, PostSnapshot
    from sparkads.models import SparkAd

    now, today = timezone.now(), timezone.now().date()
    first = next(_n) * 10_000
    Campaign.objects.bulk_create(Campaign(brand=brand, name=f"C{first + i}") for i in range(size))
    campaign = Campaign.objects.filter(brand=brand).first()
    accounts = TikTokAccount.objects.bulk_create(
        TikTokAccount(handle=f"bulk{first + i}", open_id=f"bulk-{first + i}") for i in range(size)
    )
    posts = CampaignPost.objects.bulk_create(
        CampaignPost(campaign=campaign, tiktok_account=a, video_id=f"75{first + i:017d}", posted_at=now)
        for i, a in enumerate(accounts)
    )
    PostSnapshot.objects.bulk_create(
        PostSnapshot(post=p, campaign=campaign, date=today, day_views_organic=1, day_views_paid=1) for p in posts
    )
    Collaboration.objects.bulk_create(Collaboration(campaign=campaign, tiktok_account=a) for a in accounts)
    MarketplaceOnboarding.objects.bulk_create(
        MarketplaceOnboarding(tiktok_account=a, state=State.WAITING, state_changed_at=now) for a in accounts
    )
    rows = SparkAuthorization.objects.bulk_create(
        SparkAuthorization(
            brand=brand, ad_account=ad, video_id=f"74{first + i:017d}", status=SparkAuthorization.Status.ACTIVE,
            auth_end=now + timedelta(days=3),
        )
        for i in range(size)
    )  # fmt: skip
    SparkAd.objects.bulk_create(
        SparkAd(
            brand=brand, ad_account=ad, authorization=r, ad_id=f"bulk-ad-{first + i}", tiktok_item_id=r.video_id,
            identity_type=SparkAd.STOPS_WITH_CODE, operation_status="ENABLE", currency=ad.currency,
        )
        for i, r in enumerate(rows)
    )  # fmt: skip


def test_the_glance_costs_the_same_queries_at_10_and_1000_of_everything(
    client_for, alice, ready, django_assert_max_num_queries
):
    from integrations.models import AdAccount

    client = client_for(alice)
    ad = AdAccount.objects.get(brand=ready)

    def count() -> int:
        with django_assert_max_num_queries(40) as captured:
            html = _home(client, ready)
        assert 'id="glance"' in html
        return len(captured)

    _fill(ready, ad, 10)
    ten = count()
    assert _figure(_home(client, ready), "codes-ending")[0] == "10"
    _fill(ready, ad, 990)
    assert count() == ten
    assert _figure(_home(client, ready), "codes-ending")[0] == "1,000"
    assert _figure(_home(client, ready), "joining")[0] == "1,000"
