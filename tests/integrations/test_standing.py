"""One status vocabulary: every page shows a TikTok One account's and an ad account's status
through their `standing`, with the reason and the next step when it is not fine."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from integrations.models import Credential, TikTokOneAccount

pytestmark = pytest.mark.django_db


def _accounts_section(client, brand) -> str:
    page = client.get(reverse("integrations:tiktok_settings", args=[brand.slug])).content.decode()
    return page[page.index('id="accounts"') :]


def test_an_unverified_account_is_not_active_and_says_how_to_verify(tto_factory, brand):
    standing = tto_factory(brand=brand, verified=False).standing
    assert (standing.label, standing.tone) == ("Not verified by TikTok", "warn")
    assert "under review" in standing.reason
    assert "Settings > Business verification" in standing.next_step


def test_an_account_whose_grant_was_revoked_is_inactive_with_reconnect_as_next_step(tto_factory, brand):
    account = tto_factory(brand=brand)
    Credential.objects.filter(pk=account.credential_id).update(status=Credential.Status.NEEDS_RECONNECT)
    account.refresh_from_db()
    standing = account.standing
    assert (standing.label, standing.tone) == ("Inactive", "bad")
    assert "revoked or expired" in standing.reason and "Reconnect" in standing.next_step


def test_an_account_tiktok_no_longer_lists_is_inactive_with_the_reason(tto_factory, brand):
    account = tto_factory(brand=brand, status=TikTokOneAccount.Status.INACTIVE)
    assert account.standing.label == "Inactive"
    assert "no longer lists it" in account.standing.reason


def test_a_verified_connected_account_is_active(tto_factory, brand):
    assert tto_factory(brand=brand).standing.label == "Active"


def test_a_removed_account_says_to_contact_support(tto_factory, brand):
    standing = tto_factory(brand=brand, removed_at=timezone.now()).standing
    assert standing.label == "Removed" and "Contact support" in standing.next_step


def test_the_settings_page_never_shows_an_unverified_account_as_active(client_for, alice, brand, tto_factory):
    tto_factory(brand=brand, verified=False)
    section = _accounts_section(client_for(alice), brand)
    assert ">Active<" not in section
    assert "Not verified by TikTok" in section and "Business verification" in section
    page = client_for(alice).get(reverse("integrations:tiktok_settings", args=[brand.slug])).content.decode()
    heading = page[page.index("<h1>") : page.index("</h1>")]
    assert "Active" not in heading and "Not verified by TikTok" in heading


def test_the_settings_page_shows_an_inactive_account_with_reason_next_step_and_reconnect(
    client_for, alice, brand, tto_factory
):
    tto_factory(brand=brand, status=TikTokOneAccount.Status.INACTIVE)
    section = _accounts_section(client_for(alice), brand)
    assert "Inactive" in section
    assert "Why:" in section and "no longer lists it" in section
    assert "Next step:" in section and ">Reconnect</button>" in section


def test_an_ad_account_without_access_shows_why_and_what_to_do(client_for, alice, brand, tto_factory, ad_factory):
    account = tto_factory(brand=brand)
    ad = ad_factory(brand, account, access=False)
    assert ad.standing.label == "No access"
    section = _accounts_section(client_for(alice), brand)
    assert "No access" in section and "Assets &gt; Ad accounts" in section


def test_an_ad_account_of_an_unverified_tiktok_one_account_is_never_shown_active_for_spark_ads(
    client_for, alice, brand, tto_factory, ad_factory
):
    account = tto_factory(brand=brand, verified=False)
    ad = ad_factory(brand, account, is_active_for_spark=True)
    standing = ad.standing
    assert not standing.is_ok and "not verified" in standing.reason.lower()
    section = _accounts_section(client_for(alice), brand)
    assert "Active for Spark Ads" not in section
    assert "Spark Ads off until" in section


def test_an_unverified_brand_account_reads_the_platforms_account_as_the_sourcing_one(
    client_for, alice, brand, tto_factory
):
    tto_factory(brand=brand, verified=False)
    tto_factory(brand=None, is_internal=True)
    page = client_for(alice).get(reverse("integrations:tiktok_settings", args=[brand.slug])).content.decode()
    assert "creator sourcing and campaigns: the platform's own account" in " ".join(page.split())
