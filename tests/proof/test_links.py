"""A link TikTok supplies (a post's embed URL, an avatar, a campaign's invite link) reaches an
href or src only if it is a web address: `javascript:` or `data:` from TikTok's side never does.

Every URL field of every model holds a hostile link, and every page is read as the brand's
owner and as a creator, so a page or field added later is covered without editing this file.
"""

from __future__ import annotations

import re

import pytest
from django.apps import apps
from django.db import models
from django.test import Client
from django.urls import reverse

from tests.proof.test_inputs import URLS, creator, world  # noqa: F401  (fixtures)
from tests.proof.urlsweep import APPS, url_kwargs

pytestmark = pytest.mark.django_db

HOSTILE_LINKS = ["javascript:alert(1)", " JaVaScRiPt:alert(1)", "data:text/html,<b>x</b>", "vbscript:x"]
LINK_ATTRIBUTE = re.compile(r"""\b(?:href|src|action|formaction)\s*=\s*["']?\s*([^"'\s>]*)""", re.IGNORECASE)


def _fill_every_url_field(value: str) -> int:
    filled = 0
    for app in APPS:
        for model in apps.get_app_config(app).get_models():
            names = [f.name for f in model._meta.concrete_fields if isinstance(f, models.URLField)]
            if names:
                filled += model.objects.update(**dict.fromkeys(names, value))
    return filled


@pytest.mark.parametrize("link", HOSTILE_LINKS)
@pytest.mark.parametrize("who", ["owner", "creator"])
def test_no_page_puts_a_non_web_link_from_tiktok_in_an_href_or_src(world, brand, alice, creator, who, link):  # noqa: F811
    assert _fill_every_url_field(link) > 0
    client = Client(raise_request_exception=False)
    client.force_login(alice if who == "owner" else creator)
    leaks = []
    for case in URLS:
        response = client.get(reverse(case.name, kwargs=url_kwargs(case, brand)))
        if "html" not in response.get("Content-Type", ""):
            continue
        for target in LINK_ATTRIBUTE.findall(response.content.decode()):
            if re.match(r"(?:javascript|data|vbscript):", target.strip(), re.IGNORECASE):
                leaks.append(f"{case.name}: {target}")
    assert leaks == []


@pytest.mark.parametrize(
    "link, shown",
    [
        ("https://www.tiktok.com/@a/video/1", "https://www.tiktok.com/@a/video/1"),
        ("http://p16.tiktokcdn.com/a.jpg", "http://p16.tiktokcdn.com/a.jpg"),
        ("java\tscript:alert(1)", ""),
        ("//evil.example/x", ""),
        ("https:alert(1)", ""),
        (None, ""),
    ],
)
def test_the_web_url_filter_passes_absolute_http_links_only(link, shown):
    from integrations.templatetags.links import web_url

    assert web_url(link) == shown
