"""The five rows of DESIGN.md's Spark Ads capability table, one test each, plus the edges."""

from __future__ import annotations

import pytest
from django.utils import timezone

from integrations.connect import capability as cap
from integrations.connect.capability import spark_ads_capability
from integrations.models import Credential, TikTokOneAccount

pytestmark = pytest.mark.django_db


def test_no_tiktok_one_account_uses_the_platforms_internal_one(brand, tto_factory):
    internal = tto_factory(brand=None, is_internal=True)
    c = spark_ads_capability(brand)
    assert (c.case, c.enabled) == (cap.NO_TIKTOK_ONE_ACCOUNT, False)
    assert c.tiktok_one_account == internal
    assert c.ad_account is None
    assert "Add TikTok One and Ad Account" in c.next_step
    assert c.reason


def test_no_tiktok_one_account_and_no_internal_one_uses_none(brand):
    c = spark_ads_capability(brand)
    assert (c.case, c.enabled, c.tiktok_one_account) == (cap.NO_TIKTOK_ONE_ACCOUNT, False, None)


def test_account_without_ad_account_is_off(brand, tto_factory):
    account = tto_factory(brand=brand)
    c = spark_ads_capability(brand)
    assert (c.case, c.enabled) == (cap.NO_AD_ACCOUNT, False)
    assert c.tiktok_one_account == account
    assert c.ad_account is None


def test_account_with_an_ad_account_it_can_access_is_on(brand, tto_factory, ad_factory):
    account = tto_factory(brand=brand)
    ad = ad_factory(brand, account, access=True, is_active_for_spark=True)
    c = spark_ads_capability(brand)
    assert (c.case, c.enabled) == (cap.ENABLED, True)
    assert (c.tiktok_one_account, c.ad_account) == (account, ad)


def test_account_with_an_ad_account_it_cannot_access_is_off(brand, tto_factory, ad_factory):
    account = tto_factory(brand=brand)
    ad_factory(brand, account, access=False)
    c = spark_ads_capability(brand)
    assert (c.case, c.enabled) == (cap.NO_ACCESS, False)
    assert c.tiktok_one_account == account
    assert "Business Center" in c.next_step


def test_unverified_account_gives_none_of_its_features_and_prompts_to_verify(brand, tto_factory, ad_factory):
    account = tto_factory(brand=brand, verified=False)
    ad_factory(brand, account, access=True, is_active_for_spark=True)
    internal = tto_factory(brand=None, is_internal=True)
    c = spark_ads_capability(brand)
    assert (c.case, c.enabled) == (cap.NOT_VERIFIED, False)
    # Sourcing and campaigns fall back to the platform's account, as with no account at all.
    assert c.tiktok_one_account == internal
    assert c.ad_account is None
    assert c.brand_account == account
    assert "Verify" in c.next_step


def test_the_capability_is_frozen(brand):
    c = spark_ads_capability(brand)
    with pytest.raises(AttributeError):
        c.enabled = True


def test_an_ad_account_with_access_but_not_chosen_says_to_choose_it(brand, tto_factory, ad_factory):
    account = tto_factory(brand=brand)
    ad_factory(brand, account, access=False, is_active_for_spark=True)
    usable = ad_factory(brand, account, access=True)
    c = spark_ads_capability(brand)
    assert (c.case, c.enabled) == (cap.NO_ACCESS, False)
    assert str(usable) in c.next_step


def test_a_revoked_connection_is_no_access_with_reconnect(brand, tto_factory, ad_factory):
    account = tto_factory(brand=brand, status=TikTokOneAccount.Status.INACTIVE)
    ad_factory(brand, account, access=True, is_active_for_spark=True)
    Credential.objects.filter(pk=account.credential_id).update(status=Credential.Status.NEEDS_RECONNECT)
    c = spark_ads_capability(brand)
    assert (c.case, c.enabled, c.needs_reconnect) == (cap.NO_ACCESS, False, True)
    assert "Reconnect" in c.next_step


def test_a_removed_account_or_ad_account_does_not_count(brand, tto_factory, ad_factory):
    account = tto_factory(brand=brand)
    ad_factory(brand, account, access=True, is_active_for_spark=True, removed_at=timezone.now())
    assert spark_ads_capability(brand).case == cap.NO_AD_ACCOUNT
    TikTokOneAccount.objects.filter(pk=account.pk).update(removed_at=timezone.now())
    assert spark_ads_capability(brand).case == cap.NO_TIKTOK_ONE_ACCOUNT


def test_another_brands_accounts_never_count(brand, other_brand, tto_factory, ad_factory):
    account = tto_factory(brand=other_brand)
    ad_factory(other_brand, account, access=True, is_active_for_spark=True)
    assert spark_ads_capability(brand).case == cap.NO_TIKTOK_ONE_ACCOUNT
    assert spark_ads_capability(other_brand).enabled


def test_enabled_with_one_ad_account_does_not_offer_to_pick_another_below(brand, tto_factory, ad_factory):
    account = tto_factory(brand=brand)
    ad_factory(brand, account, is_active_for_spark=True)
    assert "below" not in spark_ads_capability(brand).next_step
    ad_factory(brand, account)
    assert "pick another ad account for Spark Ads below" in spark_ads_capability(brand).next_step
