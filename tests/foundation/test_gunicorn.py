"""The repository's gunicorn config is what production runs, and it boots the site."""

from __future__ import annotations

import gc
import importlib.util
import os
import subprocess
import sys
import time
from pathlib import Path

import requests

from tiktok_sandbox.testing import free_port

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = str(Path(sys.executable).parent / "gunicorn")


def _resolved_config() -> dict[str, str]:
    result = subprocess.run(
        [GUNICORN, "-c", "gunicorn.conf.py", "--print-config"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={k: v for k, v in os.environ.items() if k not in {"WEB_CONCURRENCY", "GUNICORN_CMD_ARGS"}},
    )
    assert result.returncode == 0, result.stderr
    return dict(line.split(" = ", 1) for line in result.stdout.splitlines() if " = " in line)


def test_requests_are_cut_at_30_seconds_and_restarts_are_graceful():
    config = {name.strip(): value.strip() for name, value in _resolved_config().items()}
    assert config["timeout"] == "30"
    assert config["graceful_timeout"] == "30"
    assert config["worker_class"] == "gthread" and int(config["threads"]) >= 2
    assert int(config["workers"]) >= 2
    assert config["wsgi_app"] == "aspire_tiktok.wsgi:application"


def test_a_worker_hides_what_it_loaded_at_start_from_the_garbage_collector():
    spec = importlib.util.spec_from_file_location("gunicorn_conf", ROOT / "gunicorn.conf.py")
    assert spec is not None and spec.loader is not None
    conf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conf)
    try:
        conf.post_worker_init(None)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_the_readme_production_command_uses_the_config_file():
    readme = (ROOT / "README.md").read_text()
    assert "gunicorn -c gunicorn.conf.py" in readme
    # The README still starts with the two commands that matter.
    assert [line.split("#")[0].strip() for line in readme.splitlines()[3:5]] == ["make run", "make test"]


def test_gunicorn_with_the_config_serves_the_site(tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_ENV": "dev",
        "DJANGO_SETTINGS_MODULE": "aspire_tiktok.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    server = subprocess.Popen(
        [GUNICORN, "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                response = requests.get(f"http://127.0.0.1:{port}/healthz/", timeout=5)
                break
            # The master accepts as soon as it binds; on a busy machine the worker may still be
            # importing Django when the first read times out. Starting is what this test checks.
            except (requests.ConnectionError, requests.Timeout):
                assert time.monotonic() < deadline and server.poll() is None, "gunicorn did not start"
                time.sleep(0.2)
        assert response.status_code == 200, response.text
        assert response.json()["database"] == "ok"
    finally:
        server.terminate()
        server.wait(timeout=40)
