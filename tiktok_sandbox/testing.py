"""Start a throwaway sandbox for tests: `with start_sandbox(db_path) as base_url: ...`.

Other test packages reuse it, so it only needs the standard library and requests.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_up(base_url: str, process: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"runsandbox exited with {process.returncode}")
        try:
            if requests.get(f"{base_url}/sandbox/api/state", timeout=1).ok:
                return
        except requests.RequestException:
            time.sleep(0.1)
    raise RuntimeError(f"the sandbox did not answer at {base_url} within {timeout} s")


@contextmanager
def start_sandbox(
    db_path: Path | str, port: int | None = None, timeout: float = 30, env: dict | None = None
) -> Iterator[str]:
    """Run `manage.py runsandbox` on a free port with its own sqlite file; yield its base URL."""
    port = port or free_port()
    base_url = f"http://127.0.0.1:{port}"
    child_env = {**os.environ, "SANDBOX_DATABASE_URL": f"sqlite:///{Path(db_path).resolve()}", **(env or {})}
    # manage.py picks the sandbox settings for runsandbox; never inherit the platform's.
    child_env.pop("DJANGO_SETTINGS_MODULE", None)
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "runsandbox", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=child_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_until_up(base_url, process, timeout)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
