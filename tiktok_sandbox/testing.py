"""Start a throwaway sandbox for tests: `with start_sandbox(db_path) as base_url: ...`; and
play the brand in TikTok One, linking a post to a campaign (`link_post`, `link_statuses`), which
the product leaves to the brand and its client does not call.

Other test packages reuse it, so it only needs the standard library and requests.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

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


def _brand_call(base_url: str, token: str, method: str, path: str, fields: dict[str, Any]) -> dict[str, Any]:
    """The `data` of one API for Business call the brand makes in TikTok One; it must succeed."""
    url = f"{base_url}/open_api/v1.3/{path}"
    headers = {"Access-Token": token}
    if method == "GET":
        # Arrays travel JSON-encoded in a GET's query string.
        params = {k: json.dumps(v) if isinstance(v, list) else v for k, v in fields.items()}
        response = requests.get(url, params=params, headers=headers, timeout=30)
    else:
        response = requests.post(url, json=fields, headers=headers, timeout=30)
    body = response.json()
    if body.get("code") != 0:
        raise AssertionError(f"{path} answered {body}")
    return body["data"]


def link_post(base_url: str, token: str, tto_tcm_account_id: str, campaign_id: str, video_id: str) -> dict[str, Any]:
    """The brand asks to link a creator's post to its campaign: the link request, IN_REVIEW."""
    fields = {"tto_tcm_account_id": tto_tcm_account_id, "campaign_id": campaign_id, "video_id": video_id}
    return _brand_call(base_url, token, "POST", "tto/tcm/campaign/link/", {**fields, "action": "LINK"})


def link_statuses(base_url: str, token: str, tto_tcm_account_id: str, campaign_id: str) -> list[dict[str, Any]]:
    """Every post linked or asked to link to the campaign, with its status and link_request_id."""
    fields = {"tto_tcm_account_id": tto_tcm_account_id, "campaign_ids": [campaign_id], "page_size": 50}
    return _brand_call(base_url, token, "GET", "tto/tcm/campaign/link/status/", fields)["video_infos"]
