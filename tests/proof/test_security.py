"""Security proof: tenant isolation, CSRF, login throttling.

The URL sweep introspects the URLconf, so every brand-scoped page and htmx fragment added
later is covered without editing this file (tests/proof/urlsweep.py).
"""

from __future__ import annotations

import uuid

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse

from integrations.models import BusinessCenter, BusinessCenterMember
from tests.proof.urlsweep import all_url_cases, brand_scoped_urls, populate_brand_world, url_kwargs

pytestmark = pytest.mark.django_db

BRAND_URLS = brand_scoped_urls()
DEAD_TIKTOK = "http://127.0.0.1:9"  # nothing listens: no view may reach real or sandbox TikTok here


@pytest.fixture
def creator(user_factory):
    """A creator who owns the brand world's TikTok account."""
    from creators.models import CreatorProfile

    user = user_factory(email="dave.creator@example.test")
    CreatorProfile.objects.get_or_create(user=user)
    return user


@pytest.fixture
def world(brand, alice, creator, other_brand, settings):
    settings.TIKTOK_AUTH_BASE_URL = DEAD_TIKTOK
    settings.TIKTOK_BUSINESS_API_BASE_URL = DEAD_TIKTOK
    settings.TIKTOK_MAX_RETRIES = 0
    made = populate_brand_world(brand, alice, creator)
    # The owner is the Business Center's admin, so its admin-only pages are reachable to them.
    BusinessCenterMember.objects.filter(user=alice).update(role=BusinessCenter.Role.ADMIN)
    return made


def _undone(client, method: str, url: str) -> int:
    """A request whose writes are rolled back, so one URL's action cannot hide another's row."""
    with transaction.atomic():
        status = getattr(client, method)(url).status_code
        transaction.set_rollback(True)
    return status


def _client(user=None, **kwargs) -> Client:
    client = Client(raise_request_exception=False, **kwargs)
    if user is not None:
        client.force_login(user)
    return client


class NoBrand:
    slug = "no-such-brand"


VARIANTS = [
    pytest.param("get", {}, id="GET"),
    pytest.param("get", {"HTTP_HX_REQUEST": "true"}, id="htmx-GET"),
    pytest.param("post", {}, id="POST"),
    pytest.param("post", {"HTTP_HX_REQUEST": "true"}, id="htmx-POST"),
]


def test_the_sweep_finds_the_brand_scoped_urls():
    names = {c.name for c in BRAND_URLS}
    assert "brand_home" in names, sorted(names)


@pytest.mark.parametrize(("method", "headers"), VARIANTS)
def test_an_outsider_gets_404_on_every_brand_scoped_url(world, brand, charlie, method, headers):
    """404, or the 405 a view gives any URL for a method it never takes (so nothing leaks)."""
    client = _client(charlie)
    leaks = []
    for case in BRAND_URLS:
        url = reverse(case.name, kwargs=url_kwargs(case, brand))
        response = getattr(client, method)(url, **headers)
        if response.status_code == 404:
            continue
        if response.status_code == 405:
            nowhere = reverse(case.name, kwargs=url_kwargs(case, NoBrand))
            if getattr(client, method)(nowhere, **headers).status_code == 405:
                continue
        leaks.append(f"{method.upper()} {url} ({case.name}) -> {response.status_code}")
    assert not leaks, "\n" + "\n".join(leaks)


def _insider_status(user, url: str) -> int:
    status = _undone(_client(user), "get", url)
    if status == 405:  # POST-only: ask with POST
        status = _undone(_client(user), "post", url)
    return status


def test_an_insider_reaches_every_swept_url_so_the_sweep_proves_something(world, brand, alice, creator):
    """Control for the sweep: the same URLs are not 404 for the brand's owner (or the creator)."""
    unreachable = []
    for case in BRAND_URLS:
        url = reverse(case.name, kwargs=url_kwargs(case, brand))
        # A brand URL's insider is the owner; another row is the creator's or, like a
        # background job, whoever started it (the owner, in the swept world).
        insiders = [alice] if "slug" in case.kwarg_names else [creator, alice]
        if all(_insider_status(insider, url) == 404 for insider in insiders):
            unreachable.append(f"{url} ({case.name})")
    assert not unreachable, "\n" + "\n".join(unreachable)


def test_an_anonymous_visitor_never_sees_brand_pages(world, brand):
    client = _client()
    exposed = []
    for case in BRAND_URLS:
        url = reverse(case.name, kwargs=url_kwargs(case, brand))
        response = client.get(url)
        if response.status_code not in {302, 401, 403, 404, 405}:
            exposed.append(f"GET {url} -> {response.status_code}")
        elif response.status_code == 302 and "/accounts/login/" not in response["Location"]:
            exposed.append(f"GET {url} -> redirect to {response['Location']}")
    assert not exposed, "\n" + "\n".join(exposed)


# --- CSRF ------------------------------------------------------------------------------------


def _is_webhook(case) -> bool:
    return "webhook" in case.name or "webhook" in case.route


def _post_urls(brand):
    for case in all_url_cases():
        if case.name.startswith(("admin:",)):
            continue
        yield case, reverse(case.name, kwargs=url_kwargs(case, brand))


@pytest.mark.parametrize("htmx", [False, True], ids=["form", "htmx"])
def test_every_post_without_a_csrf_token_is_refused_with_403(world, brand, alice, htmx):
    client = _client(alice, enforce_csrf_checks=True)
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    accepted = []
    for case, url in _post_urls(brand):
        if getattr(case.callback, "csrf_exempt", False):
            continue
        response = client.post(url, {"x": "1"}, **headers)
        if response.status_code != 403:
            accepted.append(f"POST {url} ({case.name}) -> {response.status_code}")
    assert not accepted, "\n" + "\n".join(accepted)


def test_only_webhooks_are_csrf_exempt(world):
    exempt = [c.name for c in all_url_cases() if getattr(c.callback, "csrf_exempt", False)]
    assert [name for name in exempt if "webhook" not in name] == []


def test_csrf_exempt_webhooks_refuse_an_unsigned_or_badly_signed_body(world, brand):
    client = _client(enforce_csrf_checks=True)
    accepted = []
    for case, url in _post_urls(brand):
        if not getattr(case.callback, "csrf_exempt", False):
            continue
        body = '{"object": 10, "entry": []}'
        for headers in ({}, {"HTTP_TIKTOK_SIGNATURE": "t=1,s=" + "0" * 64}):
            status = client.post(url, body, content_type="application/json", **headers).status_code
            if status < 400:
                accepted.append(f"POST {url} {sorted(headers)} -> {status}")
    assert not accepted, "\n" + "\n".join(accepted)


# --- login throttling --------------------------------------------------------------------------


def _fail_login(client, email, ip="10.9.9.9"):
    return client.post(reverse("account_login"), {"login": email, "password": "wrong"}, REMOTE_ADDR=ip)


def test_failed_logins_lock_the_address_and_login_out_at_the_limit(user_factory, settings):
    email = f"target-{uuid.uuid4().hex[:8]}@example.test"
    user_factory(email=email, password="the-right-pass-123")
    client = _client()
    limit = settings.AXES_FAILURE_LIMIT
    statuses = [_fail_login(client, email).status_code for _ in range(limit - 1)]
    assert statuses == [200] * (limit - 1)  # the form, with "not correct"

    at_limit = _fail_login(client, email)
    assert at_limit.status_code == 429
    assert b"too many login attempts" in at_limit.content.lower()


def test_the_sixth_failed_login_is_refused_with_a_clear_message(user_factory, settings):
    email = f"target-{uuid.uuid4().hex[:8]}@example.test"
    user_factory(email=email, password="the-right-pass-123")
    client = _client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _fail_login(client, email)

    sixth = _fail_login(client, email)
    assert b"too many" in sixth.content.lower()
    assert sixth.status_code in {403, 429}, (
        f"the 6th attempt is answered {sixth.status_code}: allauth's own login_failed rate limit "
        "answers before django-axes' lockout response"
    )


def test_while_locked_out_even_the_right_password_does_not_sign_in(user_factory, settings):
    email = f"target-{uuid.uuid4().hex[:8]}@example.test"
    user_factory(email=email, password="the-right-pass-123")
    client = _client()
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        _fail_login(client, email)
    right = client.post(
        reverse("account_login"), {"login": email, "password": "the-right-pass-123"}, REMOTE_ADDR="10.9.9.9"
    )
    assert right.status_code != 302
    assert "_auth_user_id" not in client.session


def test_a_lockout_does_not_lock_the_same_login_from_another_address(user_factory, settings):
    email = f"target-{uuid.uuid4().hex[:8]}@example.test"
    user_factory(email=email, password="the-right-pass-123")
    attacker = _client()
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        _fail_login(attacker, email)

    owner = _client()
    response = owner.post(
        reverse("account_login"), {"login": email, "password": "the-right-pass-123"}, REMOTE_ADDR="10.1.1.1"
    )
    assert response.status_code == 302
    assert "_auth_user_id" in owner.session


def test_a_lockout_is_per_login_so_other_people_behind_the_same_address_still_sign_in(user_factory, settings):
    target = f"target-{uuid.uuid4().hex[:8]}@example.test"
    colleague = f"colleague-{uuid.uuid4().hex[:8]}@example.test"
    user_factory(email=target, password="the-right-pass-123")
    user_factory(email=colleague, password="colleague-pass-123")
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        _fail_login(_client(), target)

    office = _client()
    response = office.post(
        reverse("account_login"), {"login": colleague, "password": "colleague-pass-123"}, REMOTE_ADDR="10.9.9.9"
    )
    assert response.status_code == 302, "django-axes locked the whole address, not the (address, login) pair"
    assert "_auth_user_id" in office.session
