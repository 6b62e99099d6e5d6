"""A brand's Spark ads: read from ad/get/, matched to the ledger row they run on, their daily
spend to the cent from one report call, and the spend at risk when a code ends."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import responses
from django.conf import settings
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext

from sparkads.ads import flows
from sparkads.models import Money, SparkAd, SparkAdDay, SparkAuthorization

from .conftest import ADVERTISER_ID

pytestmark = pytest.mark.django_db
POST, OTHER_POST = "7700000000000000501", "7700000000000000502"
IDENTITY = "7100000000000000777"
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def url(path: str) -> str:
    return f"{settings.TIKTOK_BUSINESS_API_BASE_URL}/open_api/v1.3/{path}"


def ok(data: dict) -> dict:
    return {"code": 0, "message": "OK", "request_id": "r", "data": data}


def ad(ad_id: str, item: str, identity_type: str = "AUTH_CODE", identity_id: str = IDENTITY, **extra) -> dict:
    return {
        "ad_id": ad_id,
        "ad_name": f"Ad {ad_id}",
        "tiktok_item_id": item,
        "identity_type": identity_type,
        "identity_id": identity_id,
        "operation_status": "ENABLE",
        "secondary_status": "AD_STATUS_DELIVERY_OK",
        "modify_time": "2026-03-09 08:00:00",
    } | extra


def ledger_row(world, item: str = POST, identity: str = IDENTITY) -> SparkAuthorization:
    return SparkAuthorization.objects.create(
        brand=world["ad"].brand,
        ad_account=world["ad"],
        post=world["post"],
        video_id=item,
        item_id=item,
        identity_id=identity,
        status=SparkAuthorization.Status.ACTIVE,
    )


@responses.activate
def test_spark_ads_are_matched_to_the_row_whose_code_they_run_on_and_other_ads_are_left_out(world):
    row = ledger_row(world)
    responses.get(
        url("ad/get/"),
        json=ok(
            {
                "list": [
                    ad("1801", POST),
                    ad("1802", POST, identity_id="7100000000000000999"),  # another code's identity
                    ad("1803", POST, "TT_USER", "7200000000000000001"),
                    ad("1804", "", "CUSTOMIZED_USER"),
                ],
                "page_info": {"page": 1, "total_page": 1},
            }
        ),
    )

    assert flows.read_ads(world["ad"]) == 3

    matched = dict(SparkAd.objects.values_list("ad_id", "authorization_id"))
    assert matched == {"1801": row.pk, "1802": None, "1803": row.pk}


@responses.activate
def test_one_report_call_stores_each_days_spend_to_the_cent_and_yesterdays_is_the_daily_spend(world):
    row = ledger_row(world)
    responses.get(url("ad/get/"), json=ok({"list": [ad("1801", POST)], "page_info": {"total_page": 1}}))
    flows.read_ads(world["ad"])
    world["ad"].timezone = "UTC"
    days = {"2026-03-08": "101.17", "2026-03-09": "99.99", "2026-03-10": "49.03"}
    rows = [
        {"dimensions": {"ad_id": "1801", "stat_time_day": f"{d} 00:00:00"}, "metrics": {"spend": s}}
        for d, s in days.items()
    ]
    responses.get(url("report/integrated/get/"), json=ok({"list": rows, "page_info": {"total_page": 1}}))
    # A day read by an earlier sweep, before this window.
    SparkAdDay.objects.create(ad=SparkAd.objects.get(ad_id="1801"), day=date(2026, 2, 20), spend=Decimal("7.00"))

    flows.read_spend([world["ad"]], now=NOW)

    sent = responses.calls[-1].request.params
    assert json.loads(sent["advertiser_ids"]) == [ADVERTISER_ID]
    assert (sent["start_date"], sent["end_date"]) == ("2026-03-04", "2026-03-10")
    stored = SparkAd.objects.get(ad_id="1801")
    assert stored.daily_spend == Decimal("99.99")
    assert stored.lifetime_spend == Decimal("257.19")
    assert stored.spend_last_7_days == Decimal("250.19")
    assert flows.with_spend_at_risk(SparkAuthorization.objects.filter(pk=row.pk)).get().spend_at_risk == [
        Money(Decimal("99.99") * flows.AT_RISK_DAYS, "")
    ]


def test_six_ad_accounts_are_never_put_in_one_report(world):
    with pytest.raises(ValueError):
        flows.read_spend([world["ad"]] * 6, now=NOW)


def test_only_live_ads_that_stop_with_the_code_put_spend_at_risk(world):
    row = ledger_row(world)
    account = world["ad"]
    for ad_id, kind, op, secondary, spend in [
        ("1", "AUTH_CODE", "ENABLE", "AD_STATUS_DELIVERY_OK", "10.00"),
        ("2", "AUTH_CODE", "ENABLE", "AD_STATUS_DELIVERY_OK", "2.50"),
        ("3", "AUTH_CODE", "DISABLE", "AD_STATUS_DISABLE", "40.00"),  # paused
        ("4", "AUTH_CODE", "ENABLE", "AD_STATUS_NOT_APPROVE", "40.00"),  # rejected
        ("5", "TT_USER", "ENABLE", "AD_STATUS_DELIVERY_OK", "40.00"),  # runs on the account, not the code
    ]:
        SparkAd.objects.create(
            brand=account.brand,
            ad_account=account,
            authorization=row,
            ad_id=ad_id,
            tiktok_item_id=POST,
            identity_type=kind,
            operation_status=op,
            secondary_status=secondary,
            daily_spend=Decimal(spend),
        )

    at_risk = flows.with_spend_at_risk(SparkAuthorization.objects.filter(pk=row.pk)).get().spend_at_risk

    assert at_risk == [Money(Decimal("12.50") * flows.AT_RISK_DAYS, "")]


@pytest.mark.parametrize("count", [10, 1000])
def test_spend_at_risk_for_any_number_of_rows_is_two_queries(world, count):
    account = world["ad"]
    rows = SparkAuthorization.objects.bulk_create(
        SparkAuthorization(
            brand=account.brand,
            video_id=str(n),
            item_id=str(n),
            code_hash=f"h{n}",
            status=SparkAuthorization.Status.ACTIVE,
        )
        for n in range(count)
    )
    SparkAd.objects.bulk_create(
        SparkAd(
            brand=account.brand,
            ad_account=account,
            authorization=row,
            ad_id=f"a{n}",
            tiktok_item_id=row.item_id,
            identity_type="AUTH_CODE",
            operation_status="ENABLE",
            daily_spend=Decimal("1.01"),
        )
        for n, row in enumerate(rows)
    )

    with CaptureQueriesContext(connection) as queries:
        listed = list(
            flows.with_at_risk_rank(flows.with_spend_at_risk(SparkAuthorization.objects.filter(brand=account.brand)))
        )

    # The rows with their rank, then their ads.
    assert len(queries) == 2
    assert {r.at_risk_rank for r in listed} == {Decimal("1.01") * flows.AT_RISK_DAYS}
    assert {str(m) for r in listed for m in r.spend_at_risk} == {"30.30"}


def _spending_ads(row: SparkAuthorization, *spends: str) -> None:
    for n, spend in enumerate(spends):
        SparkAd.objects.create(
            brand=row.brand,
            ad_account=row.ad_account,
            authorization=row,
            ad_id=f"s{row.pk}-{n}",
            tiktok_item_id=row.item_id,
            identity_type="AUTH_CODE",
            operation_status="ENABLE",
            secondary_status="AD_STATUS_DELIVERY_OK",
            daily_spend=Decimal(spend),
        )


def test_a_code_that_already_ended_has_nothing_left_at_risk(world):
    row = ledger_row(world)
    row.status = SparkAuthorization.Status.EXPIRED
    row.save()
    _spending_ads(row, "10.00")

    annotated = flows.with_at_risk_rank(flows.with_spend_at_risk(SparkAuthorization.objects.filter(pk=row.pk))).get()
    assert (annotated.spend_at_risk, annotated.at_risk_rank) == ([], 0)


def test_spend_at_risk_is_not_multiplied_by_other_joins_on_the_ledger_query(world):
    row = ledger_row(world)
    _spending_ads(row, "10.00", "2.50")
    for ad in SparkAd.objects.filter(authorization=row):
        SparkAdDay.objects.bulk_create(SparkAdDay(ad=ad, day=date(2026, 3, d), spend=ad.daily_spend) for d in (8, 9))
    rows = SparkAuthorization.objects.filter(pk=row.pk).annotate(days_seen=Count("ads__days"))

    annotated = flows.with_at_risk_rank(flows.with_spend_at_risk(rows)).get()

    assert (annotated.days_seen, annotated.at_risk_rank) == (4, Decimal("12.50") * flows.AT_RISK_DAYS)


def test_a_code_whose_ads_run_in_two_currencies_has_two_amounts_at_risk_never_one_sum(world, other_ad_account):
    row = ledger_row(world)
    _spending_ads(row, "10.00")
    SparkAd.objects.create(
        brand=row.brand,
        ad_account=other_ad_account,
        authorization=row,
        ad_id="eur-1",
        tiktok_item_id=row.item_id,
        identity_type="AUTH_CODE",
        operation_status="ENABLE",
        secondary_status="AD_STATUS_DELIVERY_OK",
        currency="EUR",
        daily_spend=Decimal("5.00"),
    )
    SparkAd.objects.filter(authorization=row, currency="").update(currency="USD")

    annotated = flows.with_at_risk_rank(flows.with_spend_at_risk(SparkAuthorization.objects.filter(pk=row.pk))).get()

    assert annotated.spend_at_risk == [
        Money(Decimal("10.00") * flows.AT_RISK_DAYS, "USD"),
        Money(Decimal("5.00") * flows.AT_RISK_DAYS, "EUR"),
    ]
    # Ordered by its largest amount, never by a sum across currencies.
    assert annotated.at_risk_rank == Decimal("10.00") * flows.AT_RISK_DAYS


@pytest.mark.parametrize(
    ("group_ends_after_code", "days"),
    [
        (None, 30),  # SCHEDULE_FROM_NOW: it runs on, the whole stated horizon
        (timedelta(days=10), 10),
        (timedelta(days=2, hours=12), 3),  # a part of a day counts as a day of spend
        (timedelta(days=100), 30),  # at most the stated horizon
        (timedelta(days=-1), 0),  # its ad group ends first: nothing stops with the code
    ],
)
def test_spend_at_risk_counts_the_days_the_ad_group_would_run_past_the_codes_end(world, group_ends_after_code, days):
    row = ledger_row(world)
    row.auth_end = NOW
    row.save()
    _spending_ads(row, "10.00")
    runs_until = NOW + group_ends_after_code if group_ends_after_code is not None else None
    SparkAd.objects.filter(authorization=row).update(runs_until=runs_until, currency="USD")

    annotated = flows.with_at_risk_rank(flows.with_spend_at_risk(SparkAuthorization.objects.filter(pk=row.pk))).get()

    assert annotated.at_risk_rank == Decimal("10.00") * days
    assert annotated.spend_at_risk == ([Money(Decimal("10.00") * days, "USD")] if days else [])


@responses.activate
def test_the_sweep_reads_each_ad_groups_scheduled_end_once(world):
    ledger_row(world)
    group = "1700000000000000001"
    responses.get(
        url("ad/get/"),
        json=ok({"list": [ad("1801", POST, adgroup_id=group), ad("1802", POST, adgroup_id=group)], "page_info": {}}),
    )
    schedules = responses.get(
        url("adgroup/get/"),
        json=ok(
            {
                "list": [
                    {
                        "adgroup_id": group,
                        "schedule_type": "SCHEDULE_START_END",
                        "schedule_end_time": "2026-04-30 23:59:59",
                    }
                ],
                "page_info": {"total_page": 1},
            }
        ),
    )
    flows.read_ads(world["ad"])

    assert flows.read_schedules(world["ad"]) == 1

    assert schedules.call_count == 1
    assert json.loads(schedules.calls[0].request.params["filtering"]) == {"adgroup_ids": [group]}
    assert set(SparkAd.objects.values_list("runs_until", flat=True)) == {datetime(2026, 4, 30, 23, 59, 59, tzinfo=UTC)}
