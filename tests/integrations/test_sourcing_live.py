"""Creator sourcing (tto/tcm/creator/discover/, creator/public/) and campaigns
(tto/tcm/campaign/create/) against the live sandbox."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
from django.urls import reverse

from integrations.models import Campaign, CampaignPost, Collaboration, TikTokAccount, TikTokOneAccount

from .conftest import messages_of

pytestmark = [pytest.mark.integration, pytest.mark.django_db]
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def connected(client_for, alice, brand, connect_as):
    client = client_for(alice)
    connect_as(client, brand, "demo-brand")
    return client


def _searched(client, url: str, run_jobs, params: dict | None = None, **headers: str) -> tuple:
    """A search as the browser sees it: the page or fragment with the job's progress, then the
    results area the worker filled once it has."""
    with run_jobs():
        page = client.get(url, params or {}, **headers)
    assert page.status_code == 200
    job = page.context["job"]
    assert 'hx-trigger="every 2s"' in page.content.decode() and reverse("integrations:job", args=[job.pk]) in (
        page.content.decode()
    )
    done = client.get(reverse("integrations:job", args=[job.pk]), **HTMX)
    html = done.content.decode()
    assert html.lstrip().startswith('<section id="creator-results"') and "every 2s" not in html
    return page, done


def test_search_lists_marketplace_creators_with_filters_and_pages(connected, brand, run_jobs):
    url = reverse("integrations:creator_search", args=[brand.slug])
    page, first = _searched(connected, url, run_jobs)
    assert "<html" in page.content.decode()
    results = first.context["results"]
    assert results["total"] > 20 and len(results["creators"]) == 20 and results["has_next"]
    followers = [c["followers_count"] for c in results["creators"]]
    assert followers == sorted(followers, reverse=True)
    assert "market.star" in first.content.decode()

    filters = {"country": "us", "min_followers": 50000, "min_engagement": "3", "sort": "views"}
    creators = _searched(connected, url, run_jobs, filters)[1].context["results"]["creators"]
    assert creators and all(c["country_code"] == "US" and c["followers_count"] >= 50000 for c in creators)
    assert all(c["engagement_rate"] >= 0.03 for c in creators)
    views = [c["median_views"] for c in creators]
    assert views == sorted(views, reverse=True)

    # Later pages the same way, as a fragment for the results area.
    second, done = _searched(connected, url, run_jobs, {"page": 2}, **HTMX)
    html = second.content.decode()
    assert html.lstrip().startswith('<section id="creator-results"') and "<html" not in html
    html = done.content.decode()
    assert done.context["results"]["page"] == 2 and "page 2 of" in html
    assert {c["handle_name"] for c in done.context["results"]["creators"]}.isdisjoint(
        {c["handle_name"] for c in results["creators"]}
    )


def test_a_keyword_search_and_a_bad_filter(connected, brand, run_jobs):
    url = reverse("integrations:creator_search", args=[brand.slug])
    found = _searched(connected, url, run_jobs, {"keyword": "market.star"})[1].context["results"]["creators"]
    assert [c["handle_name"] for c in found] == ["market.star"]
    bad = connected.get(url, {"country": "USA", "min_followers": 10, "max_followers": 5})
    assert bad.context["job"] is None
    assert "two-letter country code" in bad.content.decode()


def _profile(client, url: str, run_jobs) -> tuple:
    """A profile as the browser sees it: the page with the job's progress, then the profile
    the worker read once it has."""
    with run_jobs():
        page = client.get(url)
    assert page.status_code == 200
    job = page.context["job"]
    html = page.content.decode()
    assert 'hx-trigger="every 2s"' in html and reverse("integrations:job", args=[job.pk]) in html
    assert "Load a creator&#x27;s profile: waiting for a worker" in html
    done = client.get(reverse("integrations:job", args=[job.pk]), **HTMX)
    assert done.content.decode().lstrip().startswith('<section id="creator-profile"')
    assert "every 2s" not in done.content.decode()
    return page, done


def test_a_profile_shows_audience_breakdowns_and_adds_to_a_campaign(connected, brand, run_jobs):
    campaign = Campaign.objects.create(brand=brand, name="Summer", campaign_id="7900000000000000077")
    url = reverse("integrations:creator_profile", args=[brand.slug, "market.star"])
    page, done = _profile(connected, url, run_jobs)
    html = done.content.decode()
    assert "@market.star" in page.content.decode() and "@market.star" in html and "310,000" in html
    titles = [b["title"] for b in done.context["results"]["breakdowns"]]
    assert titles == ["Countries", "Gender", "Age", "Devices"]
    assert "FEMALE" in html and "18-24" in html

    response = connected.post(url, {"campaign": campaign.pk}, follow=True)
    assert "Added @market.star to “Summer” (invited)." in messages_of(response)
    account = TikTokAccount.objects.get(handle="market.star")
    assert (account.creator_id, account.follower_count) == ("7500000000000000005", 310000)
    collab = Collaboration.objects.get(campaign=campaign, tiktok_account=account)
    assert collab.status == Collaboration.Status.INVITED
    again = connected.post(url, {"campaign": campaign.pk}, follow=True)
    assert "already in" in messages_of(again)
    assert Collaboration.objects.count() == 1 and TikTokAccount.objects.count() == 1


def test_another_brands_campaign_cannot_be_chosen(connected, brand, other_brand):
    foreign = Campaign.objects.create(brand=other_brand, name="Theirs")
    url = reverse("integrations:creator_profile", args=[brand.slug, "market.star"])
    response = connected.post(url, {"campaign": foreign.pk})
    assert response.status_code == 200  # the form is shown again with its error
    assert not Collaboration.objects.exists()


def test_an_unknown_handle_shows_what_tiktok_answered_in_place_of_the_profile(connected, brand, run_jobs):
    url = reverse("integrations:creator_profile", args=[brand.slug, "nobody.here"])
    done = _profile(connected, url, run_jobs)[1]
    assert done.context["job"].state == "failed"
    assert "TikTok refused the request" in done.content.decode()


def test_creating_a_campaign_stores_its_id_and_invite_link(connected, brand):
    url = reverse("integrations:campaigns", args=[brand.slug])
    form = connected.get(url)
    assert form.status_code == 200 and "New TikTok One campaign" in form.content.decode()
    response = connected.post(
        url,
        {
            "name": "Autumn drop",
            "brand_name": "Acme",
            "description": "Show the new jacket",
            "spark_ads_default_days": "60",
            "require_tiktok_authorized": "on",
            "require_sponsored_video_tab": "on",
        },
        follow=True,
    )
    campaign = Campaign.objects.get(brand=brand)
    assert campaign.campaign_id.startswith("79") and len(campaign.campaign_id) == 19
    assert "/sandbox/tto/invite/" in campaign.invite_link
    assert campaign.tiktok_one_account == TikTokOneAccount.objects.get(brand=brand)
    assert (
        campaign.require_tiktok_authorized,
        campaign.require_sponsored_video_tab,
        campaign.require_original_or_promo_sound,
        campaign.spark_ads_default_days,
    ) == (True, True, False, 60)
    assert response.request["PATH_INFO"] == reverse("integrations:campaign_detail", args=[brand.slug, campaign.pk])
    html = response.content.decode()
    assert campaign.invite_link in html
    assert reverse("creators:campaign_creators", args=[brand.slug, campaign.pk]) in html
    assert "Autumn drop" in connected.get(url).content.decode()


def test_the_campaign_page_sets_requirements_and_lists_creators_and_posts(connected, brand):
    campaign = Campaign.objects.create(
        brand=brand, name="Spring", campaign_id="7900000000000000055", invite_link="https://example.test/invite"
    )
    account = TikTokAccount.objects.create(handle="demo.creator")
    collab = Collaboration.objects.create(campaign=campaign, tiktok_account=account, status=Collaboration.Status.JOINED)
    CampaignPost.objects.create(
        campaign=campaign,
        collaboration=collab,
        tiktok_account=account,
        video_id="7700000000000000101",
        link_status="APPROVE",
    )
    url = reverse("integrations:campaign_detail", args=[brand.slug, campaign.pk])
    html = connected.get(url).content.decode()
    assert "@demo.creator" in html and "Joined" in html
    assert "7700000000000000101" in html and "Linked" in html and "TikTok is reviewing this post" in html
    response = connected.post(url, {"require_tiktok_authorized": "on"}, follow=True)
    assert "Saved the campaign's requirements." in messages_of(response)
    campaign.refresh_from_db()
    assert (
        campaign.require_tiktok_authorized,
        campaign.require_sponsored_video_tab,
        campaign.require_original_or_promo_sound,
    ) == (True, False, False)


def test_a_brand_without_tiktok_one_sources_through_the_internal_account(
    client_for, alice, brand, user_factory, connect_as, portal_auth, run_jobs
):
    staff = user_factory(is_staff=True, is_superuser=True)
    admin_client = client_for(staff)
    start = admin_client.post(reverse("admin:integrations_tiktokoneaccount_connect_internal"))
    assert start.status_code == 302
    query = parse_qs(urlparse(start["Location"]).query)
    code = portal_auth("demo-brand", query["state"][0], query["redirect_uri"][0])
    done = admin_client.get(
        reverse("integrations:tiktok_callback"), {"auth_code": code, "state": query["state"][0]}, follow=True
    )
    assert "Connected to TikTok: 1 TikTok One account." in messages_of(done)
    internal = TikTokOneAccount.objects.get()
    assert internal.is_internal and internal.brand is None and internal.credential.brand is None

    client = client_for(alice)
    connect_as(client, brand, "no-tto-brand")
    page, done = _searched(client, reverse("integrations:creator_search", args=[brand.slug]), run_jobs)
    assert page.context["account"] == internal
    assert "the platform's own TikTok One account" in page.content.decode()
    assert done.context["results"]["creators"]


def test_without_any_tiktok_one_account_sourcing_explains_why(client_for, alice, brand, live_sandbox):
    client = client_for(alice)
    page = client.get(reverse("integrations:creator_search", args=[brand.slug]))
    assert "Creator sourcing is not available yet" in page.content.decode()
    create = client.post(
        reverse("integrations:campaigns", args=[brand.slug]), {"name": "x", "spark_ads_default_days": "30"}, follow=True
    )
    assert "needs a TikTok One account" in messages_of(create)
    assert not Campaign.objects.exists()
