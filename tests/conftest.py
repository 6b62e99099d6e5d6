"""Fixture factories shared by every test package (allauth style: closures with defaults)."""

from __future__ import annotations

import itertools

import pytest

from integrations.models import Brand, BrandMembership

_seq = itertools.count(1)


@pytest.fixture
def user_factory(django_user_model):
    def make(email: str | None = None, password: str = "pw-for-tests-123", **extra):
        n = next(_seq)
        email = email or f"user{n}@example.test"
        return django_user_model.objects.create_user(
            username=f"u{n}-{email}"[:150], email=email, password=password, **extra
        )

    return make


@pytest.fixture
def brand_factory(user_factory):
    def make(name: str | None = None, owner=None, members=()):
        brand = Brand.objects.create(name=name or f"Brand {next(_seq)}")
        if owner is not None:
            BrandMembership.objects.create(user=owner, brand=brand, role=BrandMembership.Role.OWNER)
        for m in members:
            BrandMembership.objects.create(user=m, brand=brand, role=BrandMembership.Role.MEMBER)
        return brand

    return make


@pytest.fixture
def alice(user_factory):
    """Owner of `brand`."""
    return user_factory(email="alice@example.test")


@pytest.fixture
def bob(user_factory):
    """A plain member of `brand`."""
    return user_factory(email="bob@example.test")


@pytest.fixture
def charlie(user_factory):
    """An outsider: owner of another brand, no access to `brand`."""
    return user_factory(email="charlie@example.test")


@pytest.fixture
def brand(brand_factory, alice, bob):
    return brand_factory(name="Acme", owner=alice, members=[bob])


@pytest.fixture
def other_brand(brand_factory, charlie):
    return brand_factory(name="Globex", owner=charlie)


@pytest.fixture
def client_for(client):
    """A logged-in test client for a given user."""

    def make(user):
        client.force_login(user)
        return client

    return make


@pytest.fixture(scope="session")
def sandbox_url(tmp_path_factory):
    """One live TikTok sandbox (its own process and database) for the whole test session."""
    from tiktok_sandbox.testing import start_sandbox

    with start_sandbox(db_path=tmp_path_factory.mktemp("sandbox") / "sandbox.sqlite3") as base_url:
        yield base_url


@pytest.fixture
def live_sandbox(sandbox_url, settings):
    """Point the platform's TikTok client at the live sandbox, reset to its seeded world, with
    the app's rate limits lifted: tests fire calls faster than a person would, and the tests
    of throttling set the limits they mean."""
    import requests

    requests.post(f"{sandbox_url}/sandbox/api/reset", json={}, timeout=60).raise_for_status()
    requests.delete(f"{sandbox_url}/sandbox/api/rate-limits/app", timeout=60).raise_for_status()
    settings.TIKTOK_AUTH_BASE_URL = sandbox_url
    settings.TIKTOK_BUSINESS_API_BASE_URL = sandbox_url
    # As settings.py does for TIKTOK_SANDBOX_URL: pages may show the sandbox's avatars.
    settings.SECURE_CSP = {**settings.SECURE_CSP, "img-src": [*settings.SECURE_CSP["img-src"], sandbox_url]}
    return sandbox_url


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache: allauth's per-IP login limits live there."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _fresh_platform_account():
    """Each process keeps the platform's TikTok One account; a test's rolled-back rows must
    not be what the next test finds."""
    from creators import marketplace

    marketplace.forget_marketplace_account()
    yield


@pytest.fixture
def run_jobs(monkeypatch, django_capture_on_commit_callbacks):
    """`with run_jobs(): client.post(...)`: the background jobs (integrations.jobs) the block
    starts run in this process, through the Celery task, when its transaction commits."""
    from aspire_tiktok.celery import app

    monkeypatch.setitem(app.conf, "task_always_eager", True)
    return lambda: django_capture_on_commit_callbacks(execute=True)
