"""The campaign pages against the live sandbox: a brand profile and an anchor made there, the
anchor through TikTok's review, a campaign that points at both; the campaigns the brand
already runs on TikTok One imported."""

from __future__ import annotations

import pytest
import requests
from django.urls import reverse

from integrations.models import Anchor, BrandProfile, Campaign

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def test_a_campaign_points_at_a_brand_profile_and_an_anchor_tiktok_approved(
    client_for, alice, brand, connect_as, live_sandbox, run_jobs
):
    client = client_for(alice)
    connect_as(client, brand, "demo-brand")
    assets = reverse("integrations:campaign_assets", args=[brand.slug])
    client.post(
        assets,
        {"kind": "profile", "profile-brand_name": "Acme", "profile-tiktok_account_url": "https://www.tiktok.com/@acme"},
    )
    client.post(
        assets,
        {
            "kind": "anchor",
            "anchor-anchor_sub_type": "DESTINATION",
            "anchor-anchor_name": "Site",
            "anchor-anchor_title": "Visit Acme",
            "anchor-landing_page_url": "https://acme.example",
        },
    )
    profile, anchor = BrandProfile.objects.get(brand=brand), Anchor.objects.get(brand=brand)
    assert anchor.status == "DRAFT"

    requests.post(f"{live_sandbox}/sandbox/api/clock/advance", json={"minutes": 10}, timeout=30).raise_for_status()
    with run_jobs():
        page = client.get(assets)
    # The page shows the status last read while a worker reads TikTok's review.
    assert "Draft" in page.content.decode() and 'hx-trigger="every 2s"' in page.content.decode()
    checked = client.get(reverse("integrations:job", args=[page.context["job"].pk]), HTTP_HX_REQUEST="true")
    anchor.refresh_from_db()
    assert anchor.status == "APPROVED" and "Approved" in checked.content.decode()

    campaigns = reverse("integrations:campaigns", args=[brand.slug])
    client.post(
        campaigns,
        {
            "name": "Autumn drop",
            "brand_name": "Acme",
            "spark_ads_default_days": "30",
            "brand_profile_id": profile.brand_profile_id,
            "anchor_id": anchor.anchor_id,
            "dm_business_account_handle": "acme",
        },
    )
    campaign = Campaign.objects.get(brand=brand, name="Autumn drop")
    assert campaign.status == "active" and campaign.campaign_id
    at_tiktok = requests.get(
        f"{live_sandbox}/open_api/v1.3/tto/tcm/campaign/",
        params={"tto_tcm_account_id": campaign.tiktok_one_account.tto_tcm_account_id},
        headers={"Access-Token": campaign.tiktok_one_account.credential.access_token},
        timeout=30,
    ).json()["data"]["campaigns"]
    made = next(c for c in at_tiktok if c["campaign_id"] == campaign.campaign_id)
    assert (made["anchor_id"], made["brand_profile_id"]) == (anchor.anchor_id, profile.brand_profile_id)
    assert made["dm_info"] == {"business_account_handle": "acme"}


def test_importing_lists_the_campaigns_the_brand_already_runs_once(client_for, alice, brand, connect_as, live_sandbox):
    client = client_for(alice)
    connect_as(client, brand, "demo-brand")
    url = reverse("integrations:import_campaigns", args=[brand.slug])
    client.post(url)
    client.post(url)
    spring = Campaign.objects.get(brand=brand, campaign_id="7900000000000000001")
    assert spring.name == "Spring Launch" and spring.invite_link
    assert Campaign.objects.filter(campaign_id="7900000000000000001").count() == 1
    page = client.get(reverse("integrations:campaigns", args=[brand.slug]))
    assert "Spring Launch" in page.content.decode()
