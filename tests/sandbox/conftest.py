"""A live sandbox for the whole session, over real HTTP. No platform database is needed."""

from __future__ import annotations

import pytest
import requests

from tiktok_sandbox.testing import start_sandbox

BUSINESS_APP = ("sandbox-business-app", "sandbox-business-secret")
# The sandbox's second API for Business app: no legacy `tcm/creator/invite/` permission.
TTO_APP = ("sandbox-tto-app", "sandbox-tto-secret")
REDIRECT = "https://platform.example/callback/"


def pytest_collection_modifyitems(items):
    # Everything here talks to a live sandbox over HTTP (the project's "integration" marker).
    for item in items:
        if "tests/sandbox/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def sandbox_url(tmp_path_factory):
    with start_sandbox(tmp_path_factory.mktemp("sandbox") / "sandbox.sqlite3") as url:
        yield url


@pytest.fixture
def sandbox(sandbox_url):
    """A pristine world for one test: reseed, and lift the app's API for Business limits so
    tests that fire many calls are not throttled unless they mean to be."""
    requests.post(f"{sandbox_url}/sandbox/api/reset", json={}, timeout=30).raise_for_status()
    world = Sandbox(sandbox_url)
    world.control("DELETE", "rate-limits/app").raise_for_status()
    return world


class Sandbox:
    def __init__(self, url: str) -> None:
        self.url = url

    def control(self, method: str, path: str, **kwargs) -> requests.Response:
        return requests.request(method, f"{self.url}/sandbox/api/{path}", timeout=30, **kwargs)

    def business(self, method: str, path: str, token: str | None = None, **kwargs) -> dict:
        headers = {"Access-Token": token} if token else {}
        response = requests.request(method, f"{self.url}/open_api/v1.3/{path}", headers=headers, timeout=30, **kwargs)
        assert response.status_code == 200, response.text
        return response.json()

    def advertiser_token(self, persona: str = "demo-brand", app: tuple[str, str] = BUSINESS_APP) -> str:
        code = self.control(
            "POST", "helpers/portal-auth", json={"persona": persona, "redirect_uri": REDIRECT, "app_id": app[0]}
        ).json()
        body = self.business(
            "POST", "oauth2/access_token/", json={"app_id": app[0], "secret": app[1], "auth_code": code["auth_code"]}
        )
        return body["data"]["access_token"]

    def creator_token(self, handle: str = "demo.creator") -> dict:
        code = self.control(
            "POST",
            "helpers/authorize",
            json={"handle": handle, "client_key": BUSINESS_APP[0], "redirect_uri": REDIRECT},
        ).json()["code"]
        body = self.business(
            "POST",
            "tt_user/oauth2/token/",
            json={
                "client_id": BUSINESS_APP[0],
                "client_secret": BUSINESS_APP[1],
                "grant_type": "authorization_code",
                "auth_code": code,
                "redirect_uri": REDIRECT,
            },
        )
        return body["data"]

    def advance(self, **delta) -> None:
        self.control("POST", "clock/advance", json=delta).raise_for_status()
