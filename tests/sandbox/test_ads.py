"""Ads in the sandbox: made from a post with an applied code, reviewed, paused, stopped when the
code ends; ad/get/ and report/integrated/get/ answer what they spent, to the cent."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

ADV, ADV_EU = "7300000000000000001", "7300000000000000002"
# The seeded timezone of ADV: TikTok's report days are the advertiser's calendar days.
ADV_TIMEZONE = ZoneInfo("America/Los_Angeles")
VIDEO = "7700000000000000001"


def applied_code(sandbox, token: str, video_id: str = VIDEO, days: int = 30, advertiser: str = ADV) -> str:
    code = sandbox.control("POST", "helpers/ad-codes", json={"video_id": video_id, "days": days}).json()["auth_code"]
    answer = sandbox.business(
        "POST", "tt_video/authorize/", token, json={"advertiser_id": advertiser, "auth_code": code}
    )
    assert answer["code"] == 0, answer
    return code


def new_ad(sandbox, advertiser: str = ADV, video_id: str = VIDEO, **extra) -> dict:
    response = sandbox.control(
        "POST",
        "helpers/ads",
        json={"advertiser_id": advertiser, "video_id": video_id, "daily_budget": "100.00"} | extra,
    )
    assert response.status_code == 200, response.text
    return response.json()


def decide(sandbox, ad_id: str, decision: str) -> dict:
    response = sandbox.control("POST", f"helpers/ads/{ad_id}/{decision}")
    assert response.status_code == 200, response.text
    return response.json()


def report(sandbox, token: str, **params) -> dict:
    query = {
        "advertiser_ids": json.dumps([ADV]),
        "report_type": "BASIC",
        "data_level": "AUCTION_AD",
        "dimensions": json.dumps(["ad_id", "stat_time_day"]),
        "metrics": json.dumps(["spend", "impressions", "ctr", "currency"]),
        "page_size": 1000,
    } | params
    return sandbox.business("GET", "report/integrated/get/", token, params=query)


def today(sandbox) -> date:
    """Today on ADV's calendar by the sandbox's clock (from 16:00 to midnight there, the UTC date is a day ahead)."""
    return datetime.fromisoformat(sandbox.control("GET", "state").json()["now"]).astimezone(ADV_TIMEZONE).date()


def test_an_ad_needs_the_posts_code_applied_to_its_ad_account(sandbox):
    response = sandbox.control("POST", "helpers/ads", json={"advertiser_id": ADV, "video_id": VIDEO})

    assert response.status_code == 409
    assert "No code for this post" in response.json()["error"]


def test_ad_get_lists_the_spark_ad_by_its_post_and_identity_through_review(sandbox):
    token = sandbox.advertiser_token()
    applied_code(sandbox, token)
    ad = new_ad(sandbox)

    listed = sandbox.business("GET", "ad/get/", token, params={"advertiser_id": ADV})["data"]["list"]
    decide(sandbox, ad["ad_id"], "reject")
    rejected = sandbox.business("GET", "ad/get/", token, params={"advertiser_id": ADV})["data"]["list"][0]

    assert [(a["ad_id"], a["tiktok_item_id"], a["identity_type"]) for a in listed] == [
        (ad["ad_id"], VIDEO, "AUTH_CODE")
    ]
    assert listed[0]["identity_id"] == ad["identity_id"] and listed[0]["video_id"] is None
    assert listed[0]["secondary_status"] == "AD_STATUS_AUDIT"
    assert rejected["secondary_status"] == "AD_STATUS_NOT_APPROVE"


def test_a_days_spend_is_the_seeded_amount_for_the_part_of_the_day_the_ad_delivered(sandbox):
    token = sandbox.advertiser_token()
    applied_code(sandbox, token)
    ad = new_ad(sandbox, seed=42)
    decide(sandbox, ad["ad_id"], "approve")
    sandbox.advance(seconds=3 * 86400)
    day = today(sandbox)

    rows = report(sandbox, token, start_date=str(day - timedelta(days=3)), end_date=str(day))["data"]["list"]
    again = report(sandbox, token, start_date=str(day - timedelta(days=3)), end_date=str(day))["data"]["list"]
    lifetime = report(sandbox, token, dimensions=json.dumps(["ad_id"]), query_lifetime="true")["data"]["list"]

    assert rows == again  # the same clock, the same cents
    whole_days = [
        r for r in rows if r["dimensions"]["stat_time_day"][:10] not in (str(day - timedelta(days=3)), str(day))
    ]
    assert len(whole_days) == 2
    for row in whole_days:
        assert Decimal("80.00") <= Decimal(row["metrics"]["spend"]) <= Decimal("120.00")
        assert row["metrics"]["currency"] == "USD" and row["metrics"]["advertiser_id"] == ADV
    total = sum(Decimal(r["metrics"]["spend"]) for r in rows)
    assert Decimal(lifetime[0]["metrics"]["spend"]) == total
    assert sandbox.control("GET", "helpers/ads").json()[0]["lifetime_spend"] == f"{total:.2f}"


def test_when_the_code_ends_its_ads_stop_spending(sandbox):
    token = sandbox.advertiser_token()
    applied_code(sandbox, token, days=7)
    ad = new_ad(sandbox)
    decide(sandbox, ad["ad_id"], "approve")
    sandbox.advance(seconds=10 * 86400)
    day = today(sandbox)

    listed = sandbox.business("GET", "ad/get/", token, params={"advertiser_id": ADV})["data"]["list"][0]
    rows = report(sandbox, token, start_date=str(day - timedelta(days=10)), end_date=str(day))["data"]["list"]

    assert (listed["operation_status"], listed["secondary_status"]) == ("DISABLE", "AD_STATUS_DISABLE")
    assert len(rows) == 8  # seven days of delivery spread over eight calendar days
    assert max(r["dimensions"]["stat_time_day"][:10] for r in rows) < str(day - timedelta(days=1))


def test_a_paused_ad_spends_nothing_after_the_pause_and_a_ratio_with_no_data_is_left_out(sandbox):
    token = sandbox.advertiser_token()
    applied_code(sandbox, token)
    ad = new_ad(sandbox)
    decide(sandbox, ad["ad_id"], "approve")
    decide(sandbox, ad["ad_id"], "pause")
    sandbox.advance(seconds=2 * 86400)
    day = today(sandbox)

    summed = report(
        sandbox, token, dimensions=json.dumps(["ad_id"]), start_date=str(day - timedelta(days=2)), end_date=str(day)
    )["data"]["list"][0]["metrics"]

    assert summed["spend"] == "0.00" and summed["impressions"] == "0"
    assert "ctr" not in summed


def test_the_report_refuses_six_advertisers_31_daily_days_and_pages_over_1000(sandbox):
    token = sandbox.advertiser_token()
    day = today(sandbox)
    six = report(sandbox, token, advertiser_ids=json.dumps([ADV] * 6), start_date=str(day), end_date=str(day))
    month = report(sandbox, token, start_date=str(day - timedelta(days=30)), end_date=str(day))
    pages = report(sandbox, token, start_date=str(day), end_date=str(day), page_size=1001)
    ad_pages = sandbox.business("GET", "ad/get/", token, params={"advertiser_id": ADV, "page_size": 1001})

    assert [six["code"], month["code"], pages["code"], ad_pages["code"]] == [40002] * 4


def test_two_advertisers_in_one_report_each_carry_their_currency(sandbox):
    token = sandbox.advertiser_token()
    applied_code(sandbox, token)
    applied_code(sandbox, token, advertiser=ADV_EU)
    for advertiser in (ADV, ADV_EU):
        decide(sandbox, new_ad(sandbox, advertiser)["ad_id"], "approve")
    sandbox.advance(seconds=86400)
    day = today(sandbox)

    rows = report(
        sandbox,
        token,
        advertiser_ids=json.dumps([ADV, ADV_EU]),
        dimensions=json.dumps(["ad_id"]),
        start_date=str(day - timedelta(days=1)),
        end_date=str(day),
    )["data"]["list"]

    assert sorted((r["metrics"]["advertiser_id"], r["metrics"]["currency"]) for r in rows) == [
        (ADV, "USD"),
        (ADV_EU, "EUR"),
    ]


# --- ads webhooks: subscriptions and the fatigue action ----------------------------------------


def subscribe(sandbox, token: str, entity: str, **detail) -> dict:
    body = {
        "app_id": "sandbox-business-app",
        "secret": "sandbox-business-secret",
        "subscribe_entity": entity,
        "callback_url": "http://127.0.0.1:9/hooks/",
        "subscription_detail": detail | {"access_token": token},
    }
    return sandbox.business("POST", "subscription/subscribe/", json=body)


def test_an_ad_fatigues_once_and_only_while_it_delivers(sandbox):
    token = sandbox.advertiser_token()
    applied_code(sandbox, token)
    ad = new_ad(sandbox)

    in_review = sandbox.control("POST", f"helpers/ads/{ad['ad_id']}/fatigue")
    decide(sandbox, ad["ad_id"], "approve")
    fatigued = sandbox.control("POST", f"helpers/ads/{ad['ad_id']}/fatigue")
    again = sandbox.control("POST", f"helpers/ads/{ad['ad_id']}/fatigue")

    assert in_review.status_code == 409
    assert fatigued.status_code == 200 and fatigued.json()["secondary_status"] == "AD_STATUS_DELIVERY_OK"
    assert again.status_code == 409 and "already" in again.json()["error"]


def test_ads_subscriptions_take_tiktoks_required_fields_and_only_the_tokens_ad_accounts(sandbox):
    token = sandbox.advertiser_token()

    no_ad = subscribe(sandbox, token, "AD", advertiser_id=ADV)
    bad_window = subscribe(sandbox, token, "REPORT_DATA_CHANGE", advertiser_ids=[ADV], notify_frequency="2_MINUTE")
    foreign = subscribe(sandbox, token, "REPORT_DATA_CHANGE", advertiser_ids=["7300000000000000999"])
    made = subscribe(sandbox, token, "REPORT_DATA_CHANGE", advertiser_ids=[ADV])

    assert (no_ad["code"], bad_window["code"], foreign["code"], made["code"]) == (40002, 40002, 40001, 0)
    unsubscribe = {"app_id": "sandbox-business-app", "secret": "sandbox-business-secret"}
    sub = made["data"]["subscription_id"]
    first = sandbox.business("POST", "subscription/unsubscribe/", json=unsubscribe | {"subscription_id": sub})
    second = sandbox.business("POST", "subscription/unsubscribe/", json=unsubscribe | {"subscription_id": sub})
    assert (first["code"], first["data"]["subscription_id"], second["code"]) == (0, sub, 40007)


def test_an_ad_group_scheduled_to_end_stops_its_ad_there_and_adgroup_get_says_when(sandbox):
    token = sandbox.advertiser_token()
    applied_code(sandbox, token, days=30)
    start = datetime.fromisoformat(sandbox.control("GET", "state").json()["now"])
    ends = start + timedelta(days=3)
    ad = new_ad(sandbox, schedule_end_time=f"{ends:%Y-%m-%d %H:%M:%S}")
    decide(sandbox, ad["ad_id"], "approve")
    open_ended = new_ad(sandbox)

    groups = sandbox.business("GET", "adgroup/get/", token, params={"advertiser_id": ADV})["data"]["list"]
    sandbox.control("POST", "clock/advance", json={"seconds": 5 * 86400})
    spent = sandbox.control("GET", "helpers/ads").json()

    schedules = {g["adgroup_id"]: (g["schedule_type"], g.get("schedule_end_time")) for g in groups}
    listed = {
        a["ad_id"]: a for a in sandbox.business("GET", "ad/get/", token, params={"advertiser_id": ADV})["data"]["list"]
    }
    scheduled = next(a for a in listed.values() if a["ad_id"] == ad["ad_id"])
    assert schedules[scheduled["adgroup_id"]] == ("SCHEDULE_START_END", f"{ends:%Y-%m-%d %H:%M:%S}")
    assert schedules[listed[open_ended["ad_id"]]["adgroup_id"]] == ("SCHEDULE_FROM_NOW", None)
    assert scheduled["secondary_status"] == "AD_STATUS_DONE"
    # It spent three days' worth, not five.
    lifetime = Decimal(next(a for a in spent if a["ad_id"] == ad["ad_id"])["lifetime_spend"])
    assert Decimal("240.00") <= lifetime <= Decimal("360.00")
