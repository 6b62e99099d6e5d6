"""The proof suite: security sweeps, faults and concurrency against real workers."""

from __future__ import annotations

from tests.proof.fixtures import celery_redis, private_redis, sandbox, worker_factory  # noqa: F401
from tests.proof.harness import use_file_backed_sqlite


def pytest_configure(config):
    # Before pytest-django creates the test DB: worker subprocesses must be able to open it.
    use_file_backed_sqlite()
