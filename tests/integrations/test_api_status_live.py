"""End to end over HTTP: the sandbox announces and resolves a TikTok One API incident to the
platform it subscribed, and the brand's insights page shows the banner meanwhile."""

from __future__ import annotations

import time

import pytest
import requests
from django.core.management import call_command
from django.urls import reverse

from integrations.models import ApiIncident, ApiStatusSubscription

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _incident_status(incident_id: str, wanted: str) -> str:
    deadline = time.monotonic() + 15
    found = None
    while time.monotonic() < deadline:
        found = ApiIncident.objects.filter(incident_id=incident_id).first()
        if found is not None and found.status == wanted:
            return wanted
        time.sleep(0.2)
    return found.status if found else "absent"


def test_the_sandboxs_incident_shows_a_banner_until_tiktok_resolves_it(
    live_sandbox, live_server, settings, brand, client_for, bob
):
    settings.SITE_URL, settings.SANDBOX_URL = live_server.url, live_sandbox
    assert "Subscribed to TikTok One API incidents" in call_command("connect_platform_account")
    assert ApiStatusSubscription.objects.get().subscription_id

    other = requests.post(
        f"{live_sandbox}/sandbox/api/incidents", json={"products": ["CATALOG_API"]}, timeout=30
    ).json()
    assert other["sent"] == 0  # the subscription filters to the TikTok One API
    started = requests.post(
        f"{live_sandbox}/sandbox/api/incidents",
        json={"title": "TikTok One API errors", "level": "LOW_DISRUPTION", "products": ["TIKTOK_ONE_API"]},
        timeout=30,
    ).json()
    assert started["sent"] == 1
    assert _incident_status(started["incident_id"], "open") == "open"
    incident = ApiIncident.objects.get()
    assert incident.title == "TikTok One API errors" and incident.level == "LOW_DISRUPTION"
    assert incident.started_at is not None

    page = reverse("integrations:insights", args=[brand.slug])
    assert b"TikTok One API errors" in client_for(bob).get(page).content

    resolved = requests.post(f"{live_sandbox}/sandbox/api/incidents/{started['incident_id']}/resolve", timeout=30)
    assert resolved.json()["sent"] == 1
    assert _incident_status(started["incident_id"], "resolved") == "resolved"
    assert ApiIncident.objects.get().resolved_at is not None
    assert b"tiktok-one-incident" not in client_for(bob).get(page).content
