"""The live sandbox against TikTok's schemas: one walk through every endpoint the client
calls, over real HTTP, recording each exchange; every request the client sent and every
answer the sandbox gave must match the schema, strictly (no invented field or enum value)."""

from __future__ import annotations

import json
import threading
import time
from datetime import date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest
import requests

from integrations.tiktok import BusinessClient
from integrations.tiktok import transport as transport_module
from tiktok_sandbox.testing import link_post, link_statuses

from .endpoints import ENDPOINTS, WEBHOOKS, check_request
from .schema import validate

pytestmark = pytest.mark.integration

REDIRECT = "https://platform.example/tiktok/callback/"
TTO, BC, CAMPAIGN = "7200000000000000001", "7400000000000000001", "7900000000000000001"
ADVERTISERS = ["7300000000000000001", "7300000000000000002"]
PREFIX = "/open_api/v1.3/"


class RecordingSession(requests.Session):
    """The transport's session, keeping (path, method, params, answer) of every exchange."""

    def __init__(self) -> None:
        super().__init__()
        self.exchanges: list[tuple[str, str, dict, dict]] = []

    def send(self, request, **kwargs):
        response = super().send(request, **kwargs)
        sent = urlparse(request.url)
        if sent.path.startswith(PREFIX):
            method = request.method
            if method == "GET":
                params = {k: v[0] for k, v in parse_qs(sent.query, keep_blank_values=True).items()}
            else:
                params = json.loads(response.request.body or "{}")
            self.exchanges.append((sent.path.removeprefix(PREFIX), method, params, response.json()))
        return response


@pytest.fixture
def recorded(live_sandbox, monkeypatch):
    session = RecordingSession()
    monkeypatch.setattr(transport_module, "_session", lambda: session)
    requests.delete(f"{live_sandbox}/sandbox/api/rate-limits", timeout=30).raise_for_status()
    return session


def helper(base: str, path: str, body: dict | None = None, method: str = "POST"):
    response = requests.request(method, f"{base}/sandbox/api/{path}", json=body, timeout=30)
    response.raise_for_status()
    return response.json()


def creator_client(base: str, handle: str, scope: str = "") -> tuple[BusinessClient, str, object]:
    body = {"handle": handle, "client_key": "sandbox-business-app", "redirect_uri": REDIRECT, "scope": scope}
    code = helper(base, "helpers/authorize", body)
    grant = BusinessClient().tt_user_oauth2_token(code["code"], REDIRECT)
    creator_id = BusinessClient().tt_user_token_info_get(grant.access_token)["creator_id"]
    return BusinessClient(grant.access_token), creator_id, grant


def ads_subscriptions(ad_id: str) -> list[tuple[str, dict]]:
    """The three subscriptions the platform holds for an ad account feeding a live code."""
    return [
        ("REPORT_DATA_CHANGE", {"advertiser_ids": [ADVERTISERS[0]], "notify_frequency": "5_MINUTE"}),
        ("AD", {"advertiser_id": ADVERTISERS[0], "ad_id": ad_id}),
        ("CREATIVE_FATIGUE", {"advertiser_id": ADVERTISERS[0]}),
    ]


def walk_every_endpoint(base: str) -> None:
    """What the product does with TikTok, end to end, touching each endpoint at least once."""
    portal = helper(base, "helpers/portal-auth", {"persona": "demo-brand", "redirect_uri": REDIRECT})
    brand_grant = BusinessClient().oauth2_access_token(portal["auth_code"])
    brand = BusinessClient(brand_grant.access_token)

    brand.oauth2_advertiser_get()
    brand.advertiser_info(ADVERTISERS)
    brand.tto_oauth2_tcm()
    brand.tto_oauth2_info(TTO)
    brand.subscription_subscribe(
        "TCM_VIDEOS", "http://127.0.0.1:9/hooks/", {"tto_tcm_account_id": TTO, "access_token": brand.access_token}
    )
    brand.subscription_subscribe(
        "API_SERVICE_STATUS", "http://127.0.0.1:9/hooks/", {"product_filters": ["TIKTOK_ONE_API"]}
    )

    # Business Center: members, assignment, the QR link approved, the account as an identity.
    brand.bc_get()
    member = next(m for m in brand.bc_member_get(BC)["list"] if m["user_role"] == "STANDARD")
    brand.bc_asset_get(BC, "ADVERTISER")
    brand.bc_asset_assign(BC, member["user_id"], "ADVERTISER", ADVERTISERS[0], advertiser_role="OPERATOR")
    brand.bc_asset_unassign(BC, member["user_id"], "ADVERTISER", ADVERTISERS[0])
    link = brand.bc_asset_account_authorization(BC)
    helper(base, "helpers/bc-qr/approve", {"link": link, "handle": "bc.owner", "existing_posts": True, "publish": True})
    brand.bc_asset_get(BC, "TT_ACCOUNT")
    identity = brand.identity_get(ADVERTISERS[0], identity_type="BC_AUTH_TT", identity_authorized_bc_id=BC)[
        "identity_list"
    ][0]
    first = brand.identity_video_get(
        ADVERTISERS[0], identity["identity_id"], "BC_AUTH_TT", identity_authorized_bc_id=BC, count=2
    )
    brand.identity_video_get(
        ADVERTISERS[0], identity["identity_id"], "BC_AUTH_TT", identity_authorized_bc_id=BC, cursor=first["cursor"]
    )

    # Marketplace and discovery.
    brand.tcm_creator_invite(TTO, ["demo.creator", "small.creator", "market.star"])
    brand.tto_tcm_creator_status_get(TTO, ["demo.creator", "market.star", "nobody.here"])
    brand.tto_tcm_creator_discover(TTO, country_codes=["US"], min_followers=10000, page_size=5)
    brand.tto_tcm_creator_public(TTO, "market.star")

    # Campaigns: one created; the seeded one joined, posts linked by the creator and by the brand.
    profile = brand.tto_tcm_brand_profile_create(
        TTO, "Demo Brand", brand_website="https://demo.example", tiktok_account_url="https://www.tiktok.com/@demo"
    )
    anchor = brand.tto_tcm_anchor_create(
        TTO,
        anchor_sub_type="DESTINATION",
        anchor_name="Site",
        anchor_title="Visit",
        call_to_action={"landing_page_url": "https://demo.example"},
    )
    brand.tto_tcm_anchor_get(TTO, anchor_ids=[anchor["anchor_id"]])
    brand.tto_tcm_campaign_create(
        TTO,
        campaign_name="Contract",
        brand_profile_id=profile["brand_profile_id"],
        anchor_id=anchor["anchor_id"],
        brand_name="Demo Brand",
        advertiser_ids=[ADVERTISERS[0]],
        handle_names=[],
        business_account_handle="demo.brand",
    )
    spring = brand.tto_tcm_campaign_get(TTO, campaign_ids=[CAMPAIGN])["campaigns"][0]
    star, star_id, star_grant = creator_client(base, "market.star")
    star.tto_creator_authorized(star_id)
    posts = star.tto_creator_authorized_video_list(star_id)["posts"]
    star.tto_creator_campaign_join(star_id, spring["invite_link"])
    star.tto_creator_campaign_video_link(star_id, spring["invite_link"], posts[1]["video_id"])
    link_post(base, brand.access_token, TTO, CAMPAIGN, posts[2]["video_id"])
    brand.tto_tcm_anchor_delete(TTO, anchor["anchor_id"])
    request = star.tto_creator_link_request_get(star_id, spring["invite_link"])["link_requests"][0]
    star.tto_creator_link_request_confirm(star_id, request["link_request_id"], "APPROVE")
    linked = link_statuses(base, brand.access_token, TTO, CAMPAIGN)
    video_id = next(v["video_id"] for v in linked if v["status"] == "APPROVE")

    # Spark Ads: a request while waiting (no code yet), approved, checked, applied, reported, unbound.
    brand.tcm_tt_video_apply(video_id, TTO, 30)
    brand.tcm_tt_video_status(video_id, TTO)
    code = helper(base, "helpers/spark/approve", {"video_id": video_id})["auth_code"]
    brand.tcm_tt_video_status(video_id, TTO)
    code_identity = brand.tt_video_info(ADVERTISERS[0], code)["user_info"]["identity_id"]
    now = datetime.fromisoformat(helper(base, "state", method="GET")["now"])
    brand.identity_music_authorization(
        ADVERTISERS[0],
        video_id,
        code_identity,
        "AUTH_CODE",
        locations=["US"],
        start_time=now,
        end_time=now + timedelta(days=30),
    )
    brand.tt_video_authorize(ADVERTISERS[0], code)
    brand.tt_video_list(ADVERTISERS[0], keyword=video_id, item_types=["VIDEO"], page_size=50)
    # An ad from the post runs a day; its ads and daily and lifetime spend are read.
    ad = helper(base, "helpers/ads", {"advertiser_id": ADVERTISERS[0], "video_id": video_id})
    subscribed = [
        brand.subscription_subscribe(entity, "http://127.0.0.1:9/hooks/", detail | {"access_token": brand.access_token})
        for entity, detail in ads_subscriptions(ad["ad_id"])
    ]
    helper(base, f"helpers/ads/{ad['ad_id']}/approve")
    helper(base, "clock/advance", {"seconds": 86400})
    brand.subscription_unsubscribe(subscribed[0])
    brand.ad_get(ADVERTISERS[0], filtering={"modified_after": "2026-01-01 00:00:00"})
    # Its ad group is scheduled to end in 20 days (SCHEDULE_START_END).
    ends = datetime.fromisoformat(helper(base, "state", method="GET")["now"]) + timedelta(days=20)
    ad = helper(
        base,
        "helpers/ads",
        {"advertiser_id": ADVERTISERS[0], "video_id": video_id, "schedule_end_time": f"{ends:%Y-%m-%d %H:%M:%S}"},
    )
    helper(base, f"helpers/ads/{ad['ad_id']}/approve")
    helper(base, "clock/advance", {"seconds": 86400})
    listed = brand.ad_get(ADVERTISERS[0], filtering={"modified_after": "2026-01-01 00:00:00"})
    brand.asset_bind_quota(ADVERTISERS[0], listed["list"][0]["identity_id"])
    brand.adgroup_get(ADVERTISERS[0], adgroup_ids=[listed["list"][0]["adgroup_id"]])
    day = date.fromisoformat(helper(base, "state", method="GET")["now"][:10])
    brand.report_integrated_get(
        ADVERTISERS,
        metrics=["spend", "impressions", "video_play_actions", "paid_engaged_view", "ctr", "currency"],
        start_date=day - timedelta(days=2),
        end_date=day,
        daily=True,
    )
    brand.report_integrated_get([ADVERTISERS[0]], metrics=["spend", "ad_name"])
    today = date.today()
    brand.tto_tcm_report(TTO, CAMPAIGN, start_date=str(today - timedelta(days=30)), end_date=str(today))
    brand.tt_video_unbind(ADVERTISERS[0], video_id)

    # The creator's own post code, made with their token (scope biz.spark.auth), applied by the
    # brand, extended, read and deleted.
    owner, _, owner_grant = creator_client(base, "market.star", "user.info.basic,video.list,biz.spark.auth")
    open_id = owner_grant.open_id
    own = owner.business_video_list(open_id, fields=["caption", "is_ad", "create_time"], max_count=2)
    owner.business_video_list(open_id, video_ids=[own["videos"][1]["item_id"]], cursor=own["cursor"])
    item = own["videos"][0]["item_id"]
    made = owner.business_post_authorize_setting(open_id, item, authorization_days=7)
    brand.tt_video_authorize(ADVERTISERS[0], made["auth_code"])
    owner.business_post_authorize(open_id, item, 30)
    owner.business_post_authorize_status(open_id, item)
    owner.business_post_authorize_delete(open_id, item)

    # Tokens end their lives.
    renewed = BusinessClient().tt_user_oauth2_refresh_token(star_grant.refresh_token)
    BusinessClient().tt_user_oauth2_revoke(renewed.access_token)
    BusinessClient().oauth2_revoke_token(brand.access_token)


def test_the_sandbox_answers_every_endpoint_as_tiktok_documents_it(recorded, live_sandbox):
    walk_every_endpoint(live_sandbox)

    problems = []
    for path, method, params, body in recorded.exchanges:
        endpoint = ENDPOINTS.get(path)
        if endpoint is None:
            problems.append(f"{path}: the client called an endpoint with no schema")
            continue
        problems += [f"{path} request: {p}" for p in check_request(path, params, query=method == "GET")]
        if body.get("code") != 0:
            problems.append(f"{path}: TikTok error {body.get('code')} {body.get('message')}")
            continue
        problems += [f"{path} answer: {p}" for p in validate(endpoint.answer, body["data"])]

    assert problems == []
    assert {path for path, *_ in recorded.exchanges} == set(ENDPOINTS)


@pytest.fixture
def inbox():
    """A callback URL that keeps every JSON body POSTed to it, as a subscriber's endpoint would."""
    received: list[dict] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/hooks/", received
    server.shutdown()


def _wait_for(received: list, count: int) -> list:
    deadline = time.monotonic() + 15
    while len(received) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    return received


def test_the_sandbox_sends_tcm_videos_webhooks_as_tiktok_documents_them(live_sandbox, inbox):
    url, received = inbox
    portal = helper(live_sandbox, "helpers/portal-auth", {"persona": "demo-brand", "redirect_uri": REDIRECT})
    brand = BusinessClient(BusinessClient().oauth2_access_token(portal["auth_code"]).access_token)
    brand.subscription_subscribe("TCM_VIDEOS", url, {"tto_tcm_account_id": TTO, "access_token": brand.access_token})

    helper(live_sandbox, "helpers/sponsored-videos", {"handle": "market.star", "campaign_id": CAMPAIGN})
    helper(live_sandbox, "clock/advance", {"hours": 1.2})

    deliveries = _wait_for(received, 2)
    assert sorted(d["entry"][0]["tto_campaign_event_type"] for d in deliveries) == [
        "tto_video_published",
        "tto_video_uploaded",
    ]
    assert [p for d in deliveries for p in validate(WEBHOOKS["TCM_VIDEOS"], d)] == []


def test_the_webhook_check_catches_an_event_time_in_unix_seconds():
    delivery = WEBHOOKS["TCM_VIDEOS"].sample("full")
    delivery["entry"][0]["event_time"] = 1731967020
    assert validate(WEBHOOKS["TCM_VIDEOS"], delivery) == [
        'entry[0].event_time: expected an ISO 8601 time such as "2024-11-18T21:57:00.070272Z", got 1731967020'
    ]


def test_the_sandbox_sends_the_ads_webhooks_as_tiktok_documents_them_at_most_one_report_event_a_window(
    live_sandbox, inbox
):
    url, received = inbox
    portal = helper(live_sandbox, "helpers/portal-auth", {"persona": "demo-brand", "redirect_uri": REDIRECT})
    brand = BusinessClient(BusinessClient().oauth2_access_token(portal["auth_code"]).access_token)
    video_id = helper(live_sandbox, "helpers/sponsored-videos", {"handle": "market.star", "campaign_id": CAMPAIGN})[
        "video_id"
    ]
    code = helper(live_sandbox, "helpers/ad-codes", {"video_id": video_id, "days": 30})["auth_code"]
    brand.tt_video_authorize(ADVERTISERS[0], code)
    first, second = (
        helper(live_sandbox, "helpers/ads", {"advertiser_id": ADVERTISERS[0], "video_id": video_id}) for _ in range(2)
    )
    for entity, detail in ads_subscriptions(first["ad_id"]) + [
        ("AD", {"advertiser_id": ADVERTISERS[0], "ad_id": second["ad_id"]})
    ]:
        brand.subscription_subscribe(entity, url, detail | {"access_token": brand.access_token})

    helper(live_sandbox, f"helpers/ads/{first['ad_id']}/approve")
    helper(live_sandbox, f"helpers/ads/{second['ad_id']}/reject")
    helper(live_sandbox, f"helpers/ads/{first['ad_id']}/fatigue")
    for _ in range(3):  # three ticks inside one 5-minute window: one event at most
        helper(live_sandbox, "clock/advance", {"minutes": 2})

    deliveries = _wait_for(received, 5)
    time.sleep(0.5)  # a sixth delivery, if the sandbox wrongly sent one, would be in by now
    by_object: dict[int, list[dict]] = {}
    for delivery in received:
        by_object.setdefault(delivery["object"], []).append(delivery)
    assert sorted((k, len(v)) for k, v in by_object.items()) == [(3, 2), (8, 1), (11, 1)]
    names = {3: "AD", 8: "CREATIVE_FATIGUE", 11: "REPORT_DATA_CHANGE"}
    assert [p for d in deliveries for p in validate(WEBHOOKS[names[d["object"]]], d)] == []
    rejected = next(d["entry"][0] for d in by_object[3] if d["entry"][0]["ad_id"] == second["ad_id"])
    assert rejected["reject_reason"]
    assert by_object[8][0]["entry"][0]["ad_ids"] == [first["ad_id"]]
    spent = by_object[11][0]["entry"][0]["changed_metrics_values"][ADVERTISERS[0]]
    assert float(spent["spend"]) > 0
