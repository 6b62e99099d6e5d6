"""The "TikTok One account without an ad account" case, reached through the sandbox persona
made for it; its next step speaks the words of the sandbox's consent screen."""

from __future__ import annotations

import pytest
import requests
from django.conf import settings

from integrations.connect import capability as cap
from integrations.connect.capability import spark_ads_capability
from integrations.models import AdAccount, TikTokOneAccount

from .conftest import messages_of

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def test_a_brand_connecting_as_tto_only_brand_has_an_account_and_no_ad_account(client_for, alice, brand, connect_as):
    page = connect_as(client_for(alice), brand, "tto-only-brand")
    assert "Connected to TikTok: 1 TikTok One account and 0 ad accounts." in messages_of(page)
    account = TikTokOneAccount.objects.get(brand=brand)
    assert (account.tto_tcm_account_id, account.standing.label) == ("7200000000000000007", "Active")
    assert not AdAccount.objects.filter(brand=brand).exists()
    c = spark_ads_capability(brand)
    assert (c.case, c.enabled, c.tiktok_one_account) == (cap.NO_AD_ACCOUNT, False, account)
    assert "Ad accounts this app will manage" in page.content.decode()


def test_the_next_step_quotes_what_the_sandboxs_consent_screen_says(live_sandbox, client):
    # The consent screen a person sees on TikTok's side, as the persona without ad accounts.
    screen = requests.post(
        f"{live_sandbox}/portal/auth",
        data={
            "app_id": settings.TIKTOK_APP_ID,
            "state": "s",
            "redirect_uri": "http://x.test/cb/",
            "key": "tto-only-brand",
        },
        timeout=30,
    ).text
    assert "Ad accounts this app will manage" in screen and "<li>none</li>" in screen
    assert "Ad accounts this app will manage" in cap.NO_AD_ACCOUNT_NEXT_STEP
