"""Redis killed or frozen: every POST that queues work answers a clear 503 page within a few
seconds and leaves nothing behind that says the work is on its way.

Redis is the cache, the rate budget, Celery's broker and its result backend at once; "killed"
is a closed port (connections refused), "frozen" a server that accepts connections and never
answers (a SIGSTOPped Redis), which only socket timeouts bound.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
from django.core import mail
from django.urls import reverse

from aspire_tiktok.celery import app as celery_app
from integrations.models import BackgroundJob, BrandInvitation
from tests.sparkads.conftest import make_world

# Row-changing views commit as they go (no ATOMIC_REQUESTS), so on_commit callbacks run inside
# the request as in production.
pytestmark = pytest.mark.django_db(transaction=True)
CLOSED = "redis://127.0.0.1:1/0"
BOUND_SECONDS = 3.0


class FrozenServer:
    """Accepts TCP connections and never answers, like a Redis stopped with SIGSTOP."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0), backlog=128)
        self.held: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.listener.getsockname()[1]}/0"

    def _accept(self) -> None:
        while True:
            try:
                self.held.append(self.listener.accept()[0])
            except OSError:
                return

    def close(self) -> None:
        self.listener.close()
        for conn in self.held:
            conn.close()


def _reset_celery_connections() -> None:
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    celery_app._local.__dict__.pop("backend", None)


@pytest.fixture(params=["killed", "frozen"])
def redis_out(request, settings) -> Iterator[str]:
    frozen = FrozenServer() if request.param == "frozen" else None
    url = frozen.url if frozen else CLOSED
    settings.CACHES = {"default": {**settings.REDIS_CACHE, "LOCATION": url}}
    settings.REDIS_URL = url
    settings.EMAIL_VIA_WORKER = True
    old = {key: celery_app.conf[key] for key in ("broker_url", "result_backend", "task_always_eager")}
    celery_app.conf.update(broker_url=url, result_backend=url, task_always_eager=False)
    _reset_celery_connections()
    yield request.param
    celery_app.conf.update(old)
    _reset_celery_connections()
    if frozen:
        frozen.close()


def _timed_post(client, url: str, data: dict):
    started = time.monotonic()
    response = client.post(url, data)
    return response, time.monotonic() - started


def _says_unavailable(response) -> bool:
    return response.status_code == 503 and "Temporarily unavailable" in response.content.decode()


def test_a_bulk_spark_request_answers_503_at_once_and_leaves_no_pending_job(redis_out, client_for, alice, brand):
    world = make_world(brand, "brand-token")
    url = reverse("sparkads:bulk_request", args=[brand.slug])
    response, took = _timed_post(
        client_for(alice), url, {"campaign": world["campaign"].pk, "days": 60, "fee": "120", "currency": "usd"}
    )
    assert _says_unavailable(response) and took < BOUND_SECONDS, (response.status_code, took)
    assert not BackgroundJob.objects.exists()  # the next click must not join a job nobody runs


def test_fetch_now_answers_503_at_once(redis_out, client_for, alice, brand):
    campaign = make_world(brand, "brand-token")["campaign"]
    url = reverse("integrations:insights_poll", args=[brand.slug, campaign.pk])
    response, took = _timed_post(client_for(alice), url, {})
    assert _says_unavailable(response) and took < BOUND_SECONDS, (response.status_code, took)


def test_an_invitation_whose_mail_cannot_be_queued_says_so_and_is_not_recorded(redis_out, client_for, alice, brand):
    url = reverse("integrations:team", args=[brand.slug])
    response, took = _timed_post(client_for(alice), url, {"email": "new.teammate@example.test", "role": "member"})
    assert _says_unavailable(response) and took < BOUND_SECONDS, (response.status_code, took)
    assert not BrandInvitation.objects.exists() and mail.outbox == []


def test_signing_in_stays_quick_while_redis_is_out(redis_out, client, user_factory):
    user_factory(email="someone@example.test", password="pw-for-tests-123")
    started = time.monotonic()
    response = client.post(reverse("account_login"), {"login": "someone@example.test", "password": "pw-for-tests-123"})
    assert response.status_code == 302 and time.monotonic() - started < BOUND_SECONDS
