"""pytest's settings: the "test" profile of aspire_tiktok.settings (dev keys, fast hashing).

pytest-django loads settings before any conftest runs, so the profile is chosen here.
"""

from __future__ import annotations

import os
import sys
from urllib.parse import urlsplit, urlunsplit

os.environ.setdefault("DJANGO_ENV", "test")

from .settings import *  # noqa: E402,F403
from .settings import CELERY_BROKER_URL, CELERY_RESULT_BACKEND, REDIS_CACHE, REDIS_URL  # noqa: E402


def _redis_db_of_xdist_worker(url: str, worker: str) -> str:
    """REDIS_URL moved to the database after its own by the worker's number (gw0 keeps it)."""
    parts = urlsplit(url)
    db = int(parts.path.strip("/") or 0) + int(worker.removeprefix("gw"))
    return urlunsplit(parts._replace(path=f"/{db}"))


# Under pytest-xdist every worker process clears and fills Redis (rate budgets, broker), so
# each gets a database of its own; the SQL test database is already suffixed per worker by
# pytest-django. Processes the tests start (Celery workers, servers) inherit
# PYTEST_XDIST_WORKER but are handed their own REDIS_URL, so only the process that loaded
# xdist moves.
if "xdist" in sys.modules and (_worker := os.environ.get("PYTEST_XDIST_WORKER")):
    _shared = REDIS_URL
    REDIS_URL = _redis_db_of_xdist_worker(REDIS_URL, _worker)
    if _shared == CELERY_BROKER_URL:
        CELERY_BROKER_URL = REDIS_URL
    if _shared == CELERY_RESULT_BACKEND:
        CELERY_RESULT_BACKEND = REDIS_URL
    REDIS_CACHE = {**REDIS_CACHE, "LOCATION": REDIS_URL}
