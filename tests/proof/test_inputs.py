"""Every page survives hostile input: NUL bytes, huge numbers, wrong types, unicode.

The parameter names come from the apps' forms and from what views read off the request, so
a field added later is covered without editing this file. A bad value may be refused (a
form error, a 400, a 404); it may never be a 500.
"""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path

import pytest
from django import forms
from django.conf import settings
from django.db import transaction
from django.test import Client
from django.urls import reverse

from tests.proof.urlsweep import APPS, all_url_cases, populate_brand_world, url_kwargs

pytestmark = pytest.mark.django_db

DEAD_TIKTOK = "http://127.0.0.1:9"
HOSTILE = {
    "nul": "a\x00b",
    "huge": "9" * 400,
    "float_overflow": "1e400",
    "negative": "-1",
    "wrong_type": "abc",
    "unicode": "Ünïcødé 🎉 \u202e",
    "long": "x" * 5000,
}
READ_FROM_REQUEST = re.compile(r"""(?:GET|POST|query|data)\.get(?:list)?\(\s*["'](\w+)["']""")


def _parameter_names() -> list[str]:
    names: set[str] = set()
    for app in APPS:
        for module_name in ("forms", "views"):
            try:
                module = importlib.import_module(f"{app}.{module_name}")
            except ModuleNotFoundError:
                continue
            for _, obj in inspect.getmembers(module, inspect.isclass):
                if issubclass(obj, forms.BaseForm) and obj.__module__ == module.__name__:
                    names.update(obj.base_fields)
        for path in Path(settings.BASE_DIR, app).rglob("*.py"):
            if "migrations" not in path.parts:
                names.update(READ_FROM_REQUEST.findall(path.read_text()))
    return sorted(names)


PARAMETERS = _parameter_names()
# Signing out would turn every later request into a redirect to the login page.
URLS = [c for c in all_url_cases() if (c.namespace in APPS or not c.namespace) and c.name != "account_logout"]


@pytest.fixture
def creator(user_factory):
    from creators.models import CreatorProfile

    user = user_factory(email="dave.creator@example.test")
    CreatorProfile.objects.get_or_create(user=user)
    return user


@pytest.fixture
def world(brand, alice, creator, settings):
    settings.TIKTOK_AUTH_BASE_URL = DEAD_TIKTOK
    settings.TIKTOK_BUSINESS_API_BASE_URL = DEAD_TIKTOK
    settings.TIKTOK_MAX_RETRIES = 0
    return populate_brand_world(brand, alice, creator)


def test_the_parameter_list_holds_the_fields_pages_read():
    assert {"q", "page", "days", "video_id", "user", "sort"} <= set(PARAMETERS), PARAMETERS


@pytest.mark.parametrize("value_name", sorted(HOSTILE))
@pytest.mark.parametrize("who", ["owner", "creator"])
def test_no_page_answers_500_to_hostile_values(world, brand, alice, creator, who, value_name):
    client = Client(raise_request_exception=False)
    user = alice if who == "owner" else creator
    data = dict.fromkeys(PARAMETERS, HOSTILE[value_name])
    errors = []
    client.force_login(user)
    # Every URL starts signed in with this session: a view that signs out or rotates the
    # session only changed rows its rolled-back transaction undid, so the cookie is enough.
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    for case in URLS:
        url = reverse(case.name, kwargs=url_kwargs(case, brand))
        client.cookies[settings.SESSION_COOKIE_NAME] = session
        for method in ("get", "post"):
            # Rolled back, so one URL's action (a removal, say) cannot hide the next one's row.
            with transaction.atomic():
                response = getattr(client, method)(url, data)
                transaction.set_rollback(True)
            if response.status_code >= 500:
                errors.append(f"{method.upper()} {case.name} -> {response.status_code}")
    assert errors == []
    client.force_login(user)
    assert client.get(reverse("brand_home", args=[brand.slug])).status_code in (200, 404)


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_nul_byte_in_any_field_is_a_400_that_says_why(world, brand, alice, method):
    client = Client()
    client.force_login(alice)
    url = reverse("integrations:insights", args=[brand.slug])
    response = getattr(client, method)(url, {"q": "a\x00b"})
    assert response.status_code == 400 and b"NUL" in response.content
    assert getattr(client, method)(url, {"a\x00": "b"}).status_code == 400


def test_a_nul_byte_in_the_export_filter_is_refused_not_a_cut_off_csv(world, brand, alice):
    client = Client()
    client.force_login(alice)
    from integrations.models import Campaign

    url = reverse("integrations:insights_export", args=[brand.slug, world[Campaign].pk])
    assert client.get(url, {"q": "\x00"}).status_code == 400
    assert client.get(url, {"q": "x"}).status_code == 200
