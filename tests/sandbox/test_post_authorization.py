"""A creator's own post codes through the Accounts API (business/post/authorize/*) and their
posts (business/video/list/), with the creator's tt_user token, over real HTTP."""

from __future__ import annotations

from datetime import datetime, timedelta

from .conftest import BUSINESS_APP, REDIRECT

ADVERTISER = "7300000000000000001"
SPARK_SCOPES = "user.info.basic,video.list,biz.spark.auth"


def creator(sandbox, handle: str = "market.star", scope: str = SPARK_SCOPES) -> tuple[str, str]:
    """(access token, open_id) of a creator who granted ``scope``."""
    payload = {"handle": handle, "client_key": BUSINESS_APP[0], "redirect_uri": REDIRECT, "scope": scope}
    code = sandbox.control("POST", "helpers/authorize", json=payload).json()["code"]
    data = sandbox.business(
        "POST",
        "tt_user/oauth2/token/",
        json={
            "client_id": BUSINESS_APP[0],
            "client_secret": BUSINESS_APP[1],
            "grant_type": "authorization_code",
            "auth_code": code,
            "redirect_uri": REDIRECT,
        },
    )["data"]
    return data["access_token"], data["open_id"]


def posts(sandbox, token: str, open_id: str, **params) -> dict:
    query = {"business_id": open_id, **params}
    return sandbox.business("GET", "business/video/list/", token=token, params=query)


def first_post(sandbox, token: str, open_id: str) -> str:
    return posts(sandbox, token, open_id)["data"]["videos"][0]["item_id"]


def setting(sandbox, token, open_id, item_id, promotable=True, days=None) -> dict:
    body = {"business_id": open_id, "item_id": item_id, "is_ad_promotable": promotable}
    if days is not None:
        body["authorization_days"] = days
    return sandbox.business("POST", "business/post/authorize/setting/", token=token, json=body)


def status(sandbox, token, open_id, item_id) -> dict:
    query = {"business_id": open_id, "item_id": item_id}
    return sandbox.business("GET", "business/post/authorize/status/", token=token, params=query)


def test_turning_ad_authorization_on_makes_a_code_for_the_days_asked_on_the_sandbox_clock(sandbox):
    token, open_id = creator(sandbox)
    item = first_post(sandbox, token, open_id)

    made = setting(sandbox, token, open_id, item, days=60)

    assert made["code"] == 0
    data = made["data"]
    assert data["item_id"] == item and data["auth_code"].startswith("#")
    assert data["authorization_days"] == 60 and data["auth_code_status"] == "NOT_USED"
    start = datetime.strptime(data["auth_code_start_time"], "%Y-%m-%d %H:%M:%S")
    end = datetime.strptime(data["auth_code_end_time"], "%Y-%m-%d %H:%M:%S")
    assert end - start == timedelta(days=60)
    assert status(sandbox, token, open_id, item)["data"] == data


def test_the_default_duration_is_thirty_days_and_a_second_call_answers_the_same_live_code(sandbox):
    token, open_id = creator(sandbox)
    item = first_post(sandbox, token, open_id)

    first = setting(sandbox, token, open_id, item)["data"]
    again = setting(sandbox, token, open_id, item, days=7)["data"]

    assert first["authorization_days"] == 30
    assert again["auth_code"] == first["auth_code"]


def test_a_code_made_this_way_is_applied_by_a_brand_and_then_reads_in_use(sandbox):
    token, open_id = creator(sandbox)
    item = first_post(sandbox, token, open_id)
    code = setting(sandbox, token, open_id, item)["data"]["auth_code"]
    brand = sandbox.advertiser_token()

    applied = sandbox.business(
        "POST", "tt_video/authorize/", token=brand, json={"advertiser_id": ADVERTISER, "auth_code": code}
    )

    assert applied["code"] == 0
    assert status(sandbox, token, open_id, item)["data"]["auth_code_status"] == "IN_USE"
    is_ad = posts(sandbox, token, open_id, fields='["item_id","is_ad"]', filters=f'{{"video_ids":["{item}"]}}')
    assert is_ad["data"]["videos"] == [{"item_id": item, "is_ad": True}]


def test_turning_authorization_off_is_refused_while_the_post_runs_in_spark_ads(sandbox):
    token, open_id = creator(sandbox)
    item = first_post(sandbox, token, open_id)
    code = setting(sandbox, token, open_id, item)["data"]["auth_code"]
    brand = sandbox.advertiser_token()
    sandbox.business("POST", "tt_video/authorize/", token=brand, json={"advertiser_id": ADVERTISER, "auth_code": code})

    refused = setting(sandbox, token, open_id, item, promotable=False)

    assert refused["code"] == 40001 and "Spark Ads" in refused["message"]
    assert status(sandbox, token, open_id, item)["data"]["auth_code_status"] == "IN_USE"


def test_turning_authorization_off_for_an_unused_code_deletes_it(sandbox):
    token, open_id = creator(sandbox)
    item = first_post(sandbox, token, open_id)
    setting(sandbox, token, open_id, item)

    off = setting(sandbox, token, open_id, item, promotable=False)

    assert off["code"] == 0 and off["data"]["auth_code_status"] == "DELETED"
    assert status(sandbox, token, open_id, item)["code"] == 40007


def test_a_post_whose_code_was_never_made_errors_on_status_extend_and_delete(sandbox):
    token, open_id = creator(sandbox)
    item = first_post(sandbox, token, open_id)
    body = {"business_id": open_id, "item_id": item}

    assert status(sandbox, token, open_id, item)["code"] == 40007
    extend = sandbox.business("POST", "business/post/authorize/", token=token, json={**body, "authorization_days": 30})
    assert extend["code"] == 40007
    assert sandbox.business("POST", "business/post/authorize/delete/", token=token, json=body)["code"] == 40007


def test_a_deleted_code_can_no_longer_be_applied_or_extended(sandbox):
    token, open_id = creator(sandbox)
    item = first_post(sandbox, token, open_id)
    code = setting(sandbox, token, open_id, item)["data"]["auth_code"]
    body = {"business_id": open_id, "item_id": item}

    deleted = sandbox.business("POST", "business/post/authorize/delete/", token=token, json=body)

    assert deleted["code"] == 0 and deleted["data"]["auth_code_status"] == "DELETED"
    brand = sandbox.advertiser_token()
    applied = sandbox.business(
        "POST", "tt_video/authorize/", token=brand, json={"advertiser_id": ADVERTISER, "auth_code": code}
    )
    assert applied["code"] != 0
    again = sandbox.business("POST", "business/post/authorize/", token=token, json={**body, "authorization_days": 7})
    assert again["code"] == 40007
    assert sandbox.business("POST", "business/post/authorize/delete/", token=token, json=body)["code"] == 40007


def test_extending_adds_the_days_to_the_window_and_an_expired_code_cannot_be_extended(sandbox):
    token, open_id = creator(sandbox)
    item = first_post(sandbox, token, open_id)
    made = setting(sandbox, token, open_id, item, days=7)["data"]
    body = {"business_id": open_id, "item_id": item, "authorization_days": 30}

    extended = sandbox.business("POST", "business/post/authorize/", token=token, json=body)["data"]

    end = datetime.strptime(made["auth_code_end_time"], "%Y-%m-%d %H:%M:%S")
    assert extended["auth_code"] == made["auth_code"] and extended["authorization_days"] == 37
    assert datetime.strptime(extended["auth_code_end_time"], "%Y-%m-%d %H:%M:%S") == end + timedelta(days=30)
    sandbox.control("POST", "clock/advance", json={"hours": 24 * 38}).raise_for_status()
    token, open_id = creator(sandbox)  # the day-old access token has expired meanwhile
    assert status(sandbox, token, open_id, item)["data"]["auth_code_status"] == "EXPIRED"
    assert sandbox.business("POST", "business/post/authorize/", token=token, json=body)["code"] == 40001


def test_without_the_biz_spark_auth_scope_every_post_endpoint_answers_40130(sandbox):
    token, open_id = creator(sandbox, scope="user.info.basic,video.list")
    item = first_post(sandbox, token, open_id)

    assert setting(sandbox, token, open_id, item)["code"] == 40130
    assert status(sandbox, token, open_id, item)["code"] == 40130
    body = {"business_id": open_id, "item_id": item}
    assert sandbox.business("POST", "business/post/authorize/delete/", token=token, json=body)["code"] == 40130


def test_a_creator_cannot_act_on_another_account_or_another_creators_post(sandbox):
    token, open_id = creator(sandbox)
    other_token, other_open_id = creator(sandbox, "demo.creator")
    foreign = first_post(sandbox, other_token, other_open_id)

    assert setting(sandbox, token, other_open_id, foreign)["code"] == 40119
    assert setting(sandbox, token, open_id, foreign)["code"] == 40002


def test_the_days_must_be_tiktoks(sandbox):
    token, open_id = creator(sandbox)
    item = first_post(sandbox, token, open_id)

    assert setting(sandbox, token, open_id, item, days=45)["code"] == 40002


def test_video_list_pages_newest_first_with_a_millisecond_cursor_and_the_fields_asked_for(sandbox):
    token, open_id = creator(sandbox)

    first = posts(sandbox, token, open_id, max_count=2, fields='["item_id","create_time","caption"]')["data"]
    rest = posts(sandbox, token, open_id, max_count=20, cursor=first["cursor"])["data"]

    assert len(first["videos"]) == 2 and first["has_more"] is True
    assert set(first["videos"][0]) == {"item_id", "create_time", "caption"}
    assert first["videos"][0]["create_time"] >= first["videos"][1]["create_time"]
    assert first["cursor"] // 1000 == first["videos"][1]["create_time"]  # milliseconds
    assert set(rest["videos"][0]) == {"item_id"}  # the default fields
    seen = [v["item_id"] for v in first["videos"] + rest["videos"]]
    assert len(seen) == len(set(seen))


def test_video_list_needs_the_video_list_scope_and_rejects_unknown_fields(sandbox):
    token, open_id = creator(sandbox, scope="user.info.basic,biz.spark.auth")
    assert posts(sandbox, token, open_id)["code"] == 40130
    token, open_id = creator(sandbox)
    assert posts(sandbox, token, open_id, fields='["item_id","password"]')["code"] == 40002


def test_the_consent_screen_lists_biz_spark_auth_in_plain_words(sandbox):
    import requests

    params = {
        "client_key": BUSINESS_APP[0],
        "redirect_uri": REDIRECT,
        "response_type": "code",
        "scope": "user.info.basic,biz.spark.auth",
        "state": "s",
        "handle": "market.star",  # logs in on the consent screen
    }
    page = requests.post(f"{sandbox.url}/v2/auth/authorize/", data=params, timeout=30)

    assert page.status_code == 200
    assert "biz.spark.auth" in page.text and "Spark Ads codes" in page.text
