"""The sandbox counts an API request when its first bytes reached the machine, as TikTok counts
it on arrival, not when a handler thread got round to it."""

from __future__ import annotations

import http.client
import socket
import time
from urllib.parse import urlsplit

PATH = "/open_api/v1.3/bc/get/"  # without a token: a cheap 40104, counted and logged all the same
HEAD = f"GET {PATH} HTTP/1.1\r\n".encode()
REST = b"Host: sandbox\r\n\r\n"


def _connect(sandbox) -> socket.socket:
    url = urlsplit(sandbox.url)
    return socket.create_connection((url.hostname, url.port), timeout=10)


def _answer(sock: socket.socket) -> int:
    response = http.client.HTTPResponse(sock)
    response.begin()
    response.read()
    assert not response.will_close, "the sandbox closed a keep-alive connection"
    return response.status


def _send_in_two_parts(sock: socket.socket, pause: float = 0.5) -> tuple[float, float]:
    """Send the request line, wait, then the rest; when the first part went and when the rest had."""
    first_sent = time.time()
    sock.sendall(HEAD)
    time.sleep(pause)
    sock.sendall(REST)
    rest_sent = time.time()
    assert _answer(sock) == 200
    return first_sent, rest_sent


def _logged_arrivals(sandbox) -> list[float]:
    rows = sandbox.control("GET", "requests", params={"path": PATH}).json()
    return sorted(row["at"] for row in rows)


def test_a_request_counts_from_when_its_first_bytes_arrived_not_when_it_was_complete(sandbox):
    sandbox.control("DELETE", "requests")

    with _connect(sandbox) as sock:
        first_sent, rest_sent = _send_in_two_parts(sock)

    [at] = _logged_arrivals(sandbox)
    assert first_sent <= at < rest_sent - 0.4


def test_each_request_on_a_keep_alive_connection_counts_from_its_own_arrival(sandbox):
    sandbox.control("DELETE", "requests")

    with _connect(sandbox) as sock:
        first = _send_in_two_parts(sock)
        time.sleep(0.2)
        second = _send_in_two_parts(sock)

    arrivals = _logged_arrivals(sandbox)
    assert len(arrivals) == 2
    for at, (first_sent, rest_sent) in zip(arrivals, (first, second), strict=True):
        assert first_sent <= at < rest_sent - 0.4


def test_a_request_counted_after_one_that_arrived_later_leaves_the_window_when_it_is_over(sandbox):
    # The earlier request is counted after the later one; the last request's second holds only
    # the later one, so it passes a limit of 2.
    sandbox.control("DELETE", "requests")
    sandbox.control("POST", "rate-limits/app", json={"tier": "basic", "qps": 2})

    with _connect(sandbox) as sock:
        earlier_sent = time.time()
        sock.sendall(HEAD)
        time.sleep(0.7)
        later = sandbox.business("GET", PATH.removeprefix("/open_api/v1.3/"))
        sock.sendall(REST)
        _answer(sock)
    time.sleep(max(0.0, earlier_sent + 1.1 - time.time()))
    last = sandbox.business("GET", PATH.removeprefix("/open_api/v1.3/"))

    assert (later["code"], last["code"]) == (40104, 40104)
    rows = sandbox.control("GET", "requests", params={"path": PATH}).json()
    assert [row["throttled"] for row in rows] == [False, False, False]
