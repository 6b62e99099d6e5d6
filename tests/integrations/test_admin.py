"""Staff in Django admin: the internal account, removing a brand's account, re-check now,
and the connections' health without token values."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import TestCase
from django.urls import reverse

from integrations import tasks
from integrations.connect import capability as cap
from integrations.connect.capability import spark_ads_capability
from integrations.models import Credential, TikTokOneAccount

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client_for, user_factory):
    return client_for(user_factory(email="staff@example.test", is_staff=True, is_superuser=True))


def _action(client, model: str, action: str, pks):
    url = reverse(f"admin:integrations_{model}_changelist")
    return client.post(url, {"action": action, "_selected_action": [str(pk) for pk in pks]}, follow=True)


def test_the_connections_list_shows_health_but_never_tokens(staff_client, brand, credential_factory):
    ok = credential_factory(
        brand=brand, access_token="SECRET-ACCESS-1", refresh_token="SECRET-REFRESH-1", scopes="1,2,3"
    )
    bad = credential_factory(
        brand=brand,
        access_token="SECRET-ACCESS-2",
        status=Credential.Status.NEEDS_RECONNECT,
        last_error="TikTok rejected the token: 40105",
    )
    listing = staff_client.get(reverse("admin:integrations_credential_changelist")).content.decode()
    for column in ("Kind", "Scopes", "Access expires at", "Last refreshed at", "Last error", "Needs reconnect"):
        assert column in listing
    assert "40105" in listing and "1,2,3" in listing
    for pk in (ok.pk, bad.pk):
        page = staff_client.get(reverse("admin:integrations_credential_change", args=[pk])).content.decode()
        assert "SECRET-" not in page
    assert "SECRET-" not in listing


def test_staff_sets_the_internal_account(staff_client, tto_factory, brand):
    old = tto_factory(brand=None, is_internal=True)
    new = tto_factory(brand=None)
    _action(staff_client, "tiktokoneaccount", "make_internal", [new.pk])
    old.refresh_from_db(), new.refresh_from_db()
    assert (old.is_internal, new.is_internal) == (False, True)
    assert spark_ads_capability(brand).tiktok_one_account == new


def test_a_brands_account_cannot_become_the_internal_one(staff_client, tto_factory, brand):
    account = tto_factory(brand=brand)
    response = _action(staff_client, "tiktokoneaccount", "make_internal", [account.pk])
    assert "Only an account connected for the platform" in response.content.decode()
    account.refresh_from_db()
    assert not account.is_internal


def test_removing_a_brands_account_falls_back_and_tells_the_owners(staff_client, brand, alice, tto_factory, ad_factory):
    internal = tto_factory(brand=None, is_internal=True)
    account = tto_factory(brand=brand)
    ad_factory(brand, account, is_active_for_spark=True)
    from integrations.connect.capability import record_capability

    record_capability(brand, notify=False)
    mail.outbox.clear()
    with TestCase.captureOnCommitCallbacks(execute=True):
        _action(staff_client, "tiktokoneaccount", "remove_from_brand", [account.pk])
    account.refresh_from_db()
    assert account.removed_at is not None and account.status == TikTokOneAccount.Status.INACTIVE
    c = spark_ads_capability(brand)
    assert (c.case, c.tiktok_one_account, c.enabled) == (cap.NO_TIKTOK_ONE_ACCOUNT, internal, False)
    assert [m.to for m in mail.outbox] == [[alice.email]]
    _action(staff_client, "tiktokoneaccount", "restore", [account.pk])
    account.refresh_from_db()
    assert account.removed_at is None


def test_recheck_now_enqueues_one_task_per_connection(
    staff_client, brand, tto_factory, credential_factory, monkeypatch
):
    sent = []
    monkeypatch.setattr(tasks.recheck_connection, "delay", lambda pk: sent.append(pk))
    shared = credential_factory(brand=brand)
    a = tto_factory(brand=brand, credential=shared)
    b = tto_factory(brand=brand, credential=shared)
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = _action(staff_client, "tiktokoneaccount", "recheck_now", [a.pk, b.pk])
    assert "Queued 1 re-check." in response.content.decode()
    assert sent == [shared.pk]
    sent.clear()
    with TestCase.captureOnCommitCallbacks(execute=True):
        _action(staff_client, "brand", "recheck_now", [brand.pk])
    assert sent == [shared.pk]


def test_the_connect_internal_page_is_staff_only(client_for, alice):
    response = client_for(alice).post(reverse("admin:integrations_tiktokoneaccount_connect_internal"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_the_admin_changelists_render(staff_client, brand, tto_factory, ad_factory):
    account = tto_factory(brand=brand)
    ad_factory(brand, account)
    for model in ("tiktokoneaccount", "adaccount", "credential", "brand", "brandnotice"):
        assert staff_client.get(reverse(f"admin:integrations_{model}_changelist")).status_code == 200, model


@pytest.mark.parametrize("had_ad_account", [True, False])
def test_a_brand_whose_account_support_removed_is_told_plainly_who_did_it_and_whom_to_write(
    staff_client, brand, tto_factory, ad_factory, settings, had_ad_account
):
    settings.SUPPORT_EMAIL = "help@acme-platform.test"
    tto_factory(brand=None, is_internal=True)
    account = tto_factory(brand=brand, name="Acme TikTok One")
    if had_ad_account:
        ad_factory(brand, account, is_active_for_spark=True)
    from integrations.connect.capability import record_capability
    from integrations.models import BrandNotice

    record_capability(brand, notify=False)
    with TestCase.captureOnCommitCallbacks(execute=True):
        _action(staff_client, "tiktokoneaccount", "remove_from_brand", [account.pk])
    notice = BrandNotice.objects.get(brand=brand).message
    assert notice.startswith("Our support team removed the TikTok One account “Acme TikTok One”")
    assert "help@acme-platform.test" in notice
    assert "tiktok one" not in notice  # TikTok One keeps its capitals
    assert notice.count("no TikTok One account connected") <= 1  # said once, not as headline and reason
    assert mail.outbox[-1].subject == f"[{brand.name}] " + (
        "Spark Ads are now off" if had_ad_account else "Spark Ads: No TikTok One account connected"
    )
