"""Disconnect refreshes an expired creator token first, as every other call does; when the
grant is gone it disconnects here and says so. Against the live sandbox, its clock advanced."""

from __future__ import annotations

import pytest
from django.urls import reverse

from creators.models import MarketplaceOnboarding
from integrations.models import Credential
from integrations.tiktok import BusinessClient, TikTokError

from .conftest import onboarding_of
from .test_accounts_live import messages_of

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def test_disconnect_with_an_expired_access_token_refreshes_then_revokes_at_tiktok(
    client_for, user_factory, authorize_tiktok, sandbox_api
):
    client = client_for(user_factory())
    _, account = authorize_tiktok(client, "demo.creator")
    sandbox_api("clock/advance", {"hours": 25}).raise_for_status()  # TikTok: the access token expired (40102)
    refresh_token = account.credential.refresh_token

    response = client.post(reverse("creators:disconnect", args=[account.pk]), follow=True)

    said = messages_of(response)
    assert "did not answer" not in said
    assert "disconnected" in said and "revoked" in said
    cred = Credential.objects.get(pk=account.credential_id)
    assert cred.status == Credential.Status.REVOKED and cred.access_token == "" and cred.refresh_token == ""
    assert onboarding_of(account).state == MarketplaceOnboarding.State.DISCONNECTED
    with pytest.raises(TikTokError):
        BusinessClient().tt_user_oauth2_refresh_token(refresh_token)  # the grant is gone at TikTok too


def test_disconnect_when_tiktok_already_ended_the_grant_disconnects_here_and_says_so(
    client_for, user_factory, authorize_tiktok, sandbox_api
):
    client = client_for(user_factory())
    _, account = authorize_tiktok(client, "demo.creator")
    sandbox_api("clock/advance", {"hours": 24 * 366}).raise_for_status()  # refresh token expired too (40103)

    response = client.post(reverse("creators:disconnect", args=[account.pk]), follow=True)

    said = messages_of(response)
    assert "did not answer" not in said
    assert "already ended" in said and "disconnected" in said
    cred = Credential.objects.get(pk=account.credential_id)
    assert cred.status == Credential.Status.REVOKED and cred.access_token == "" and cred.refresh_token == ""
    assert onboarding_of(account).state == MarketplaceOnboarding.State.DISCONNECTED


def test_disconnect_while_tiktok_is_down_keeps_the_account_connected_and_says_tiktok_is_down(
    client_for, user_factory, authorize_tiktok, sandbox_api
):
    client = client_for(user_factory())
    _, account = authorize_tiktok(client, "demo.creator")
    sandbox_api("faults", {"pattern": "*tt_user/oauth2/revoke/", "http_5xx": 1}).raise_for_status()

    response = client.post(reverse("creators:disconnect", args=[account.pk]), follow=True)

    assert "still connected" in messages_of(response)
    assert Credential.objects.get(pk=account.credential_id).status == Credential.Status.OK
