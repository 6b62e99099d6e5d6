"""Fixtures for Spark Ads: a brand whose capability is on (Demo Brand's sandbox ids), with a
campaign post, an ad account, a Business Center and its credential."""

from __future__ import annotations

import pytest
import requests
from django.conf import settings

from integrations.models import (
    AdAccount,
    BusinessCenter,
    Campaign,
    CampaignPost,
    Credential,
    TikTokAccount,
    TikTokOneAccount,
)

TTO_ID = "7200000000000000001"
ADVERTISER_ID = "7300000000000000001"
BC_ID = "7400000000000000001"
CAMPAIGN_ID = "7900000000000000001"
REDIRECT = "http://testserver/integrations/tiktok/callback/"


@pytest.fixture
def token():
    return "brand-token-for-tests"


def make_world(brand, token: str, *, video_id: str = "7700000000000000501", handle: str = "market.star"):
    cred = Credential.objects.create(kind=Credential.Kind.BUSINESS, brand=brand, access_token=token)
    tto = TikTokOneAccount.objects.create(
        tto_tcm_account_id=TTO_ID,
        name="Demo Brand TikTok One",
        brand=brand,
        credential=cred,
        business_verification_status=TikTokOneAccount.Verification.VERIFIED,
    )
    bc = BusinessCenter.objects.create(
        bc_id=BC_ID, name="Demo Brand BC", brand=brand, credential=cred, user_role="ADMIN"
    )
    ad = AdAccount.objects.create(
        advertiser_id=ADVERTISER_ID,
        name="Demo Brand US",
        country="US",
        brand=brand,
        tiktok_one_account=tto,
        owner_bc=bc,
        tto_has_access=True,
        spark_ads_enabled=True,
        is_active_for_spark=True,
        credential=cred,
    )
    campaign = Campaign.objects.create(
        brand=brand, tiktok_one_account=tto, campaign_id=CAMPAIGN_ID, name="Spring Launch"
    )
    account, _ = TikTokAccount.objects.get_or_create(handle=handle)
    post = CampaignPost.objects.create(
        campaign=campaign, tiktok_account=account, video_id=video_id, link_status=CampaignPost.LinkStatus.APPROVE
    )
    return {"cred": cred, "tto": tto, "bc": bc, "ad": ad, "campaign": campaign, "post": post, "account": account}


@pytest.fixture
def world(brand, token):
    return make_world(brand, token)


@pytest.fixture
def other_ad_account(world):
    """A second ad account of the same brand and grant, billed in euros."""
    return AdAccount.objects.create(
        advertiser_id="7300000000000000002",
        name="Demo Brand EU",
        brand=world["ad"].brand,
        currency="EUR",
        timezone="Europe/Paris",
        credential=world["cred"],
    )


class Control:
    """The sandbox's control API."""

    def __init__(self, base_url: str) -> None:
        self.base = base_url

    def __call__(self, method: str, path: str, body: dict | None = None):
        resp = requests.request(method, f"{self.base}/sandbox/api/{path}", json=body, timeout=30)
        resp.raise_for_status()
        return resp.json()

    def calls(self, path: str) -> int:
        rows = self("GET", f"requests?limit=1000&path={path}")
        rows = rows.get("requests", rows) if isinstance(rows, dict) else rows
        return len(rows)


@pytest.fixture
def control(live_sandbox):
    ctl = Control(live_sandbox)
    ctl("DELETE", "rate-limits")  # tests call faster than TikTok's 10 QPS; the budget is tested elsewhere
    return ctl


@pytest.fixture
def live_world(control, brand):
    """Demo Brand's real sandbox token, and its linked campaign post (market.star's)."""
    from integrations.tiktok import BusinessClient
    from tiktok_sandbox.testing import link_statuses

    code = control("POST", "helpers/portal-auth", {"persona": "demo-brand", "redirect_uri": REDIRECT})["auth_code"]
    token = BusinessClient().oauth2_access_token(code).access_token
    links = link_statuses(settings.TIKTOK_BUSINESS_API_BASE_URL, token, TTO_ID, CAMPAIGN_ID)
    video_id = next(str(r["video_id"]) for r in links if r["status"] == "APPROVE")
    return make_world(brand, token, video_id=video_id)


# identity/music/authorization/'s answer for a post whose music may run in ads: the apply path
# asks before every tt_video/authorize/.
MUSIC_CLEARED = {"music_authorization": [{"music_status": "WITH_FULL_AUTHORIZATION", "authorization_infos": []}]}
