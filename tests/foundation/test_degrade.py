"""Degrade, don't crash: Redis, the broker or SMTP down never turns a request into a 500."""

from __future__ import annotations

import time
from unittest import mock

import pytest
import responses
from allauth.account.models import EmailAddress
from celery.exceptions import Retry
from django.core import mail
from django.db import OperationalError, connection
from django.urls import reverse

from aspire_tiktok.celery import app as celery_app
from integrations.mail import MAIL_MAX_RETRIES, send_email
from integrations.models import Credential, TikTokAccount

pytestmark = pytest.mark.django_db
CLOSED = "redis://127.0.0.1:1/0"  # nothing listens on port 1: connections are refused at once
SIGNUP = {"email": "new@example.test", "password1": "a-Long-pass-9876", "password2": "a-Long-pass-9876"}


@pytest.fixture
def redis_down(settings):
    """Cache (the production backend and options), rate budget and REDIS_URL at a closed port."""
    settings.CACHES = {"default": {**settings.REDIS_CACHE, "LOCATION": CLOSED}}
    settings.REDIS_URL = CLOSED
    settings.TIKTOK_RATE_BUDGET_ENABLED = True


@pytest.fixture
def broker_down(settings):
    """Mail goes through the worker queue, and Celery's broker is a closed port."""
    settings.EMAIL_VIA_WORKER = True
    old = celery_app.conf.broker_url
    celery_app.conf.broker_url = CLOSED
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    yield
    celery_app.conf.broker_url = old
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def smtp_down(settings):
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": 1, "timeout": 2},
        }
    }


# --- /healthz/ -----------------------------------------------------------------------------


def test_healthz_reports_database_and_redis_separately(client):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {"ok": True, "status": "ok", "database": "ok", "redis": "ok"}


def test_healthz_reports_degraded_not_down_when_only_redis_is_down_so_the_site_stays_in_rotation(
    client, client_for, alice, brand, redis_down
):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {"ok": True, "status": "degraded", "database": "ok", "redis": "down"}
    assert client_for(alice).get(reverse("brand_home", args=[brand.slug])).status_code == 200


def test_healthz_answers_503_naming_the_database_when_it_is_down(client):
    with mock.patch.object(connection, "cursor", side_effect=OperationalError("connection refused")):
        response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json() == {"ok": False, "status": "down", "database": "down", "redis": "ok"}


# --- Redis down ----------------------------------------------------------------------------


def test_login_works_while_redis_is_down(client, user_factory, redis_down):
    user_factory(email="someone@example.test", password="pw-for-tests-123")
    started = time.monotonic()
    response = client.post(reverse("account_login"), {"login": "someone@example.test", "password": "pw-for-tests-123"})
    assert response.status_code == 302
    assert "_auth_user_id" in client.session
    assert time.monotonic() - started < 5


def test_a_page_that_needs_redis_answers_a_clear_503_not_a_500(client_for, alice, brand, redis_down):
    from integrations.models import TikTokOneAccount

    cred = Credential.objects.create(kind=Credential.Kind.BUSINESS, brand=brand, access_token="tok")
    TikTokOneAccount.objects.create(
        tto_tcm_account_id="7200000000000000009",
        name="TTO",
        brand=brand,
        credential=cred,
        business_verification_status="VERIFIED",
    )
    with responses.RequestsMock(assert_all_requests_are_fired=False):  # nothing may reach TikTok
        # Asking TikTok takes from the rate budget, which lives in Redis.
        response = client_for(alice).post(reverse("integrations:import_campaigns", args=[brand.slug]))
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "Temporarily unavailable" in response.content.decode()


# --- mail ----------------------------------------------------------------------------------


def test_signup_and_password_reset_do_not_500_when_smtp_and_the_broker_are_down(
    client, user_factory, smtp_down, broker_down, django_capture_on_commit_callbacks, caplog
):
    user_factory(email="known@example.test")
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        signup = client.post(reverse("account_signup"), SIGNUP)
    assert time.monotonic() - started < 3  # no waiting on the dead broker
    assert signup.status_code == 302
    assert EmailAddress.objects.filter(email="new@example.test").exists()
    client.logout()
    with django_capture_on_commit_callbacks(execute=True):
        reset = client.post(reverse("account_reset_password"), {"email": "known@example.test"})
    assert reset.status_code == 302
    assert "mail to ['known@example.test'] not queued" in caplog.text


def test_the_authorization_removed_webhook_does_not_500_after_its_commit_when_mail_cannot_go(
    client, settings, user_factory, smtp_down, broker_down, django_capture_on_commit_callbacks
):
    import json

    from integrations.tiktok import webhooks

    owner = user_factory(email="creator@example.test")
    credential = Credential.objects.create(kind=Credential.Kind.TT_USER, open_id="open-1")
    TikTokAccount.objects.create(handle="someone", open_id="open-1", credential=credential, owner=owner)
    body = json.dumps(
        {
            "client_key": settings.TIKTOK_CLIENT_KEY,
            "event": "authorization.removed",
            "create_time": int(time.time()),
            "user_openid": "open-1",
            "content": "{}",
        }
    ).encode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("creators:webhook"),
            body,
            content_type="application/json",
            headers={"TikTok-Signature": webhooks.sign(body, settings.TIKTOK_CLIENT_SECRET)},
        )
    assert response.status_code == 200
    credential.refresh_from_db()
    assert credential.status == Credential.Status.REVOKED


def test_the_mail_task_retries_smtp_failures_with_growing_waits_then_gives_up(smtp_down):
    """What a worker does: each failure republishes the task later, the sixth raises."""
    message = {"subject": "s", "body": "b", "to": ["x@example.test"], "from_email": "noreply@example.test"}
    republished = []
    with (
        mock.patch("smtplib.SMTP", side_effect=ConnectionRefusedError("SMTP down")) as smtp,
        mock.patch.object(send_email, "apply_async", side_effect=lambda *a, **kw: republished.append(kw["countdown"])),
    ):
        for retries in range(MAIL_MAX_RETRIES + 1):
            send_email.push_request(id="mail-1", retries=retries, called_directly=False)
            try:
                expected = Retry if retries < MAIL_MAX_RETRIES else ConnectionRefusedError
                with pytest.raises(expected):
                    send_email.run(**message)
            finally:
                send_email.pop_request()
    assert republished == [60, 120, 240, 480, 960]
    assert smtp.call_count == MAIL_MAX_RETRIES + 1


def test_mail_sent_through_the_queue_reaches_the_outbox(django_capture_on_commit_callbacks):
    from integrations import mail as outgoing

    with django_capture_on_commit_callbacks(execute=True):
        outgoing.send_later("Hello", "Body", ["a@example.test"], html="<p>Body</p>")
    assert [m.to for m in mail.outbox] == [["a@example.test"]]
    assert mail.outbox[0].alternatives[0].mimetype == "text/html"


def test_allauth_mail_goes_through_the_same_task(client, django_capture_on_commit_callbacks):
    with (
        mock.patch.object(send_email, "apply", wraps=send_email.apply) as task,
        django_capture_on_commit_callbacks(execute=True),
    ):
        client.post(reverse("account_signup"), SIGNUP)
    assert task.call_count == 1
    assert mail.outbox and mail.outbox[0].to == ["new@example.test"]
