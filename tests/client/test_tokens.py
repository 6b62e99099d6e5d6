"""Token refresh under a row lock, reconnect marking, and refresh-once-on-expiry."""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from integrations.models import Credential
from integrations.tiktok import Kind, TikTokError
from integrations.tiktok.tokens import call_with_credential, ensure_fresh, refresh_credential

from .conftest import fail, json_body, ok


def expired(**fields):
    return {"access_expires_at": timezone.now() - timedelta(minutes=1)} | fields


# A lifetime TikTok has never documented: the credential must follow the answer, not a table.
TT_USER_GRANT = {
    "open_id": "open-1",
    "scope": "user.info.basic,video.list",
    "access_token": "act.new",
    "expires_in": 7200,
    "refresh_token": "rft.new",
    "refresh_token_expires_in": 15552000,
    "token_type": "Bearer",
}


def test_a_refresh_stores_the_rotated_pair_and_lifetimes_from_the_response(mocked, biz, credential_factory):
    cred = credential_factory(**expired())
    mocked.post(biz("tt_user/oauth2/refresh_token/"), json=ok(TT_USER_GRANT))

    before = timezone.now()
    refresh_credential(cred.pk)

    cred.refresh_from_db()
    assert (cred.access_token, cred.refresh_token) == ("act.new", "rft.new")
    assert timedelta(seconds=7199) <= cred.access_expires_at - before <= timedelta(seconds=7201)
    assert timedelta(days=179) <= cred.refresh_expires_at - before <= timedelta(days=180, seconds=1)
    assert before < cred.refresh_due_at < cred.access_expires_at  # refreshed ahead of expiry
    assert cred.scopes == "user.info.basic,video.list" and cred.status == Credential.Status.OK


@pytest.mark.parametrize("code", [40107, 40103], ids=["invalid refresh token", "refresh token expired"])
def test_a_rejected_refresh_token_marks_the_credential_needs_reconnect(mocked, biz, credential_factory, code):
    cred = credential_factory(**expired())
    mocked.post(
        biz("tt_user/oauth2/refresh_token/"),
        json={"code": code, "message": "Refresh token has been used.", "request_id": "LG1", "data": {}},
    )

    with pytest.raises(TikTokError) as caught:
        refresh_credential(cred.pk)

    cred.refresh_from_db()
    assert caught.value.kind == Kind.AUTH
    assert cred.status == Credential.Status.NEEDS_RECONNECT
    assert "LG1" in cred.last_error and "rft.old" not in cred.last_error


def test_a_rejected_tt_user_refresh_marks_the_credential_needs_reconnect(mocked, biz, credential_factory):
    cred = credential_factory(kind=Credential.Kind.TT_USER, **expired())
    mocked.post(biz("tt_user/oauth2/refresh_token/"), json=fail(40107, "refresh_token is invalid: used"))

    with pytest.raises(TikTokError):
        refresh_credential(cred.pk)

    cred.refresh_from_db()
    assert cred.status == Credential.Status.NEEDS_RECONNECT


def test_a_transient_refresh_failure_keeps_the_grant(mocked, biz, credential_factory, settings, sleeps):
    settings.TIKTOK_MAX_RETRIES = 1
    cred = credential_factory(kind=Credential.Kind.TT_USER, **expired())
    mocked.post(biz("tt_user/oauth2/refresh_token/"), json=fail(40100))
    mocked.post(biz("tt_user/oauth2/refresh_token/"), status=500, json=fail(50000))

    with pytest.raises(TikTokError) as caught:
        refresh_credential(cred.pk)

    cred.refresh_from_db()
    assert caught.value.kind == Kind.TRANSIENT
    assert cred.status == Credential.Status.OK and cred.refresh_token == "rft.old"
    assert cred.last_error


def test_ensure_fresh_sends_nothing_while_the_token_is_valid(mocked, credential_factory):
    cred = credential_factory(access_expires_at=timezone.now() + timedelta(hours=2))

    assert ensure_fresh(cred.pk).access_token == "act.old"


def test_an_expired_token_is_refreshed_once_and_the_call_retried_once(mocked, biz, credential_factory):
    cred = credential_factory(
        kind=Credential.Kind.TT_USER, access_token="tt.old", access_expires_at=timezone.now() + timedelta(hours=5)
    )
    mocked.get(biz("tto/creator/link/request/get/"), json=fail(40102, "Access token has expired."))
    mocked.post(
        biz("tt_user/oauth2/refresh_token/"),
        json=ok(
            {
                "access_token": "tt.new",
                "refresh_token": "ttr.new",
                "expires_in": 86400,
                "refresh_token_expires_in": 31536000,
                "open_id": "open-1",
                "scope": "user.info.basic",
            }
        ),
    )
    mocked.get(biz("tto/creator/link/request/get/"), json=ok({"link_requests": []}))

    result = call_with_credential(cred.pk, lambda c: c.tto_creator_link_request_get("75", "https://l"))

    assert result == {"link_requests": []}
    assert json_body(mocked.calls[1])["refresh_token"] == "rft.old"
    assert mocked.calls[2].request.headers["Access-Token"] == "tt.new"


def test_a_revoked_token_marks_the_credential_needs_reconnect(mocked, biz, credential_factory):
    cred = credential_factory(kind=Credential.Kind.BUSINESS, access_token="biz.1", refresh_token="")
    mocked.get(biz("bc/get/"), json=fail(40105, "Access token is incorrect or has been revoked."))

    with pytest.raises(TikTokError):
        call_with_credential(cred.pk, lambda c: c.bc_get())

    cred.refresh_from_db()
    assert cred.status == Credential.Status.NEEDS_RECONNECT


def test_a_credential_needing_reconnect_is_not_used(mocked, credential_factory):
    cred = credential_factory(status=Credential.Status.NEEDS_RECONNECT)

    with pytest.raises(TikTokError) as caught:
        call_with_credential(cred.pk, lambda c: c.tto_creator_authorized("75"))

    assert caught.value.needs_reconnect and caught.value.sent is False


def test_an_account_without_a_credential_is_asked_to_connect_and_nothing_is_sent(mocked):
    with pytest.raises(TikTokError) as caught:
        call_with_credential(None, lambda c: c.bc_get())

    assert caught.value.needs_reconnect and caught.value.sent is False
    assert len(mocked.calls) == 0


class RotatingTikTok:
    """A token endpoint whose refresh tokens rotate: a used one answers 40107."""

    def __init__(self):
        self.valid = {"rft.old"}
        self.sent: list[str] = []
        self.lock = threading.Lock()

    def __call__(self, request):
        token = json.loads(request.body)["refresh_token"]
        time.sleep(0.3)  # hold the row lock long enough for every other caller to queue on it
        with self.lock:
            self.sent.append(token)
            if token not in self.valid:
                return 200, {}, json.dumps(fail(40107, "refresh_token is invalid: used"))
            self.valid = {"rft.new"}
        grant = {
            "access_token": "act.new",
            "refresh_token": "rft.new",
            "expires_in": 86400,
            "refresh_token_expires_in": 31536000,
        }
        return 200, {}, json.dumps(ok(grant))


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("entry", [refresh_credential, ensure_fresh], ids=["refresh_credential", "ensure_fresh"])
def test_eight_concurrent_callers_send_exactly_one_refresh_and_all_get_the_new_token(mocked, biz, entry):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite has no row locks (set DATABASE_URL=postgres://...)")
    cred = Credential.objects.create(
        kind=Credential.Kind.TT_USER,
        access_token="act.old",
        refresh_token="rft.old",
        access_expires_at=timezone.now() - timedelta(minutes=1),
    )
    tiktok = RotatingTikTok()
    mocked.add_callback("POST", biz("tt_user/oauth2/refresh_token/"), callback=tiktok)
    barrier = threading.Barrier(8)

    def caller(_):
        try:
            barrier.wait()
            return entry(cred.pk).access_token
        finally:
            connection.close()

    with ThreadPoolExecutor(8) as pool:
        tokens = list(pool.map(caller, range(8)))

    cred.refresh_from_db()
    assert tiktok.sent == ["rft.old"]
    assert tokens == ["act.new"] * 8
    assert (cred.access_token, cred.refresh_token, cred.status) == ("act.new", "rft.new", Credential.Status.OK)
