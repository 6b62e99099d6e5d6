"""The periodic re-check: capability changes are told to owners; 40105 marks the connection
Inactive; TikTok down backs the poll off; the dispatcher claims due connections once."""

from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
import requests
import responses
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from aspire_tiktok.celery import beat_schedule
from integrations import tasks
from integrations.connect import capability as cap
from integrations.connect import recheck
from integrations.connect.capability import record_capability, spark_ads_capability
from integrations.models import AdAccount, Brand, BrandNotice, Credential, TikTokOneAccount
from integrations.tiktok import BusinessClient

from .conftest import exhaust_rate_budget

pytestmark = pytest.mark.django_db


def _brand(brand) -> Brand:
    return Brand.objects.get(pk=brand.pk)


@pytest.mark.integration
def test_a_recheck_that_finds_access_tells_the_owners(client_for, alice, brand, connect_as):
    connect_as(client_for(alice), brand, "demo-brand")
    # As if the last check had found no access: the next one finds it again.
    AdAccount.objects.filter(brand=brand).update(tto_has_access=False, is_active_for_spark=False)
    record_capability(_brand(brand), notify=False)
    assert _brand(brand).spark_capability_case == cap.NO_ACCESS
    mail.outbox.clear()
    credential = Credential.objects.get(brand=brand)

    with django_capture_on_commit():
        assert tasks.recheck_connection(credential.pk) == "ok"

    assert _brand(brand).spark_capability_case == cap.ENABLED
    assert spark_ads_capability(brand).enabled
    assert [m.to for m in mail.outbox] == [[alice.email]]  # owners only, not the member bob
    assert "Spark Ads are now enabled" in mail.outbox[0].subject
    assert reverse("integrations:tiktok_settings", args=[brand.slug]) in mail.outbox[0].body
    notice = BrandNotice.objects.get(brand=brand)
    assert "Spark Ads are now enabled" in notice.message
    html = client_for(alice).get(reverse("integrations:tiktok_settings", args=[brand.slug])).content.decode()
    assert "Spark Ads are now enabled" in html
    account = TikTokOneAccount.objects.get(brand=brand)
    assert account.next_poll_at > timezone.now() + timedelta(seconds=settings.INTEGRATIONS_RECHECK_SECONDS - 5)


@pytest.mark.integration
def test_an_unchanged_capability_sends_nothing(client_for, alice, brand, connect_as):
    connect_as(client_for(alice), brand, "demo-brand")
    mail.outbox.clear()
    with django_capture_on_commit():
        assert tasks.recheck_connection(Credential.objects.get(brand=brand).pk) == "ok"
    assert mail.outbox == [] and not BrandNotice.objects.exists()


@pytest.mark.integration
def test_a_revoked_token_marks_the_connection_inactive_and_reconnect_reuses_rows(client_for, alice, brand, connect_as):
    client = client_for(alice)
    connect_as(client, brand, "demo-brand")
    credential = Credential.objects.get(brand=brand)
    BusinessClient().oauth2_revoke_token(credential.access_token)  # e.g. the brand revoked it on TikTok
    mail.outbox.clear()

    with django_capture_on_commit():
        assert tasks.recheck_connection(credential.pk) == "reconnect"

    credential.refresh_from_db()
    assert credential.status == Credential.Status.NEEDS_RECONNECT and "40105" in credential.last_error
    account = TikTokOneAccount.objects.get(brand=brand)
    assert account.status == TikTokOneAccount.Status.INACTIVE
    c = spark_ads_capability(brand)
    assert (c.case, c.enabled, c.needs_reconnect) == (cap.NO_ACCESS, False, True)
    assert len(mail.outbox) == 1 and "Spark Ads are now off" in mail.outbox[0].subject
    html = client.get(reverse("integrations:tiktok_settings", args=[brand.slug])).content.decode()
    assert "Inactive" in html and "Reconnect</button>" in html and "Needs reconnecting" in html

    ids = (account.pk, credential.pk, sorted(AdAccount.objects.values_list("pk", flat=True)))
    page = connect_as(client, brand, "demo-brand")
    assert "Reconnected to TikTok" in " ".join(str(m) for m in page.context["messages"])
    account.refresh_from_db(), credential.refresh_from_db()
    assert ids == (account.pk, credential.pk, sorted(AdAccount.objects.values_list("pk", flat=True)))
    assert account.status == TikTokOneAccount.Status.ACTIVE and credential.status == Credential.Status.OK
    assert spark_ads_capability(brand).enabled
    assert "Reconnect TikTok" not in page.content.decode()


@pytest.mark.integration
def test_tiktok_down_backs_the_poll_off_and_changes_nothing(
    client_for, alice, brand, connect_as, live_sandbox, settings, monkeypatch
):
    monkeypatch.setattr("integrations.tiktok.clock.sleep", lambda s: None)
    settings.TIKTOK_MAX_RETRIES = 1
    connect_as(client_for(alice), brand, "demo-brand")
    credential = Credential.objects.get(brand=brand)
    requests.post(
        f"{live_sandbox}/sandbox/api/faults", json={"pattern": "*tto/oauth2/tcm/*", "error_40100": 1}, timeout=30
    ).raise_for_status()
    before = timezone.now()
    assert tasks.recheck_connection(credential.pk) == "retry"
    account = TikTokOneAccount.objects.get(brand=brand)
    assert account.poll_failures == 1 and account.status == TikTokOneAccount.Status.ACTIVE
    assert before + timedelta(seconds=59) <= account.next_poll_at <= before + timedelta(seconds=120)
    assert tasks.recheck_connection(credential.pk) == "retry"
    account.refresh_from_db()
    assert account.poll_failures == 2 and account.next_poll_at >= before + timedelta(seconds=119)
    credential.refresh_from_db()
    assert credential.status == Credential.Status.OK and "40100" in credential.last_error
    assert spark_ads_capability(brand).enabled


def test_a_recheck_our_rate_budget_never_sent_gives_the_accounts_back_at_once(
    brand, tto_factory, settings, django_capture_on_commit_callbacks
):
    account = tto_factory(brand=brand, next_poll_at=timezone.now() + timedelta(minutes=30))  # as claimed
    exhaust_rate_budget(settings)
    with responses.RequestsMock():  # nothing may reach TikTok
        assert tasks.recheck_connection(account.credential_id) == "deferred"
    account.refresh_from_db()
    assert account.next_poll_at <= timezone.now() and account.poll_failures == 0
    assert Credential.objects.get(pk=account.credential_id).last_error == ""
    with django_capture_on_commit_callbacks():
        assert recheck.due_credentials() == [account.credential_id]


def test_the_dispatcher_enqueues_each_due_connection_once(brand, tto_factory, credential_factory, monkeypatch):
    sent = []
    monkeypatch.setattr(tasks.recheck_connection, "delay", lambda pk: sent.append(pk))
    now = timezone.now()
    shared = credential_factory(brand=brand)
    due1 = tto_factory(brand=brand, credential=shared, next_poll_at=now - timedelta(minutes=1))
    tto_factory(brand=brand, credential=shared, next_poll_at=now - timedelta(minutes=2))
    later = tto_factory(brand=brand, next_poll_at=now + timedelta(hours=1))
    tto_factory(brand=brand, next_poll_at=now - timedelta(minutes=1), status=TikTokOneAccount.Status.INACTIVE)
    tto_factory(brand=brand, next_poll_at=now - timedelta(minutes=1), removed_at=now)

    with django_capture_on_commit():
        assert tasks.dispatch_rechecks() == 1
    assert sent == [shared.pk]
    due1.refresh_from_db()
    assert due1.next_poll_at > now  # claimed: the next beat does not enqueue it again
    sent.clear()
    with django_capture_on_commit():
        assert tasks.dispatch_rechecks() == 0
    assert sent == [] and later.next_poll_at > now


def test_beat_runs_the_dispatcher():
    entries = [e["task"] for e in beat_schedule().values()]
    assert "integrations.tasks.dispatch_rechecks" in entries


@responses.activate
def test_a_recheck_asks_advertiser_info_at_most_100_ids_at_a_time(brand, tto_factory):
    account = tto_factory(brand=brand, tto_tcm_account_id="7200000000000000099")
    base = f"{settings.TIKTOK_BUSINESS_API_BASE_URL}/open_api/v1.3/"
    ids = [f"73{n:017d}" for n in range(250)]

    def ok(data):
        return (200, {}, json.dumps({"code": 0, "message": "OK", "request_id": "r", "data": data}))

    def advertiser_info(request):
        wanted = json.loads(parse_qs(urlparse(request.url).query)["advertiser_ids"][0])
        assert len(wanted) <= 100
        return ok({"list": [{"advertiser_id": a, "name": f"Ads {a}", "status": "STATUS_ENABLE"} for a in wanted]})

    responses.add(
        responses.GET,
        base + "tto/oauth2/tcm/",
        json={
            "code": 0,
            "message": "OK",
            "request_id": "r",
            "data": {"tto_tcm_account_ids": [account.tto_tcm_account_id]},
        },
    )
    responses.add(
        responses.GET,
        base + "tto/oauth2/info/",
        json={
            "code": 0,
            "message": "OK",
            "request_id": "r",
            "data": {"account_name": "Acme One", "business_verification_status": "VERIFIED"},
        },
    )
    responses.add(
        responses.GET,
        base + "bc/get/",
        json={
            "code": 0,
            "message": "OK",
            "request_id": "r",
            "data": {
                "list": [{"bc_info": {"bc_id": "7400000000000000099", "name": "Acme BC"}, "user_role": "ADMIN"}],
                "page_info": {"page": 1, "total_page": 1},
            },
        },
    )
    responses.add(
        responses.GET,
        base + "bc/asset/get/",
        json={
            "code": 0,
            "message": "OK",
            "request_id": "r",
            "data": {
                "list": [{"asset_id": ids[7], "relation_status": "BOUND"}],
                "page_info": {"page": 1, "total_page": 1},
            },
        },
    )
    responses.add(
        responses.GET,
        base + "oauth2/advertiser/get/",
        json={"code": 0, "message": "OK", "request_id": "r", "data": {"list": [{"advertiser_id": a} for a in ids]}},
    )
    responses.add_callback(responses.GET, base + "advertiser/info/", callback=advertiser_info)

    assert recheck.recheck_credential(account.credential_id).outcome == "ok"

    info_calls = [c for c in responses.calls if "advertiser/info/" in c.request.url]
    assert len(info_calls) == 3
    assert AdAccount.objects.filter(brand=brand).count() == 250
    assert list(AdAccount.objects.filter(tto_has_access=True).values_list("advertiser_id", flat=True)) == [ids[7]]
    assert AdAccount.objects.get(is_active_for_spark=True).advertiser_id == ids[7]
    assert spark_ads_capability(brand).enabled


def django_capture_on_commit():
    """Run on_commit callbacks at the end of the block (tests run inside a transaction)."""
    from django.test import TestCase

    return TestCase.captureOnCommitCallbacks(execute=True)


@pytest.mark.integration
def test_a_revoked_token_without_a_capability_change_says_reconnect_on_the_page(client_for, alice, brand, connect_as):
    client = client_for(alice)
    connect_as(client, brand, "no-access-brand")
    credential = Credential.objects.get(brand=brand)
    BusinessClient().oauth2_revoke_token(credential.access_token)
    mail.outbox.clear()
    with django_capture_on_commit():
        assert tasks.recheck_connection(credential.pk) == "reconnect"
    assert mail.outbox == []  # Spark Ads were already off
    assert spark_ads_capability(brand).needs_reconnect
    html = client.get(reverse("integrations:tiktok_settings", args=[brand.slug])).content.decode()
    assert "Reconnect TikTok: TikTok no longer accepts" in html
    # Once inactive, the connection is no longer polled.
    assert recheck.due_credentials(timezone.now() + timedelta(days=30)) == []
