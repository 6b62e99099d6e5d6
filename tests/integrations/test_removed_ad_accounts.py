"""A removed ad account can come back: reconnecting restores it, and so does "Add back"; the
refusal to remove the last usable one says what the brand can actually do. Against the live
sandbox."""

from __future__ import annotations

import pytest
from django.urls import reverse

from integrations.models import AdAccount

from .conftest import messages_of

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

US, EU = "7300000000000000001", "7300000000000000002"


def _listed(client, brand) -> str:
    return client.get(reverse("integrations:tiktok_settings", args=[brand.slug])).content.decode()


def _remove(client, brand, advertiser_id: str):
    ad = AdAccount.objects.get(brand=brand, advertiser_id=advertiser_id)
    return client.post(reverse("integrations:remove_ad_account", args=[brand.slug, ad.pk]), follow=True)


def test_reconnecting_lists_a_removed_ad_account_again(client_for, alice, brand, connect_as):
    client = client_for(alice)
    connect_as(client, brand, "demo-brand")
    assert "Removed the ad account" in messages_of(_remove(client, brand, EU))
    assert AdAccount.objects.get(advertiser_id=EU).removed_at is not None

    page = connect_as(client, brand, "demo-brand")

    assert "2 ad accounts" in messages_of(page)
    eu = AdAccount.objects.get(brand=brand, advertiser_id=EU)
    assert eu.removed_at is None
    assert f"ad-{eu.pk}" in page.content.decode()  # listed among the brand's ad accounts


def test_add_back_restores_a_removed_ad_account_without_reconnecting(client_for, alice, brand, connect_as):
    client = client_for(alice)
    connect_as(client, brand, "demo-brand")
    _remove(client, brand, EU)
    eu = AdAccount.objects.get(brand=brand, advertiser_id=EU)
    assert "Add back" in _listed(client, brand)

    page = client.post(reverse("integrations:restore_ad_account", args=[brand.slug, eu.pk]), follow=True)

    assert "is back" in messages_of(page)
    eu.refresh_from_db()
    assert eu.removed_at is None and f"ad-{eu.pk}" in page.content.decode()


def test_the_last_usable_ad_account_is_kept_with_a_message_that_says_what_to_do(client_for, alice, brand, connect_as):
    client = client_for(alice)
    connect_as(client, brand, "demo-brand")
    _remove(client, brand, EU)

    said = messages_of(_remove(client, brand, US))

    assert AdAccount.objects.get(advertiser_id=US).removed_at is None
    assert "At least one must remain" in said
    assert "Add back" in said and "Add TikTok One and Ad Account" in said


def test_a_member_cannot_add_back_and_another_brand_gets_a_404(
    client_for, alice, bob, charlie, brand, other_brand, connect_as
):
    connect_as(client_for(alice), brand, "demo-brand")
    _remove(client_for(alice), brand, EU)
    eu = AdAccount.objects.get(brand=brand, advertiser_id=EU)
    url = reverse("integrations:restore_ad_account", args=[brand.slug, eu.pk])
    assert client_for(bob).post(url).status_code == 404
    assert client_for(charlie).post(url).status_code == 404
    assert AdAccount.objects.get(pk=eu.pk).removed_at is not None


def test_reconnecting_a_tiktok_one_account_support_removed_says_how_it_comes_back(client_for, alice, brand, connect_as):
    from django.utils import timezone

    from integrations.models import TikTokOneAccount

    client = client_for(alice)
    connect_as(client, brand, "demo-brand")
    TikTokOneAccount.objects.filter(brand=brand).update(removed_at=timezone.now())  # staff's "Remove"

    said = messages_of(connect_as(client, brand, "demo-brand"))

    assert "removed from this brand by support" in said and "contact support" in said


def test_add_back_twice_says_it_is_already_back(client_for, alice, brand, connect_as):
    client = client_for(alice)
    connect_as(client, brand, "demo-brand")
    _remove(client, brand, EU)
    eu = AdAccount.objects.get(brand=brand, advertiser_id=EU)
    url = reverse("integrations:restore_ad_account", args=[brand.slug, eu.pk])
    client.post(url)
    assert "already one of this brand's ad accounts" in messages_of(client.post(url, follow=True))
