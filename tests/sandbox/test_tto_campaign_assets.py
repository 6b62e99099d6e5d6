"""TikTok One campaign assets in the sandbox: brand profiles, anchors and their review on the
sandbox clock, and the campaign create fields that point at them."""

from __future__ import annotations

import json

TTO = "7200000000000000001"


def _create_campaign(sandbox, token: str, **extra) -> dict:
    body = {"tto_tcm_account_id": TTO, "campaign_type": "CAMPAIGN", "brand_name": "Demo", "campaign_name": "Fall"}
    return sandbox.business("POST", "tto/tcm/campaign/create/", token=token, json={**body, **extra})


def _anchor(sandbox, token: str, landing: str = "https://demo.example/shop") -> dict:
    return sandbox.business(
        "POST",
        "tto/tcm/anchor/create/",
        token=token,
        json={
            "tto_tcm_account_id": TTO,
            "anchor_type": "WEB_ANCHOR",
            "anchor_sub_type": "ECOMMERCE",
            "anchor_name": "Shop",
            "anchor_title": "Shop the drop",
            "call_to_action": {"landing_page_url": landing},
        },
    )


def _anchor_status(sandbox, token: str, anchor_id: str) -> str:
    got = sandbox.business(
        "GET",
        "tto/tcm/anchor/get/",
        token=token,
        params={"tto_tcm_account_id": TTO, "anchor_ids": json.dumps([anchor_id])},
    )
    return got["data"]["anchors"][0]["status"]


def test_a_campaign_keeps_its_business_account_handle_and_reads_it_back_in_dm_info(sandbox):
    token = sandbox.advertiser_token()
    created = _create_campaign(sandbox, token, business_account_handle="demo.brand")["data"]
    got = sandbox.business(
        "GET",
        "tto/tcm/campaign/",
        token=token,
        params={"tto_tcm_account_id": TTO, "campaign_ids": json.dumps([created["campaign_id"]])},
    )["data"]["campaigns"][0]
    assert got["dm_info"] == {"business_account_handle": "demo.brand"}
    assert not {"anchor_id", "brand_profile_id", "country_codes"} & set(got)


def test_a_campaign_refuses_ids_the_account_does_not_have_and_a_handle_that_is_not_text(sandbox):
    token = sandbox.advertiser_token()
    assert _create_campaign(sandbox, token, anchor_id="7600000000000000000")["code"] == 40007
    assert _create_campaign(sandbox, token, brand_profile_id="7500000000000000000")["code"] == 40007
    assert _create_campaign(sandbox, token, business_account_handle=["demo.brand"])["code"] == 40002


def test_an_anchor_goes_from_draft_through_review_to_approved_on_the_sandbox_clock(sandbox):
    token = sandbox.advertiser_token()
    anchor = _anchor(sandbox, token)["data"]
    assert anchor["status"] == "DRAFT"
    sandbox.advance(minutes=1)
    assert _anchor_status(sandbox, token, anchor["anchor_id"]) == "IN_REVIEW"
    sandbox.advance(minutes=5)
    assert _anchor_status(sandbox, token, anchor["anchor_id"]) == "APPROVED"
    created = _create_campaign(sandbox, token, anchor_id=anchor["anchor_id"])
    assert created["code"] == 0


def test_an_anchor_without_an_https_landing_page_is_rejected_and_no_campaign_may_use_it(sandbox):
    token = sandbox.advertiser_token()
    anchor = _anchor(sandbox, token, landing="http://demo.example/shop")["data"]
    sandbox.advance(minutes=10)
    assert _anchor_status(sandbox, token, anchor["anchor_id"]) == "REJECTED_BY_AUDIT"
    assert _create_campaign(sandbox, token, anchor_id=anchor["anchor_id"])["code"] == 40002


def test_a_deleted_anchor_is_gone_and_deleting_it_again_says_so(sandbox):
    token = sandbox.advertiser_token()
    anchor_id = _anchor(sandbox, token)["data"]["anchor_id"]
    body = {"tto_tcm_account_id": TTO, "anchor_id": anchor_id}
    assert sandbox.business("POST", "tto/tcm/anchor/delete/", token=token, json=body)["code"] == 0
    assert sandbox.business("POST", "tto/tcm/anchor/delete/", token=token, json=body)["code"] == 40007


def test_a_brand_profile_checks_its_urls_and_is_listed(sandbox):
    token = sandbox.advertiser_token()
    base = {"tto_tcm_account_id": TTO, "brand_name": "Demo"}
    bad = sandbox.business(
        "POST", "tto/tcm/brand/profile/create/", token=token, json={**base, "tiktok_account_url": "https://x.com/demo"}
    )
    assert bad["code"] == 40002
    made = sandbox.business(
        "POST",
        "tto/tcm/brand/profile/create/",
        token=token,
        json={
            **base,
            "tiktok_account_url": "https://www.tiktok.com/@demo.brand",
            "brand_website": "https://demo.example",
        },
    )["data"]
    listed = sandbox.business("GET", "tto/tcm/brand/profile/get/", token=token, params={"tto_tcm_account_id": TTO})
    assert [b["brand_profile_id"] for b in listed["data"]["brands"]] == [made["brand_profile_id"]]
    assert _create_campaign(sandbox, token, brand_profile_id=made["brand_profile_id"])["code"] == 0
