"""The campaign form sends the optional fields `tto/tcm/campaign/create/`'s request has
(brand_profile_id, anchor_id, business_account_handle) and stores what the campaign was
created with. Countries and whether creators may message the account are not in that request
(Go SDK model/tto/campaign/campaign.go CreateRequest): they come back on the campaign only."""

from __future__ import annotations

import json

import pytest
import responses
from django.urls import reverse

from integrations.models import Anchor, BrandProfile, Campaign
from tests.contract.endpoints import check_request

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


def test_the_campaign_goes_to_tiktok_with_only_the_fields_its_create_request_has(page, brand, settings):
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
        "brand_profile_id": "7300000000000000001",
        "anchor_id": "7200000000000000001",
        "dm_business_account_handle": "@acme.shop",
    }
    with responses.RequestsMock() as rsps:
        create = rsps.post(settings.TIKTOK_BUSINESS_API_BASE_URL + CREATE, json=CREATED)
        client.post(url, form)
    body = json.loads(create.calls[0].request.body)
    assert check_request("tto/tcm/campaign/create/", body, query=False) == []
    assert body["brand_profile_id"] == "7300000000000000001"
    assert body["anchor_id"] == "7200000000000000001"
    assert body["business_account_handle"] == "acme.shop"
    assert not {"country_codes", "dm_info"} & set(body)
    campaign = Campaign.objects.get(brand=brand)
    assert (campaign.anchor_id, campaign.dm_business_account_handle) == ("7200000000000000001", "acme.shop")


def test_the_form_says_what_tiktoks_create_request_does_not_take(page):
    client, url, _ = page
    text = client.get(url).content.decode()
    assert 'name="country_codes"' not in text and 'name="dm_allowed"' not in text
    assert "TikTok One's create request takes no countries" in text


def test_a_campaign_without_the_optional_fields_sends_none_of_them(page, brand, settings):
    client, url, _ = page
    with responses.RequestsMock() as rsps:
        create = rsps.post(settings.TIKTOK_BUSINESS_API_BASE_URL + CREATE, json=CREATED)
        client.post(url, FORM)
    body = json.loads(create.calls[0].request.body)
    assert not {"brand_profile_id", "anchor_id", "business_account_handle"} & set(body)


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


def test_a_business_account_handle_that_is_not_a_tiktok_handle_is_refused_before_tiktok(page, settings):
    client, url, _ = page
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        create = rsps.post(settings.TIKTOK_BUSINESS_API_BASE_URL + CREATE, json=CREATED)
        response = client.post(url, {**FORM, "dm_business_account_handle": "acme shop!"})
    assert create.call_count == 0
    assert "A TikTok handle: letters, digits, dots and underscores." in response.content.decode()
