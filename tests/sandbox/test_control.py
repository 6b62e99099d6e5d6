"""Fault injection, sliding-window rate limits and request stats."""

from __future__ import annotations

import time

import requests


def _user_info(sandbox, token: str) -> requests.Response:
    return requests.get(
        f"{sandbox.url}/v2/user/info/",
        params={"fields": "open_id,display_name"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )


def test_login_kit_user_info_answers_in_its_envelope(sandbox):
    body = _user_info(sandbox, sandbox.login_kit_token()["access_token"]).json()
    assert body["data"]["user"] == {"open_id": "open-7500000000000000001", "display_name": "Demo Creator"}
    assert body["error"]["code"] == "ok" and body["error"]["log_id"]


def test_a_field_outside_the_granted_scopes_is_scope_not_authorized(sandbox):
    token = sandbox.login_kit_token(scope="user.info.basic")["access_token"]
    answer = requests.get(
        f"{sandbox.url}/v2/user/info/",
        params={"fields": "follower_count"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert answer.status_code == 401 and answer.json()["error"]["code"] == "scope_not_authorized"


def test_video_list_pages_with_a_cursor(sandbox):
    token = sandbox.login_kit_token()["access_token"]
    url = f"{sandbox.url}/v2/video/list/?fields=id,view_count,create_time"
    first = requests.post(url, json={"max_count": 4}, headers={"Authorization": f"Bearer {token}"}, timeout=10).json()
    assert len(first["data"]["videos"]) == 4 and first["data"]["has_more"] is True
    rest = requests.post(
        url,
        json={"max_count": 20, "cursor": first["data"]["cursor"]},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    ).json()
    assert len(rest["data"]["videos"]) == 2 and rest["data"]["has_more"] is False
    ids = [v["id"] for v in first["data"]["videos"][:2]]
    query = requests.post(
        f"{sandbox.url}/v2/video/query/?fields=id,like_count",
        json={"filters": {"video_ids": ids}},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    ).json()
    assert [v["id"] for v in query["data"]["videos"]] == ids


def test_metrics_grow_when_the_clock_advances(sandbox):
    token = sandbox.login_kit_token()["access_token"]
    url = f"{sandbox.url}/v2/video/list/?fields=id,view_count"
    before = requests.post(url, json={}, headers={"Authorization": f"Bearer {token}"}, timeout=10).json()
    sandbox.advance(hours=1)
    after = requests.post(url, json={}, headers={"Authorization": f"Bearer {token}"}, timeout=10).json()
    assert sum(v["view_count"] for v in after["data"]["videos"]) > sum(
        v["view_count"] for v in before["data"]["videos"]
    )


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


def test_login_kit_is_limited_to_600_a_minute_by_default_with_http_429(sandbox):
    token = sandbox.login_kit_token()["access_token"]
    limits = sandbox.control("GET", "rate-limits").json()
    assert {"pattern": "/v2/user/info/", "limit": 600, "window_seconds": 60.0} in [
        {k: r[k] for k in ("pattern", "limit", "window_seconds")} for r in limits
    ]
    sandbox.control("POST", "rate-limits", json={"pattern": "/v2/user/info/", "limit": 2, "window_seconds": 60})
    statuses = [_user_info(sandbox, token).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert _user_info(sandbox, token).json()["error"]["code"] == "rate_limit_exceeded"


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
