"""The proof suite: security sweeps, faults and concurrency against real workers."""

from __future__ import annotations

from tests.proof import fixtures as _shared
from tests.proof.harness import use_file_backed_sqlite

# Fixtures shared with tests/proof (see tests/proof/fixtures.py).
private_redis = _shared.private_redis
celery_redis = _shared.celery_redis
sandbox = _shared.sandbox
worker_factory = _shared.worker_factory


def pytest_configure(config):
    # Before pytest-django creates the test DB: worker subprocesses must be able to open it.
    use_file_backed_sqlite()
