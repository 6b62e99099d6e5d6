"""With TikTok hanging, the site under the repository's gunicorn config stays up: health
checks and unrelated pages answer at once, and the requests that wait on TikTok end at the
request deadline with a page that says what to do, long before gunicorn would kill them."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from tiktok_sandbox.testing import free_port

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = str(Path(sys.executable).parent / "gunicorn")
GUNICORN_TIMEOUT = 30
# What the shell script below prints: the session cookie of a brand owner whose TikTok One
# account answers campaign imports (through the hanging server).
SETUP = """
from django.contrib.auth import get_user_model
from django.test import Client
from integrations.models import AdAccount, Brand, BrandMembership, Credential, TikTokOneAccount
user = get_user_model().objects.create_user(username="owner", email="owner@example.test", password="pw-for-tests-123")
brand = Brand.objects.create(name="Hang Test")
BrandMembership.objects.create(user=user, brand=brand, role=BrandMembership.Role.OWNER)
cred = Credential.objects.create(kind=Credential.Kind.BUSINESS, brand=brand, access_token="act.hang")
tto = TikTokOneAccount.objects.create(tto_tcm_account_id="7200000000000000777", name="TTO", brand=brand,
    credential=cred, business_verification_status="VERIFIED")
AdAccount.objects.create(advertiser_id="7300000000000000777", name="Ads", brand=brand, tiktok_one_account=tto,
    tto_has_access=True, credential=cred)
client = Client()
client.force_login(user)
print(brand.slug, client.cookies["sessionid"].value)
"""


@pytest.fixture
def hanging_tiktok():
    """A TikTok that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.settimeout(0.2)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept():
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join()
    for conn in accepted:
        conn.close()
    server.close()


@pytest.fixture
def site(tmp_path, hanging_tiktok):
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"WEB_CONCURRENCY", "GUNICORN_CMD_ARGS"}},
        "DJANGO_ENV": "dev",
        "DJANGO_SETTINGS_MODULE": "aspire_tiktok.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "TIKTOK_BUSINESS_API_BASE_URL": hanging_tiktok,
    }
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=300)
    setup = subprocess.run(
        [*manage, "shell", "-c", SETUP], cwd=ROOT, env=env, check=True, timeout=120, capture_output=True, text=True
    )
    slug, session = setup.stdout.split()[-2:]
    # One process: the hanging requests and everything else share its threads.
    server = subprocess.Popen(
        [GUNICORN, "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(f"{base}/healthz/", timeout=5)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline and server.poll() is None, "gunicorn did not start"
                time.sleep(0.2)
        yield base, slug, session
    finally:
        server.terminate()
        server.wait(timeout=GUNICORN_TIMEOUT + 10)


def _timed(fn):
    started = time.monotonic()
    response = fn()
    return response, time.monotonic() - started


@pytest.mark.integration
def test_a_hanging_tiktok_leaves_the_site_fast_and_ends_each_waiting_request_with_a_clear_page(site):
    base, slug, session = site
    # Importing the brand's TikTok One campaigns asks TikTok inside the click (a POST, under
    # the request deadline); pages a person merely opens never do.
    campaigns = f"{base}/brands/{slug}/campaigns/"
    csrf = requests.get(campaigns, cookies={"sessionid": session}, timeout=GUNICORN_TIMEOUT).cookies["csrftoken"]

    def hang():
        return _timed(
            lambda: requests.post(
                f"{campaigns}import/",
                cookies={"sessionid": session, "csrftoken": csrf},
                headers={"X-CSRFToken": csrf, "Referer": campaigns},
                timeout=GUNICORN_TIMEOUT + 15,
            )
        )

    with ThreadPoolExecutor(max_workers=3) as pool:
        waiting = [pool.submit(hang) for _ in range(3)]
        time.sleep(1.0)  # all three are now inside the view, waiting on TikTok
        assert not any(f.done() for f in waiting)
        health, health_took = _timed(lambda: requests.get(f"{base}/healthz/", timeout=GUNICORN_TIMEOUT))
        login, login_took = _timed(lambda: requests.get(f"{base}/accounts/login/", timeout=GUNICORN_TIMEOUT))
        assert not any(f.done() for f in waiting), "the imports should still be waiting on TikTok"
        results = [f.result() for f in waiting]

    assert health.status_code == 200 and health_took < 5, health_took
    assert login.status_code == 200 and login_took < 5, login_took
    for response, took in results:
        assert response.status_code == 200, response.status_code
        assert took < GUNICORN_TIMEOUT - 5, took  # the request deadline, not gunicorn's kill
        assert "TikTok did not answer in time; try again in a minute." in response.text
        assert "ConnectionError" not in response.text and "Timeout" not in response.text
