"""The daily sweep of the ad accounts that feed live Spark codes: claimed by the `spark_ads`
poller, one report call per five ad accounts of one grant, spend kept in the account's currency."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
import responses
from celery.exceptions import Retry
from django.conf import settings

from integrations.models import AdAccount, Credential
from integrations.tiktok import Kind, TikTokError, clock
from sparkads import tasks
from sparkads.ads import flows
from sparkads.models import SparkAd, SparkAuthorization

pytestmark = pytest.mark.django_db
POST = "7700000000000000501"
IDENTITY = "7100000000000000777"


def url(path: str) -> str:
    return f"{settings.TIKTOK_BUSINESS_API_BASE_URL}/open_api/v1.3/{path}"


def ok(data: dict) -> dict:
    return {"code": 0, "message": "OK", "request_id": "r", "data": data}


def live_code(
    account: AdAccount, item: str = POST, status: str = SparkAuthorization.Status.ACTIVE
) -> SparkAuthorization:
    return SparkAuthorization.objects.create(
        brand=account.brand,
        ad_account=account,
        video_id=item,
        item_id=item,
        identity_id=IDENTITY,
        code_hash=f"h-{account.pk}-{item}",
        status=status,
    )


def more_accounts(world, count: int, cred: Credential | None = None) -> list[AdAccount]:
    return [
        AdAccount.objects.create(
            advertiser_id=f"73000000000000001{n:02d}{cred.pk if cred else 0}",
            brand=world["ad"].brand,
            credential=cred or world["cred"],
            tto_has_access=True,
        )
        for n in range(count)
    ]


def test_an_ad_account_is_swept_only_while_its_brand_holds_a_live_code(world, other_brand):
    quiet = AdAccount.objects.create(
        advertiser_id="7300000000000000199", brand=other_brand, credential=world["cred"], tto_has_access=True
    )
    live_code(world["ad"])
    live_code(quiet, status=SparkAuthorization.Status.EXPIRED)

    batches = flows.claim_due_batches(100)

    assert batches == [[world["ad"].pk]]
    quiet.refresh_from_db()
    assert quiet.next_spend_read_at is None


def test_the_brands_other_ad_accounts_are_swept_too_since_an_agency_may_apply_the_code_there(world, other_ad_account):
    live_code(world["ad"])  # applied by the platform to the first ad account only

    batches = flows.claim_due_batches(100)

    assert batches == [[world["ad"].pk, other_ad_account.pk]]


def test_claimed_accounts_go_five_to_a_batch_and_never_mix_two_grants(world, brand):
    other_grant = Credential.objects.create(kind=Credential.Kind.BUSINESS, brand=brand, access_token="other")
    same = [world["ad"], *more_accounts(world, 6)]
    other = more_accounts(world, 1, other_grant)
    for account in [*same, *other]:
        live_code(account)

    batches = flows.claim_due_batches(100)

    assert sorted(batches) == sorted([[a.pk for a in same[:5]], [a.pk for a in same[5:]], [other[0].pk]])
    assert flows.claim_due_batches(100) == []  # claimed: not handed out twice


@responses.activate
def test_a_sweep_reads_the_ads_then_one_report_for_the_batch_and_schedules_the_next_day(world):
    accounts = [world["ad"], *more_accounts(world, 4)]
    for account in accounts:
        account.currency, account.timezone = "EUR", "UTC"
        account.save()
        live_code(account)
    ad = {
        "ad_id": "1801",
        "ad_name": "Spring hero",
        "tiktok_item_id": POST,
        "identity_type": "AUTH_CODE",
        "identity_id": IDENTITY,
        "operation_status": "ENABLE",
        "secondary_status": "AD_STATUS_DELIVERY_OK",
    }
    responses.get(
        url("ad/get/"),
        json=ok({"list": [ad], "page_info": {"total_page": 1}}),
        match=[
            responses.matchers.query_param_matcher({"advertiser_id": world["ad"].advertiser_id}, strict_match=False)
        ],
    )
    responses.get(url("ad/get/"), json=ok({"list": [], "page_info": {"total_page": 1}}))
    yesterday = (clock.now() - timedelta(days=1)).date().isoformat()
    report = [
        {"dimensions": {"ad_id": "1801", "stat_time_day": f"{yesterday} 00:00:00"}, "metrics": {"spend": "12.34"}}
    ]
    responses.get(url("report/integrated/get/"), json=ok({"list": report, "page_info": {"total_page": 1}}))
    quota = responses.get(
        url("asset/bind/quota/"), json=ok({"total_quota": 10000, "used_quota": 37, "available_quota": 9963})
    )
    (batch,) = flows.claim_due_batches(100)

    assert tasks.sweep_spark_ads.apply(args=[batch]).get() == 1

    reports = [c for c in responses.calls if "report/integrated/get" in c.request.url]
    assert len(reports) == 1
    assert sorted(json.loads(reports[0].request.params["advertiser_ids"])) == sorted(a.advertiser_id for a in accounts)
    stored = SparkAd.objects.get(ad_id="1801")
    assert (stored.daily_spend, stored.currency) == (Decimal("12.34"), "EUR")
    # The one identity the batch's ads use: its quota read once, for the account that has it.
    assert quota.call_count == 1
    assert quota.calls[0].request.params["asset_id"] == IDENTITY
    assert (stored.identity_ads_used, stored.identity_ads_total) == (37, 10000)
    for account in accounts:
        account.refresh_from_db()
        assert account.next_spend_read_at > clock.now() + flows.SWEEP_EVERY - timedelta(minutes=5)


def test_a_sweep_the_rate_budget_never_sent_is_due_again_at_once_and_retried(world, monkeypatch):
    live_code(world["ad"])
    (batch,) = flows.claim_due_batches(100)

    def unsent(ids: list[int]) -> int:
        raise TikTokError("Rate budget exhausted; not sent", kind=Kind.TRANSIENT, sent=False)

    monkeypatch.setattr(flows, "sweep", unsent)
    with pytest.raises(Retry):  # TikTokTask retries it with TikTok's back-off
        tasks.sweep_spark_ads.apply(args=[batch], throw=True)

    world["ad"].refresh_from_db()
    assert world["ad"].next_spend_read_at <= clock.now()
    assert flows.claim_due_batches(100) == [batch]


def test_the_dispatcher_sends_one_sweep_per_batch(world, django_capture_on_commit_callbacks, monkeypatch):
    live_code(world["ad"])
    sent: list[list[int]] = []
    monkeypatch.setattr(tasks.sweep_spark_ads, "delay", lambda ids: sent.append(ids))

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.dispatch_spark_ad_sweeps() == 1

    assert sent == [[world["ad"].pk]]


@responses.activate
def test_a_quota_tiktok_withholds_keeps_the_last_one_and_the_spend_is_still_read(world):
    live_code(world["ad"])
    ad = {"ad_id": "1801", "tiktok_item_id": POST, "identity_type": "AUTH_CODE", "identity_id": IDENTITY}
    responses.get(url("ad/get/"), json=ok({"list": [ad], "page_info": {"total_page": 1}}))
    responses.get(url("asset/bind/quota/"), json={"code": 40001, "message": "No permission", "request_id": "r"})
    responses.get(url("report/integrated/get/"), json=ok({"list": [], "page_info": {"total_page": 1}}))
    flows.read_ads(world["ad"])
    SparkAd.objects.update(identity_ads_used=5, identity_ads_total=10000)

    flows.sweep([world["ad"].pk])

    stored = SparkAd.objects.get(ad_id="1801")
    assert (stored.identity_ads_used, stored.identity_ads_total) == (5, 10000)
    assert any("report/integrated/get" in c.request.url for c in responses.calls)
