"""OAuth over real HTTP: the Business app's creator flow and the advertiser portal."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import requests

from tests.sandbox.conftest import BUSINESS_APP, REDIRECT


def test_the_authorize_screen_logs_in_a_persona_and_redirects_with_a_code(sandbox):
    session = requests.Session()
    query = {
        "client_key": BUSINESS_APP[0],
        "response_type": "code",
        "scope": "user.info.basic,user.info.stats",
        "redirect_uri": REDIRECT,
        "state": "xyz",
    }
    page = session.get(f"{sandbox.url}/v2/auth/authorize/", params=query, timeout=10)
    assert "@demo.creator" in page.text
    session.post(f"{sandbox.url}/v2/auth/authorize/", data={**query, "handle": "demo.creator"}, timeout=10)
    answer = session.post(
        f"{sandbox.url}/v2/auth/authorize/", data={**query, "decision": "authorize"}, allow_redirects=False, timeout=10
    )
    assert answer.status_code == 302
    params = parse_qs(urlparse(answer.headers["Location"]).query)
    assert params["state"] == ["xyz"]
    # user.info.stats was unticked (not posted), so only the basic scope is granted.
    token = _tt_user_exchange(sandbox, params["code"][0])["data"]
    assert token["scope"] == "user.info.basic"


def test_denying_consent_redirects_with_access_denied(sandbox):
    query = {
        "client_key": BUSINESS_APP[0],
        "response_type": "code",
        "scope": "user.info.basic",
        "redirect_uri": REDIRECT,
        "state": "s1",
        "handle": "demo.creator",
        "decision": "deny",
    }
    answer = requests.post(f"{sandbox.url}/v2/auth/authorize/", data=query, allow_redirects=False, timeout=10)
    params = parse_qs(urlparse(answer.headers["Location"]).query)
    assert params["error"] == ["access_denied"] and params["state"] == ["s1"]


def test_the_business_app_code_is_exchanged_at_tt_user_token(sandbox):
    data = sandbox.creator_token()
    assert data["open_id"] == "open-7500000000000000001" and data["expires_in"] == 86400
    info = sandbox.business(
        "POST", "tt_user/token_info/get/", json={"app_id": BUSINESS_APP[0], "access_token": data["access_token"]}
    )
    assert info["data"]["creator_id"] == "7500000000000000001"


def test_a_tt_user_refresh_token_rotates(sandbox):
    data = sandbox.creator_token()
    body = {
        "client_id": BUSINESS_APP[0],
        "client_secret": BUSINESS_APP[1],
        "grant_type": "refresh_token",
        "refresh_token": data["refresh_token"],
    }
    assert sandbox.business("POST", "tt_user/oauth2/refresh_token/", json=body)["code"] == 0
    assert sandbox.business("POST", "tt_user/oauth2/refresh_token/", json=body)["code"] == 40107


def test_an_expired_tt_user_token_answers_40102(sandbox):
    data = sandbox.creator_token()
    sandbox.advance(hours=25)
    body = sandbox.business(
        "GET",
        "tto/creator/link/request/get/",
        token=data["access_token"],
        params={"creator_id": "7500000000000000001", "tto_invite_link": "x"},
    )
    assert body["code"] == 40102


def test_the_portal_issues_a_single_use_auth_code(sandbox):
    session = requests.Session()
    query = {"app_id": BUSINESS_APP[0], "state": "st", "redirect_uri": REDIRECT}
    assert "Demo Brand" in session.get(f"{sandbox.url}/portal/auth", params=query, timeout=10).text
    answer = session.post(
        f"{sandbox.url}/portal/auth",
        data={**query, "key": "demo-brand", "decision": "confirm"},
        allow_redirects=False,
        timeout=10,
    )
    params = parse_qs(urlparse(answer.headers["Location"]).query)
    assert params["state"] == ["st"]
    body = {"app_id": BUSINESS_APP[0], "secret": BUSINESS_APP[1], "auth_code": params["auth_code"][0]}
    first = sandbox.business("POST", "oauth2/access_token/", json=body)
    assert first["code"] == 0
    assert first["data"]["advertiser_ids"] == ["7300000000000000001", "7300000000000000002"]
    assert sandbox.business("POST", "oauth2/access_token/", json=body)["code"] == 40110


def test_a_portal_auth_code_expires_after_an_hour(sandbox):
    code = sandbox.control(
        "POST", "helpers/portal-auth", json={"persona": "demo-brand", "redirect_uri": REDIRECT}
    ).json()
    sandbox.advance(minutes=61)
    body = {"app_id": BUSINESS_APP[0], "secret": BUSINESS_APP[1], "auth_code": code["auth_code"]}
    assert sandbox.business("POST", "oauth2/access_token/", json=body)["code"] == 40110


def test_a_revoked_advertiser_token_answers_40105(sandbox):
    token = sandbox.advertiser_token()
    revoked = sandbox.business(
        "POST",
        "oauth2/revoke_token/",
        json={"app_id": BUSINESS_APP[0], "secret": BUSINESS_APP[1], "access_token": token},
    )
    assert revoked["code"] == 0 and "7300000000000000001" in revoked["data"]["advertiser_ids"]
    assert sandbox.business("GET", "bc/get/", token=token)["code"] == 40105


def _tt_user_exchange(sandbox, code: str) -> dict:
    body = {
        "client_id": BUSINESS_APP[0],
        "client_secret": BUSINESS_APP[1],
        "grant_type": "authorization_code",
        "auth_code": code,
        "redirect_uri": REDIRECT,
    }
    return sandbox.business("POST", "tt_user/oauth2/token/", json=body)


def _tt_user_code(sandbox) -> str:
    payload = {"handle": "demo.creator", "client_key": BUSINESS_APP[0], "redirect_uri": REDIRECT}
    return sandbox.control("POST", "helpers/authorize", json=payload).json()["code"]


def test_a_tt_user_token_lives_24_hours_and_its_refresh_token_one_year(sandbox):
    data = sandbox.creator_token()
    assert (data["expires_in"], data["refresh_token_expires_in"]) == (86400, 365 * 86400)


def test_a_creators_authorization_code_is_valid_ten_minutes(sandbox):
    fresh, stale = _tt_user_code(sandbox), _tt_user_code(sandbox)
    sandbox.advance(minutes=9)
    assert _tt_user_exchange(sandbox, fresh)["code"] == 0
    sandbox.advance(minutes=2)
    assert _tt_user_exchange(sandbox, stale)["code"] == 40110


def test_a_creators_authorization_code_is_single_use(sandbox):
    code = _tt_user_code(sandbox)
    assert _tt_user_exchange(sandbox, code)["code"] == 0
    assert _tt_user_exchange(sandbox, code)["code"] == 40110


def test_an_expired_tt_user_refresh_token_answers_40103(sandbox):
    data = sandbox.creator_token()
    sandbox.advance(hours=24 * 366)
    body = {
        "client_id": BUSINESS_APP[0],
        "client_secret": BUSINESS_APP[1],
        "grant_type": "refresh_token",
        "refresh_token": data["refresh_token"],
    }
    assert sandbox.business("POST", "tt_user/oauth2/refresh_token/", json=body)["code"] == 40103
