from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from integrations.connect.capability import spark_ads_capability
from integrations.models import TikTokOneAccount

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def test_it_connects_the_sandbox_platform_persona_as_the_internal_account(live_sandbox, settings, brand):
    settings.SANDBOX_URL = live_sandbox
    message = call_command("connect_platform_account")

    internal = TikTokOneAccount.objects.get(is_internal=True)
    assert internal.tto_tcm_account_id == "7200000000000000006"
    assert internal.brand is None and internal.credential.access_token
    assert "internal TikTok One account" in message
    # A brand without a TikTok One account now falls back to it, as the capability table says.
    assert spark_ads_capability(brand).tiktok_one_account == internal


def test_it_does_nothing_when_the_internal_account_exists(live_sandbox, settings):
    settings.SANDBOX_URL = live_sandbox
    call_command("connect_platform_account")
    assert "already connected" in call_command("connect_platform_account")
    assert TikTokOneAccount.objects.filter(is_internal=True).count() == 1


def test_it_refuses_when_not_pointed_at_the_sandbox(settings):
    settings.TIKTOK_BUSINESS_API_BASE_URL = "https://business-api.tiktok.com"
    with pytest.raises(CommandError, match="Django admin"):
        call_command("connect_platform_account")


def test_it_says_so_when_the_sandbox_does_not_answer(settings):
    settings.SANDBOX_URL = settings.TIKTOK_BUSINESS_API_BASE_URL = "http://127.0.0.1:9"
    with pytest.raises(CommandError, match="does not answer"):
        call_command("connect_platform_account", wait=0)
