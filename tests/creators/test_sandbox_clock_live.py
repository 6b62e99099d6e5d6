"""In a sandbox deployment the platform follows the sandbox's clock: advancing the sandbox alone
(no fake time on the platform) makes an invite overdue after 24 hours, end to end."""

from __future__ import annotations

import pytest

from creators.models import MarketplaceOnboarding
from integrations.tiktok import clock

from .test_onboarding_live import poll

pytestmark = [pytest.mark.integration, pytest.mark.django_db]
State = MarketplaceOnboarding.State


@pytest.fixture
def sandbox_deployment(settings, live_sandbox):
    settings.TIKTOK_SANDBOX = True
    settings.SANDBOX_URL = live_sandbox
    clock.forget()
    yield
    clock.forget()


def test_an_invite_is_overdue_after_24_hours_of_the_sandboxs_clock(
    sandbox_deployment,
    client_for,
    user_factory,
    authorize_tiktok,
    internal_tto,
    sandbox_api,
    django_capture_on_commit_callbacks,
):
    client = client_for(user_factory(email="young@example.test"))
    _, account = authorize_tiktok(client, "young.creator")  # its invite never arrives
    assert poll(account, django_capture_on_commit_callbacks) == State.WAITING

    sandbox_api("clock/advance", {"hours": 23}).raise_for_status()
    clock.forget()
    assert poll(account, django_capture_on_commit_callbacks) == State.WAITING

    sandbox_api("clock/advance", {"hours": 2}).raise_for_status()
    clock.forget()
    assert poll(account, django_capture_on_commit_callbacks) == State.OVERDUE
    assert "has not arrived after 24 hours" in client.get("/creator/").content.decode()
