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
