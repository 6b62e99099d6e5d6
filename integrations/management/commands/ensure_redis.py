"""Make sure Redis answers at REDIS_URL, starting a private redis-server if needed.

`make run` and `make test` call this first: Celery, the cache and the TikTok rate budget
all need Redis, and a clear line now beats a stack trace from the worker later.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path
from urllib.parse import urlparse

import redis
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


def redis_answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping())
    except redis.RedisError:
        return False


class Command(BaseCommand):
    help = "Check that Redis answers at REDIS_URL; start a private redis-server on this machine if it does not."

    def handle(self, *args, **options) -> str:
        url = settings.REDIS_URL
        if redis_answers(url):
            return f"Redis is up at {url}."
        parsed = urlparse(url)
        server = shutil.which("redis-server")
        if parsed.hostname not in LOCAL_HOSTS or server is None:
            raise CommandError(
                f"Redis is not reachable at {url} and cannot be started here"
                + ("" if server else " (redis-server is not installed)")
                + ". Install it (Debian/Ubuntu: sudo apt-get install redis-server; macOS: brew install redis)"
                " or set REDIS_URL to a running Redis."
            )
        run_dir = Path(settings.BASE_DIR) / ".run"
        run_dir.mkdir(exist_ok=True)
        subprocess.run(
            [
                server,
                "--port",
                str(parsed.port or 6379),
                "--bind",
                "127.0.0.1",
                "--daemonize",
                "yes",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(run_dir),
                "--logfile",
                str(run_dir / "redis.log"),
            ],
            check=True,
        )
        for _ in range(50):
            if redis_answers(url):
                return f"Started a private redis-server at {url} (log: .run/redis.log)."
            time.sleep(0.1)
        raise CommandError(f"Started redis-server but it does not answer at {url}; see .run/redis.log.")
