"""Run every benchmark against a throwaway database and write docs/benchmarks.md.

A throwaway SQLite file is used unless DATABASE_URL is set (point it at a scratch Postgres
database to measure that instead). Environment is set here, before Django reads settings.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path


def main() -> int:
    scratch = Path(tempfile.mkdtemp(prefix="aspire-bench-"))
    os.environ.setdefault("DJANGO_ENV", "test")
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{scratch / 'bench.sqlite3'}")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aspire_tiktok.settings")
    # Polling is measured with the shared rate budget on, as in production (needs Redis).
    os.environ.setdefault("TIKTOK_RATE_BUDGET_ENABLED", "true" if _redis_up() else "false")
    import django

    django.setup()
    from . import insights

    return insights.run(scratch)


def _redis_up() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")).ping())
    except redis.RedisError:
        return False


if __name__ == "__main__":
    sys.exit(main())
