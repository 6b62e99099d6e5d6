"""The campaign form sends TikTok One's optional create fields (country_codes, dm_info,
brand_profile_id, anchor_id) and stores what the campaign was created with."""

from __future__ import annotations

import json

import pytest
import responses
from django.urls import reverse

from integrations.models import Anchor, BrandProfile, Campaign

pytestmark = pytest.mark.django_db
CREATE = "/open_api/v1.3/tto/tcm/campaign/create/"
FORM = {"name": "Autumn drop", "brand_name": "Acme", "spark_ads_default_days": "30"}
CREATED = {
    "code": 0,
    "message": "OK",
    "request_id": "r",
    "data": {"campaign_id": "7900000000000000777", "invite_link": "https://www.tiktok.com/tto/invite/79"},
}


@pytest.fixture
def page(brand, tto_factory, client_for, alice):
    account = tto_factory(brand=brand)
    return client_for(alice), reverse("integrations:campaigns", args=[brand.slug]), account


def test_the_campaign_goes_to_tiktok_with_its_countries_profile_anchor_and_dm_account(page, brand, settings):
    client, url, account = page
    BrandProfile.objects.create(
        brand=brand, tiktok_one_account=account, brand_profile_id="7300000000000000001", brand_name="Acme"
    )
    Anchor.objects.create(
        brand=brand,
        tiktok_one_account=account,
        anchor_id="7200000000000000001",
        anchor_sub_type="DESTINATION",
        anchor_name="Shop",
        anchor_title="Shop now",
        status="APPROVED",
    )
    form = {
        **FORM,
        "country_codes": "us, gb ,US",
        "brand_profile_id": "7300000000000000001",
        "anchor_id": "7200000000000000001",
        "dm_business_account_handle": "@acme.shop",
        "dm_allowed": "on",
    }
    with responses.RequestsMock() as rsps:
        create = rsps.post(settings.TIKTOK_BUSINESS_API_BASE_URL + CREATE, json=CREATED)
        client.post(url, form)
    body = json.loads(create.calls[0].request.body)
    assert body["country_codes"] == ["GB", "US"]
    assert body["brand_profile_id"] == "7300000000000000001"
    assert body["anchor_id"] == "7200000000000000001"
    assert body["dm_info"] == {"business_account_handle": "acme.shop", "dm_allowed": True}
    campaign = Campaign.objects.get(brand=brand)
    assert (campaign.country_codes, campaign.anchor_id, campaign.dm_allowed) == (
        ["GB", "US"],
        "7200000000000000001",
        True,
    )


def test_a_campaign_without_the_optional_fields_sends_none_of_them(page, brand, settings):
    client, url, _ = page
    with responses.RequestsMock() as rsps:
        create = rsps.post(settings.TIKTOK_BUSINESS_API_BASE_URL + CREATE, json=CREATED)
        client.post(url, FORM)
    body = json.loads(create.calls[0].request.body)
    assert not {"country_codes", "brand_profile_id", "anchor_id", "dm_info"} & set(body)


def test_another_brands_anchor_or_a_rejected_one_cannot_be_chosen(page, brand, other_brand, settings):
    client, url, account = page
    Anchor.objects.create(
        brand=other_brand,
        tiktok_one_account=account,
        anchor_id="7200000000000000002",
        anchor_sub_type="DESTINATION",
        anchor_name="Theirs",
        anchor_title="Theirs",
        status="APPROVED",
    )
    Anchor.objects.create(
        brand=brand,
        tiktok_one_account=account,
        anchor_id="7200000000000000003",
        anchor_sub_type="DESTINATION",
        anchor_name="Refused",
        anchor_title="Refused",
        status="REJECTED_BY_AUDIT",
    )
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        create = rsps.post(settings.TIKTOK_BUSINESS_API_BASE_URL + CREATE, json=CREATED)
        for anchor_id in ("7200000000000000002", "7200000000000000003"):
            response = client.post(url, {**FORM, "anchor_id": anchor_id})
            assert "Select a valid choice" in response.content.decode()
    assert create.call_count == 0


def test_direct_messages_need_the_account_to_message(page, settings):
    client, url, _ = page
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        create = rsps.post(settings.TIKTOK_BUSINESS_API_BASE_URL + CREATE, json=CREATED)
        response = client.post(url, {**FORM, "dm_allowed": "on", "country_codes": "USA"})
    assert create.call_count == 0
    page_text = response.content.decode()
    assert "Name the account creators may message." in page_text
    assert "Use two-letter country codes separated by commas" in page_text
