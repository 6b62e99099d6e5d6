"""The sandbox's SQLite database under concurrent writers (IMMEDIATE transactions, busy timeout)."""

from __future__ import annotations

import threading

import requests

from .conftest import BUSINESS_APP, REDIRECT

ROUNDS = 5


def _code(sandbox, client_key: str) -> str:
    body = {"handle": "demo.creator", "client_key": client_key, "redirect_uri": REDIRECT}
    return sandbox.control("POST", "helpers/authorize", json=body).json()["code"]


def _tt_user_exchange(sandbox, code: str) -> requests.Response:
    body = {
        "client_id": BUSINESS_APP[0],
        "client_secret": BUSINESS_APP[1],
        "grant_type": "authorization_code",
        "auth_code": code,
        "redirect_uri": REDIRECT,
    }
    return requests.post(f"{sandbox.url}/open_api/v1.3/tt_user/oauth2/token/", json=body, timeout=30)


def _at_once(sandbox, calls) -> list[requests.Response]:
    """Run each (exchange, code) in its own thread, released together by a barrier."""
    start = threading.Barrier(len(calls))
    answers: list[requests.Response] = []

    def run(exchange, code):
        start.wait()
        answers.append(exchange(sandbox, code))

    threads = [threading.Thread(target=run, args=call) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def test_two_concurrent_token_exchanges_both_succeed(sandbox):
    for _ in range(ROUNDS):
        answers = _at_once(
            sandbox,
            [
                (_tt_user_exchange, _code(sandbox, BUSINESS_APP[0])),
                (_tt_user_exchange, _code(sandbox, BUSINESS_APP[0])),
            ],
        )
        assert [a.status_code for a in answers] == [200, 200], [a.text[:300] for a in answers]
        assert all("access_token" in a.text for a in answers), [a.text[:300] for a in answers]
