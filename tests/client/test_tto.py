"""TikTok One: brand account, creator OAuth via tt_user, onboarding, campaigns, linking, report."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlparse

import pytest

from integrations.tiktok import BusinessClient, iter_pages

from .conftest import json_body, ok, query_of

TTO = "7200000000000000001"
LINK = "http://127.0.0.1:8001/sandbox/tto/invite/spring-launch"


def test_it_lists_tiktok_one_accounts_and_reads_one(mocked, biz, settings):
    mocked.get(biz("tto/oauth2/tcm/"), json=ok({"tto_tcm_account_ids": [TTO]}))
    mocked.get(
        biz("tto/oauth2/info/"),
        json=ok(
            {
                "account_name": "Demo Brand TikTok One",
                "timezone": "UTC",
                "country": "US",
                "business_verification_status": "VERIFIED",
            }
        ),
    )
    client = BusinessClient("biz.1")

    assert client.tto_oauth2_tcm() == [TTO]
    info = client.tto_oauth2_info(TTO)

    assert query_of(mocked.calls[0]) == {"app_id": settings.TIKTOK_APP_ID, "secret": settings.TIKTOK_APP_SECRET}
    assert query_of(mocked.calls[1]) == {"tto_tcm_account_id": TTO}
    assert info["business_verification_status"] == "VERIFIED"


def test_the_creator_authorize_url_uses_the_business_app_id_as_client_key(settings):
    url = BusinessClient.tt_user_authorize_url("st", "https://app.example/cb", ["user.info.basic", "video.list"])

    query = {k: v[0] for k, v in parse_qs(urlparse(url).query).items()}
    assert url.startswith(f"{settings.TIKTOK_AUTH_BASE_URL}/v2/auth/authorize/?")
    assert query["client_key"] == settings.TIKTOK_APP_ID
    assert query["scope"] == "user.info.basic,video.list"


def test_it_exchanges_refreshes_and_revokes_tt_user_tokens(mocked, biz, settings):
    payload = {
        "access_token": "tt.1",
        "token_type": "Bearer",
        "scope": "user.info.basic,video.list",
        "expires_in": 86400,
        "refresh_token": "ttr.1",
        "refresh_token_expires_in": 31536000,
        "open_id": "open-7500000000000000001",
    }
    mocked.post(biz("tt_user/oauth2/token/"), json=ok(payload))
    mocked.post(
        biz("tt_user/oauth2/refresh_token/"), json=ok(payload | {"access_token": "tt.2", "refresh_token": "ttr.2"})
    )
    mocked.post(biz("tt_user/oauth2/revoke/"), json=ok({}))
    client = BusinessClient()

    grant = client.tt_user_oauth2_token("code-1", "https://app.example/cb")
    refreshed = client.tt_user_oauth2_refresh_token("ttr.1")
    client.tt_user_oauth2_revoke("tt.2")

    assert json_body(mocked.calls[0]) == {
        "client_id": settings.TIKTOK_APP_ID,
        "client_secret": settings.TIKTOK_APP_SECRET,
        "grant_type": "authorization_code",
        "auth_code": "code-1",
        "redirect_uri": "https://app.example/cb",
    }
    assert grant.refresh_expires_in == 31536000 and grant.expires_in == 86400
    assert json_body(mocked.calls[1])["grant_type"] == "refresh_token"
    assert refreshed.refresh_token == "ttr.2"
    assert json_body(mocked.calls[2])["access_token"] == "tt.2"


def test_it_reads_token_info_for_the_creator_id(mocked, biz, settings):
    mocked.post(biz("tt_user/token_info/get/"), json=ok({"scope": "user.info.basic", "creator_id": "75"}))

    info = BusinessClient().tt_user_token_info_get("tt.1")

    assert info["creator_id"] == "75"
    assert json_body(mocked.calls[0]) == {"app_id": settings.TIKTOK_APP_ID, "access_token": "tt.1"}


def test_it_invites_creators_and_reads_their_status_20_handles_at_a_time(mocked, biz):
    mocked.post(
        biz("tcm/creator/invite/"),
        json=ok(
            {
                "in_tcm": [],
                "invited": [True, False],
                "rejected": [False, True],
                "reject_reasons": {"small.creator": "followers"},
            }
        ),
    )
    handles = [f"creator.{n}" for n in range(25)]
    mocked.get(
        biz("tto/tcm/creator/status/get/"),
        json=ok({"onboarding_status": [{"handle_name": h, "status": "NOT_IN"} for h in handles[:20]]}),
    )
    mocked.get(
        biz("tto/tcm/creator/status/get/"),
        json=ok({"onboarding_status": [{"handle_name": h, "status": "IN"} for h in handles[20:]]}),
    )
    client = BusinessClient("biz.1")

    invite = client.tcm_creator_invite(TTO, ["demo.creator", "small.creator"])
    statuses = client.tto_tcm_creator_status_get(TTO, handles)

    assert invite["invited"] == ["demo.creator"] and invite["rejected"] == ["small.creator"]
    assert invite["reject_reasons"] == {"small.creator": ["followers"]}
    assert json_body(mocked.calls[0]) == {"tcm_account_id": TTO, "handle_names": ["demo.creator", "small.creator"]}
    assert len(statuses) == 25 and statuses[-1]["status"] == "IN"
    assert json.loads(query_of(mocked.calls[1])["handle_names"]) == handles[:20]
    assert json.loads(query_of(mocked.calls[2])["handle_names"]) == handles[20:]


def test_it_discovers_creators_with_tiktok_filter_names(mocked, biz):
    mocked.get(
        biz("tto/tcm/creator/discover/"),
        json=ok({"creators": [{"handle_name": "a.b1"}], "page_info": {"page": 1, "total_page": 1}}),
    )
    mocked.get(biz("tto/tcm/creator/public/"), json=ok({"handle_name": "a.b1", "followers_count": 1000}))
    client = BusinessClient("biz.1")

    found = client.tto_tcm_creator_discover(TTO, country_codes=["US"], min_followers=10000, sort_field="FOLLOWERS")
    public = client.tto_tcm_creator_public(TTO, "a.b1")

    query = query_of(mocked.calls[0])
    assert query["country_codes"] == '["US"]' and query["min_followers"] == "10000"
    assert query["sort_field"] == "FOLLOWERS"
    assert found["creators"][0]["handle_name"] == "a.b1"
    assert public["followers_count"] == 1000


def test_it_creates_and_reads_campaigns(mocked, biz):
    mocked.post(
        biz("tto/tcm/campaign/create/"), json=ok({"campaign_id": "79", "invite_link": LINK, "failed_handle_names": []})
    )
    mocked.get(biz("tto/tcm/campaign/"), json=ok({"campaigns": [{"campaign_id": "79"}], "page_info": {}}))
    client = BusinessClient("biz.1")

    created = client.tto_tcm_campaign_create(
        TTO, campaign_name="Spring", brand_name="Demo", advertiser_ids=["73"], send_notification=True
    )
    page = client.tto_tcm_campaign_get(TTO, campaign_ids=["79"])

    assert created["invite_link"] == LINK
    assert json_body(mocked.calls[0]) == {
        "tto_tcm_account_id": TTO,
        "campaign_type": "CAMPAIGN",
        "campaign_name": "Spring",
        "brand_name": "Demo",
        "advertiser_ids": ["73"],
        "send_notification": True,
    }
    assert query_of(mocked.calls[1])["campaign_ids"] == '["79"]'
    assert page["campaigns"][0]["campaign_id"] == "79"


def test_creators_join_link_videos_and_answer_link_requests_with_their_token(mocked, biz):
    mocked.post(biz("tto/creator/campaign/join/"), json=ok({}))
    mocked.post(biz("tto/creator/campaign/video/link/"), json=ok({}))
    mocked.get(
        biz("tto/creator/link/request/get/"),
        json=ok(
            {
                "campaign_id": "79",
                "spark_authorization_days": 30,
                "link_requests": [{"video_id": "77", "link_request_id": "lr-1"}],
            }
        ),
    )
    mocked.post(biz("tto/creator/link/request/confirm/"), json=ok({}))
    creator = BusinessClient("tt.creator")

    creator.tto_creator_campaign_join("75", LINK)
    creator.tto_creator_campaign_video_link("75", LINK, "77")
    requests_ = creator.tto_creator_link_request_get("75", LINK)
    creator.tto_creator_link_request_confirm("75", "lr-1", "APPROVE")

    assert all(c.request.headers["Access-Token"] == "tt.creator" for c in mocked.calls)
    assert json_body(mocked.calls[0]) == {"creator_id": "75", "tto_invite_link": LINK}
    assert json_body(mocked.calls[1]) == {"creator_id": "75", "tto_invite_link": LINK, "video_id": "77"}
    assert requests_["link_requests"][0]["link_request_id"] == "lr-1"
    assert json_body(mocked.calls[3]) == {"creator_id": "75", "link_request_id": "lr-1", "action": "APPROVE"}


@pytest.mark.parametrize("country", [None, "US"])
def test_it_pages_through_the_report_with_an_optional_country_code_header(mocked, biz, country):
    video = {"video_info": {"video_id": "77"}, "video_views": 100, "video_views_paid": 10, "ad_ctr": "-"}
    for page in (1, 2):
        mocked.get(
            biz("tto/tcm/report/"),
            json=ok({"campaign_id": "79", "videos": [video], "page_info": {"page": page, "total_page": 2}}),
        )
    client = BusinessClient("biz.1")

    pages = list(
        iter_pages(
            lambda p: client.tto_tcm_report(
                TTO, "79", start_date="2026-01-01", end_date="2026-01-31", page=p, country_code=country
            )
        )
    )

    assert [v["video_views"] for p in pages for v in p["videos"]] == [100, 100]
    assert query_of(mocked.calls[1]) == {
        "tto_tcm_account_id": TTO,
        "campaign_id": "79",
        "start_date": "2026-01-01",
        "end_date": "2026-01-31",
        "page": "2",
        "page_size": "20",
    }
    assert mocked.calls[0].request.headers.get("Country-Code") == country
