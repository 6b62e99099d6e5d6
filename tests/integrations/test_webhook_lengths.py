"""Signed webhooks with over-long fields never answer 5xx (TikTok would retry a 5xx for 72 hours
and fail every time): an id longer than any TikTok id is a 400, open-ended text is kept,
cut to what the column holds, with a 200. Column lengths bite on PostgreSQL, not SQLite."""

from __future__ import annotations

import json

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from integrations.models import ApiIncident
from integrations.tiktok import webhooks
from tests.insights.test_views import PAYLOAD as TCM_VIDEOS

from .test_api_status import _delivery

pytestmark = pytest.mark.django_db


def _signed_post(url: str, raw: bytes):
    headers = {"TikTok-Signature": webhooks.sign(raw, settings.TIKTOK_APP_SECRET)}
    return Client(raise_request_exception=False).post(url, raw, content_type="application/json", headers=headers)


def test_an_incident_with_a_long_title_and_level_is_kept_cut_to_fit_with_a_200(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = _signed_post(
            reverse("integrations:api_status_webhook"), _delivery(incident_title="T" * 600, incident_level="L" * 60)
        )
    assert response.status_code == 200
    incident = ApiIncident.objects.get()
    assert incident.title == "T" * 500 and incident.level == "L" * 40


def test_an_incident_id_longer_than_any_tiktok_id_is_a_400():
    response = _signed_post(reverse("integrations:api_status_webhook"), _delivery(incident_id="7" * 65))
    assert response.status_code == 400 and not ApiIncident.objects.exists()


@pytest.mark.parametrize("field", ["video_id", "campaign_id", "tto_tcm_account_id", "handle_name"])
def test_a_tcm_videos_delivery_with_an_impossible_id_is_a_400(field):
    payload = json.loads(json.dumps(TCM_VIDEOS))
    payload["entry"][0][field] = "7" * 200
    response = _signed_post(reverse("integrations:insights_webhook"), json.dumps(payload).encode())
    assert response.status_code == 400
