"""Fixtures shared by tests/proof and tests/browser (imported into both conftests)."""

from __future__ import annotations

import uuid

import pytest
import redis

from tests.proof.harness import Sandbox, Worker, celery_pointed_at, private_redis_db, worker_env


@pytest.fixture(scope="session")
def private_redis():
    """A Redis database number of this run's own (broker, results, cache, rate budget)."""
    with private_redis_db() as url:
        yield url


@pytest.fixture
def celery_redis(private_redis, settings):
    """The in-process platform (test code, live server) enqueues on the run's private Redis,
    emptied first: a killed worker's unacknowledged messages, or messages no worker of the
    last test consumed, must not reach this test's workers."""
    redis.Redis.from_url(private_redis, socket_timeout=5).flushdb()
    settings.REDIS_URL = settings.CELERY_BROKER_URL = settings.CELERY_RESULT_BACKEND = private_redis
    with celery_pointed_at(private_redis) as app:
        yield app


@pytest.fixture
def sandbox(live_sandbox) -> Sandbox:
    """The live sandbox (reset to its seeded world) with its control API."""
    return Sandbox(live_sandbox)


@pytest.fixture
def worker_factory(private_redis, sandbox_url, tmp_path):
    """Start real `celery worker` subprocesses against the test DB and the private Redis.

    ``worker_factory(n=1, site_url=..., pool="threads", concurrency=4, **env)`` returns the
    started, ready workers; all are stopped at teardown (their logs are in tmp_path).
    """
    started: list[Worker] = []

    def make(
        n: int = 1,
        *,
        site_url: str = "http://127.0.0.1:9",
        pool: str = "threads",
        concurrency: int = 4,
        queues: list[str] | None = None,
        **env: str,
    ) -> list[Worker]:
        base_env = worker_env(redis_url=private_redis, sandbox_url=sandbox_url, site_url=site_url, **env)
        workers = []
        for _ in range(n):
            w = Worker(base_env, name=f"proof-{uuid.uuid4().hex[:6]}", queues=queues, pool=pool,
                       concurrency=concurrency, log_dir=tmp_path)  # fmt: skip
            started.append(w.start())
            workers.append(w)
        for w in workers:
            w.wait_ready()
        return workers

    yield make
    for w in started:
        w.stop()
