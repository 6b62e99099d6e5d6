"""Browser journeys: Debian's Chromium driven by Playwright against the live platform.

What runs:

* the platform: pytest-django's ``live_server`` (a thread of this process, on the test
  database; see tests/proof/harness.py for why that database is a file under SQLite and the
  real ``test_*`` database under PostgreSQL);
* the TikTok sandbox: the session's ``sandbox_url`` process, reset for every test
  (``live_sandbox``);
* a real Celery worker subprocess on a private Redis database, with the sandbox's URLs and
  ``SITE_URL`` (the live server) in its environment, since ``live_sandbox`` only changes
  settings inside this process;
* Chromium from Debian (``apt-get install chromium``), never a Playwright download.

Every page a test opens is screenshotted (with its HTML) into ``test-artifacts/`` when the
test fails.
"""

from __future__ import annotations

import os
import re
import shutil

import pytest

from tests.proof import fixtures as _shared
from tests.proof.harness import ARTIFACTS, Worker, use_file_backed_sqlite, worker_env

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-component-update",
    "--no-first-run",
]
_phase_reports = pytest.StashKey[dict]()


# Fixtures shared with tests/proof (see tests/proof/fixtures.py).
private_redis = _shared.private_redis
celery_redis = _shared.celery_redis
sandbox = _shared.sandbox
worker_factory = _shared.worker_factory


def pytest_configure(config):
    use_file_backed_sqlite()
    # Playwright's sync API keeps an event loop in this thread; the ORM calls the tests make
    # between browser steps are still synchronous, so Django's async guard must stand aside.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(config, items):
    missing = not os.access(CHROMIUM, os.X_OK)
    skip = pytest.mark.skip(
        reason=f"Chromium not found at {CHROMIUM}: install Debian's (`apt-get install chromium`; "
        "`make test` does it when run as root) or set CHROMIUM_PATH"
    )
    for item in items:
        if "tests/browser/" in item.nodeid.replace("\\", "/"):
            item.add_marker(pytest.mark.browser)
            if missing:
                item.add_marker(skip)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    item.stash.setdefault(_phase_reports, {})[report.when] = report
    return report


@pytest.fixture(scope="session")
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="package")
def platform_worker(django_db_setup, django_db_blocker, live_server, sandbox_url, private_redis):
    """One real Celery worker for the browser journeys, consuming every queue.

    Package scope: it must stop when the journeys end, or it would keep consuming (and
    running against the shared test database) while later test packages run.
    """
    with django_db_blocker.unblock():
        # A sandbox deployment, as `make run` is: the platform follows the sandbox's clock.
        env = worker_env(
            redis_url=private_redis, sandbox_url=sandbox_url, site_url=live_server.url, TIKTOK_SANDBOX="true"
        )
        # Listing the queues imports the task modules, and Celery's Django fixup runs the system
        # checks then, which read the database's features.
        worker = Worker(env, name="browser-worker", pool="threads", concurrency=4)
    worker.start().wait_ready()
    yield worker
    worker.stop()


class Site:
    """The running platform and sandbox a journey talks to."""

    def __init__(self, url: str, sandbox, worker: Worker) -> None:
        self.url = url.rstrip("/")
        self.sandbox = sandbox
        self.worker = worker

    def __call__(self, path: str) -> str:
        return f"{self.url}{path}"


@pytest.fixture
def site(live_server, sandbox, platform_worker, celery_redis, settings) -> Site:
    """Live server + worker + reset sandbox, with the in-process settings pointed at them (a
    sandbox deployment: the platform's clock is the sandbox's, reset with it)."""
    from integrations.tiktok import clock

    settings.SITE_URL = live_server.url
    settings.TIKTOK_SANDBOX = True
    settings.SANDBOX_URL = sandbox.url
    clock.forget()
    return Site(live_server.url, sandbox, platform_worker)


@pytest.fixture
def new_page(chromium, request):
    """``new_page(label)``: a page in a fresh browser context (its own cookies).

    On failure every page opened is saved as ``test-artifacts/<test>-<label>.png`` (+ .html).
    A Content-Security-Policy violation in any page's console fails the test.
    """
    opened = []
    violations: list[str] = []

    def make(label: str = "page"):
        context = chromium.new_context(viewport={"width": 1280, "height": 900})
        context.set_default_timeout(15_000)
        page = context.new_page()
        page.on(
            "console",
            lambda message: (
                violations.append(f"{label}: {message.text}") if "Content Security Policy" in message.text else None
            ),
        )
        opened.append((label, context, page))
        return page

    yield make
    assert not violations, "Content-Security-Policy violations:\n" + "\n".join(violations)
    reports = request.node.stash.get(_phase_reports, {})
    failed = any(r.failed for r in reports.values())
    for label, context, page in opened:
        if failed:
            ARTIFACTS.mkdir(exist_ok=True)
            stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{request.node.name}-{label}")[:150]
            try:
                page.screenshot(path=str(ARTIFACTS / f"{stem}.png"), full_page=True)
                (ARTIFACTS / f"{stem}.html").write_text(page.content())
            except Exception as exc:  # noqa: BLE001 - a broken page must not hide the real failure
                (ARTIFACTS / f"{stem}.txt").write_text(f"screenshot failed: {exc!r}\nurl: {page.url}\n")
        context.close()
    if failed and opened and "site" in request.fixturenames:
        worker = request.getfixturevalue("site").worker
        (ARTIFACTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', request.node.name)[:150]}-worker.log").write_text(
            worker.log()[-200_000:]
        )


@pytest.fixture
def internal_tiktok_one_account(site):
    """The platform's own TikTok One account (staff connect it once; here: Demo Brand's)."""
    from integrations.models import Credential, TikTokOneAccount
    from integrations.tiktok import BusinessClient, tokens

    answer = site.sandbox.helper("portal-auth", persona="demo-brand", redirect_uri=f"{site.url}/cb/")
    grant = BusinessClient().oauth2_access_token(answer["auth_code"])
    credential = tokens.apply_grant(Credential(kind=Credential.Kind.BUSINESS), grant)
    return TikTokOneAccount.objects.create(
        tto_tcm_account_id="7200000000000000001",
        name="Platform TikTok One",
        is_internal=True,
        business_verification_status="VERIFIED",
        credential=credential,
    )
