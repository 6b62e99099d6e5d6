from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from integrations.checks import redirect_uri_problems

ROOT = Path(__file__).resolve().parents[2]


# A production deployment's own TikTok apps (made-up values that are not the sandbox's).
REAL_LOOKING_TIKTOK = {
    "TIKTOK_APP_ID": "7311112222333344445",
    "TIKTOK_APP_SECRET": "b3f1c0ffee5ecret0f7he8us1ness4pp",
    "TIKTOK_CLIENT_KEY": "awq81kx0l9example",
    "TIKTOK_CLIENT_SECRET": "Zq8v1Login-Kit-secret-of-this-deployment",
}


def production_env(**overrides) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "TOKEN_", "TIKTOK_"))}
    env.update(
        DJANGO_ENV="production",
        DJANGO_SECRET_KEY="x" * 20 + "production-secret-key-for-the-deploy-check-0123456789",
        DJANGO_ALLOWED_HOSTS="tiktok.example.com",
        TOKEN_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        DATABASE_URL="sqlite:////tmp/aspire-deploy-check.sqlite3",
        **REAL_LOOKING_TIKTOK,
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


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"TIKTOK_APP_SECRET": None}, "TIKTOK_APP_SECRET is not set"),
        (
            {"TIKTOK_CLIENT_SECRET": "sandbox-client-secret"},
            "TIKTOK_CLIENT_SECRET is the TikTok sandbox's public value",
        ),
        ({"TIKTOK_APP_ID": "sandbox-business-app"}, "TIKTOK_APP_ID is the TikTok sandbox's public value"),
        ({"TIKTOK_APP_SECRET": "sandbox-tto-secret"}, "TIKTOK_APP_SECRET is the TikTok sandbox's public value"),
        (
            {"TIKTOK_BUSINESS_API_BASE_URL": "http://127.0.0.1:8001"},
            "TIKTOK_BUSINESS_API_BASE_URL (http://127.0.0.1:8001)",
        ),
        ({"TIKTOK_AUTH_BASE_URL": "http://localhost:9001"}, "TIKTOK_AUTH_BASE_URL (http://localhost:9001)"),
        (
            {
                "TIKTOK_SANDBOX_URL": "https://sandbox.example.com",
                "TIKTOK_BUSINESS_API_BASE_URL": "https://sandbox.example.com",
            },
            "TIKTOK_BUSINESS_API_BASE_URL (https://sandbox.example.com) points at the TikTok sandbox",
        ),
    ],
)
def test_production_refuses_to_start_on_the_sandboxs_tiktok_settings(overrides, message):
    env = production_env()
    for name, value in overrides.items():
        if value is None:
            del env[name]
        else:
            env[name] = value
    result = run_manage("check", "--deploy", env=env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and message in result.stderr


def test_a_production_deployment_with_no_tiktok_settings_at_all_refuses_to_start():
    env = production_env()
    for name in REAL_LOOKING_TIKTOK:
        del env[name]
    result = run_manage("check", "--deploy", env=env)
    assert result.returncode != 0
    assert all(f"{name} is not set" in result.stderr for name in REAL_LOOKING_TIKTOK)


def test_a_declared_demo_deployment_may_run_on_the_sandbox():
    env = production_env(TIKTOK_SANDBOX="true")
    for name in REAL_LOOKING_TIKTOK:
        del env[name]
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_deploy_check_itself_reports_sandbox_settings_that_reached_django(settings):
    """Settings layered over ours (or edited at runtime) are caught by `check --deploy` too."""
    from integrations.checks import tiktok_is_not_the_sandbox

    settings.TIKTOK_SANDBOX = False
    settings.TIKTOK_APP_SECRET = "sandbox-business-secret"
    errors = tiktok_is_not_the_sandbox(None)
    assert [e.id for e in errors] == ["integrations.E001"]
    assert "TIKTOK_APP_SECRET is the TikTok sandbox's public value" in errors[0].msg

    for name, value in REAL_LOOKING_TIKTOK.items():
        setattr(settings, name, value)
    settings.TIKTOK_AUTH_BASE_URL = "https://www.tiktok.com"
    settings.TIKTOK_BUSINESS_API_BASE_URL = "https://business-api.tiktok.com"
    assert tiktok_is_not_the_sandbox(None) == []
    settings.TIKTOK_SANDBOX = True
    settings.TIKTOK_APP_SECRET = "sandbox-business-secret"
    assert tiktok_is_not_the_sandbox(None) == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    "client_key", ["sandbox-business-app", "sandbox-client-key", REAL_LOOKING_TIKTOK["TIKTOK_APP_ID"]]
)
def test_a_webhook_signed_with_the_sandboxs_secret_is_refused_in_a_production_configuration(
    settings, client, django_capture_on_commit_callbacks, client_key
):
    """The sandbox's secrets are public, so production must never verify with them."""
    import json
    import time

    from django.urls import reverse

    from integrations.models import Credential, TikTokAccount
    from integrations.tiktok import webhooks

    for name, value in REAL_LOOKING_TIKTOK.items():  # what production's start-up insists on
        setattr(settings, name, value)
    credential = Credential.objects.create(kind=Credential.Kind.TT_USER, open_id="open-victim")
    TikTokAccount.objects.create(handle="victim", open_id="open-victim", credential=credential)
    body = json.dumps(
        {
            "client_key": client_key,
            "event": "authorization.removed",
            "create_time": int(time.time()),
            "user_openid": "open-victim",
            "content": "{}",
        }
    ).encode()

    for sandbox_secret in ("sandbox-business-secret", "sandbox-client-secret", "sandbox-tto-secret"):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("creators:webhook"),
                body,
                content_type="application/json",
                headers={"TikTok-Signature": webhooks.sign(body, sandbox_secret)},
            )
        assert response.status_code == 400
        credential.refresh_from_db()
        assert credential.status == Credential.Status.OK

    # The deployment's own secret is still honoured, so the refusal above is the secret's doing.
    own = settings.TIKTOK_APP_SECRET if client_key == settings.TIKTOK_APP_ID else settings.TIKTOK_CLIENT_SECRET
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("creators:webhook"),
            body,
            content_type="application/json",
            headers={"TikTok-Signature": webhooks.sign(body, own)},
        )
    assert response.status_code == 200
    credential.refresh_from_db()
    assert credential.status == Credential.Status.REVOKED


def test_production_verifies_emails_hides_registrations_and_queues_mail():
    code = (
        "from django.conf import settings as s; print(s.ACCOUNT_EMAIL_VERIFICATION, s.ACCOUNT_PREVENT_ENUMERATION,"
        " s.EMAIL_VIA_WORKER, s.CACHES['default']['BACKEND'])"
    )
    result = run_manage("shell", "-v", "0", "-c", code, env=production_env())
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["mandatory", "True", "True", "integrations.outage.DegradingRedisCache"]


def test_check_deploy_refuses_redirect_uris_tiktok_would_reject():
    result = run_manage("check", "--deploy", env=production_env(SITE_URL="http://tiktok.example.com:8000"))
    assert result.returncode != 0
    assert "integrations.E002" in result.stderr + result.stdout
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


@pytest.mark.parametrize(
    "base_url",
    [
        "http://2130706433:8001",
        "http://localhost.:8001",
        "http://LOCALHOST:8001",
        "http://0x7f.1:8001",
        "http://0177.0.0.1:8001",
        "http://127.1:8001",
        "http://[::1]:8001",
        "http://[::ffff:127.0.0.1]:8001",
        "http://0:8001",
        "http://api.localhost.:8001",
        "https://sandbox.example.com.:443",
    ],
)
def test_the_sandbox_is_recognised_however_its_address_is_spelled(base_url):
    from aspire_tiktok.tiktok_safety import sandbox_leftovers

    values = dict(
        REAL_LOOKING_TIKTOK, TIKTOK_AUTH_BASE_URL="https://www.tiktok.com", TIKTOK_BUSINESS_API_BASE_URL=base_url
    )
    assert sandbox_leftovers(values, "https://sandbox.example.com") == [
        f"TIKTOK_BUSINESS_API_BASE_URL ({base_url}) points at the TikTok sandbox, not TikTok"
    ]


@pytest.mark.parametrize(
    "base_url", ["https://business-api.tiktok.com", "https://127.example.com", "https://localhost.example.com"]
)
def test_tiktoks_own_hosts_are_not_mistaken_for_the_sandbox(base_url):
    from aspire_tiktok.tiktok_safety import sandbox_leftovers

    values = dict(
        REAL_LOOKING_TIKTOK, TIKTOK_AUTH_BASE_URL="https://www.tiktok.com", TIKTOK_BUSINESS_API_BASE_URL=base_url
    )
    assert sandbox_leftovers(values, "https://sandbox.example.com") == []
