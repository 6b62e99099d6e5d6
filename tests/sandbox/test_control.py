"""Fault injection, sliding-window rate limits and request stats."""

from __future__ import annotations

import time

import requests


def test_metrics_grow_when_the_clock_advances(sandbox):
    token = sandbox.creator_token()["access_token"]
    params = {"creator_id": "7500000000000000001"}

    def views() -> int:
        data = sandbox.business("GET", "tto/creator/authorized/video/list/", token=token, params=params)["data"]
        return sum(post["video_views"] for post in data["posts"])

    before = views()
    sandbox.advance(hours=1)
    assert views() > before


def test_an_injected_40100_comes_back_as_http_200(sandbox):
    token = sandbox.advertiser_token()
    sandbox.control("POST", "faults", json={"pattern": "/open_api/v1.3/bc/get/", "error_40100": 1, "times": 1})
    assert sandbox.business("GET", "bc/get/", token=token)["code"] == 40100
    assert sandbox.business("GET", "bc/get/", token=token)["code"] == 0


def test_injected_429_5xx_and_malformed_json(sandbox):
    token = sandbox.advertiser_token()
    url = f"{sandbox.url}/open_api/v1.3/bc/get/"
    for fault, check in (
        ({"http_429": 1}, lambda r: r.status_code == 429),
        ({"http_5xx": 1, "status_5xx": 503}, lambda r: r.status_code == 503),
        ({"malformed_json": 1}, lambda r: r.status_code == 200 and _not_json(r)),
    ):
        sandbox.control("POST", "faults", json={"pattern": "*bc/get/", "times": 1, **fault})
        assert check(requests.get(url, headers={"Access-Token": token}, timeout=10)), fault


def _not_json(response: requests.Response) -> bool:
    try:
        response.json()
    except ValueError:
        return True
    return False


def test_a_hang_outlasts_the_client_timeout(sandbox):
    sandbox.control("POST", "faults", json={"pattern": "*bc/get/", "hang": 1, "hang_seconds": 2, "times": 1})
    try:
        requests.get(f"{sandbox.url}/open_api/v1.3/bc/get/", timeout=0.5)
        raise AssertionError("expected a timeout")
    except requests.Timeout:
        pass


def test_latency_is_added(sandbox):
    sandbox.control("POST", "faults", json={"pattern": "*bc/get/", "latency_ms": 300})
    started = time.monotonic()
    sandbox.business("GET", "bc/get/")
    assert time.monotonic() - started >= 0.3
    sandbox.control("DELETE", "faults")


def test_a_sliding_window_limit_throttles_the_business_api_with_40100(sandbox):
    token = sandbox.advertiser_token()
    sandbox.control("POST", "rate-limits", json={"pattern": "/open_api/v1.3/bc/get/", "limit": 3, "window_seconds": 2})
    codes = [sandbox.business("GET", "bc/get/", token=token)["code"] for _ in range(5)]
    assert codes == [0, 0, 0, 40100, 40100]
    time.sleep(2.1)
    assert sandbox.business("GET", "bc/get/", token=token)["code"] == 0


def test_request_stats_report_the_most_requests_in_any_window(sandbox):
    sandbox.control("DELETE", "requests")
    for _ in range(4):
        sandbox.business("GET", "bc/get/")
    stats = sandbox.control("GET", "requests/stats", params={"window_seconds": 60}).json()
    row = stats["endpoints"]["/open_api/v1.3/bc/get/"]
    assert row["count"] == 4 and row["max_in_window"] == 4 and row["throttled"] == 0


def test_the_control_page_and_the_screens_render(sandbox):
    for path in ("/", "/sandbox/control/", "/sandbox/login/", "/sandbox/business/login/"):
        assert requests.get(f"{sandbox.url}{path}", timeout=10).status_code == 200, path


def test_the_control_page_starts_and_resolves_an_incident_with_a_form(sandbox):
    page = f"{sandbox.url}/sandbox/control/"
    form = {"action": "incident_start", "title": "Slow creator search", "level": "LOW_DISRUPTION"}
    assert requests.post(page, data=form, timeout=10).status_code == 200
    [incident] = sandbox.control("GET", "incidents").json()
    assert (incident["title"], incident["level"], incident["resolved_at"]) == (
        "Slow creator search",
        "LOW_DISRUPTION",
        None,
    )
    html = requests.get(page, timeout=10).text
    assert "Slow creator search" in html and "Low disruption" in html and "Resolve" in html

    requests.post(page, data={"action": "incident_resolve", "incident_id": incident["incident_id"]}, timeout=10)
    [incident] = sandbox.control("GET", "incidents").json()
    assert incident["resolved_at"] is not None


def test_the_control_page_links_the_platforms_outbox(sandbox):
    assert "http://127.0.0.1:8000/staff/outbox/" in requests.get(f"{sandbox.url}/sandbox/control/", timeout=10).text
