"""The sandbox's Ads Manager screen over HTTP: a brand makes an ad from a post with an applied
code, TikTok's side approves and fatigues it on the control page, the brand sees its spend per
sandbox-clock day (the same cents ad/get's report gives) and pauses it. Forms carry CSRF."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import requests

from .test_ads import ADV, VIDEO, applied_code


def now(sandbox) -> datetime:
    return datetime.fromisoformat(sandbox.control("GET", "state").json()["now"])


def login(sandbox) -> requests.Session:
    business = requests.Session()
    business.post(f"{sandbox.url}/sandbox/business/login/", data={"key": "demo-brand"}, timeout=10)
    return business


def csrf(page: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)


def post(session: requests.Session, url: str, data: dict) -> requests.Response:
    token = csrf(session.get(url, timeout=10).text)
    return session.post(url, data={"csrfmiddlewaretoken": token, **data}, timeout=10)


def test_a_brand_makes_an_ad_from_a_post_with_an_applied_code_and_sees_it_spend_per_day(sandbox):
    token = sandbox.advertiser_token()
    applied_code(sandbox, token)
    info = sandbox.business("GET", "advertiser/info/", token, params={"advertiser_ids": f'["{ADV}"]'})
    zone = ZoneInfo(info["data"]["list"][0]["timezone"])  # spend days are the ad account's
    business = login(sandbox)
    screen = f"{sandbox.url}/sandbox/ads-manager/ads/"
    page = business.get(screen, timeout=10).text
    source = f"{ADV}:{VIDEO}:AUTH_CODE:"
    assert f'value="{source}"' in page and "through its applied code" in page

    made = post(business, screen, {"source": source, "ad_name": "Spring boost", "daily_budget": "80.00"})
    assert made.status_code == 200 and "Spring boost; it is in review" in made.text
    (ad,) = sandbox.control("GET", "helpers/ads").json()
    assert (ad["identity_type"], ad["daily_budget"], ad["secondary_status"]) == (
        "AUTH_CODE",
        "80.00",
        "AD_STATUS_AUDIT",
    )

    control = requests.Session()
    approved_on = now(sandbox).astimezone(zone).date()
    post(control, f"{sandbox.url}/sandbox/control/ads/", {"ad_id": ad["ad_id"], "decision": "approve"})
    sandbox.advance(seconds=30 * 3600)
    post(control, f"{sandbox.url}/sandbox/control/ads/", {"ad_id": ad["ad_id"], "decision": "fatigue"})
    paused = post(business, screen, {"action": "pause", "ad_id": ad["ad_id"]})
    assert "Paused Spring boost" in paused.text

    # Paused, its spend no longer moves: the screen shows the sandbox's own cents.
    (ad,) = sandbox.control("GET", "helpers/ads").json()
    row = business.get(screen, timeout=10).text.split(f'id="ad-{ad["ad_id"]}"')[1].split("</tr>")[0]
    days = re.findall(r'class="spend-day">(\d{4}-\d\d-\d\d): ([\d.]+) USD', row)
    today = now(sandbox).astimezone(zone).date()
    assert len(days) == (today - approved_on).days + 1 and days[0] == (today.isoformat(), ad["today_spend"])
    assert f'class="lifetime">{ad["lifetime_spend"]} USD' in row
    assert sum(Decimal(spend) for _, spend in days) == Decimal(ad["lifetime_spend"])
    assert "fatigued" in row and "AD_STATUS_DISABLE" in row and "Pause</button>" not in row


def test_the_screens_forms_refuse_a_post_without_its_csrf_token(sandbox):
    applied_code(sandbox, sandbox.advertiser_token())
    business = login(sandbox)

    refused = business.post(
        f"{sandbox.url}/sandbox/ads-manager/ads/", data={"source": f"{ADV}:{VIDEO}:AUTH_CODE:"}, timeout=10
    )
    control = requests.post(f"{sandbox.url}/sandbox/control/ads/", data={"ad_id": "1", "decision": "approve"})

    assert refused.status_code == 403 and control.status_code == 403
    assert sandbox.control("GET", "helpers/ads").json() == []


def test_a_post_the_ad_account_cannot_promote_is_refused_and_another_brands_ad_cannot_be_paused(sandbox):
    business = login(sandbox)
    screen = f"{sandbox.url}/sandbox/ads-manager/ads/"
    assert "No post to promote yet" in business.get(screen, timeout=10).text
    applied_code(sandbox, sandbox.advertiser_token())

    # A post whose code was never applied to the ad account.
    refused = post(business, screen, {"source": f"{ADV}:7700000000000000002:AUTH_CODE:", "daily_budget": "10"})
    missing = post(business, screen, {"action": "pause", "ad_id": "1899999999999999999"})

    assert "Choose a post this ad account can promote" in refused.text
    assert missing.status_code == 404
