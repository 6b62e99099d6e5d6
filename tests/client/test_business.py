"""API for Business: advertiser OAuth, ad accounts, Business Center, subscriptions."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlparse

from integrations.tiktok import BusinessClient, iter_pages

from .conftest import json_body, ok, query_of

BC = "7400000000000000001"


def test_the_portal_auth_url_carries_app_id_state_and_redirect_uri(settings):
    url = BusinessClient.portal_auth_url("st-9", "https://app.example/tiktok/callback")

    parsed = urlparse(url)
    assert url.startswith(f"{settings.TIKTOK_BUSINESS_API_BASE_URL}/portal/auth?")
    assert {k: v[0] for k, v in parse_qs(parsed.query).items()} == {
        "app_id": settings.TIKTOK_APP_ID,
        "state": "st-9",
        "redirect_uri": "https://app.example/tiktok/callback",
    }


def test_it_exchanges_an_auth_code_with_a_json_body(mocked, biz, settings):
    mocked.post(
        biz("oauth2/access_token/"),
        json=ok(
            {
                "access_token": "biz.1",
                "advertiser_ids": ["7300000000000000001", "7300000000000000002"],
                "scope": [4, 5, 11],
                "token_type": "Bearer",
            }
        ),
    )

    grant = BusinessClient().oauth2_access_token("auth-code-1")

    request = mocked.calls[0].request
    assert request.headers["Content-Type"] == "application/json"
    assert "Access-Token" not in request.headers
    assert json_body(mocked.calls[0]) == {
        "app_id": settings.TIKTOK_APP_ID,
        "secret": settings.TIKTOK_APP_SECRET,
        "auth_code": "auth-code-1",
    }
    assert grant.access_token == "biz.1"
    assert grant.advertiser_ids == ["7300000000000000001", "7300000000000000002"]
    assert grant.scope == "4,5,11" and grant.expires_in is None


def test_it_revokes_a_token_and_returns_the_accounts_that_lost_access(mocked, biz):
    mocked.post(biz("oauth2/revoke_token/"), json=ok({"app_id": "app", "advertiser_ids": ["73"]}))

    assert BusinessClient().oauth2_revoke_token("biz.1")["advertiser_ids"] == ["73"]
    assert json_body(mocked.calls[0])["access_token"] == "biz.1"


def test_it_lists_authorized_advertisers_with_app_credentials_in_the_query(mocked, biz, settings):
    mocked.get(biz("oauth2/advertiser/get/"), json=ok({"list": [{"advertiser_id": "73", "advertiser_name": "US"}]}))

    assert BusinessClient("biz.1").oauth2_advertiser_get() == [{"advertiser_id": "73", "advertiser_name": "US"}]
    assert query_of(mocked.calls[0]) == {"app_id": settings.TIKTOK_APP_ID, "secret": settings.TIKTOK_APP_SECRET}


def test_it_fetches_advertiser_info_in_batches_of_100_json_encoded(mocked, biz):
    ids = [str(7300000000000000000 + n) for n in range(150)]
    mocked.get(biz("advertiser/info/"), json=ok({"list": [{"advertiser_id": i} for i in ids[:100]]}))
    mocked.get(biz("advertiser/info/"), json=ok({"list": [{"advertiser_id": i} for i in ids[100:]]}))

    infos = BusinessClient("biz.1").advertiser_info(ids, fields=["advertiser_id", "name", "currency"])

    assert len(infos) == 150
    first = query_of(mocked.calls[0])
    assert json.loads(first["advertiser_ids"]) == ids[:100]
    assert first["fields"] == '["advertiser_id","name","currency"]'
    assert json.loads(query_of(mocked.calls[1])["advertiser_ids"]) == ids[100:]


def test_it_walks_bc_get_pages_until_total_page(mocked, biz):
    page = {"bc_info": {"bc_id": BC, "name": "Demo Brand BC", "verification_status": "VERIFIED"}, "user_role": "ADMIN"}
    mocked.get(
        biz("bc/get/"),
        json=ok({"list": [page], "page_info": {"page": 1, "page_size": 1, "total_number": 2, "total_page": 2}}),
    )
    mocked.get(
        biz("bc/get/"),
        json=ok({"list": [page], "page_info": {"page": 2, "page_size": 1, "total_number": 2, "total_page": 2}}),
    )
    client = BusinessClient("biz.1")

    pages = list(iter_pages(lambda p: client.bc_get(page=p, page_size=1)))

    assert len(pages) == 2
    assert [query_of(c)["page"] for c in mocked.calls] == ["1", "2"]
    assert pages[0]["list"][0]["user_role"] == "ADMIN"


def test_it_reads_members_and_assets_with_json_encoded_filtering(mocked, biz):
    mocked.get(biz("bc/member/get/"), json=ok({"list": [{"user_id": "71", "user_role": "ADMIN"}], "page_info": {}}))
    mocked.get(biz("bc/asset/get/"), json=ok({"list": [{"asset_id": "73", "relation_status": "BOUND"}]}))
    client = BusinessClient("biz.1")

    members = client.bc_member_get(BC, filtering={"user_role": "ADMIN"})
    assets = client.bc_asset_get(BC, "ADVERTISER", filtering={"keyword": "Demo"})

    assert members["list"][0]["user_role"] == "ADMIN"
    assert query_of(mocked.calls[0])["filtering"] == '{"user_role":"ADMIN"}'
    assert assets["list"][0]["relation_status"] == "BOUND"
    assert query_of(mocked.calls[1])["asset_type"] == "ADVERTISER"


def test_it_assigns_and_unassigns_assets(mocked, biz):
    mocked.post(biz("bc/asset/assign/"), json=ok({}))
    mocked.post(biz("bc/asset/unassign/"), json=ok({}))
    client = BusinessClient("biz.1")

    client.bc_asset_assign(BC, "72", "TT_ACCOUNT", "75", tt_account_roles=["POST"])
    client.bc_asset_unassign(BC, "72", "TT_ACCOUNT", "75")

    assert json_body(mocked.calls[0]) == {
        "bc_id": BC,
        "user_id": "72",
        "asset_type": "TT_ACCOUNT",
        "asset_id": "75",
        "tt_account_roles": ["POST"],
    }
    assert json_body(mocked.calls[1]) == {"bc_id": BC, "user_id": "72", "asset_type": "TT_ACCOUNT", "asset_id": "75"}


def test_it_returns_the_account_agnostic_qr_link(mocked, biz):
    mocked.get(biz("bc/asset/account/authorization/"), json=ok({"bc_auth_qr_code": "https://tt.example/qr/abc"}))

    assert BusinessClient("biz.1").bc_asset_account_authorization(BC) == "https://tt.example/qr/abc"
    assert query_of(mocked.calls[0]) == {"bc_id": BC}


def test_it_subscribes_to_tcm_videos(mocked, biz, settings):
    mocked.post(biz("subscription/subscribe/"), json=ok({"subscription_id": "sub-1"}))

    sub = BusinessClient().subscription_subscribe(
        "TCM_VIDEOS", "https://app.example/hooks/tiktok", {"tto_tcm_account_id": "72", "access_token": "biz.1"}
    )

    assert sub == "sub-1"
    assert json_body(mocked.calls[0])["subscribe_entity"] == "TCM_VIDEOS"
    assert json_body(mocked.calls[0])["secret"] == settings.TIKTOK_APP_SECRET
