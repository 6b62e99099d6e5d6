"""The browser harness itself: Chromium reaches the live platform, the worker shares its DB and Redis."""

from __future__ import annotations

import subprocess
import sys

import pytest

from integrations.tasks import ping

pytestmark = pytest.mark.browser


def test_chromium_signs_a_user_in_on_the_live_platform(site, new_page, user_factory):
    user_factory(email="harness@example.test", password="harness-pass-123")
    page = new_page("login")
    page.goto(site("/accounts/login/"))
    page.fill("input[name=login]", "harness@example.test")
    page.fill("input[name=password]", "harness-pass-123")
    page.locator("form:has(input[name=password]) button[type=submit]").click()
    page.wait_for_load_state()
    assert "harness@example.test" in page.inner_text("header")


def test_the_worker_runs_tasks_the_platform_enqueues_on_the_private_redis(site):
    assert ping.delay("browser").get(timeout=60) == "pong:browser"


def test_the_worker_environment_opens_the_test_database_with_the_tests_rows(site, brand):
    script = (
        "import os, django; django.setup(); from integrations.models import Brand; "
        "print(Brand.objects.filter(slug=os.environ['SLUG']).count())"
    )
    env = {**site.worker.env, "SLUG": brand.slug}
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "1"
