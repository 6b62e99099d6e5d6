"""Login Kit / Display API v2: form-encoded OAuth, Bearer reads, fields and batching."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlparse

from integrations.tiktok import LoginKitClient, iter_cursor

from .conftest import query_of


def v2(data):
    return {"data": data, "error": {"code": "ok", "message": "", "log_id": "20240101LOG"}}


def form_of(call) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(call.request.body).items()}


def test_the_authorize_url_carries_client_key_comma_scopes_and_state(settings):
    url = LoginKitClient.authorize_url("st-1", "https://app.example/cb", ["user.info.basic", "video.list"])

    parsed = urlparse(url)
    assert f"{parsed.scheme}://{parsed.netloc}{parsed.path}" == f"{settings.TIKTOK_AUTH_BASE_URL}/v2/auth/authorize/"
    assert {k: v[0] for k, v in parse_qs(parsed.query).items()} == {
        "client_key": settings.TIKTOK_CLIENT_KEY,
        "scope": "user.info.basic,video.list",
        "response_type": "code",
        "redirect_uri": "https://app.example/cb",
        "state": "st-1",
    }


def test_it_exchanges_a_code_with_a_form_body_and_reads_the_flat_token_response(mocked, open_api, settings):
    mocked.post(
        open_api("v2/oauth/token/"),
        json={
            "open_id": "open-1",
            "scope": "user.info.basic,video.list",
            "access_token": "act.1",
            "expires_in": 7200,
            "refresh_token": "rft.1",
            "refresh_expires_in": 15552000,
            "token_type": "Bearer",
        },
    )

    grant = LoginKitClient().exchange_code("code-1", "https://app.example/cb")

    request = mocked.calls[0].request
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert form_of(mocked.calls[0]) == {
        "client_key": settings.TIKTOK_CLIENT_KEY,
        "client_secret": settings.TIKTOK_CLIENT_SECRET,
        "code": "code-1",
        "grant_type": "authorization_code",
        "redirect_uri": "https://app.example/cb",
    }
    assert (grant.access_token, grant.refresh_token, grant.expires_in, grant.refresh_expires_in) == (
        "act.1",
        "rft.1",
        7200,
        15552000,
    )
    assert grant.open_id == "open-1" and grant.scope == "user.info.basic,video.list"


def test_it_refreshes_with_grant_type_refresh_token(mocked, open_api):
    mocked.post(
        open_api("v2/oauth/token/"),
        json={"access_token": "act.2", "refresh_token": "rft.2", "expires_in": 7200, "refresh_expires_in": 100},
    )

    grant = LoginKitClient().refresh("rft.1")

    assert form_of(mocked.calls[0])["grant_type"] == "refresh_token"
    assert form_of(mocked.calls[0])["refresh_token"] == "rft.1"
    assert grant.refresh_token == "rft.2"


def test_it_revokes_and_accepts_the_empty_success_body(mocked, open_api):
    mocked.post(open_api("v2/oauth/revoke/"), json={})

    LoginKitClient().revoke("act.1")

    assert form_of(mocked.calls[0])["token"] == "act.1"


def test_it_reads_user_info_with_bearer_and_comma_separated_fields(mocked, open_api):
    mocked.get(
        open_api("v2/user/info/"), json=v2({"user": {"open_id": "o1", "display_name": "Demo", "follower_count": 52000}})
    )

    user = LoginKitClient("act.1").user_info(["open_id", "display_name", "follower_count"])

    assert mocked.calls[0].request.headers["Authorization"] == "Bearer act.1"
    assert query_of(mocked.calls[0]) == {"fields": "open_id,display_name,follower_count"}
    assert user["follower_count"] == 52000


def test_it_lists_videos_with_a_json_body_and_walks_the_cursor(mocked, open_api):
    mocked.post(open_api("v2/video/list/"), json=v2({"videos": [{"id": "v1"}], "cursor": 1700, "has_more": True}))
    mocked.post(open_api("v2/video/list/"), json=v2({"videos": [{"id": "v2"}], "cursor": 1600, "has_more": False}))
    client = LoginKitClient("act.1")

    pages = list(iter_cursor(lambda c: client.video_list(cursor=c, max_count=50)))

    assert [v["id"] for p in pages for v in p["videos"]] == ["v1", "v2"]
    assert json.loads(mocked.calls[0].request.body) == {"max_count": 20}  # TikTok's maximum
    assert json.loads(mocked.calls[1].request.body) == {"max_count": 20, "cursor": 1700}
    assert "id" in query_of(mocked.calls[0])["fields"].split(",")


def test_it_queries_videos_twenty_ids_at_a_time(mocked, open_api):
    ids = [f"77{n:017d}" for n in range(25)]
    mocked.post(open_api("v2/video/query/"), json=v2({"videos": [{"id": i} for i in ids[:20]]}))
    mocked.post(open_api("v2/video/query/"), json=v2({"videos": [{"id": i} for i in ids[20:]]}))

    videos = LoginKitClient("act.1").video_query(ids, fields=["id", "view_count"])

    assert len(videos) == 25
    assert json.loads(mocked.calls[0].request.body) == {"filters": {"video_ids": ids[:20]}}
    assert json.loads(mocked.calls[1].request.body) == {"filters": {"video_ids": ids[20:]}}
