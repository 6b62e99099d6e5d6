"""Two API for Business apps: one that kept the legacy invite permission and one made after
TikTok took `tcm/creator/invite/` offline, whose creators join in TikTok Studio instead."""

from __future__ import annotations

import json

import requests

from tests.sandbox.conftest import BUSINESS_APP, REDIRECT, TTO_APP

TTO = "7200000000000000001"


def _invite(sandbox, token: str, handle: str = "demo.creator") -> dict:
    body = {"tcm_account_id": TTO, "handle_names": [handle]}
    return sandbox.business("POST", "tcm/creator/invite/", token=token, json=body)


def _status(sandbox, token: str, handle: str = "demo.creator") -> str:
    params = {"tto_tcm_account_id": TTO, "handle_names": json.dumps([handle])}
    body = sandbox.business("GET", "tto/tcm/creator/status/get/", token=token, params=params)
    return body["data"]["onboarding_status"][0]["status"]


def _as(sandbox, handle: str) -> requests.Session:
    session = requests.Session()
    session.post(f"{sandbox.url}/sandbox/login/", data={"handle": handle}, timeout=10)
    return session


def test_the_legacy_app_may_still_invite_and_the_other_app_gets_interface_offline(sandbox):
    legacy = _invite(sandbox, sandbox.advertiser_token(app=BUSINESS_APP))
    assert legacy["code"] == 0 and legacy["data"]["invited"] == [True]

    offline = _invite(sandbox, sandbox.advertiser_token(app=TTO_APP))
    assert offline["code"] == 41001 and offline["data"] == {}


def test_the_other_app_is_served_everything_else_and_reads_the_status(sandbox):
    token = sandbox.advertiser_token(app=TTO_APP)
    ids = sandbox.business("GET", "tto/oauth2/tcm/", token=token, params={"app_id": TTO_APP[0], "secret": TTO_APP[1]})
    assert ids["code"] == 0 and TTO in ids["data"]["tto_tcm_account_ids"]
    assert _status(sandbox, token) == "NOT_IN"


def test_an_apps_auth_code_cannot_be_exchanged_with_another_apps_credentials(sandbox):
    code = sandbox.control(
        "POST", "helpers/portal-auth", json={"persona": "demo-brand", "redirect_uri": REDIRECT, "app_id": TTO_APP[0]}
    ).json()["auth_code"]
    body = sandbox.business(
        "POST",
        "oauth2/access_token/",
        json={"app_id": BUSINESS_APP[0], "secret": BUSINESS_APP[1], "auth_code": code},
    )
    assert body["code"] == 40110
    wrong_secret = sandbox.business(
        "POST", "oauth2/access_token/", json={"app_id": TTO_APP[0], "secret": BUSINESS_APP[1], "auth_code": code}
    )
    assert wrong_secret["code"] == 40001


def test_a_creator_joins_in_tiktok_studio_and_reads_in_after_processing(sandbox):
    token = sandbox.advertiser_token(app=TTO_APP)
    session = _as(sandbox, "demo.creator")
    page = session.get(f"{sandbox.url}/sandbox/tiktok/studio/creator-marketplace/", timeout=10)
    assert "Check eligibility" in page.text and "✓ 10,000 followers or more" in page.text

    joined = session.post(f"{sandbox.url}/sandbox/tiktok/studio/creator-marketplace/", timeout=10)
    assert "reviewing your application" in joined.text
    assert _status(sandbox, token) == "NOT_IN"  # TikTok is still processing
    sandbox.advance(hours=2)
    assert _status(sandbox, token) == "NOT_IN"
    sandbox.advance(minutes=31)
    assert _status(sandbox, token) == "IN"


def test_tiktok_studio_refuses_a_creator_who_is_not_eligible_and_says_why(sandbox):
    session = _as(sandbox, "small.creator")
    page = session.get(f"{sandbox.url}/sandbox/tiktok/studio/creator-marketplace/", timeout=10)
    assert "✗ 10,000 followers or more" in page.text
    refused = session.post(f"{sandbox.url}/sandbox/tiktok/studio/creator-marketplace/", timeout=10)
    assert "Not eligible yet: 10,000 followers or more." in refused.text

    for handle, unmet in (("young.creator", "18 or older"), ("brand.business", "A personal or creator account")):
        answer = sandbox.control("POST", "helpers/marketplace/join", json={"handle": handle})
        assert answer.status_code == 409 and unmet in answer.json()["error"]
    assert _status(sandbox, sandbox.advertiser_token(app=TTO_APP), "small.creator") == "NOT_IN"


def test_joining_twice_is_refused(sandbox):
    assert sandbox.control("POST", "helpers/marketplace/join", json={"handle": "demo.creator"}).status_code == 200
    again = sandbox.control("POST", "helpers/marketplace/join", json={"handle": "demo.creator"})
    assert again.status_code == 409 and "already joined" in again.json()["error"]
