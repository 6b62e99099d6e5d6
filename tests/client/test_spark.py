"""Spark Ads: identities, tt_video/* on an ad account, tcm/tt_video/* requests to creators."""

from __future__ import annotations

import pytest

from integrations.tiktok import BusinessClient

from .conftest import json_body, ok, query_of

ADV = "7300000000000000001"


def test_it_lists_identities_and_walks_an_identitys_videos_by_cursor(mocked, biz):
    mocked.get(
        biz("identity/get/"),
        json=ok({"identity_list": [{"identity_id": "i1", "identity_type": "BC_AUTH_TT", "can_pull_video": True}]}),
    )
    mocked.get(
        biz("identity/video/get/"), json=ok({"video_list": [{"item_id": "1"}], "cursor": "c2", "has_more": True})
    )
    mocked.get(
        biz("identity/video/get/"), json=ok({"video_list": [{"item_id": "2"}], "cursor": "c3", "has_more": False})
    )
    client = BusinessClient("biz.1")

    identities = client.identity_get(ADV, identity_type="BC_AUTH_TT", identity_authorized_bc_id="74")
    first = client.identity_video_get(ADV, "i1", "BC_AUTH_TT", identity_authorized_bc_id="74")
    second = client.identity_video_get(ADV, "i1", "BC_AUTH_TT", identity_authorized_bc_id="74", cursor=first["cursor"])

    assert identities["identity_list"][0]["can_pull_video"] is True
    assert query_of(mocked.calls[0])["identity_authorized_bc_id"] == "74"
    assert [v["item_id"] for p in (first, second) for v in p["video_list"]] == ["1", "2"]
    assert "cursor" not in query_of(mocked.calls[1]) and query_of(mocked.calls[2])["cursor"] == "c2"


def test_it_authorizes_reads_and_unbinds_a_post(mocked, biz):
    mocked.post(biz("tt_video/authorize/"), json=ok({}))
    mocked.get(
        biz("tt_video/info/"),
        json=ok(
            {
                "auth_info": {
                    "ad_auth_status": "AUTHORIZED",
                    "auth_start_time": "2026-01-01 00:00:00",
                    "auth_end_time": "2026-01-31 00:00:00",
                },
                "item_info": {"item_id": "7700000000000000001", "item_type": "VIDEO"},
            }
        ),
    )
    mocked.post(biz("tt_video/unbind/"), json=ok({}))
    client = BusinessClient("biz.1")

    client.tt_video_authorize(ADV, "CODE#1")
    info = client.tt_video_info(ADV, "CODE#1")
    client.tt_video_unbind(ADV, "7700000000000000001")

    assert json_body(mocked.calls[0]) == {"advertiser_id": ADV, "auth_code": "CODE#1"}
    assert query_of(mocked.calls[1]) == {"advertiser_id": ADV, "auth_code": "CODE#1"}
    assert info["item_info"]["item_id"] == "7700000000000000001"
    assert json_body(mocked.calls[2]) == {"advertiser_id": ADV, "item_id": "7700000000000000001"}


def test_it_requests_extends_and_polls_spark_permission_on_a_campaign_post(mocked, biz):
    mocked.post(biz("tcm/tt_video/apply/"), json=ok({}))
    mocked.post(biz("tcm/tt_video/apply/"), json=ok({}))
    mocked.get(
        biz("tcm/tt_video/status/"),
        json=ok(
            {
                "video_id": "77",
                "auth_status": "ACCEPTED",
                "num_remaining_request": 29,
                "auth_code": "CODE#2",
                "auth_code_status": "NOT_USED",
                "auth_code_start_time": "2026-01-01 00:00:00",
                "auth_code_end_time": "2026-01-31 00:00:00",
            }
        ),
    )
    client = BusinessClient("biz.1")

    client.tcm_tt_video_apply("77", "72", 30)
    client.tcm_tt_video_apply("77", "72", 60, extend=True)
    status = client.tcm_tt_video_status("77", "72")

    assert json_body(mocked.calls[0]) == {"video_id": "77", "tcm_account_id": "72", "authorization_days": 30}
    assert json_body(mocked.calls[1])["action"] == "EXTEND"
    assert status["auth_status"] == "ACCEPTED" and status["auth_code"] == "CODE#2"


def test_it_refuses_an_authorization_period_tiktok_does_not_offer():
    with pytest.raises(ValueError):
        BusinessClient("biz.1").tcm_tt_video_apply("77", "72", 90)


OPEN_ID = "open-7500000000000000001"
ITEM = "7700000000000000101"
CODE = {
    "item_id": ITEM,
    "auth_code": "#Code+/1",
    "auth_code_start_time": "2026-03-01 00:00:00",
    "auth_code_end_time": "2026-03-31 00:00:00",
    "authorization_days": 30,
    "auth_code_status": "NOT_USED",
}


def test_a_creator_turns_ad_authorization_on_for_a_post_and_gets_its_code(mocked, biz):
    mocked.post(biz("business/post/authorize/setting/"), json=ok(CODE))

    code = BusinessClient("tt.1").business_post_authorize_setting(OPEN_ID, ITEM, authorization_days=60)

    assert code == CODE
    assert json_body(mocked.calls[0]) == {
        "business_id": OPEN_ID,
        "item_id": ITEM,
        "is_ad_promotable": True,
        "authorization_days": 60,
    }
    assert mocked.calls[0].request.headers["Access-Token"] == "tt.1"


def test_turning_it_off_sends_false_not_an_absent_field(mocked, biz):
    mocked.post(biz("business/post/authorize/setting/"), json=ok({**CODE, "auth_code_status": "DELETED"}))

    BusinessClient("tt.1").business_post_authorize_setting(OPEN_ID, ITEM, is_ad_promotable=False)

    assert json_body(mocked.calls[0])["is_ad_promotable"] is False


def test_a_creator_extends_reads_and_deletes_a_posts_code(mocked, biz):
    mocked.post(biz("business/post/authorize/"), json=ok({**CODE, "authorization_days": 60}))
    mocked.get(biz("business/post/authorize/status/"), json=ok(CODE))
    mocked.post(biz("business/post/authorize/delete/"), json=ok({**CODE, "auth_code_status": "DELETED"}))
    client = BusinessClient("tt.1")

    extended = client.business_post_authorize(OPEN_ID, ITEM, 30)
    status = client.business_post_authorize_status(OPEN_ID, ITEM)
    deleted = client.business_post_authorize_delete(OPEN_ID, ITEM)

    assert json_body(mocked.calls[0]) == {"business_id": OPEN_ID, "item_id": ITEM, "authorization_days": 30}
    assert query_of(mocked.calls[1]) == {"business_id": OPEN_ID, "item_id": ITEM}
    assert json_body(mocked.calls[2]) == {"business_id": OPEN_ID, "item_id": ITEM}
    assert (extended["authorization_days"], status["auth_code"], deleted["auth_code_status"]) == (
        60,
        "#Code+/1",
        "DELETED",
    )


@pytest.mark.parametrize("days", [0, 14, 90])
def test_only_tiktoks_durations_are_sent(mocked, biz, days):
    client = BusinessClient("tt.1")
    with pytest.raises(ValueError, match="7, 30, 60, 365"):
        client.business_post_authorize_setting(OPEN_ID, ITEM, authorization_days=days)
    with pytest.raises(ValueError, match="7, 30, 60, 365"):
        client.business_post_authorize(OPEN_ID, ITEM, days)
    assert len(mocked.calls) == 0


def test_scope_missing_is_a_permanent_error_the_caller_can_recognise(mocked, biz):
    from integrations.tiktok import TikTokError

    mocked.post(
        biz("business/post/authorize/setting/"),
        json={"code": 40130, "message": "scope not authorized", "request_id": "r1", "data": {}},
    )

    with pytest.raises(TikTokError) as caught:
        BusinessClient("tt.1").business_post_authorize_setting(OPEN_ID, ITEM)

    assert caught.value.is_scope_missing and not caught.value.is_transient
    assert len(mocked.calls) == 1


def test_a_creators_posts_are_listed_with_json_encoded_fields_and_filters(mocked, biz):
    mocked.get(biz("business/video/list/"), json=ok({"videos": [{"item_id": ITEM}], "cursor": 1, "has_more": False}))

    page = BusinessClient("tt.1").business_video_list(OPEN_ID, fields=["caption"], video_ids=[ITEM], cursor=17)

    sent = query_of(mocked.calls[0])
    assert sent["fields"] == '["item_id","caption"]'
    assert sent["filters"] == f'{{"video_ids":["{ITEM}"]}}'
    assert (sent["cursor"], sent["max_count"]) == ("17", "20")
    assert page["videos"][0]["item_id"] == ITEM
