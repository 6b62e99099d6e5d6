"""API_SERVICE_STATUS in the sandbox: subscriptions filtered by API product, incidents started
and resolved from the control API, each delivery signed with the subscribing app's secret."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

from tests.sandbox.conftest import BUSINESS_APP


class _Collector(BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        raw = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((self.path, self.headers["TikTok-Signature"], raw))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


def _subscribe(sandbox, callback: str, detail: dict) -> dict:
    body = {"app_id": BUSINESS_APP[0], "secret": BUSINESS_APP[1], "subscribe_entity": "API_SERVICE_STATUS",
            "callback_url": callback, "subscription_detail": detail}  # fmt: skip
    return sandbox.business("POST", "subscription/subscribe/", json=body)


def _wait_for(count: int, seconds: float = 5) -> None:
    deadline = time.monotonic() + seconds
    while len(_Collector.received) < count and time.monotonic() < deadline:
        time.sleep(0.05)


def test_incidents_reach_the_subscriptions_whose_filter_covers_them_signed_and_in_tiktoks_shape(sandbox):
    sandbox.control("POST", "reset", json={}).raise_for_status()
    _Collector.received = []
    server = HTTPServer(("127.0.0.1", 0), _Collector)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        assert _subscribe(sandbox, f"{base}/tto", {"product_filters": ["TIKTOK_ONE_API"]})["code"] == 0
        assert _subscribe(sandbox, f"{base}/catalog", {"product_filters": ["CATALOG_API"]})["code"] == 0
        assert _subscribe(sandbox, f"{base}/all", {})["code"] == 0

        started = sandbox.control("POST", "incidents", json={"products": ["TIKTOK_ONE_API"]}).json()
        assert started["sent"] == 2
        _wait_for(2)
        assert sorted(path for path, _, _ in _Collector.received) == ["/all", "/tto"]
        _, signature, raw = _Collector.received[0]
        t, s = (part.split("=", 1)[1] for part in signature.split(","))
        expected = hmac.new(BUSINESS_APP[1].encode(), f"{t}.".encode() + raw, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(s, expected)
        body = json.loads(raw)
        (entry,) = body["entry"]
        assert body["object"] == 14 and body["request_id"]
        assert entry["incident_id"] == started["incident_id"] and entry["incident_event_type"] == "CREATE"
        assert entry["incident_products"] == ["TIKTOK_ONE_API"] and entry["incident_level"] == "MAJOR_DISRUPTION"
        assert len(entry["incident_start_time"]) == 19 and "incident_resolve_time" not in entry

        resolve = f"incidents/{started['incident_id']}/resolve"
        assert sandbox.control("POST", resolve).json()["sent"] == 2
        _wait_for(4)
        last = json.loads(_Collector.received[-1][2])["entry"][0]
        assert last["incident_event_type"] == "RESOLVE" and len(last["incident_resolve_time"]) == 19
        assert sandbox.control("POST", resolve).status_code == 409
    finally:
        server.shutdown()


def test_a_product_filter_tiktok_does_not_list_is_refused(sandbox):
    assert _subscribe(sandbox, "http://127.0.0.1:9/h", {"product_filters": ["TIKTOK_ONE"]})["code"] == 40002


def test_an_incident_needs_known_products_and_level(sandbox):
    assert sandbox.control("POST", "incidents", json={"products": []}).status_code == 400
    assert sandbox.control("POST", "incidents", json={"products": ["TIKTOK_ONE"]}).status_code == 400
    assert sandbox.control("POST", "incidents", json={"level": "TOTAL"}).status_code == 400
    assert sandbox.control("POST", "incidents/404/resolve").status_code == 404
