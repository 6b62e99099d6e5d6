"""What one 20-creator Marketplace status call costs in CPU: the product's worker making it,
and the sandbox answering it (standing in for TikTok, on the same machine).

`sandbox_cpu_per_call()` starts a throwaway sandbox and reads its own CPU time and query count
(`GET /sandbox/api/cost`) before and after each status call, over real HTTP: the server's
request handling, middleware, request log and rate limits, the handler and the JSON. A pair of
cost reads with no call between them is measured too, and its median taken off, so what is left
is the call alone.

`worker_cpu_per_call()` runs the worker's probe (tests/creators/test_cheap_poll.py: the poll
task run as a Celery worker runs it, TikTok answering at the HTTP boundary) in a pytest process
of its own, on the DATABASE_URL and REDIS_URL of the environment, and returns the median it
prints.

Both return milliseconds, the median of `calls` samples, so that a moment of a busy machine does
not decide the figure. Both only need the standard library and requests here, so `python -m
benchmarks` can call them whatever Django settings it has loaded.
"""

from __future__ import annotations

import json
import re
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import requests

from tiktok_sandbox.testing import start_sandbox

ROOT = Path(__file__).resolve().parent.parent
STATUS_PATH = "/open_api/v1.3/tto/tcm/creator/status/get/"
TTO_ACCOUNT = "7200000000000000001"  # the seeded demo brand's TikTok One account
APP = ("sandbox-business-app", "sandbox-business-secret")
HANDLE_PREFIX = "cost."
BATCH = 20  # TikTok's most handles per status call, as the product sends them


@dataclass
class CallCost:
    cpu_ms: float  # median CPU per call, less the median of a bare pair of cost reads
    queries: int  # database queries per call (the most any sample ran)
    samples: int


def _cost(session: requests.Session, base_url: str) -> dict:
    return session.get(f"{base_url}/sandbox/api/cost", timeout=30).json()


def prepare_status_call(base_url: str) -> tuple[str, dict]:
    """20 creators waiting for their invite and the demo brand's token: the status call the
    product's poller makes. Returns (access token, query parameters)."""
    control = requests.Session()
    control.post(f"{base_url}/sandbox/api/helpers/creators", json={"prefix": HANDLE_PREFIX, "count": BATCH},
                 timeout=60).raise_for_status()  # fmt: skip
    code = control.post(
        f"{base_url}/sandbox/api/helpers/portal-auth",
        json={"persona": "demo-brand", "redirect_uri": "https://platform.example/callback/", "app_id": APP[0]},
        timeout=30,
    ).json()["auth_code"]
    token = control.post(
        f"{base_url}/open_api/v1.3/oauth2/access_token/",
        json={"app_id": APP[0], "secret": APP[1], "auth_code": code},
        timeout=30,
    ).json()["data"]["access_token"]
    handles = [f"{HANDLE_PREFIX}{n}" for n in range(BATCH)]
    return token, {"tto_tcm_account_id": TTO_ACCOUNT, "handle_names": json.dumps(handles)}


def status_call_cost(base_url: str, calls: int = 31) -> CallCost:
    """The sandbox's cost per 20-creator status call, on a running sandbox whose app limits
    are lifted (`DELETE /sandbox/api/rate-limits/app`) so that no call is throttled."""
    token, params = prepare_status_call(base_url)
    session = requests.Session()  # one kept-alive connection, as the product's client holds

    def call() -> None:
        response = session.get(f"{base_url}{STATUS_PATH}", params=params, headers={"Access-Token": token}, timeout=30)
        body = response.json()
        assert body["code"] == 0 and len(body["data"]["onboarding_status"]) == BATCH, body

    for _ in range(5):  # warm: the first calls open the database connection, fill caches
        call()
    spent, bare, queries = [], [], []
    for _ in range(calls):
        before = _cost(session, base_url)
        call()
        after = _cost(session, base_url)
        spent.append(after["cpu_seconds"] - before["cpu_seconds"])
        queries.append(after["queries"] - before["queries"])
        before = _cost(session, base_url)
        after = _cost(session, base_url)
        bare.append(after["cpu_seconds"] - before["cpu_seconds"])
    cpu_ms = (statistics.median(spent) - statistics.median(bare)) * 1000
    return CallCost(cpu_ms=cpu_ms, queries=max(queries), samples=calls)


def sandbox_cpu_per_call(calls: int = 31) -> float:
    """The median CPU, in ms, a fresh sandbox spends answering one 20-creator status call."""
    with tempfile.TemporaryDirectory() as scratch, start_sandbox(Path(scratch) / "sandbox.sqlite3") as base_url:
        requests.delete(f"{base_url}/sandbox/api/rate-limits/app", timeout=30).raise_for_status()
        return status_call_cost(base_url, calls).cpu_ms


def worker_cpu_per_call() -> float:
    """The median CPU, in ms, the product's worker spends on one 20-creator status call (the
    probe in tests/creators/test_cheap_poll.py, run in a pytest process of its own)."""
    probe = "tests/creators/test_cheap_poll.py::test_a_20_creator_status_call_costs_the_worker_under_10_ms_of_cpu_with_the_budget_and_counters_on"  # noqa: E501
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", probe],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    found = re.search(r"worker CPU per 20-creator status call: median ([0-9.]+) ms", result.stdout)
    if result.returncode or found is None:
        raise RuntimeError(f"the worker probe failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return float(found.group(1))
