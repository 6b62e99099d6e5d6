from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from integrations.checks import redirect_uri_problems

ROOT = Path(__file__).resolve().parents[2]


def production_env(**overrides) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "TOKEN_"))}
    env.update(
        DJANGO_ENV="production",
        DJANGO_SECRET_KEY="x" * 20 + "production-secret-key-for-the-deploy-check-0123456789",
        DJANGO_ALLOWED_HOSTS="tiktok.example.com",
        TOKEN_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        DATABASE_URL="sqlite:////tmp/aspire-deploy-check.sqlite3",
        SITE_URL="https://tiktok.example.com",
    )
    env.update(overrides)
    return env


def run_manage(*args, env):
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_is_clean_with_production_settings():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    env = production_env()
    del env["DJANGO_SECRET_KEY"]
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


def test_production_refuses_to_start_without_token_keys():
    env = production_env()
    del env["TOKEN_ENCRYPTION_KEYS"]
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert "TOKEN_ENCRYPTION_KEYS is not set" in result.stderr


def test_check_deploy_refuses_redirect_uris_tiktok_would_reject():
    result = run_manage("check", "--deploy", env=production_env(SITE_URL="http://tiktok.example.com:8000"))
    assert result.returncode != 0
    assert "integrations.E001" in result.stderr + result.stdout
    assert "is not an absolute https URL" in result.stderr + result.stdout and "carries a port" in result.stderr


@pytest.mark.parametrize(
    ("uri", "problems"),
    [
        ("https://tiktok.example.com/tiktok/callback/", []),
        ("https://tiktok.example.com/tiktok/callback", ['does not end in "/"']),
        ("https://tiktok.example.com/cb/?next=/home", ["carries a query string or fragment"]),
        ("http://127.0.0.1:8000/cb/", ["is not an absolute https URL", "carries a port"]),
    ],
)
def test_a_redirect_uri_must_be_absolute_https_static_and_end_in_a_slash(uri, problems):
    assert redirect_uri_problems(uri) == problems
