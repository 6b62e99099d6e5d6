"""Run the benchmarks against throwaway databases and write docs/benchmarks.md.

`python -m benchmarks` runs all of them; `python -m benchmarks insights` or `... load` runs
one and rewrites only its section of the file. `python -m benchmarks load --runs 3` measures
the load benchmark's pages three times over one seed and reports the spread;
`python -m benchmarks polling --runs 3` runs each polling scenario three times.

polling: the product's beat and Celery workers against a sandbox (benchmarks/polling.py), on
a fresh PostgreSQL database (emptied again before each scenario) and Redis database 12
(BENCH_REDIS_URL).

insights: a throwaway SQLite file unless DATABASE_URL is set (point it at a scratch Postgres
database to measure that instead). load: a fresh PostgreSQL database when one answers
(100,000 creators and several polling processes writing at once), else a SQLite file. spark:
the same fresh database (a worker and gunicorn write while the benchmark reads), Redis
database 12, the product on the sandbox's clock (benchmarks/spark.py). The fresh database is
BENCH_DATABASE_URL's (default `aspire_bench` on the local PostgreSQL), dropped and created
anew; a DATABASE_URL set in the environment is used as it is instead. Environment is set
here, before Django reads settings.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BENCHMARKS = ("insights", "load", "polling", "spark")
# The polling, load and spark benchmarks' own Redis database (broker, rate budget, counters): flushed at
# their start; BENCH_REDIS_URL overrides it.
BENCH_REDIS = "redis://127.0.0.1:6379/12"
BENCH_PG = "postgres://postgres@127.0.0.1:5432/aspire_bench"


def main(argv: list[str]) -> int:
    runs = 1
    if "--runs" in argv:
        at = argv.index("--runs")
        try:
            runs = int(argv[at + 1])
        except (IndexError, ValueError):
            print("--runs takes a number of runs, e.g. --runs 3", file=sys.stderr)
            return 2
        argv = argv[:at] + argv[at + 2 :]
        if runs < 1 or argv not in (["load"], ["polling"]):
            print("--runs (1 or more) applies to one of load and polling: python -m benchmarks load --runs 3",
                  file=sys.stderr)  # fmt: skip
            return 2
    names = argv or list(BENCHMARKS)
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark(s) {unknown}; choose from {', '.join(BENCHMARKS)}", file=sys.stderr)
        return 2
    if len(names) > 1:
        # One process each: every benchmark picks its own database before Django starts.
        for name in names:
            code = subprocess.call([sys.executable, "-m", "benchmarks", name])
            if code:
                return code
        return 0
    return _run(names[0], runs)


def _run(name: str, runs: int = 1) -> int:
    scratch = Path(tempfile.mkdtemp(prefix="aspire-bench-"))
    os.environ.setdefault("DJANGO_ENV", "test")
    bench_db = os.environ.get("BENCH_DATABASE_URL", BENCH_PG)
    if name in ("load", "spark", "polling") and "DATABASE_URL" not in os.environ and _fresh_postgres(bench_db):
        os.environ["DATABASE_URL"] = bench_db
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{scratch / 'bench.sqlite3'}")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aspire_tiktok.settings")
    if name in ("polling", "load", "spark"):
        # Read by this process and by the worker, beat and gunicorn it starts.
        redis_url = os.environ.get("BENCH_REDIS_URL", BENCH_REDIS)
        os.environ.update(REDIS_URL=redis_url, CELERY_BROKER_URL=redis_url, CELERY_RESULT_BACKEND=redis_url)
    if name == "polling":
        os.environ.update(TIKTOK_CALL_COUNTERS_ENABLED="true")
    # Polling is measured with the shared rate budget on, as in production (needs Redis).
    os.environ.setdefault("TIKTOK_RATE_BUDGET_ENABLED", "true" if _redis_up() else "false")
    import django

    django.setup()
    if name == "load":
        from . import load

        return load.run(scratch, runs)
    if name == "polling":
        from . import polling

        return polling.run(scratch, runs)
    if name == "spark":
        from . import spark

        return spark.run(scratch)
    from . import insights

    return insights.run(scratch)


def _redis_up() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")).ping())
    except redis.RedisError:
        return False


def _fresh_postgres(url: str) -> bool:
    """Drop and recreate the database `url` names; False when its PostgreSQL does not answer."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    server = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
    try:
        with psycopg.connect(server, autocommit=True, connect_timeout=3) as c:
            c.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            c.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return True
    except psycopg.Error:
        return False


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
