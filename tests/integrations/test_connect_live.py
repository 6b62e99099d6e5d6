"""The connect flow end to end against the live sandbox, as each business persona."""

from __future__ import annotations

import pytest
import requests
from django.db import connection
from django.urls import reverse

from integrations.connect import capability as cap
from integrations.connect.capability import spark_ads_capability
from integrations.models import (
    AdAccount,
    BusinessCenter,
    BusinessCenterGrant,
    Credential,
    TikTokOneAccount,
)

from .conftest import messages_of, start_connect

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def test_demo_brand_connects_and_spark_ads_are_on(client_for, alice, brand, connect_as):
    client = client_for(alice)
    page = connect_as(client, brand, "demo-brand")
    assert page.status_code == 200
    assert page.request["PATH_INFO"] == reverse("integrations:tiktok_settings", args=[brand.slug])
    assert "Connected to TikTok: 1 TikTok One account and 2 ad accounts." in messages_of(page)
    html = page.content.decode()
    assert "Demo Brand TikTok One" in html and "Active" in html and "dot ok" in html

    credential = Credential.objects.get(brand=brand)
    assert credential.kind == Credential.Kind.BUSINESS and credential.status == Credential.Status.OK
    assert credential.access_token
    with connection.cursor() as cursor:
        cursor.execute("SELECT access_token FROM integrations_credential WHERE id = %s", [credential.pk])
        raw = cursor.fetchone()[0]
    assert credential.access_token and credential.access_token not in raw  # encrypted at rest

    account = TikTokOneAccount.objects.get(brand=brand)
    assert (account.tto_tcm_account_id, account.business_verification_status) == ("7200000000000000001", "VERIFIED")
    ads = {a.advertiser_id: a for a in AdAccount.objects.filter(brand=brand)}
    assert set(ads) == {"7300000000000000001", "7300000000000000002"}
    assert all(a.tto_has_access for a in ads.values())
    assert ads["7300000000000000001"].is_active_for_spark
    assert ads["7300000000000000002"].currency == "EUR"
    assert {a.country for a in ads.values()} == {"US"}  # advertiser/info's, where music is checked
    bc = BusinessCenter.objects.get(brand=brand)
    assert (bc.bc_id, bc.user_role) == ("7400000000000000001", "ADMIN")
    assert BusinessCenterGrant.objects.filter(business_center=bc, status="active").count() == 2

    c = spark_ads_capability(brand)
    assert (c.case, c.enabled, c.ad_account) == (cap.ENABLED, True, ads["7300000000000000001"])
    assert brand.__class__.objects.get(pk=brand.pk).spark_capability_case == cap.ENABLED


def test_reconnecting_keeps_the_rows_and_duplicates_nothing(client_for, alice, brand, connect_as):
    client = client_for(alice)
    connect_as(client, brand, "demo-brand")
    before = (
        list(TikTokOneAccount.objects.values_list("pk", flat=True)),
        sorted(AdAccount.objects.values_list("pk", flat=True)),
        list(Credential.objects.values_list("pk", flat=True)),
    )
    page = connect_as(client, brand, "demo-brand")
    assert "Reconnected to TikTok" in messages_of(page)
    after = (
        list(TikTokOneAccount.objects.values_list("pk", flat=True)),
        sorted(AdAccount.objects.values_list("pk", flat=True)),
        list(Credential.objects.values_list("pk", flat=True)),
    )
    assert before == after
    assert BusinessCenter.objects.count() == 1 and BusinessCenterGrant.objects.count() == 2


def test_unverified_brand_is_prompted_to_verify(client_for, alice, brand, connect_as):
    page = connect_as(client_for(alice), brand, "unverified-brand")
    html = page.content.decode()
    assert "Not verified by TikTok" in html
    assert "Business verification" in html
    account = TikTokOneAccount.objects.get(brand=brand)
    assert account.business_verification_status == "REVIEWING"
    assert AdAccount.objects.get(brand=brand).tto_has_access  # access, but the account is unverified
    c = spark_ads_capability(brand)
    assert (c.case, c.enabled, c.tiktok_one_account) == (cap.NOT_VERIFIED, False, None)


def test_no_access_brand_has_its_ad_account_without_access(client_for, alice, brand, connect_as):
    page = connect_as(client_for(alice), brand, "no-access-brand")
    assert "No access" in page.content.decode()
    ad = AdAccount.objects.get(brand=brand)
    assert (ad.advertiser_id, ad.tto_has_access, ad.is_active_for_spark) == ("7300000000000000004", False, False)
    grant = BusinessCenterGrant.objects.get(asset_id="7300000000000000004")
    assert grant.status == BusinessCenterGrant.Status.PENDING
    c = spark_ads_capability(brand)
    assert (c.case, c.enabled) == (cap.NO_ACCESS, False)


def test_no_tto_brand_falls_back_to_the_internal_account(client_for, alice, brand, connect_as, tto_factory):
    internal = tto_factory(brand=None, is_internal=True)
    page = connect_as(client_for(alice), brand, "no-tto-brand")
    assert "Connected to TikTok: 0 TikTok One accounts and 1 ad account." in messages_of(page)
    assert not TikTokOneAccount.objects.filter(brand=brand).exists()
    assert AdAccount.objects.get(brand=brand).advertiser_id == "7300000000000000005"
    c = spark_ads_capability(brand)
    assert (c.case, c.enabled, c.tiktok_one_account) == (cap.NO_TIKTOK_ONE_ACCOUNT, False, internal)
    assert "the platform's own account" in page.content.decode()


# --- bad callbacks: a clear message, nothing stored -----------------------------------------


def _nothing_stored():
    return not (
        Credential.objects.exists()
        or TikTokOneAccount.objects.exists()
        or AdAccount.objects.exists()
        or BusinessCenter.objects.exists()
    )


def test_a_missing_state_is_refused(client_for, alice, brand, portal_auth):
    client = client_for(alice)
    _, redirect_uri = start_connect(client, brand)
    code = portal_auth("demo-brand", "", redirect_uri)
    page = client.get(reverse("integrations:tiktok_callback"), {"auth_code": code}, follow=True)
    assert "missing its security token" in messages_of(page)
    assert _nothing_stored()


def test_a_foreign_state_is_refused(client_for, alice, brand, portal_auth, client):
    from django.test import Client

    other_session = Client()
    other_session.force_login(alice)
    state, redirect_uri = start_connect(other_session, brand)  # started in another browser
    code = portal_auth("demo-brand", state, redirect_uri)
    mine = client_for(alice)
    page = mine.get(reverse("integrations:tiktok_callback"), {"auth_code": code, "state": state}, follow=True)
    assert "not started from this browser session" in messages_of(page)
    assert _nothing_stored()


def test_a_reused_state_is_refused_and_connects_nothing_more(client_for, alice, brand, portal_auth):
    client = client_for(alice)
    state, redirect_uri = start_connect(client, brand)
    code = portal_auth("demo-brand", state, redirect_uri)
    client.get(reverse("integrations:tiktok_callback"), {"auth_code": code, "state": state})
    counts = (Credential.objects.count(), TikTokOneAccount.objects.count(), AdAccount.objects.count())
    second_code = portal_auth("demo-brand", state, redirect_uri)
    page = client.get(reverse("integrations:tiktok_callback"), {"auth_code": second_code, "state": state}, follow=True)
    assert "already used" in messages_of(page)
    assert counts == (Credential.objects.count(), TikTokOneAccount.objects.count(), AdAccount.objects.count())


def test_deny_on_tiktok_stores_nothing(client_for, alice, brand):
    client = client_for(alice)
    state, _ = start_connect(client, brand)
    page = client.get(
        reverse("integrations:tiktok_callback"),
        {"error": "access_denied", "error_description": "The user denied", "state": state},
        follow=True,
    )
    assert "You cancelled on TikTok" in messages_of(page)
    assert page.request["PATH_INFO"] == reverse("integrations:tiktok_settings", args=[brand.slug])
    assert _nothing_stored()


def test_a_reused_auth_code_is_refused(client_for, alice, brand, portal_auth):
    client = client_for(alice)
    state, redirect_uri = start_connect(client, brand)
    code = portal_auth("demo-brand", state, redirect_uri)
    client.get(reverse("integrations:tiktok_callback"), {"auth_code": code, "state": state})
    Credential.objects.all().delete()
    TikTokOneAccount.objects.all().delete()
    AdAccount.objects.all().delete()
    BusinessCenter.objects.all().delete()
    state2, _ = start_connect(client, brand)
    page = client.get(reverse("integrations:tiktok_callback"), {"auth_code": code, "state": state2}, follow=True)
    assert "expired or was already used" in messages_of(page)
    assert _nothing_stored()


def test_an_expired_auth_code_is_refused(client_for, alice, brand, portal_auth, live_sandbox):
    client = client_for(alice)
    state, redirect_uri = start_connect(client, brand)
    code = portal_auth("demo-brand", state, redirect_uri)
    requests.post(f"{live_sandbox}/sandbox/api/clock/advance", json={"hours": 2}, timeout=30).raise_for_status()
    page = client.get(reverse("integrations:tiktok_callback"), {"auth_code": code, "state": state}, follow=True)
    assert "expired or was already used" in messages_of(page)
    assert _nothing_stored()


def test_a_made_up_auth_code_is_refused(client_for, alice, brand, live_sandbox):
    client = client_for(alice)
    state, _ = start_connect(client, brand)
    page = client.get(reverse("integrations:tiktok_callback"), {"auth_code": "nope", "state": state}, follow=True)
    assert "expired or was already used" in messages_of(page)
    assert _nothing_stored()


@pytest.mark.parametrize("fault", [{"error_40100": 1}, {"http_5xx": 1}])
def test_tiktok_down_or_throttling_during_discovery_connects_nothing(
    client_for, alice, brand, portal_auth, live_sandbox, settings, fault, monkeypatch
):
    monkeypatch.setattr("integrations.tiktok.clock.sleep", lambda s: None)
    settings.TIKTOK_MAX_RETRIES = 1
    client = client_for(alice)
    state, redirect_uri = start_connect(client, brand)
    code = portal_auth("demo-brand", state, redirect_uri)
    requests.post(
        f"{live_sandbox}/sandbox/api/faults", json={"pattern": "/open_api/v1.3/bc/asset/get/*", **fault}, timeout=30
    ).raise_for_status()
    page = client.get(reverse("integrations:tiktok_callback"), {"auth_code": code, "state": state}, follow=True)
    assert "TikTok is busy or not answering right now" in messages_of(page)
    assert _nothing_stored()


def test_a_tiktok_one_account_of_another_brand_is_not_taken_over(
    client_for, alice, brand, charlie, other_brand, connect_as
):
    connect_as(client_for(charlie), other_brand, "demo-brand")
    page = connect_as(client_for(alice), brand, "demo-brand")
    assert "already connected elsewhere" in messages_of(page)
    assert not Credential.objects.filter(brand=brand).exists()
    assert not AdAccount.objects.filter(brand=brand).exists()
    assert TikTokOneAccount.objects.get().brand == other_brand


def test_a_member_cannot_start_or_finish_a_connection(client_for, bob, alice, brand, portal_auth):
    client = client_for(bob)
    assert client.post(reverse("integrations:tiktok_connect", args=[brand.slug])).status_code == 404
