"""Ads: an advertiser's ads and the synchronous report of their spend."""

from __future__ import annotations

import json
from datetime import date

import pytest

from integrations.tiktok import BusinessClient, TikTokError

from .conftest import fail, ok, query_of

ADV = "7300000000000000001"


def test_it_reads_a_page_of_ads_filtered_by_modification_time(mocked, biz):
    ad = {"ad_id": "1800000000000000001", "tiktok_item_id": "7700000000000000101", "identity_type": "AUTH_CODE"}
    mocked.get(biz("ad/get/"), json=ok({"list": [ad], "page_info": {"page": 1, "total_page": 1}}))

    page = BusinessClient("biz.1").ad_get(ADV, filtering={"modified_after": "2026-03-01 00:00:00"}, page=2)

    sent = query_of(mocked.calls[0])
    assert page["list"][0]["tiktok_item_id"] == "7700000000000000101"
    assert json.loads(sent["filtering"]) == {"modified_after": "2026-03-01 00:00:00"}
    assert (sent["advertiser_id"], sent["page"], sent["page_size"]) == (ADV, "2", "1000")
    assert "fields" not in sent


def test_a_daily_report_asks_for_auction_ads_by_ad_and_day_for_up_to_five_advertisers(mocked, biz):
    row = {"dimensions": {"ad_id": "18", "stat_time_day": "2026-03-01 00:00:00"}, "metrics": {"spend": "12.34"}}
    mocked.get(biz("report/integrated/get/"), json=ok({"list": [row], "page_info": {"total_page": 1}}))
    advertisers = [f"73000000000000000{n}" for n in range(10, 15)]

    page = BusinessClient("biz.1").report_integrated_get(
        advertisers, metrics=["spend"], start_date=date(2026, 2, 1), end_date=date(2026, 3, 2), daily=True
    )

    sent = query_of(mocked.calls[0])
    assert page["list"][0]["metrics"]["spend"] == "12.34"
    assert json.loads(sent["advertiser_ids"]) == advertisers
    assert json.loads(sent["dimensions"]) == ["ad_id", "stat_time_day"]
    assert (sent["report_type"], sent["data_level"], sent["service_type"]) == ("BASIC", "AUCTION_AD", "AUCTION")
    assert (sent["start_date"], sent["end_date"]) == ("2026-02-01", "2026-03-02")
    assert "query_lifetime" not in sent


def test_a_lifetime_report_sends_no_dates_and_no_day_dimension(mocked, biz):
    mocked.get(biz("report/integrated/get/"), json=ok({"list": []}))

    BusinessClient("biz.1").report_integrated_get([ADV], metrics=["spend", "impressions"])

    sent = query_of(mocked.calls[0])
    assert sent["query_lifetime"] == "true"
    assert json.loads(sent["dimensions"]) == ["ad_id"]
    assert "start_date" not in sent and "end_date" not in sent


@pytest.mark.parametrize(
    "advertisers, dates, daily",
    [
        ([], (date(2026, 3, 1), date(2026, 3, 1)), False),
        ([str(n) for n in range(6)], (date(2026, 3, 1), date(2026, 3, 1)), False),
        (["1"], (date(2026, 1, 1), date(2026, 1, 31)), True),
        (["1"], (None, None), True),
    ],
    ids=["no advertiser", "six advertisers", "31 days a day at a time", "daily without dates"],
)
def test_a_report_tiktok_would_refuse_is_never_sent(mocked, biz, advertisers, dates, daily):
    with pytest.raises(ValueError):
        BusinessClient("biz.1").report_integrated_get(
            advertisers, metrics=["spend"], start_date=dates[0], end_date=dates[1], daily=daily
        )
    assert len(mocked.calls) == 0


def test_a_refused_report_is_a_permanent_error(mocked, biz):
    mocked.get(biz("report/integrated/get/"), json=fail(40002, "advertiser_ids: at most 5"))

    with pytest.raises(TikTokError) as caught:
        BusinessClient("biz.1").report_integrated_get([ADV], metrics=["spend"])

    assert caught.value.code == 40002 and caught.value.kind == "permanent"


def test_an_identitys_ad_quota_is_asked_for_the_identity_as_an_asset_of_the_ad_account(mocked, biz):
    mocked.get(biz("asset/bind/quota/"), json=ok({"total_quota": 10000, "used_quota": 12, "available_quota": 9988}))

    quota = BusinessClient("biz.1").asset_bind_quota(ADV, "7100000000000000777")

    sent = query_of(mocked.calls[0])
    assert (sent["advertiser_id"], sent["asset_id"], sent["asset_type"]) == (ADV, "7100000000000000777", "IDENTITY")
    assert (quota["used_quota"], quota["total_quota"]) == (12, 10000)


def test_a_refused_quota_read_is_a_permanent_error(mocked, biz):
    mocked.get(biz("asset/bind/quota/"), json=fail(40001, "No permission to operate the identity"))

    with pytest.raises(TikTokError) as caught:
        BusinessClient("biz.1").asset_bind_quota(ADV, "7100000000000000777")

    assert caught.value.code == 40001 and caught.value.kind == "permanent"


def test_ad_groups_are_read_by_id_with_their_schedule(mocked, biz):
    group = {"adgroup_id": "1700000000000000001", "schedule_type": "SCHEDULE_START_END"}
    group["schedule_end_time"] = "2026-04-30 23:59:59"
    mocked.get(biz("adgroup/get/"), json=ok({"list": [group], "page_info": {"page": 1, "total_page": 1}}))

    page = BusinessClient("biz.1").adgroup_get(
        ADV, adgroup_ids=["1700000000000000001"], fields=["adgroup_id", "schedule_end_time"]
    )

    sent = query_of(mocked.calls[0])
    assert json.loads(sent["filtering"]) == {"adgroup_ids": ["1700000000000000001"]}
    assert json.loads(sent["fields"]) == ["adgroup_id", "schedule_end_time"]
    assert page["list"][0]["schedule_end_time"] == "2026-04-30 23:59:59"


def test_more_than_a_hundred_ad_groups_are_never_asked_for_in_one_call(mocked, biz):
    with pytest.raises(ValueError):
        BusinessClient("biz.1").adgroup_get(ADV, adgroup_ids=[str(n) for n in range(101)])
    assert len(mocked.calls) == 0
