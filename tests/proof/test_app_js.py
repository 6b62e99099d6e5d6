"""static/js/app.js is served and on every page, and it handles htmx's error events (htmx
swaps nothing for an error answer, so without it a failed htmx action is silent)."""

from __future__ import annotations

import pytest
import requests
from django.templatetags.static import static
from django.test import Client
from django.urls import reverse

HTMX_ERROR_EVENTS = ("htmx:responseError", "htmx:sendError", "htmx:timeout")


@pytest.mark.django_db
def test_every_page_loads_app_js_from_this_site():
    html = Client().get(reverse("account_login")).content.decode()
    assert f'<script src="{static("js/app.js")}" defer></script>' in html


def test_app_js_is_served_and_handles_htmx_error_events(live_server):
    response = requests.get(live_server.url + static("js/app.js"), timeout=10)
    assert response.status_code == 200
    assert "javascript" in response.headers["Content-Type"]
    assert all(f'"{event}"' in response.text for event in HTMX_ERROR_EVENTS)
