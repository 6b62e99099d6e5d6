"""The sandbox limits the API for Business per app, in TikTok's three windows, by tier."""

from __future__ import annotations

import pytest
import requests

from .conftest import BUSINESS_APP

TIERS = {
    "basic": (10, 600, 864_000),
    "advanced": (20, 1_200, 1_728_000),
    "premium": (30, 1_800, 2_592_000),
    "ultimate": (50, 3_000, 4_320_000),
    "sandbox": (1, 30, 1_000),
}


def _codes_and_messages(sandbox, token, paths):
    bodies = [sandbox.business("GET", path, token=token) for path in paths]
    return [(b["code"], b["message"]) for b in bodies]


@pytest.mark.parametrize("tier", list(TIERS))
def test_each_tier_sets_tiktoks_published_limits(sandbox, tier):
    limits = sandbox.control("POST", "rate-limits/app", json={"tier": tier}).json()

    assert (limits["tier"], limits["qps"], limits["qpm"], limits["per_day"]) == (tier, *TIERS[tier])


def test_a_reset_restores_the_tier_the_sandbox_started_with(sandbox):
    sandbox.control("POST", "rate-limits/app", json={"tier": "sandbox"})

    sandbox.control("POST", "reset", json={})

    limits = sandbox.control("GET", "rate-limits/app").json()
    assert (limits["tier"], limits["qps"], limits["qpm"], limits["per_day"]) == ("basic", *TIERS["basic"])


def test_an_unknown_tier_is_refused(sandbox):
    response = sandbox.control("POST", "rate-limits/app", json={"tier": "gold"})

    assert response.status_code == 400 and "basic" in response.json()["error"]


def test_the_qps_limit_counts_every_endpoint_of_the_app_together(sandbox):
    token = sandbox.advertiser_token()
    sandbox.control("POST", "rate-limits/app", json={"tier": "basic", "qps": 2})

    answers = _codes_and_messages(sandbox, token, ["bc/get/", "advertiser/info/?advertiser_ids=[]", "bc/get/"])

    assert 40100 not in [code for code, _ in answers[:2]]
    assert answers[2] == (40100, f"App {BUSINESS_APP[0]} reaches the QPS limit 2, current QPS is 3.")


def test_the_qpm_limit_answers_40100_naming_the_minute_window(sandbox):
    token = sandbox.advertiser_token()
    sandbox.control("POST", "rate-limits/app", json={"qps": 100, "qpm": 2})

    answers = _codes_and_messages(sandbox, token, ["bc/get/"] * 3)

    assert [code for code, _ in answers] == [0, 0, 40100]
    assert answers[2][1] == f"App {BUSINESS_APP[0]} reaches the QPM limit 2, current QPM is 3."


def test_the_daily_quota_answers_40100_naming_the_day(sandbox):
    token = sandbox.advertiser_token()
    sandbox.control("POST", "rate-limits/app", json={"qps": 100, "qpm": 100, "per_day": 2})

    answers = _codes_and_messages(sandbox, token, ["bc/get/"] * 3)

    assert [code for code, _ in answers] == [0, 0, 40100]
    assert answers[2][1] == f"App {BUSINESS_APP[0]} reaches the QPD limit 2, current QPD is 3."
    assert sandbox.control("GET", "rate-limits/app").json()["used"]["day"] == 2  # throttled ones do not count


def test_throttled_answers_are_http_200_with_no_rate_limit_headers(sandbox):
    token = sandbox.advertiser_token()
    sandbox.control("POST", "rate-limits/app", json={"qps": 1})
    sandbox.business("GET", "bc/get/", token=token)

    response = requests.get(f"{sandbox.url}/open_api/v1.3/bc/get/", headers={"Access-Token": token}, timeout=30)

    assert response.status_code == 200 and response.json()["code"] == 40100
    assert not [h for h in response.headers if "ratelimit" in h.lower() or h.lower() == "retry-after"]


def test_clearing_every_limit_lifts_the_app_limits_until_reset(sandbox):
    token = sandbox.advertiser_token()
    sandbox.control("POST", "rate-limits/app", json={"qps": 1})

    sandbox.control("DELETE", "rate-limits")

    assert [sandbox.business("GET", "bc/get/", token=token)["code"] for _ in range(3)] == [0, 0, 0]
    assert sandbox.control("GET", "rate-limits/app").json()["tier"] is None


def test_request_stats_count_the_app_over_every_endpoint(sandbox):
    token = sandbox.advertiser_token()
    sandbox.control("DELETE", "requests")
    for path in ("bc/get/", "bc/get/", "advertiser/info/?advertiser_ids=[]"):
        sandbox.business("GET", path, token=token)

    stats = sandbox.control("GET", "requests/stats", params={"window_seconds": 60}).json()

    assert stats["app"]["count"] == 3 and stats["app"]["max_in_window"] == 3


def test_the_control_page_shows_and_sets_the_tier(sandbox):
    requests.post(f"{sandbox.url}/sandbox/control/", data={"action": "tier", "tier": "sandbox"}, timeout=10)

    page = requests.get(f"{sandbox.url}/sandbox/control/", timeout=10).text

    assert "Tier sandbox: 1 per second, 30 per minute, 1000 per UTC day" in page
    assert sandbox.control("GET", "rate-limits/app").json()["tier"] == "sandbox"
