"""Fresh within minutes: an ad account feeding a live code holds REPORT_DATA_CHANGE,
CREATIVE_FATIGUE and (per Spark ad) AD subscriptions; a REPORT_DATA_CHANGE delivery makes only
that account's spend read due now; AD and CREATIVE_FATIGUE flag the ad on its ledger row."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta

import pytest
import responses
from django.conf import settings
from django.test import Client
from django.urls import reverse

from integrations.models import AdAccount, WebhookDelivery
from integrations.tiktok import clock, webhooks
from sparkads.ads import flows
from sparkads.ads import webhooks as ad_webhooks
from sparkads.models import AdAccountSubscription, SparkAd, SparkAuthorization

from .conftest import ADVERTISER_ID

pytestmark = pytest.mark.django_db
POST = "7700000000000000501"
IDENTITY = "7100000000000000777"
OTHER_ADVERTISER = "7300000000000000002"
ADGROUP = "1700000000000000001"


def url(path: str) -> str:
    return f"{settings.TIKTOK_BUSINESS_API_BASE_URL}/open_api/v1.3/{path}"


def ok(data: dict) -> dict:
    return {"code": 0, "message": "OK", "request_id": "r", "data": data}


def live_code(account: AdAccount, status: str = SparkAuthorization.Status.ACTIVE) -> SparkAuthorization:
    return SparkAuthorization.objects.create(
        brand=account.brand,
        ad_account=account,
        video_id=POST,
        item_id=POST,
        identity_id=IDENTITY,
        code_hash=f"h-{account.pk}-{status}",
        status=status,
    )


def spark_ad(account: AdAccount, ad_id: str = "1801", row: SparkAuthorization | None = None) -> SparkAd:
    return SparkAd.objects.create(
        brand=account.brand,
        ad_account=account,
        authorization=row,
        ad_id=ad_id,
        ad_name=f"Ad {ad_id}",
        tiktok_item_id=POST,
        identity_type="AUTH_CODE",
        identity_id=IDENTITY,
        operation_status="ENABLE",
        secondary_status="AD_STATUS_AUDIT",
    )


def second_account(world) -> AdAccount:
    return AdAccount.objects.create(
        advertiser_id=OTHER_ADVERTISER, brand=world["ad"].brand, credential=world["cred"], tto_has_access=True
    )


def delivery(obj: int, entry: dict, request_id: str = "r1") -> bytes:
    return json.dumps({"request_id": request_id, "object": obj, "time": 1767225600, "entry": [entry]}).encode()


def report_changed(*advertisers: str, request_id: str = "r1") -> bytes:
    values = {"spend": "12.34", "impressions": "2468", "clicks": "29", "video_play_actions": "1579"}
    return delivery(11, {"changed_metrics_values": dict.fromkeys(advertisers, values)}, request_id)


def post(raw: bytes, *, signed: bool = True, secret: str | None = None):
    headers = {"TikTok-Signature": webhooks.sign(raw, secret or settings.TIKTOK_APP_SECRET)} if signed else {}
    return Client().post(reverse("sparkads:ads_webhook"), raw, content_type="application/json", headers=headers)


# --- the receiver -----------------------------------------------------------------------------


def test_report_data_change_makes_only_that_advertisers_spend_read_due_now(world):
    other = second_account(world)
    later = clock.now() + timedelta(hours=20)
    AdAccount.objects.filter(pk__in=[world["ad"].pk, other.pk]).update(next_spend_read_at=later)

    assert post(report_changed(ADVERTISER_ID)).status_code == 200

    world["ad"].refresh_from_db()
    other.refresh_from_db()
    assert world["ad"].next_spend_read_at <= clock.now()
    assert other.next_spend_read_at == later


def test_a_badly_signed_delivery_is_refused_and_changes_nothing(world):
    later = clock.now() + timedelta(hours=20)
    AdAccount.objects.filter(pk=world["ad"].pk).update(next_spend_read_at=later)
    raw = report_changed(ADVERTISER_ID)

    assert post(raw, signed=False).status_code == 400
    assert post(raw, secret="not-the-app-secret").status_code == 400

    world["ad"].refresh_from_db()
    assert world["ad"].next_spend_read_at == later
    assert not WebhookDelivery.objects.exists()


def test_a_duplicate_delivery_is_answered_without_doing_its_work_twice(world):
    raw = report_changed(ADVERTISER_ID)
    assert post(raw).status_code == 200
    # The sweep ran and scheduled the next day; TikTok then delivers the same event again.
    later = clock.now() + timedelta(hours=20)
    AdAccount.objects.filter(pk=world["ad"].pk).update(next_spend_read_at=later)

    assert post(raw).status_code == 200

    world["ad"].refresh_from_db()
    assert world["ad"].next_spend_read_at == later
    assert WebhookDelivery.objects.filter(endpoint="spark_ads").count() == 1


def test_an_unknown_advertiser_is_ignored(world):
    later = clock.now() + timedelta(hours=20)
    AdAccount.objects.filter(pk=world["ad"].pk).update(next_spend_read_at=later)

    assert post(report_changed("7300000000000000999")).status_code == 200
    ad = spark_ad(world["ad"])
    assert (
        post(delivery(3, {"adv_id": "7300000000000000999", "ad_id": ad.ad_id, "reject_reason": "No"})).status_code
        == 200
    )

    world["ad"].refresh_from_db()
    ad.refresh_from_db()
    assert world["ad"].next_spend_read_at == later
    assert ad.rejected_at is None and not ad.flag


def test_a_signed_body_of_the_wrong_shape_is_refused(world):
    assert post(delivery(11, {"changed_metrics_values": ["7300000000000000001"]})).status_code == 400
    assert post(delivery(8, {"adv_id": ADVERTISER_ID, "ad_ids": "1801"})).status_code == 400


def test_an_ad_rejected_in_review_is_flagged_with_tiktoks_reason(world):
    ad = spark_ad(world["ad"])
    entry = {
        "adv_id": int(ADVERTISER_ID),
        "ad_id": int(ad.ad_id),
        "ad_name": ad.ad_name,
        "reject_reason": "Misleading claim",
    }

    assert post(delivery(3, entry)).status_code == 200  # ids as JSON numbers are read too

    ad.refresh_from_db()
    assert ad.rejected_at == pytest.approx(clock.now(), abs=timedelta(seconds=5))
    assert ad.secondary_status in SparkAd.REJECTED
    assert (ad.flag, ad.flag_detail) == ("Rejected", "Misleading claim")


def test_an_approval_clears_a_rejection_and_reads_the_account_again(world):
    ad = spark_ad(world["ad"])
    ad_webhooks.apply(
        webhooks.parse_ads_events(delivery(3, {"adv_id": ADVERTISER_ID, "ad_id": ad.ad_id, "reject_reason": "x"}))
    )
    AdAccount.objects.filter(pk=world["ad"].pk).update(next_spend_read_at=clock.now() + timedelta(hours=20))

    assert post(delivery(3, {"adv_id": ADVERTISER_ID, "ad_id": ad.ad_id}, "r2")).status_code == 200

    ad.refresh_from_db()
    world["ad"].refresh_from_db()
    assert ad.rejected_at is None and ad.reject_reason == ""
    assert world["ad"].next_spend_read_at <= clock.now()  # ad/get tells its delivery status


def test_a_fatigued_ad_is_flagged_with_the_day_tiktok_found_it_and_keeps_its_first_time(world):
    ad = spark_ad(world["ad"])
    entry = {"adv_id": ADVERTISER_ID, "adgroup_ids": ["1701"], "ad_ids": [ad.ad_id], "date": "2026-03-09"}

    assert post(delivery(8, entry)).status_code == 200
    ad.refresh_from_db()
    first = ad.fatigued_at
    assert post(delivery(8, entry | {"date": "2026-03-11"}, "r2")).status_code == 200

    ad.refresh_from_db()
    assert first is not None and ad.fatigued_at == first
    assert ad.fatigued_on == date(2026, 3, 9)
    assert (ad.flag, ad.flag_detail) == ("Fatigued", "since 2026-03-09")


def test_the_ledger_flags_the_rejected_and_fatigued_ads_on_their_rows(world, client, alice):
    row = live_code(world["ad"])
    rejected, fatigued, fine = (spark_ad(world["ad"], ad_id, row) for ad_id in ("1801", "1802", "1803"))
    SparkAd.objects.filter(pk=rejected.pk).update(rejected_at=clock.now(), reject_reason="Misleading claim")
    SparkAd.objects.filter(pk=fatigued.pk).update(fatigued_at=clock.now(), fatigued_on=date(2026, 3, 9))
    client.force_login(alice)

    page = client.get(reverse("sparkads:ledger", args=[world["ad"].brand.slug])).content.decode()

    flags = re.findall(r'class="badge bad ad-flag">([^<]*)</span> <span class="muted">([^<]*)</span>', page)
    assert flags == [("Ad rejected", "Ad 1801 · Misleading claim"), ("Ad fatigued", "Ad 1802 · since 2026-03-09")]
    # The row lists every ad of its code; the one delivering, neither rejected nor fatigued, has no flag.
    assert all(f"<strong>Ad {ad_id}</strong>" in page for ad_id in ("1801", "1802", "1803"))


# --- one report call per five changed advertisers ----------------------------------------------


def test_changed_advertisers_are_read_five_to_a_report_call_on_the_next_tick(world):
    accounts = [world["ad"]] + [
        AdAccount.objects.create(
            advertiser_id=f"73000000000000002{n:02d}", brand=world["ad"].brand, credential=world["cred"]
        )
        for n in range(6)
    ]
    for account in accounts:
        live_code(account)
    AdAccount.objects.filter(pk__in=[a.pk for a in accounts]).update(
        next_spend_read_at=clock.now() + timedelta(hours=20)
    )

    post(report_changed(*(a.advertiser_id for a in accounts)))
    batches = flows.claim_due_batches(100)

    assert sorted(len(b) for b in batches) == [2, 5]
    assert sorted(pk for b in batches for pk in b) == sorted(a.pk for a in accounts)


# --- subscribing, in the sweep ----------------------------------------------------------------


def _sweep_responses() -> None:
    """What the sweep reads before it keeps the subscriptions: the ads, their ad group's
    schedule, their identity's quota and the spend."""
    ad = {
        "ad_id": "1801",
        "ad_name": "Spring hero",
        "adgroup_id": ADGROUP,
        "tiktok_item_id": POST,
        "identity_type": "AUTH_CODE",
        "identity_id": IDENTITY,
        "operation_status": "ENABLE",
        "secondary_status": "AD_STATUS_DELIVERY_OK",
    }
    responses.get(url("ad/get/"), json=ok({"list": [ad], "page_info": {"total_page": 1}}))
    group = {"adgroup_id": ADGROUP, "schedule_type": "SCHEDULE_FROM_NOW"}  # no end: runs until stopped
    responses.get(url("adgroup/get/"), json=ok({"list": [group], "page_info": {"total_page": 1}}))
    responses.get(url("asset/bind/quota/"), json=ok({"total_quota": 10000, "used_quota": 1, "available_quota": 9999}))
    responses.get(url("report/integrated/get/"), json=ok({"list": [], "page_info": {"total_page": 1}}))


def _subscribe_bodies() -> list[dict]:
    return [json.loads(c.request.body) for c in responses.calls if "subscription/subscribe" in c.request.url]


@responses.activate
def test_a_sweep_subscribes_an_account_feeding_a_live_code_once(world):
    live_code(world["ad"])
    _sweep_responses()
    ids = iter(["7300000000000000731", "7300000000000000732", "7300000000000000733"])
    responses.add_callback(
        responses.POST,
        url("subscription/subscribe/"),
        callback=lambda request: (200, {}, json.dumps(ok({"subscription_id": next(ids)}))),
    )

    flows.sweep([world["ad"].pk])
    flows.sweep([world["ad"].pk])  # the next day: nothing more to subscribe

    bodies = _subscribe_bodies()
    assert [(b["subscribe_entity"], b["subscription_detail"].get("ad_id")) for b in bodies] == [
        ("REPORT_DATA_CHANGE", None),
        ("CREATIVE_FATIGUE", None),
        ("AD", "1801"),
    ]
    report = bodies[0]["subscription_detail"]
    assert report == {
        "advertiser_ids": [ADVERTISER_ID],
        "notify_frequency": "5_MINUTE",
        "access_token": world["cred"].access_token,
    }
    assert bodies[0]["callback_url"] == settings.SITE_URL + "/webhooks/tiktok/ads/"
    assert AdAccountSubscription.objects.exclude(subscription_id="").count() == 3


@responses.activate
def test_a_refused_subscription_is_kept_with_its_error_and_tried_again_by_the_next_sweep(world):
    live_code(world["ad"])
    _sweep_responses()
    responses.post(url("subscription/subscribe/"), json={"code": 40001, "message": "No permission", "request_id": "r"})

    flows.sweep([world["ad"].pk])

    refused = AdAccountSubscription.objects.get(ad_account=world["ad"], entity="REPORT_DATA_CHANGE")
    assert refused.subscription_id == "" and "No permission" in refused.last_error
    responses.replace(
        responses.POST, url("subscription/subscribe/"), json=ok({"subscription_id": "7300000000000000739"})
    )
    flows.sweep([world["ad"].pk])
    refused.refresh_from_db()
    assert refused.subscription_id == "7300000000000000739" and refused.last_error == ""


@responses.activate
def test_an_account_with_no_live_code_left_is_unsubscribed_by_its_next_sweep(world):
    row = live_code(world["ad"])
    for entity in ("REPORT_DATA_CHANGE", "CREATIVE_FATIGUE"):
        AdAccountSubscription.objects.create(ad_account=world["ad"], entity=entity, subscription_id=f"73{len(entity)}")
    SparkAuthorization.objects.filter(pk=row.pk).update(status=SparkAuthorization.Status.EXPIRED)
    _sweep_responses()
    responses.post(url("subscription/unsubscribe/"), json=ok({"subscription_id": "x"}))

    flows.sweep([world["ad"].pk])

    unsubscribed = [
        json.loads(c.request.body)["subscription_id"] for c in responses.calls if "unsubscribe" in c.request.url
    ]
    assert sorted(unsubscribed) == ["7316", "7318"]
    assert not AdAccountSubscription.objects.filter(ad_account=world["ad"]).exists()
    assert not [c for c in responses.calls if "subscription/subscribe/" in c.request.url]
    world["ad"].refresh_from_db()
    assert world["ad"].next_spend_read_at is None  # nothing left to sweep for


@responses.activate
def test_the_daily_sweep_clears_a_rejection_whose_approval_webhook_was_missed(world):
    ad = spark_ad(world["ad"])
    SparkAd.objects.filter(pk=ad.pk).update(rejected_at=clock.now(), reject_reason="Misleading claim")
    _sweep_responses()  # ad/get: the ad delivers

    flows.read_ads(world["ad"])

    ad.refresh_from_db()
    assert ad.rejected_at is None and ad.flag == ""


@responses.activate
def test_a_spend_change_told_while_the_account_is_being_swept_is_read_at_the_next_tick_not_a_day_later(
    world, monkeypatch
):
    live_code(world["ad"])
    _sweep_responses()
    responses.add_callback(
        responses.POST,
        url("subscription/subscribe/"),
        callback=lambda request: (200, {}, json.dumps(ok({"subscription_id": "7300000000000000741"}))),
    )
    flows.sweep([world["ad"].pk])  # subscribed; the next read is a day on
    assert flows.claim_due_batches(10) == []
    read_spend = flows.read_spend

    def webhook_arrives_meanwhile(accounts):
        stored = read_spend(accounts)
        ad_webhooks.read_due_now([ADVERTISER_ID])
        return stored

    monkeypatch.setattr(flows, "read_spend", webhook_arrives_meanwhile)
    world["ad"].refresh_from_db()
    flows.sweep([world["ad"].pk])

    assert flows.claim_due_batches(10) == [[world["ad"].pk]]


@responses.activate
def test_a_sweep_during_which_tiktoks_clock_jumps_leaves_the_account_due_at_the_new_time(world, settings, monkeypatch):
    """The next read is a day after what the sweep read, not a day after the clock it ends on:
    otherwise the days between would never be read (each read covers the last seven)."""
    settings.TIKTOK_SANDBOX = True
    offset = {"days": 0.0}
    monkeypatch.setattr(clock, "_sandbox_offset", lambda: offset["days"] * 86400)
    live_code(world["ad"])
    _sweep_responses()
    responses.add_callback(
        responses.POST,
        url("subscription/subscribe/"),
        callback=lambda request: (200, {}, json.dumps(ok({"subscription_id": "7300000000000000751"}))),
    )
    read_spend = flows.read_spend

    def clock_jumps_meanwhile(accounts):
        stored = read_spend(accounts)
        offset["days"] = 5.0
        clock.forget()
        return stored

    monkeypatch.setattr(flows, "read_spend", clock_jumps_meanwhile)
    flows.sweep([world["ad"].pk])

    assert flows.claim_due_batches(10) == [[world["ad"].pk]]
