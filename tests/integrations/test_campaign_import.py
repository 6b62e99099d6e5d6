"""Importing the campaigns a brand already runs on its TikTok One account (tto/tcm/campaign/
GET): one Campaign row per TikTok campaign_id, however often the manager imports."""

from __future__ import annotations

import json

import pytest
import responses
from django.urls import reverse

from integrations.models import Campaign

from .conftest import messages_of

pytestmark = pytest.mark.django_db
GET = "/open_api/v1.3/tto/tcm/campaign/"


def page_of(campaigns: list[dict], page: int, total_page: int) -> dict:
    info = {"page": page, "page_size": 50, "total_number": 51, "total_page": total_page}
    return {"code": 0, "message": "OK", "request_id": "r", "data": {"campaigns": campaigns, "page_info": info}}


FIRST = {
    "campaign_id": "7900000000000000101",
    "campaign_type": "CAMPAIGN",
    "campaign_name": "Holiday",
    "brand_name": "Acme",
    "invite_link": "https://www.tiktok.com/tto/invite/holiday",
    "country_codes": ["US"],
    "anchor_id": "7600000000000000001",
    "dm_info": {"business_account_handle": "acme", "dm_allowed": True},
    "spark_ads_requested_authorization_days": 60,
}
SECOND = {"campaign_id": "7900000000000000102", "campaign_name": "Spring"}


@pytest.fixture
def url(brand):
    return reverse("integrations:import_campaigns", args=[brand.slug])


def test_importing_twice_makes_one_row_per_tiktok_campaign_across_pages(
    brand, tto_factory, client_for, alice, url, settings
):
    tto_factory(brand=brand)
    client = client_for(alice)
    with responses.RequestsMock() as rsps:
        rsps.get(settings.TIKTOK_BUSINESS_API_BASE_URL + GET, json=page_of([FIRST], 1, 2))
        rsps.get(settings.TIKTOK_BUSINESS_API_BASE_URL + GET, json=page_of([SECOND], 2, 2))
        first = client.post(url, follow=True)
        renamed = {**FIRST, "campaign_name": "Holiday 2026"}
        rsps.get(settings.TIKTOK_BUSINESS_API_BASE_URL + GET, json=page_of([renamed, SECOND], 1, 1))
        second = client.post(url, follow=True)
        pages_asked = [json.loads(c.request.params["page"]) for c in rsps.calls]
    assert pages_asked == [1, 2, 1]
    assert "2 new, 0 already here" in messages_of(first)
    assert "0 new, 2 already here" in messages_of(second)
    holiday = Campaign.objects.get(brand=brand, campaign_id=FIRST["campaign_id"])
    assert Campaign.objects.filter(brand=brand).count() == 2
    assert (holiday.name, holiday.status, holiday.spark_ads_default_days) == ("Holiday 2026", "active", 60)
    assert (holiday.country_codes, holiday.anchor_id, holiday.dm_business_account_handle, holiday.dm_allowed) == (
        ["US"],
        "7600000000000000001",
        "acme",
        True,
    )
    assert holiday.next_poll_at is not None  # its insights are polled like any campaign's


def test_a_campaign_another_brand_holds_is_not_taken_over(
    brand, other_brand, tto_factory, client_for, alice, url, settings
):
    tto_factory(brand=brand)
    theirs = Campaign.objects.create(brand=other_brand, name="Theirs", campaign_id=FIRST["campaign_id"])
    with responses.RequestsMock() as rsps:
        rsps.get(settings.TIKTOK_BUSINESS_API_BASE_URL + GET, json=page_of([FIRST], 1, 1))
        page = client_for(alice).post(url, follow=True)
    theirs.refresh_from_db()
    assert (theirs.brand, theirs.name) == (other_brand, "Theirs")
    assert not Campaign.objects.filter(brand=brand).exists()
    assert "1 could not be imported" in messages_of(page)


def test_the_platforms_shared_account_has_nothing_to_import_for_one_brand(brand, tto_factory, client_for, alice, url):
    tto_factory(brand=None, is_internal=True)
    with responses.RequestsMock():  # no call to TikTok
        page = client_for(alice).post(url, follow=True)
    assert "Only a brand's own TikTok One account has campaigns to import" in messages_of(page)


def test_members_cannot_import(brand, tto_factory, client_for, bob, url):
    tto_factory(brand=brand)
    assert client_for(bob).post(url).status_code == 404


def test_an_imported_campaign_with_a_creators_post_does_not_say_no_creators_yet(client_for, alice, brand):
    from django.urls import reverse

    from integrations.models import Campaign, CampaignPost, TikTokAccount

    campaign = Campaign.objects.create(brand=brand, name="Imported", campaign_id="7900000000000000123")
    account = TikTokAccount.objects.create(handle="market.star", open_id="o-ms")
    CampaignPost.objects.create(campaign=campaign, tiktok_account=account, video_id="7700000000000000999")
    page = client_for(alice).get(reverse("integrations:campaign_detail", args=[brand.slug, campaign.pk]))
    creators = page.content.decode().split("<h2>Creators</h2>", 1)[1].split("<h2>Posts</h2>", 1)[0]
    assert "No creators yet" not in creators and "@market.star" in creators
