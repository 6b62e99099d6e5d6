"""Authorization faults, disconnect, token refresh and webhooks against the live sandbox."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from creators import flows
from creators.models import MarketplaceOnboarding
from creators.tasks import refresh_creator_token, refresh_due_creator_tokens
from integrations.models import Credential, TikTokAccount
from integrations.tiktok import BusinessClient, TikTokError, webhooks

from .conftest import onboarding_of

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def messages_of(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])


def test_denied_consent_stores_nothing(client_for, user_factory, live_sandbox):
    client = client_for(user_factory())
    start = client.post(reverse("creators:authorize"))
    state = start["Location"].split("state=")[1]
    response = client.get(reverse("creators:callback"), {"error": "access_denied", "state": state}, follow=True)
    assert "did not authorize TikTok" in messages_of(response)
    assert not TikTokAccount.objects.exists() and not Credential.objects.exists()


def test_a_reused_or_foreign_state_is_refused(client_for, user_factory, sandbox_api):
    client = client_for(user_factory())
    response = client.get(reverse("creators:callback"), {"code": "x", "state": "forged"}, follow=True)
    assert "already used or did not start here" in messages_of(response)
    state = client.post(reverse("creators:authorize"))["Location"].split("state=")[1]
    code = sandbox_api(
        "helpers/authorize",
        {
            "handle": "demo.creator",
            "client_key": settings.TIKTOK_APP_ID,
            "redirect_uri": flows.redirect_uri(),
            "state": state,
        },
    ).json()["code"]
    client.get(reverse("creators:callback"), {"code": code, "state": state})
    replay = client.get(reverse("creators:callback"), {"code": code, "state": state}, follow=True)
    assert "already used" in messages_of(replay)
    assert Credential.objects.count() == 1 and TikTokAccount.objects.count() == 1


def test_an_account_connected_to_another_creator_is_not_stored_twice(client_for, user_factory, authorize_tiktok):
    first, second = user_factory(), user_factory()
    authorize_tiktok(client_for(first), "demo.creator")
    response, account = authorize_tiktok(client_for(second), "demo.creator")
    assert account.owner == first
    assert TikTokAccount.objects.filter(handle="demo.creator").count() == 1
    assert Credential.objects.count() == 1
    assert MarketplaceOnboarding.objects.count() == 1


def test_authorizing_again_updates_the_same_rows(client_for, user_factory, authorize_tiktok):
    client = client_for(user_factory())
    _, account = authorize_tiktok(client, "demo.creator")
    _, again = authorize_tiktok(client, "demo.creator")
    assert again.pk == account.pk and again.credential_id == account.credential_id
    assert Credential.objects.count() == 1


def test_disconnect_revokes_the_token_at_tiktok(client_for, user_factory, authorize_tiktok):
    user = user_factory()
    client = client_for(user)
    _, account = authorize_tiktok(client, "demo.creator")
    token = account.credential.access_token
    response = client.post(reverse("creators:disconnect", args=[account.pk]), follow=True)
    assert "disconnected" in messages_of(response)
    cred = Credential.objects.get(pk=account.credential_id)
    assert cred.status == Credential.Status.REVOKED and cred.access_token == ""
    assert onboarding_of(account).state == MarketplaceOnboarding.State.DISCONNECTED
    with pytest.raises(TikTokError):
        BusinessClient().tt_user_token_info_get(token)  # TikTok answers 40105 now
    assert "Authorize TikTok again" in response.content.decode()


def test_refresh_rotates_the_refresh_token(
    client_for, user_factory, authorize_tiktok, django_capture_on_commit_callbacks
):
    _, account = authorize_tiktok(client_for(user_factory()), "demo.creator")
    cred = account.credential
    old_refresh, old_access = cred.refresh_token, cred.access_token
    Credential.objects.filter(pk=cred.pk).update(
        refresh_due_at=timezone.now() - timedelta(minutes=1), access_expires_at=timezone.now() + timedelta(minutes=2)
    )
    with django_capture_on_commit_callbacks() as callbacks:
        assert refresh_due_creator_tokens() == 1
    assert len(callbacks) == 1
    assert refresh_creator_token(cred.pk) == "ok"
    cred.refresh_from_db()
    assert cred.refresh_token != old_refresh and cred.access_token != old_access
    assert cred.refresh_due_at > timezone.now() + timedelta(hours=23)
    with pytest.raises(TikTokError):
        BusinessClient().tt_user_oauth2_refresh_token(old_refresh)  # the old one is dead


def test_a_rejected_refresh_marks_the_account_disconnected(
    client_for, user_factory, authorize_tiktok, sandbox_api, django_capture_on_commit_callbacks
):
    _, account = authorize_tiktok(client_for(user_factory()), "demo.creator")
    cred = account.credential
    BusinessClient().tt_user_oauth2_revoke(cred.access_token)  # the user removed access on TikTok
    Credential.objects.filter(pk=cred.pk).update(access_expires_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        assert refresh_creator_token(cred.pk) == "needs reconnect"
    assert onboarding_of(account).state == MarketplaceOnboarding.State.DISCONNECTED
    assert "Authorize TikTok again" in mail.outbox[-1].body


def _removed_event(open_id: str) -> bytes:
    return json.dumps(
        {
            "client_key": settings.TIKTOK_APP_ID,
            "event": "authorization.removed",
            "create_time": int(time.time()),
            "user_openid": open_id,
            "content": json.dumps({"reason": 1}),
        }
    ).encode()


def test_a_signed_authorization_removed_webhook_disconnects_the_account(
    client_for, user_factory, authorize_tiktok, django_capture_on_commit_callbacks
):
    _, account = authorize_tiktok(client_for(user_factory()), "demo.creator")
    body = _removed_event(account.open_id)
    with django_capture_on_commit_callbacks(execute=True):
        response = Client(enforce_csrf_checks=True).post(
            reverse("creators:webhook"),
            body,
            content_type="application/json",
            headers={"TikTok-Signature": webhooks.sign(body, settings.TIKTOK_APP_SECRET)},
        )
    assert response.status_code == 200
    assert Credential.objects.get(pk=account.credential_id).status == Credential.Status.REVOKED
    assert onboarding_of(account).state == MarketplaceOnboarding.State.DISCONNECTED
    assert len(mail.outbox) == 1


@pytest.mark.parametrize("kind", ["stale", "wrong", "missing"])
def test_a_webhook_with_a_bad_signature_is_rejected(client_for, user_factory, authorize_tiktok, kind):
    _, account = authorize_tiktok(client_for(user_factory()), "demo.creator")
    body = _removed_event(account.open_id)
    headers = {
        "stale": {"TikTok-Signature": webhooks.sign(body, settings.TIKTOK_APP_SECRET, int(time.time()) - 3600)},
        "wrong": {"TikTok-Signature": webhooks.sign(body, "not-the-secret")},
        "missing": {},
    }[kind]
    response = Client().post(reverse("creators:webhook"), body, content_type="application/json", headers=headers)
    assert response.status_code == 400
    assert Credential.objects.get(pk=account.credential_id).status == Credential.Status.OK
