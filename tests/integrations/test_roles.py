"""The brand-side role matrix (docs/roles.md): members read every page; only owners and
admins act. A member's POST is a 404, as for an outsider, and changes nothing."""

from __future__ import annotations

import pytest
import responses
from django.urls import reverse
from django.utils import timezone

from integrations.insights.tasks import poll_campaign_report
from integrations.models import AdAccount, BrandMembership, BrandNotice, Campaign, Collaboration, Credential

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def acme(brand, tto_factory, ad_factory):
    account = tto_factory(brand=brand)
    ad = ad_factory(brand, account, is_active_for_spark=True)
    other_ad = ad_factory(brand, account)
    removed_ad = ad_factory(brand, account, removed_at=timezone.now())
    notice = BrandNotice.objects.create(brand=brand, message="Spark Ads are now enabled.")
    campaign = Campaign.objects.create(brand=brand, tiktok_one_account=account, name="Acme launch", campaign_id="7999")
    return {"ad": ad, "other_ad": other_ad, "removed_ad": removed_ad, "notice": notice, "campaign": campaign}


def _forbidden_posts(brand, acme):
    """Every brand-side action a member may not take: (what, url, form data)."""
    slug, campaign = brand.slug, acme["campaign"]
    return [
        ("connect an account", reverse("integrations:tiktok_connect", args=[slug]), {}),
        (
            "choose the Spark Ads ad account",
            reverse("integrations:choose_spark_ad_account", args=[slug, acme["other_ad"].pk]),
            {},
        ),
        ("remove an ad account", reverse("integrations:remove_ad_account", args=[slug, acme["ad"].pk]), {}),
        ("add back an ad account", reverse("integrations:restore_ad_account", args=[slug, acme["removed_ad"].pk]), {}),
        ("dismiss a notice", reverse("integrations:dismiss_notice", args=[slug, acme["notice"].pk]), {}),
        (
            "create a campaign",
            reverse("integrations:campaigns", args=[slug]),
            {"name": "Member's campaign", "brand_name": "Acme", "spark_ads_default_days": "30"},
        ),
        (
            "edit requirements",
            reverse("integrations:campaign_detail", args=[slug, campaign.pk]),
            {"require_sponsored_video_tab": "on"},
        ),
        (
            "add a creator to a campaign",
            reverse("integrations:creator_profile", args=[slug, "demo.creator"]),
            {"campaign": campaign.pk},
        ),
        ("poll insights now", reverse("integrations:insights_poll", args=[slug, campaign.pk]), {}),
    ]


def _state(brand):
    campaign = Campaign.objects.get(name="Acme launch")
    return (
        sorted(Campaign.objects.filter(brand=brand).values_list("name", flat=True)),
        (campaign.require_tiktok_authorized, campaign.require_sponsored_video_tab, campaign.next_poll_at),
        list(AdAccount.objects.order_by("pk").values_list("removed_at", "is_active_for_spark")),
        list(BrandNotice.objects.values_list("dismissed_at", flat=True)),
        Collaboration.objects.count(),
        Credential.objects.count(),
    )


@pytest.mark.parametrize("htmx", [False, True], ids=["form", "htmx"])
def test_a_member_gets_404_for_every_manager_action_and_nothing_changes(
    client_for, bob, brand, acme, monkeypatch, htmx
):
    monkeypatch.setattr(poll_campaign_report, "delay", lambda pk: pytest.fail("a member's POST enqueued a poll"))
    client = client_for(bob)
    before = _state(brand)
    with responses.RequestsMock():  # and nothing reaches TikTok
        for what, url, data in _forbidden_posts(brand, acme):
            response = client.post(url, data, **(HTMX if htmx else {}))
            assert response.status_code == 404, what
    assert _state(brand) == before


@pytest.mark.parametrize("role", [BrandMembership.Role.OWNER, BrandMembership.Role.ADMIN])
def test_owners_and_admins_may_edit_requirements_and_dismiss_notices(client_for, user_factory, brand, acme, role):
    manager = user_factory(email=f"{role}@example.test")
    BrandMembership.objects.update_or_create(user=manager, brand=brand, defaults={"role": role})
    client = client_for(manager)
    campaign = acme["campaign"]
    url = reverse("integrations:campaign_detail", args=[brand.slug, campaign.pk])
    assert client.post(url, {"require_sponsored_video_tab": "on"}).status_code == 302
    campaign.refresh_from_db()
    assert not campaign.require_tiktok_authorized and campaign.require_sponsored_video_tab
    response = client.post(reverse("integrations:dismiss_notice", args=[brand.slug, acme["notice"].pk]), **HTMX)
    assert response.status_code == 200
    assert BrandNotice.objects.get(pk=acme["notice"].pk).dismissed_at is not None


def test_a_member_reads_every_brand_page_without_its_buttons(client_for, bob, brand, acme):
    client = client_for(bob)
    slug, campaign = brand.slug, acme["campaign"]
    pages = {
        reverse("integrations:tiktok_settings", args=[slug]): ["Spark Ads are now enabled."],
        reverse("integrations:campaigns", args=[slug]): ["Acme launch"],
        reverse("integrations:campaign_detail", args=[slug, campaign.pk]): ["Requirements for creators"],
        reverse("integrations:insights_campaign", args=[slug, campaign.pk]): ["Acme launch"],
    }
    buttons = [
        f"{label}</button>"
        for label in ("Dismiss", "Remove", "Use for Spark Ads", "Add TikTok One and Ad Account", "Reconnect")
        + ("Create campaign", "Save requirements", "Fetch now")
    ]
    for url, shown in pages.items():
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert all(text in html for text in shown), url
        assert not [b for b in buttons if b in html], url
    Campaign.objects.filter(pk=campaign.pk).update(require_original_or_promo_sound=False)
    detail = client.get(reverse("integrations:campaign_detail", args=[slug, campaign.pk])).content.decode()
    assert "Creators must authorize TikTok on this platform: required" in detail  # read, not edited
    assert "Use Original Sound or a Promo+ sound only: not required" in detail


def test_an_owner_sees_the_buttons_a_member_does_not(client_for, alice, brand, acme):
    client = client_for(alice)
    slug, campaign = brand.slug, acme["campaign"]
    html = "".join(
        client.get(url).content.decode()
        for url in (
            reverse("integrations:tiktok_settings", args=[slug]),
            reverse("integrations:campaign_detail", args=[slug, campaign.pk]),
            reverse("integrations:insights_campaign", args=[slug, campaign.pk]),
        )
    )
    for button in (
        "Dismiss</button>",
        "Use for Spark Ads</button>",
        "Save requirements</button>",
        "Fetch now</button>",
    ):
        assert button in html
