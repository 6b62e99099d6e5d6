"""One tto/tcm/campaign/create/ per campaign the brand means to create, whatever the double
submits: the campaign row is written before TikTok is called."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
import responses
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from integrations.models import Campaign
from tests.races import submit_together

pytestmark = pytest.mark.django_db
CREATE = "/open_api/v1.3/tto/tcm/campaign/create/"
FORM = {"name": "Autumn drop", "brand_name": "Acme", "spark_ads_default_days": "30"}


def created(campaign_id: str = "7900000000000000777") -> dict:
    data = {"campaign_id": campaign_id, "invite_link": f"https://www.tiktok.com/tto/invite/{campaign_id}"}
    return {"code": 0, "message": "OK", "request_id": "r", "data": data}


@pytest.fixture
def page(brand, tto_factory, client_for, alice):
    tto_factory(brand=brand)
    return client_for(alice), reverse("integrations:campaigns", args=[brand.slug])


def test_a_double_submitted_campaign_is_created_once_and_both_land_on_it(page, brand, settings):
    client, url = page
    with responses.RequestsMock() as rsps:
        create = rsps.post(settings.TIKTOK_BUSINESS_API_BASE_URL + CREATE, json=created())
        first = client.post(url, FORM, follow=True)
        second = client.post(url, FORM, follow=True)
    assert create.call_count == 1
    campaign = Campaign.objects.get(brand=brand)
    detail = reverse("integrations:campaign_detail", args=[brand.slug, campaign.pk])
    assert first.redirect_chain[-1][0] == second.redirect_chain[-1][0] == detail
    assert (campaign.status, campaign.campaign_id) == ("active", "7900000000000000777")
    assert "Already created: “Autumn drop” was made on TikTok One a moment ago." in second.content.decode()


def test_a_campaign_being_created_is_not_sent_again(page, brand, settings):
    client, url = page
    Campaign.objects.create(brand=brand, name="Autumn drop", status="creating", next_poll_at=None)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        create = rsps.post(settings.TIKTOK_BUSINESS_API_BASE_URL + CREATE, json=created())
        response = client.post(url, FORM)
    assert create.call_count == 0
    assert response.status_code == 200
    assert "Already requested: “Autumn drop” is being created on TikTok One" in response.content.decode()


def test_a_campaign_tiktok_refuses_leaves_nothing_behind_and_can_be_created_again(page, brand, settings):
    client, url = page
    with responses.RequestsMock() as rsps:
        rsps.post(
            settings.TIKTOK_BUSINESS_API_BASE_URL + CREATE,
            json={"code": 40002, "message": "Invalid campaign name", "request_id": "r", "data": {}},
        )
        refused = client.post(url, FORM)
        assert not Campaign.objects.filter(brand=brand).exists()
        rsps.replace(responses.POST, settings.TIKTOK_BUSINESS_API_BASE_URL + CREATE, json=created())
        client.post(url, FORM)
        sent = len(rsps.calls)
    assert sent == 2
    assert "TikTok refused the request: Invalid campaign name" in refused.content.decode()
    assert Campaign.objects.get(brand=brand).status == "active"


def test_a_campaign_whose_creator_died_is_taken_over(page, brand, settings):
    client, url = page
    stuck = Campaign.objects.create(brand=brand, name="Autumn drop", status="creating", next_poll_at=None)
    Campaign.objects.filter(pk=stuck.pk).update(created_at=timezone.now() - timedelta(hours=1))
    with responses.RequestsMock() as rsps:
        create = rsps.post(settings.TIKTOK_BUSINESS_API_BASE_URL + CREATE, json=created())
        client.post(url, FORM)
    assert create.call_count == 1
    assert list(Campaign.objects.filter(brand=brand).values_list("status", flat=True)) == ["active"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent inserts under a constraint need PostgreSQL")
def test_ten_concurrent_creates_of_one_campaign_make_one_at_tiktok_and_no_500(brand, tto_factory, alice, settings):
    tto_factory(brand=brand)

    def slow_created(_request):
        time.sleep(0.3)  # TikTok answering after a moment, so the submits overlap the call
        return 200, {}, json.dumps(created())

    with responses.RequestsMock() as rsps:
        create = rsps.add_callback(
            responses.POST, settings.TIKTOK_BUSINESS_API_BASE_URL + CREATE, callback=slow_created
        )
        results = submit_together(alice, 10, reverse("integrations:campaigns", args=[brand.slug]), FORM)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert create.call_count == 1
    assert {r.status_code for r in results} == {200}
    campaign = Campaign.objects.get(brand=brand)
    pages = [r.content.decode() for r in results]
    assert sum("Created “Autumn drop” on TikTok One" in p for p in pages) == 1
    assert all("Autumn drop" in p and ("Already" in p or "Created" in p) for p in pages)
    assert campaign.status == "active"
