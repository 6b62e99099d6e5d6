"""Make sure Redis answers at REDIS_URL, starting a private redis-server if needed.

`make run` and `make test` call this first (with --install): Celery, the cache and the
TikTok rate budget all need Redis, and a clear line now beats a stack trace from the worker
later. With --install, running as root on a machine with apt-get and no redis-server, it
installs Debian's redis-server first, as `make test` does for Chromium.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from integrations.outage import redis_answers

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


class Command(BaseCommand):
    help = "Check that Redis answers at REDIS_URL; start a private redis-server on this machine if it does not."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--install", action="store_true", help="apt-get install redis-server when missing (root only)"
        )

    def handle(self, *args: Any, **options: Any) -> str:
        url = settings.REDIS_URL
        if redis_answers(url):
            return f"Redis is up at {url}."
        parsed = urlparse(url)
        server = shutil.which("redis-server")
        if server is None and parsed.hostname in LOCAL_HOSTS and options["install"]:
            server = self._install()
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

    def _install(self) -> str | None:
        """Debian's redis-server, when this process may install packages; None otherwise."""
        if os.geteuid() != 0 or shutil.which("apt-get") is None:
            return None
        self.stderr.write("redis-server is missing: installing it with apt-get ...")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=False, stdout=subprocess.DEVNULL, env=env)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "redis-server"], check=False, stdout=subprocess.DEVNULL, env=env
        )
        return shutil.which("redis-server")
