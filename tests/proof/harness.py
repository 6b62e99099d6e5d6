"""Shared machinery of the proof and browser suites.

Real Celery workers run as subprocesses, so they must see the test database and a Redis
that no other test run uses:

* Database. With PostgreSQL (``DATABASE_URL`` set, as in CI) the workers connect to the
  test database pytest-django created (``test_<name>``). With SQLite the default test
  database lives in memory, which no other process can open, so `use_file_backed_sqlite`
  moves it to a temporary file before pytest-django creates it. Tests that hand work to a
  worker use ``transactional_db`` (pytest-django's ``live_server`` does this for them) so
  their rows are committed and visible to the worker.
* Redis. Each run takes a private Redis database number (1..15, claimed with ``SET NX`` in
  database 0 and released at the end) for the broker, results, cache and rate budget, so
  parallel runs on one machine never consume each other's tasks. The in-process Celery app
  (the live server enqueues tasks) is pointed at the same database by `celery_pointed_at`.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import pytest
import redis
import requests

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
_REDIS_SLOT_KEY = "aspire-tests:redis-db:{n}"
# Celery's own log lines of a task's life (celery.app.trace, celery.worker.strategy).
_TASK_LINE = re.compile(
    r"Task (?P<name>[\w.]+)\[(?P<id>[0-9a-f-]+)\] "
    r"(?P<event>received|succeeded|retry|raised unexpected)(?:: Retry in (?P<countdown>[\d.]+)s)?"
)


# --- database --------------------------------------------------------------------------


def use_file_backed_sqlite() -> None:
    """Give the SQLite test database a file so worker subprocesses can open it.

    Called from ``pytest_configure`` of the proof and browser conftests, i.e. before
    pytest-django creates the test database. PostgreSQL needs nothing.
    """
    from django.db import connections

    db = connections.databases["default"]
    if not db["ENGINE"].endswith("sqlite3"):
        return
    test = db.setdefault("TEST", {})
    name = str(test.get("NAME") or "")
    if name and ":memory:" not in name and "mode=memory" not in name:
        return
    directory = Path(tempfile.mkdtemp(prefix="aspire-proof-db-"))
    test["NAME"] = str(directory / "test.sqlite3")


def is_postgres() -> bool:
    from django.db import connection

    return connection.vendor == "postgresql"


def requires_postgres(reason: str):
    """Skip on SQLite: row locks (select_for_update) are what these tests prove."""
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"]
    return pytest.mark.skipif(
        "postgresql" not in engine,
        reason=f"needs PostgreSQL (set DATABASE_URL=postgres://...): {reason}; SQLite has no row locks",
    )


def database_url() -> str:
    """A DATABASE_URL for the test database (call once pytest-django has created it)."""
    from django.db import connection

    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    user = quote(s.get("USER") or "", safe="")
    password = quote(s.get("PASSWORD") or "", safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    port = f":{s['PORT']}" if s.get("PORT") else ""
    return f"postgres://{auth}{s.get('HOST') or '127.0.0.1'}{port}/{s['NAME']}"


# --- redis -----------------------------------------------------------------------------


def _with_db(url: str, n: int) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{n}", "", ""))


@contextlib.contextmanager
def private_redis_db() -> Iterator[str]:
    """Claim a Redis database number for this run; yield its URL; flush and release it."""
    from django.conf import settings

    base = settings.REDIS_URL
    control = redis.Redis.from_url(_with_db(base, 0), socket_timeout=5)
    try:
        control.ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis is not reachable at {base} ({exc}); run `python manage.py ensure_redis`")
    for n in range(15, 0, -1):
        key = _REDIS_SLOT_KEY.format(n=n)
        if control.set(key, f"{os.getpid()}", nx=True, ex=3 * 3600):
            url = _with_db(base, n)
            own = redis.Redis.from_url(url, socket_timeout=5)
            own.flushdb()
            try:
                yield url
            finally:
                with contextlib.suppress(redis.RedisError):
                    own.flushdb()
                    control.delete(key)
            return
    pytest.skip("every Redis database number 1..15 is claimed by another test run")


@contextlib.contextmanager
def celery_pointed_at(redis_url: str):
    """Point the in-process Celery app (producer and results) at ``redis_url``, then back."""
    from aspire_tiktok.celery import app

    def point(broker: str, backend: str) -> None:
        # Drop references only: kombu caches pools per URL, so closing one would break the
        # next switch back to that URL.
        app.conf.broker_url = broker
        app.conf.result_backend = backend
        app._pool = None
        amqp = app.__dict__.get("amqp")
        if amqp is not None:
            amqp._producer_pool = None
        app._backend_cache = None
        if getattr(app._local, "backend", None) is not None:
            app._local.backend = None

    old = (app.conf.broker_url, app.conf.result_backend)
    point(redis_url, redis_url)
    try:
        yield app
    finally:
        point(*old)


def redeliver_unacked(app) -> int:
    """What Redis does once the visibility timeout has passed: every message delivered and
    not acknowledged goes back to its queue (a killed worker's, and any still running).
    Returns how many."""
    with app.connection_for_write() as conn:
        qos = conn.default_channel.qos
        with qos.channel.conn_or_acquire() as client:
            tags = client.hkeys(qos.unacked_key)
        for tag in tags:
            qos.restore_by_tag(tag)
    return len(tags)


def worker_queues() -> list[str]:
    """The queues the deployment's worker consumes (the Procfile's `-Q`): a test worker runs
    what production runs. Every task's queue is among them (test_celery_worker checks it)."""
    from django.conf import settings

    procfile = (Path(settings.BASE_DIR) / "Procfile").read_text()
    return sorted(procfile.split(" -Q ", 1)[1].split()[0].split(","))


# --- workers ---------------------------------------------------------------------------


def worker_env(*, redis_url: str, sandbox_url: str, site_url: str, **extra: str) -> dict[str, str]:
    """The environment a worker subprocess needs to act like the in-process platform."""
    env = {
        **os.environ,
        "DJANGO_ENV": "test",
        "DJANGO_SETTINGS_MODULE": "aspire_tiktok.settings_test",
        "DATABASE_URL": database_url(),
        "REDIS_URL": redis_url,
        "CELERY_BROKER_URL": redis_url,
        "CELERY_RESULT_BACKEND": redis_url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "TIKTOK_SANDBOX_URL": sandbox_url,
        "TIKTOK_AUTH_BASE_URL": sandbox_url,
        "TIKTOK_BUSINESS_API_BASE_URL": sandbox_url,
        "SITE_URL": site_url,
        "TIKTOK_RATE_BUDGET_KEY_PREFIX": f"tiktok:rate:test-{uuid.uuid4().hex[:8]}",
        "PYTHONUNBUFFERED": "1",
        "LOG_LEVEL": "INFO",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    env.update({k: str(v) for k, v in extra.items()})
    return env


class Worker:
    """One `celery worker` subprocess, in its own process group so it can be killed whole."""

    def __init__(
        self,
        env: dict[str, str],
        *,
        name: str,
        queues: list[str] | None = None,
        pool: str = "threads",
        concurrency: int = 4,
        log_dir: Path | None = None,
    ) -> None:
        self.env = env
        self.name = name
        self.queues = queues or worker_queues()
        self.pool = pool
        self.concurrency = concurrency
        log_dir = log_dir or Path(tempfile.mkdtemp(prefix="aspire-worker-"))
        self.log_path = log_dir / f"{name}.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> Worker:
        argv = [
            sys.executable, "-m", "celery", "-A", "aspire_tiktok", "worker",
            "-Q", ",".join(self.queues), "-P", self.pool, "-c", str(self.concurrency),
            "-n", f"{self.name}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat",
            "--loglevel", "INFO",
        ]  # fmt: skip
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            argv, cwd=ROOT, env=self.env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )
        return self

    def wait_ready(self, timeout: float = 60.0) -> Worker:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"worker {self.name} exited with {self.proc.returncode}:\n{self.log()}")
            if " ready." in self.log():
                return self
            time.sleep(0.2)
        raise RuntimeError(f"worker {self.name} not ready after {timeout}s:\n{self.log()}")

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def task_events(self, name: str | None = None) -> list[tuple[str, str, float | None]]:
        """(task id, event, retry countdown) from the log, in order; `event` is received,
        succeeded, retry or raised (a failure)."""
        events = []
        for match in _TASK_LINE.finditer(self.log()):
            if name is None or match["name"] == name:
                countdown = float(match["countdown"]) if match["countdown"] else None
                events.append((match["id"], match["event"].split()[0], countdown))
        return events

    def unfinished_tasks(self) -> set[str]:
        """Ids of tasks this worker received and has not finished (succeeded, raised or
        handed back for a retry)."""
        open_ids: set[str] = set()
        for task_id, event, _ in self.task_events():
            (open_ids.add if event == "received" else open_ids.discard)(task_id)
        return open_ids

    def processes(self) -> set[int]:
        """Live (not zombie) processes of the worker's process group: the main process and
        its pool's children."""
        pids = set()
        if self.proc is None:
            return pids
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                # "pid (comm) state ppid pgrp ...": comm may hold spaces, so split after it.
                state, _ppid, pgrp = stat.read_text().rsplit(")", 1)[1].split()[:3]
            except (OSError, IndexError, ValueError):
                continue
            if int(pgrp) == self.proc.pid and state not in ("Z", "X"):
                pids.add(int(stat.parent.name))
        return pids

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL the whole process group: what an OOM kill or a lost machine looks like."""
        if self.alive:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)
            # The pool's children die on their own schedule once signalled.
            deadline = time.monotonic() + 30
            while self.processes() and time.monotonic() < deadline:
                time.sleep(0.05)

    def stop(self, timeout: float = 20.0) -> None:
        if self.alive:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        if getattr(self, "_log", None) is not None:
            self._log.close()
            self._log = None


class BlackHole:
    """A TikTok that accepts every call and never answers: calls sent to ``url`` hang until
    their caller gives up or dies. ``calls`` counts the requests that arrived."""

    def __init__(self) -> None:
        self._server = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._server.getsockname()[1]}"
        self._held: list[socket.socket] = []
        self._lock = threading.Lock()
        self.calls = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._server.accept()
            except OSError:
                return  # closed
            threading.Thread(target=self._swallow, args=(conn,), daemon=True).start()

    def _swallow(self, conn: socket.socket) -> None:
        with self._lock:
            self._held.append(conn)
        with contextlib.suppress(OSError):
            if conn.recv(65536):  # a request line arrived; it gets no answer
                with self._lock:
                    self.calls += 1

    def close(self) -> None:
        self._server.close()
        with self._lock:
            for conn in self._held:
                conn.close()


# --- the sandbox's control API -----------------------------------------------------------


class Sandbox:
    """The live sandbox's control API (docs/sandbox.md, "Control API")."""

    def __init__(self, base_url: str) -> None:
        self.url = base_url.rstrip("/")
        self.http = requests.Session()

    def _call(self, method: str, path: str, **kwargs):
        response = self.http.request(method, f"{self.url}/sandbox/api/{path}", timeout=60, **kwargs)
        response.raise_for_status()
        return response.json() if response.content else None

    def reset(self) -> None:
        self._call("POST", "reset", json={})

    def advance(self, **delta: float) -> dict:
        return self._call("POST", "clock/advance", json=delta)

    def add_fault(self, **rule) -> dict:
        return self._call("POST", "faults", json=rule)

    def faults(self) -> list[dict]:
        return self._call("GET", "faults")

    def clear_faults(self) -> None:
        self._call("DELETE", "faults")

    def add_rate_limit(self, **rule) -> dict:
        return self._call("POST", "rate-limits", json=rule)

    def clear_rate_limits(self) -> None:
        self._call("DELETE", "rate-limits")

    def requests(self, path: str = "", limit: int = 10000) -> list[dict]:
        data = self._call("GET", "requests", params={"limit": limit, "path": path})
        return data["requests"] if isinstance(data, dict) and "requests" in data else data

    def clear_requests(self) -> None:
        self._call("DELETE", "requests")

    def stats(self, window_seconds: float = 1) -> dict:
        return self._call("GET", "requests/stats", params={"window_seconds": window_seconds})

    def personas(self) -> dict:
        return self._call("GET", "personas")

    def helper(self, name: str, **body) -> dict:
        return self._call("POST", f"helpers/{name}", json=body)

    def ads(self) -> dict[str, dict]:
        """Every ad the sandbox runs, by ad name: its status and spend as of now."""
        return {ad["ad_name"]: ad for ad in self._call("GET", "helpers/ads")}


def wait_until(predicate, *, timeout: float = 60.0, interval: float = 0.25, message: str = "condition"):
    """Poll ``predicate`` until it returns a truthy value; fail with ``message`` otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {message}")
        time.sleep(interval)
