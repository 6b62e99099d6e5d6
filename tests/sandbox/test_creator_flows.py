"""Marketplace invites, campaigns, links, Spark Ads, identities, QR and Ads Manager links,
reports and webhooks, driven over HTTP with the sandbox clock and screen helpers."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import requests

from tests.sandbox.conftest import BUSINESS_APP

TTO = "7200000000000000001"
CAMPAIGN = "7900000000000000001"
STAR_VIDEO = "7700000000000000401"  # market.star's first post, linked to the seeded campaign


def _status(sandbox, token: str, handle: str) -> str:
    body = sandbox.business(
        "GET",
        "tto/tcm/creator/status/get/",
        token=token,
        params={"tto_tcm_account_id": TTO, "handle_names": json.dumps([handle])},
    )
    return body["data"]["onboarding_status"][0]["status"]


def _invite(sandbox, token: str, handles: list[str]) -> dict:
    body = {"tcm_account_id": TTO, "handle_names": handles, "advertiser_id": "7300000000000000001"}
    return sandbox.business("POST", "tcm/creator/invite/", token=token, json=body)["data"]


def test_an_invite_arrives_after_three_hours_and_processing_takes_two_more(sandbox):
    token = sandbox.advertiser_token()
    assert _invite(sandbox, token, ["demo.creator"])["invited"] == [True]
    assert _status(sandbox, token, "demo.creator") == "INVITED"
    assert sandbox.control("POST", "helpers/invites/accept", json={"handle": "demo.creator"}).status_code == 409
    sandbox.advance(hours=3)
    assert sandbox.control("POST", "helpers/invites/accept", json={"handle": "demo.creator"}).status_code == 200
    sandbox.advance(hours=2)
    assert _status(sandbox, token, "demo.creator") == "INVITED"
    sandbox.advance(minutes=31)
    assert _status(sandbox, token, "demo.creator") == "IN"


def test_a_creator_who_is_not_age_verified_never_gets_the_invite(sandbox):
    token = sandbox.advertiser_token()
    assert _invite(sandbox, token, ["young.creator"])["invited"] == [True]
    sandbox.advance(hours=30)
    assert sandbox.control("POST", "helpers/invites/accept", json={"handle": "young.creator"}).status_code == 409


def test_ineligible_and_existing_creators_are_sorted_out(sandbox):
    result = _invite(
        sandbox, sandbox.advertiser_token(), ["small.creator", "brand.business", "market.star", "nobody.here"]
    )
    # TikTok's shape: handles in in_tcm, one bool per requested handle in invited/rejected.
    assert result["in_tcm"] == ["market.star"]
    assert result["invited"] == [False, False, False, False]
    assert result["rejected"] == [True, True, False, True]
    assert set(result["reject_reasons"]) == {"small.creator", "brand.business", "nobody.here"}


def test_discover_pages_marketplace_creators_with_filters(sandbox):
    body = sandbox.business(
        "GET",
        "tto/tcm/creator/discover/",
        token=sandbox.advertiser_token(),
        params={
            "tto_tcm_account_id": TTO,
            "country_codes": '["US"]',
            "min_followers": 50000,
            "sort_field": "FOLLOWERS",
            "page_size": 5,
        },
    )
    creators = body["data"]["creators"]
    assert creators and all(c["country_code"] == "US" and c["followers_count"] >= 50000 for c in creators)
    assert creators == sorted(creators, key=lambda c: -c["followers_count"])
    assert body["data"]["page_info"]["page_size"] == 5 and creators[0]["audience_genders"]


def _campaign_with_creator(sandbox, brand: str, handle: str = "market.star") -> tuple[str, str, dict]:
    created = sandbox.business(
        "POST",
        "tto/tcm/campaign/create/",
        token=brand,
        json={
            "tto_tcm_account_id": TTO,
            "campaign_type": "CAMPAIGN",
            "brand_name": "Demo Brand",
            "campaign_name": "Summer",
            "advertiser_ids": ["7300000000000000001"],
            "default_spark_ads_requested_authorization_days": 30,
            "handle_names": [handle, "ghost.account"],
        },
    )["data"]
    assert created["failed_handle_names"] == ["ghost.account"]
    creator = sandbox.creator_token(handle)
    joined = sandbox.business(
        "POST",
        "tto/creator/campaign/join/",
        token=creator["access_token"],
        json={"creator_id": "7500000000000000005", "tto_invite_link": created["invite_link"]},
    )
    assert joined["code"] == 0
    return created["campaign_id"], created["invite_link"], creator


def test_a_brand_link_request_is_confirmed_by_the_creator(sandbox):
    brand = sandbox.advertiser_token()
    campaign_id, link, creator = _campaign_with_creator(sandbox, brand)
    video_id = "7700000000000000402"
    asked = sandbox.business(
        "POST",
        "tto/tcm/campaign/link/",
        token=brand,
        json={"tto_tcm_account_id": TTO, "campaign_id": campaign_id, "video_id": video_id, "action": "LINK"},
    )
    assert asked["data"]["status"] == "IN_REVIEW"
    pending = sandbox.business(
        "GET",
        "tto/creator/link/request/get/",
        token=creator["access_token"],
        params={"creator_id": "7500000000000000005", "tto_invite_link": link},
    )
    request_id = pending["data"]["link_requests"][0]["link_request_id"]
    sandbox.business(
        "POST",
        "tto/creator/link/request/confirm/",
        token=creator["access_token"],
        json={"creator_id": "7500000000000000005", "link_request_id": request_id, "action": "APPROVE"},
    )
    status = sandbox.business(
        "GET",
        "tto/tcm/campaign/link/status/",
        token=brand,
        params={"tto_tcm_account_id": TTO, "campaign_ids": json.dumps([campaign_id])},
    )
    assert [(v["video_id"], v["status"]) for v in status["data"]["video_infos"]] == [(video_id, "APPROVE")]
    listed = sandbox.business(
        "GET",
        "tto/tcm/campaign/",
        token=brand,
        params={"tto_tcm_account_id": TTO, "campaign_ids": json.dumps([campaign_id])},
    )
    assert listed["data"]["campaigns"][0]["invite_link"] == link


def test_the_public_creator_is_the_answers_data_with_tiktoks_age_buckets(sandbox):
    body = sandbox.business(
        "GET",
        "tto/tcm/creator/public/",
        token=sandbox.advertiser_token(),
        params={"tto_tcm_account_id": TTO, "handle_name": "market.star"},
    )
    creator = body["data"]
    assert creator["handle_name"] == "market.star" and "creator" not in creator
    assert [a["age"] for a in creator["audience_ages"]] == ["18-24", "25-34", "35-44", "45-54", "55+"]


def test_a_creator_outside_the_marketplace_is_refused_as_not_a_tcm_creator(sandbox):
    creator = sandbox.creator_token("demo.creator")
    body = sandbox.business(
        "POST",
        "tto/creator/campaign/join/",
        token=creator["access_token"],
        json={"creator_id": "7500000000000000001", "tto_invite_link": "spring-launch"},
    )
    assert body["code"] == 40121


def test_a_creator_who_did_not_grant_video_list_gets_scope_not_authorized(sandbox):
    payload = {
        "handle": "market.star",
        "client_key": BUSINESS_APP[0],
        "redirect_uri": "https://platform.example/tiktok/callback/",
        "scope": "user.info.basic",
    }
    code = sandbox.control("POST", "helpers/authorize", json=payload).json()["code"]
    token = sandbox.business(
        "POST",
        "tt_user/oauth2/token/",
        json={
            "client_id": BUSINESS_APP[0],
            "client_secret": BUSINESS_APP[1],
            "grant_type": "authorization_code",
            "auth_code": code,
            "redirect_uri": payload["redirect_uri"],
        },
    )["data"]["access_token"]
    body = sandbox.business(
        "GET", "tto/creator/authorized/video/list/", token=token, params={"creator_id": "7500000000000000005"}
    )
    assert body["code"] == 40130


def test_a_creator_token_cannot_act_for_another_creator(sandbox):
    creator = sandbox.creator_token("demo.creator")
    body = sandbox.business(
        "POST",
        "tto/creator/campaign/join/",
        token=creator["access_token"],
        json={"creator_id": "7500000000000000005", "tto_invite_link": "spring-launch"},
    )
    assert body["code"] == 40001


def _spark_status(sandbox, brand: str, video_id: str = STAR_VIDEO) -> dict:
    return sandbox.business(
        "GET", "tcm/tt_video/status/", token=brand, params={"video_id": video_id, "tcm_account_id": TTO}
    )["data"]


def test_a_spark_request_approved_on_tiktok_yields_a_usable_code(sandbox):
    brand = sandbox.advertiser_token()
    applied = sandbox.business(
        "POST",
        "tcm/tt_video/apply/",
        token=brand,
        json={"video_id": STAR_VIDEO, "tcm_account_id": TTO, "authorization_days": 30},
    )
    assert applied["code"] == 0
    waiting = _spark_status(sandbox, brand)
    assert waiting["auth_status"] == "WAITING" and waiting["num_remaining_request"] == 29
    # No code yet: its fields are absent (TikTok's models omit them), never "".
    assert not {"auth_code", "auth_code_status", "auth_code_start_time", "auth_code_end_time"} & set(waiting)
    approved = sandbox.control("POST", "helpers/spark/approve", json={"video_id": STAR_VIDEO, "days": 60}).json()
    status = _spark_status(sandbox, brand)
    assert status["auth_status"] == "ACCEPTED" and status["auth_code"] == approved["auth_code"]
    assert status["auth_code_status"] == "NOT_USED"
    query = {"advertiser_id": "7300000000000000001", "auth_code": approved["auth_code"]}
    assert sandbox.business("POST", "tt_video/authorize/", token=brand, json=query)["code"] == 0
    info = sandbox.business("GET", "tt_video/info/", token=brand, params=query)["data"]
    assert info["item_info"]["item_id"] == STAR_VIDEO and info["user_info"]["identity_type"] == "AUTH_CODE"
    assert info["item_info"]["status"] == "ITEM_STATUS_HESITATE_RECOMMEND"  # a TikTokItemStatus value
    assert _spark_status(sandbox, brand)["auth_code_status"] == "IN_USE"
    listed = sandbox.business("GET", "tt_video/list/", token=brand, params={"advertiser_id": "7300000000000000001"})
    assert [row["item_info"]["item_id"] for row in listed["data"]["list"]] == [STAR_VIDEO]
    identities = sandbox.business(
        "GET",
        "identity/get/",
        token=brand,
        params={"advertiser_id": "7300000000000000001", "identity_type": "AUTH_CODE"},
    )
    assert identities["data"]["identity_list"][0]["user_name"] == "market.star"
    unbind = {"advertiser_id": "7300000000000000001", "item_id": STAR_VIDEO}
    assert sandbox.business("POST", "tt_video/unbind/", token=brand, json=unbind)["code"] == 0


def test_a_rejected_spark_request_reads_rejected(sandbox):
    brand = sandbox.advertiser_token()
    sandbox.business(
        "POST",
        "tcm/tt_video/apply/",
        token=brand,
        json={"video_id": STAR_VIDEO, "tcm_account_id": TTO, "authorization_days": 7},
    )
    sandbox.control("POST", "helpers/spark/reject", json={"video_id": STAR_VIDEO})
    assert _spark_status(sandbox, brand)["auth_status"] == "REJECTED"


def test_a_video_takes_at_most_30_spark_requests(sandbox):
    brand = sandbox.advertiser_token()
    body = {"video_id": STAR_VIDEO, "tcm_account_id": TTO, "authorization_days": 30}
    codes = [sandbox.business("POST", "tcm/tt_video/apply/", token=brand, json=body)["code"] for _ in range(31)]
    assert codes[:30] == [0] * 30 and codes[30] == 40001


def test_an_ad_settings_code_can_be_checked_and_cancelled(sandbox):
    brand = sandbox.advertiser_token()
    code = sandbox.control("POST", "helpers/ad-codes", json={"video_id": "7700000000000000001", "days": 7}).json()[
        "auth_code"
    ]
    assert code.startswith("#")
    query = {"advertiser_id": "7300000000000000002", "auth_code": code}
    info = sandbox.business("GET", "tt_video/info/", token=brand, params=query)["data"]
    assert info["user_info"]["tiktok_name"] == "demo.creator"
    session = requests.Session()
    session.post(f"{sandbox.url}/sandbox/login/", data={"handle": "demo.creator"}, timeout=10)
    page = session.get(f"{sandbox.url}/sandbox/tiktok/authorizations/", timeout=10)
    assert code in page.text


def test_a_qr_approval_shows_up_as_a_bc_asset_and_identity_until_cancelled(sandbox):
    brand = sandbox.advertiser_token()
    link = sandbox.business(
        "GET", "bc/asset/account/authorization/", token=brand, params={"bc_id": "7400000000000000001"}
    )["data"]["bc_auth_qr_code"]
    assert "/sandbox/bc-auth/" in link
    session = requests.Session()
    session.post(f"{sandbox.url}/sandbox/login/", data={"handle": "bc.owner"}, timeout=10)
    assert "Demo Brand BC" in session.get(link, timeout=10).text
    session.post(link, data={"existing_posts": "1", "publish": "1"}, timeout=10)
    assets = sandbox.business(
        "GET", "bc/asset/get/", token=brand, params={"bc_id": "7400000000000000001", "asset_type": "TT_ACCOUNT"}
    )["data"]["list"]
    assert [(a["tt_asset_handle"], a["relation_status"]) for a in assets] == [("bc.owner", "BOUND")]
    assert "tt_account_authorization" not in assets[0]  # TikTok reports permissions on identity/get
    query = {
        "advertiser_id": "7300000000000000001",
        "identity_type": "BC_AUTH_TT",
        "identity_authorized_bc_id": "7400000000000000001",
    }
    identity = sandbox.business("GET", "identity/get/", token=brand, params=query)["data"]["identity_list"][0]
    assert identity["can_pull_video"] and identity["can_push_video"]
    assert (identity["username"], identity["available_status"], identity["ads_only_mode"]) == (
        "bc.owner",
        "AVAILABLE",
        False,
    )
    without_bc = {k: v for k, v in query.items() if k != "identity_authorized_bc_id"}
    assert sandbox.business("GET", "identity/get/", token=brand, params=without_bc)["code"] == 40002
    videos = sandbox.business(
        "GET",
        "identity/video/get/",
        token=brand,
        params={**query, "identity_id": identity["identity_id"], "count": 4},
    )["data"]
    assert len(videos["video_list"]) == 4 and isinstance(videos["cursor"], str) and videos["has_more"]
    rest = sandbox.business(
        "GET",
        "identity/video/get/",
        token=brand,
        params={**query, "identity_id": identity["identity_id"], "cursor": videos["cursor"]},
    )["data"]
    assert len(rest["video_list"]) == 2 and not rest["has_more"]
    sandbox.control(
        "POST", "helpers/authorizations/cancel", json={"handle": "bc.owner", "bc_id": "7400000000000000001"}
    )
    identity = sandbox.business("GET", "identity/get/", token=brand, params=query)["data"]["identity_list"][0]
    assert identity["available_status"] == "NO_VALID_BIND_ACCOUNT"


def test_an_approved_ads_manager_link_is_a_tt_user_identity(sandbox):
    brand = sandbox.advertiser_token()
    asked = sandbox.control(
        "POST",
        "helpers/ads-manager/link-requests",
        json={"advertiser_id": "7300000000000000001", "handle": "brand.business"},
    ).json()
    query = {"advertiser_id": "7300000000000000001", "identity_type": "TT_USER"}
    waiting = sandbox.business("GET", "identity/get/", token=brand, params=query)["data"]["identity_list"]
    assert [(r["user_name"], r["available_status"], r["can_pull_video"]) for r in waiting] == [
        ("brand.business", "NO_VALID_BIND_ACCOUNT", False)
    ]
    sandbox.control("POST", f"helpers/ads-manager/link-requests/{asked['link_request_id']}/approve")
    rows = sandbox.business("GET", "identity/get/", token=brand, params=query)["data"]["identity_list"]
    assert [(r["user_name"], r["available_status"]) for r in rows] == [("brand.business", "AVAILABLE")]


def test_a_rejected_ads_manager_request_disappears_from_identities_and_can_be_sent_again(sandbox):
    brand = sandbox.advertiser_token()
    query = {"advertiser_id": "7300000000000000001", "identity_type": "TT_USER"}

    def ask() -> str:
        return sandbox.control(
            "POST",
            "helpers/ads-manager/link-requests",
            json={"advertiser_id": "7300000000000000001", "handle": "demo.creator"},
        ).json()["link_request_id"]

    def listed() -> list[tuple[str, str]]:
        rows = sandbox.business("GET", "identity/get/", token=brand, params=query)["data"]["identity_list"]
        return [(r["user_name"], r["available_status"]) for r in rows]

    first = ask()
    assert listed() == [("demo.creator", "NO_VALID_BIND_ACCOUNT")]
    sandbox.control("POST", f"helpers/ads-manager/link-requests/{first}/reject")
    assert listed() == []
    second = ask()
    assert listed() == [("demo.creator", "NO_VALID_BIND_ACCOUNT")]
    sandbox.control("POST", f"helpers/ads-manager/link-requests/{second}/approve")
    assert listed() == [("demo.creator", "AVAILABLE")]


def test_the_report_splits_organic_and_paid_and_grows(sandbox):
    brand = sandbox.advertiser_token()
    query = {"tto_tcm_account_id": TTO, "campaign_id": CAMPAIGN}
    first = sandbox.business("GET", "tto/tcm/report/", token=brand, params=query)["data"]
    video = first["videos"][0]
    assert video["video_views"] == video["video_views_organic"] + video["video_views_paid"]
    assert video["ad_impressions"] == "-" and video["creator_info"]["handle_name"] == "market.star"
    assert first["page_info"]["total_number"] == 1
    code = sandbox.control("POST", "helpers/ad-codes", json={"video_id": STAR_VIDEO, "days": 30}).json()["auth_code"]
    sandbox.business(
        "POST", "tt_video/authorize/", token=brand, json={"advertiser_id": "7300000000000000001", "auth_code": code}
    )
    sandbox.advance(hours=48)
    later = sandbox.business("GET", "tto/tcm/report/", token=brand, params=query)["data"]["videos"][0]
    assert later["video_views_organic"] > video["video_views_organic"]
    assert later["video_views_paid"] > 0 and later["ad_impressions"] > 0 and later["audience_age_distribution"]


def test_the_report_has_daily_stats_for_a_date_range(sandbox):
    brand = sandbox.advertiser_token()
    state = sandbox.control("GET", "state").json()
    today = state["now"][:10]
    body = sandbox.business(
        "GET",
        "tto/tcm/report/",
        token=brand,
        params={"tto_tcm_account_id": TTO, "campaign_id": CAMPAIGN, "start_date": today, "end_date": today},
    )
    stats = body["data"]["videos"][0]["daily_stats"]
    assert [row["date"] for row in stats] == [today] and stats[0]["views"] >= 0


class _Collector(BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((self.headers["TikTok-Signature"], json.loads(body)))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


def test_a_sponsored_video_sends_signed_webhooks_and_is_reviewed_first(sandbox):
    server = HTTPServer(("127.0.0.1", 0), _Collector)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    brand = sandbox.advertiser_token()
    try:
        sub = sandbox.business(
            "POST",
            "subscription/subscribe/",
            json={
                "app_id": BUSINESS_APP[0],
                "secret": BUSINESS_APP[1],
                "subscribe_entity": "TCM_VIDEOS",
                "callback_url": f"http://127.0.0.1:{server.server_port}/hook",
                "subscription_detail": {"tto_tcm_account_id": TTO, "access_token": brand},
            },
        )
        assert sub["data"]["subscription_id"]
        posted = sandbox.control(
            "POST",
            "helpers/sponsored-videos",
            json={"handle": "market.star", "campaign_id": CAMPAIGN, "title": "Launch day"},
        ).json()
        report = {"tto_tcm_account_id": TTO, "campaign_id": CAMPAIGN}
        assert (
            sandbox.business("GET", "tto/tcm/report/", token=brand, params=report)["data"]["page_info"]["total_number"]
            == 1
        )
        sandbox.advance(hours=1, minutes=1)
        assert (
            sandbox.business("GET", "tto/tcm/report/", token=brand, params=report)["data"]["page_info"]["total_number"]
            == 2
        )
        _wait_for(lambda: len(_Collector.received) >= 2)
        kinds = [body["entry"][0]["tto_campaign_event_type"] for _, body in _Collector.received]
        assert kinds == ["tto_video_uploaded", "tto_video_published"]
        signature, body = _Collector.received[0]
        assert signature.startswith("t=") and ",s=" in signature
        assert body["object"] == 10 and body["entry"][0]["video_id"] == posted["video_id"]
    finally:
        server.shutdown()


def _wait_for(condition, seconds: float = 5) -> None:
    import time

    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert condition()


def test_the_creators_helper_adds_numbered_creators_whose_invites_have_not_arrived(sandbox):
    assert sandbox.control("POST", "helpers/creators", json={"prefix": "many.c", "count": 3}).json() == {"created": 3}
    assert sandbox.control("POST", "helpers/creators", json={"prefix": "many.c", "count": 2}).json() == {"created": 2}
    token = sandbox.advertiser_token()
    assert [_status(sandbox, token, f"many.c{n}") for n in (0, 4)] == ["INVITED", "INVITED"]
    assert _status(sandbox, token, "many.c5") == "INVALID"
    refused = sandbox.control("POST", "helpers/creators", json={"prefix": "x y", "count": 1})
    assert refused.status_code == 400
