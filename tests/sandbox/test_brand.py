"""Brand-side API for Business endpoints answer in TikTok's shape for each brand persona."""

from __future__ import annotations

import json

from tests.sandbox.conftest import BUSINESS_APP

APP = {"app_id": BUSINESS_APP[0], "secret": BUSINESS_APP[1]}


def test_every_answer_has_the_business_envelope(sandbox):
    body = sandbox.business("GET", "tto/oauth2/tcm/", token=sandbox.advertiser_token(), params=APP)
    assert set(body) == {"code", "message", "request_id", "data"}
    assert body["code"] == 0 and body["data"]["tto_tcm_account_ids"] == ["7200000000000000001"]


def test_a_missing_token_is_an_http_200_error_with_tiktoks_empty_token_code(sandbox):
    assert sandbox.business("GET", "bc/get/")["code"] == 40104


def test_a_wrong_token_answers_40105(sandbox):
    assert sandbox.business("GET", "bc/get/", token="act.nonsense")["code"] == 40105


def test_an_unknown_path_answers_route_not_found(sandbox):
    assert sandbox.business("GET", "no/such/endpoint/", token=sandbox.advertiser_token())["code"] == 40400


def test_a_missing_parameter_answers_param_error(sandbox):
    assert sandbox.business("GET", "bc/asset/get/", token=sandbox.advertiser_token())["code"] == 40002


def test_the_demo_brand_account_is_verified(sandbox):
    token = sandbox.advertiser_token()
    info = sandbox.business(
        "GET", "tto/oauth2/info/", token=token, params={"tto_tcm_account_id": "7200000000000000001"}
    )
    assert info["data"]["business_verification_status"] == "VERIFIED"


def test_the_unverified_brand_account_is_not_verified(sandbox):
    token = sandbox.advertiser_token("unverified-brand")
    ids = sandbox.business("GET", "tto/oauth2/tcm/", token=token, params=APP)["data"]["tto_tcm_account_ids"]
    info = sandbox.business("GET", "tto/oauth2/info/", token=token, params={"tto_tcm_account_id": ids[0]})
    assert info["data"]["business_verification_status"] in ("NOT_SUBMITTED", "REVIEWING")


def test_the_brand_without_tiktok_one_gets_an_empty_list(sandbox):
    token = sandbox.advertiser_token("no-tto-brand")
    body = sandbox.business("GET", "tto/oauth2/tcm/", token=token, params=APP)
    assert body["data"]["tto_tcm_account_ids"] == []


def test_advertiser_info_takes_a_json_encoded_id_list(sandbox):
    token = sandbox.advertiser_token()
    ids = json.dumps(["7300000000000000001", "7300000000000000002"])
    body = sandbox.business("GET", "advertiser/info/", token=token, params={"advertiser_ids": ids})
    rows = body["data"]["list"]
    assert [r["currency"] for r in rows] == ["USD", "EUR"]
    assert rows[0]["owner_bc_id"] == "7400000000000000001"


def test_a_foreign_advertiser_is_a_40001(sandbox):
    token = sandbox.advertiser_token()
    body = sandbox.business(
        "GET", "advertiser/info/", token=token, params={"advertiser_ids": '["7300000000000000004"]'}
    )
    assert body["code"] == 40001


def test_advertiser_get_lists_the_authorized_accounts(sandbox):
    token = sandbox.advertiser_token("no-tto-brand")
    body = sandbox.business("GET", "oauth2/advertiser/get/", token=token, params=APP)
    assert body["data"]["list"] == [
        {"advertiser_id": "7300000000000000005", "advertiser_name": "No TikTok One Brand Ads"}
    ]


def _bound_advertisers(sandbox, token: str) -> set[str]:
    bound = set()
    for row in sandbox.business("GET", "bc/get/", token=token)["data"]["list"]:
        bc_id = row["bc_info"]["bc_id"]
        assets = sandbox.business(
            "GET", "bc/asset/get/", token=token, params={"bc_id": bc_id, "asset_type": "ADVERTISER"}
        )
        bound |= {a["asset_id"] for a in assets["data"]["list"] if a["relation_status"] == "BOUND"}
    return bound


def test_the_demo_brand_has_access_to_both_ad_accounts(sandbox):
    assert _bound_advertisers(sandbox, sandbox.advertiser_token()) == {"7300000000000000001", "7300000000000000002"}


def test_the_no_access_brand_has_no_bound_ad_account(sandbox):
    assert _bound_advertisers(sandbox, sandbox.advertiser_token("no-access-brand")) == set()


def test_bc_get_shows_role_and_paging(sandbox):
    body = sandbox.business("GET", "bc/get/", token=sandbox.advertiser_token())
    assert body["data"]["list"][0]["user_role"] == "ADMIN"
    assert body["data"]["page_info"] == {"page": 1, "page_size": 10, "total_number": 1, "total_page": 1}


def test_bc_members_are_an_admin_and_a_standard_member(sandbox):
    body = sandbox.business(
        "GET", "bc/member/get/", token=sandbox.advertiser_token(), params={"bc_id": "7400000000000000001"}
    )
    roles = {m["user_name"]: m["user_role"] for m in body["data"]["list"]}
    assert roles == {"Demo Brand": "ADMIN", "member": "STANDARD"}


def test_a_standard_member_sees_only_assigned_assets_and_cannot_assign(sandbox):
    admin, member = sandbox.advertiser_token(), sandbox.advertiser_token("demo-member")
    query = {"bc_id": "7400000000000000001", "asset_type": "ADVERTISER"}
    assert sandbox.business("GET", "bc/asset/get/", token=member, params=query)["data"]["list"] == []
    assign = {
        "bc_id": "7400000000000000001",
        "user_id": "7100000000000000002",
        "asset_type": "ADVERTISER",
        "asset_id": "7300000000000000001",
        "advertiser_role": "OPERATOR",
    }
    assert sandbox.business("POST", "bc/asset/assign/", token=member, json=assign)["code"] == 40001  # permission
    assert sandbox.business("POST", "bc/asset/assign/", token=admin, json=assign)["code"] == 0
    seen = sandbox.business("GET", "bc/asset/get/", token=member, params=query)["data"]["list"]
    assert [(a["asset_id"], a["advertiser_role"]) for a in seen] == [("7300000000000000001", "OPERATOR")]
    who = sandbox.business(
        "GET",
        "bc/asset/member/get/",
        token=admin,
        params={"bc_id": "7400000000000000001", "asset_type": "ADVERTISER", "asset_id": "7300000000000000001"},
    )
    assert who["data"]["list"][0]["user_id"] == "7100000000000000002"
    sandbox.business(
        "POST", "bc/asset/unassign/", token=admin, json={k: v for k, v in assign.items() if k != "advertiser_role"}
    )
    assert sandbox.business("GET", "bc/asset/get/", token=member, params=query)["data"]["list"] == []


def test_member_invite_requires_asset_ids_and_adds_a_pending_member(sandbox):
    token = sandbox.advertiser_token()
    body = {"bc_id": "7400000000000000001", "emails": ["new@demo-brand.example"], "user_role": "STANDARD"}
    assert sandbox.business("POST", "bc/member/invite/", token=token, json=body)["code"] == 40002
    body["asset_ids"] = []
    assert sandbox.business("POST", "bc/member/invite/", token=token, json=body)["code"] == 0
    members = sandbox.business("GET", "bc/member/get/", token=token, params={"bc_id": "7400000000000000001"})
    assert {m["user_email"]: m["relation_status"] for m in members["data"]["list"]}[
        "new@demo-brand.example"
    ] == "PENDING"


def test_business_user_info_masks_the_email(sandbox):
    body = sandbox.business("GET", "user/info/", token=sandbox.advertiser_token())
    assert body["data"]["email"] == "b***@demo.test"


def test_an_unknown_path_is_not_invented(sandbox):
    import requests

    answer = requests.post(f"{sandbox.url}/open_api/v1.3/tto/creator/invite/accept/", json={}, timeout=10)
    assert answer.json()["code"] == 40400  # TikTok's "route not found", in its envelope
