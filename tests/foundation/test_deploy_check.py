from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]


def production_env(**overrides) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "TOKEN_"))}
    env.update(
        DJANGO_ENV="production",
        DJANGO_SECRET_KEY="x" * 20 + "production-secret-key-for-the-deploy-check-0123456789",
        DJANGO_ALLOWED_HOSTS="tiktok.example.com",
        TOKEN_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        DATABASE_URL="sqlite:////tmp/aspire-deploy-check.sqlite3",
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
