"""Load benchmark: the main pages at scale under gunicorn.

1. Seed 100,000 creators (user, CreatorProfile, TikTok account, Marketplace onboarding
   waiting for its invite) and 2,000 brands (owner, TikTok One account with its credential,
   ad accounts, campaigns) with bulk_create.
   Brand 0 also has SPARK_AUTHORIZATIONS Spark Ads authorizations, for its ledger.
2. Start gunicorn (gunicorn.conf.py, DJANGO_ENV=dev, DEBUG off) on 127.0.0.1 and drive each
   main page at a fixed request rate from an open-loop Python generator, logged in by a
   session cookie; report p50/p99 as a ratio to /healthz/ measured in the same run, the bytes
   of each answer, and each page's query count (test Client in this process,
   CaptureQueriesContext).
3. A hanging TikTok: the sandbox answers after HANG_SECONDS, a Celery worker runs the jobs,
   and HOLDERS people sit on creator search (each starts a search and follows its progress
   as the page's htmx does) while /healthz/ and the login page are measured again.

Every figure carries the machine's 1-minute load average when it was taken; `--runs N`
repeats steps 2 and 3 and reports the spread (min / median / max) over the runs.

Marketplace polling is measured with the product's own beat and workers by
`python -m benchmarks polling` (benchmarks/polling.py).

`python -m benchmarks load`.
"""

from __future__ import annotations

import http.client
import itertools
import os
import re
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import requests
from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from . import report
from .insights import _commit, _machine, _p, _time

CREATORS, BRANDS = 100_000, 2_000
AD_ACCOUNTS_PER_BRAND, CAMPAIGNS_PER_BRAND = 2, 5
# Each page gets RATE requests/s for PAGE_SECONDS: low enough that 2 gunicorn workers on a
# small machine keep up (an open-loop generator past capacity measures only its queue).
RATE, PAGE_SECONDS, GUNICORN_WORKERS = 10, 20, 2
SPARK_AUTHORIZATIONS = 1_000
# How long the sandbox takes to answer while TikTok "hangs" (longer than any timeout of ours),
# and how many people sit on creator search meanwhile, each following its progress every 2 s
# as the page does.
HANG_SECONDS, HOLDERS, HOLD_POLL_SECONDS = 120, 40, 2.0
ROOT = Path(__file__).resolve().parent.parent


# --- 1. Fixtures -------------------------------------------------------------------------


def seed():
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    from creators.models import CreatorProfile, MarketplaceOnboarding
    from integrations.models import (
        AdAccount,
        Brand,
        BrandMembership,
        Campaign,
        Credential,
        TikTokAccount,
        TikTokOneAccount,
    )

    User, now = get_user_model(), timezone.now()
    password = make_password("x")  # hashed once: hashing 102,000 times would dominate the seed
    creators = User.objects.bulk_create(
        [User(username=f"load.creator{i}", email=f"creator{i}@load.test", password=password) for i in range(CREATORS)],
        batch_size=5000,
    )
    CreatorProfile.objects.bulk_create([CreatorProfile(user=u) for u in creators], batch_size=5000)
    accounts = TikTokAccount.objects.bulk_create(
        [TikTokAccount(handle=f"load.creator{i}", open_id=f"load-open-{i}", owner=u, account_type="creator",
                       follower_count=1000 + i) for i, u in enumerate(creators)],
        batch_size=5000,
    )  # fmt: skip
    MarketplaceOnboarding.objects.bulk_create(
        [MarketplaceOnboarding(tiktok_account=a, state=MarketplaceOnboarding.State.WAITING, authorized_at=now,
                               invite_requested_at=now, next_poll_at=now) for a in accounts],
        batch_size=5000,
    )  # fmt: skip
    owners = User.objects.bulk_create(
        [User(username=f"load.brand{i}", email=f"brand{i}@load.test", password=password) for i in range(BRANDS)]
    )
    brands = Brand.objects.bulk_create([Brand(name=f"Load Brand {i}", slug=f"load-brand-{i}") for i in range(BRANDS)])
    BrandMembership.objects.bulk_create(
        [BrandMembership(user=u, brand=b, role=BrandMembership.Role.OWNER) for u, b in zip(owners, brands, strict=True)]
    )
    creds = Credential.objects.bulk_create(
        [
            Credential(kind=Credential.Kind.BUSINESS, brand=b, access_token=f"load-token-{i}")
            for i, b in enumerate(brands)
        ]
    )
    # Verified by TikTok, so creator search uses the brand's own account (and calls TikTok).
    ttos = TikTokOneAccount.objects.bulk_create(
        [TikTokOneAccount(tto_tcm_account_id=f"71{i:017d}", brand=b, credential=c,
                          business_verification_status=TikTokOneAccount.Verification.VERIFIED)
         for i, (b, c) in enumerate(zip(brands, creds, strict=True))]
    )  # fmt: skip
    AdAccount.objects.bulk_create(
        [AdAccount(advertiser_id=f"72{i:015d}{j:02d}", brand=b, tiktok_one_account=t, credential=c, tto_has_access=True,
                   is_active_for_spark=j == 0)
         for i, (b, t, c) in enumerate(zip(brands, ttos, creds, strict=True)) for j in range(AD_ACCOUNTS_PER_BRAND)],
        batch_size=5000,
    )  # fmt: skip
    Campaign.objects.bulk_create(
        [Campaign(brand=b, tiktok_one_account=t, campaign_id=f"73{i:015d}{j:02d}", name=f"Load campaign {i}.{j}")
         for i, (b, t) in enumerate(zip(brands, ttos, strict=True)) for j in range(CAMPAIGNS_PER_BRAND)],
        batch_size=5000,
    )  # fmt: skip
    # The measured user owns brand 0 and is a creator too, so one session reaches every page.
    user = owners[0]
    CreatorProfile.objects.create(user=user)
    mine = TikTokAccount.objects.create(
        handle="load.bench", open_id="load-open-bench", owner=user, account_type="creator"
    )
    MarketplaceOnboarding.objects.create(
        tiktok_account=mine, state=MarketplaceOnboarding.State.WAITING, authorized_at=now, invite_requested_at=now
    )
    seed_spark_ledger(brands[0], accounts[:SPARK_AUTHORIZATIONS], now)
    return user, brands[0]


def seed_spark_ledger(brand, accounts, now) -> None:
    """One brand's Spark Ads ledger: a code per creator's post, in every status, half paid for."""
    from integrations.models import AdAccount
    from sparkads.models import SparkAuthorization

    Status = SparkAuthorization.Status
    statuses = [Status.REQUESTED, Status.ACTIVE, Status.ACTIVE, Status.EXPIRING, Status.EXPIRED, Status.REJECTED]
    ad_account = AdAccount.objects.filter(brand=brand, is_active_for_spark=True).first()
    SparkAuthorization.objects.bulk_create(
        [SparkAuthorization(brand=brand, ad_account=ad_account, tiktok_account=a, status=statuses[i % len(statuses)],
                            video_id=f"74{i:017d}", item_id=f"74{i:017d}", tiktok_name=a.handle,
                            identity_id=f"75{i:017d}", authorization_days=30, requested_at=now - timedelta(days=i % 60),
                            auth_start=now - timedelta(days=i % 30), auth_end=now + timedelta(days=30 - i % 60))
         for i, a in enumerate(accounts)],
        batch_size=5000,
    )  # fmt: skip


# --- 2. Pages under gunicorn -------------------------------------------------------------


def _pages(brand) -> dict[str, str]:
    return {
        "trivial view (/healthz/)": reverse("healthz"),
        "brand TikTok integration page": reverse("integrations:tiktok_settings", args=[brand.slug]),
        "campaigns": reverse("integrations:campaigns", args=[brand.slug]),
        "creator Social Accounts": reverse("creators:home"),
        "brand insights": reverse("integrations:insights", args=[brand.slug]),
        f"Spark ledger ({SPARK_AUTHORIZATIONS:,} authorizations)": reverse("sparkads:ledger", args=[brand.slug]),
    }


def query_counts(user, brand) -> tuple[dict[str, int], str]:
    """Queries per page (in this process) and the session cookie the load generator sends."""
    client = Client()
    client.force_login(user)
    counts = {name: _time(client, url, 3)[1] for name, url in _pages(brand).items()}
    return counts, client.cookies[settings.SESSION_COOKIE_NAME].value


def _fixed_rate(port: int, path: str, cookie: str, rate: float, seconds: float, threads: int = 24) -> dict:
    """wrk2-style open loop: request i is due at start + i/rate, and its latency counts from
    then (not from when a thread got free), so a slow server cannot hide its queueing."""
    total, counter = int(rate * seconds), itertools.count()
    latencies: list[float] = []
    failures: list[int] = []
    sizes: list[int] = []
    start = time.perf_counter() + 0.1
    headers = {"Host": "127.0.0.1"} | ({"Cookie": f"{settings.SESSION_COOKIE_NAME}={cookie}"} if cookie else {})

    def worker() -> None:
        while (i := next(counter)) < total:
            due = start + i / rate
            if (delay := due - time.perf_counter()) > 0:
                time.sleep(delay)
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)  # only ever 127.0.0.1
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                sizes.append(len(response.read()))
                status = response.status
            except OSError:
                status = 0
            finally:
                conn.close()
            latencies.append(time.perf_counter() - due)
            if status != 200:
                failures.append(status)

    pool = [threading.Thread(target=worker, daemon=True) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - start
    return {"p50": _p(latencies, 50), "p99": _p(latencies, 99), "n": total, "failures": len(failures),
            "statuses": sorted(set(failures)), "achieved": total / elapsed, "bytes": statistics.median(sizes or [0]),
            "load": os.getloadavg()[0]}  # fmt: skip


@contextmanager
def _gunicorn(scratch: Path, run: int) -> Iterator[int]:
    """The product's gunicorn (gunicorn.conf.py: gthread) with GUNICORN_WORKERS processes on a
    free port of 127.0.0.1; yields the port."""
    from tiktok_sandbox.testing import free_port

    port = free_port()
    env = {**os.environ, "DJANGO_ENV": "dev", "DJANGO_DEBUG": "false"}
    log = (scratch / f"gunicorn-{run}.log").open("w")
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "--workers",
         str(GUNICORN_WORKERS), "--bind", f"127.0.0.1:{port}"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        _wait_for(f"http://127.0.0.1:{port}/healthz/", server)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=40)
        log.close()


def page_bench(port: int, cookie: str, brand, counts: dict[str, int]) -> dict:
    results = {}
    for name, path in _pages(brand).items():
        _fixed_rate(port, path, cookie, RATE, 2)  # warm every worker's caches and templates
        results[name] = {**_fixed_rate(port, path, cookie, RATE, PAGE_SECONDS), "queries": counts[name]}
        print(name, results[name], flush=True)
    return results


def hanging_bench(port: int, cookie: str, brand) -> dict:
    """/healthz/ and the login page at RATE while HOLDERS people sit on creator search with
    TikTok hanging: each opens a search of its own (a job for the worker) and then asks for
    its progress every HOLD_POLL_SECONDS, as the page's htmx does."""
    search = reverse("integrations:creator_search", args=[brand.slug])
    headers = {"Host": "127.0.0.1", "Cookie": f"{settings.SESSION_COOKIE_NAME}={cookie}"}
    stop, held = threading.Event(), []

    def holder(i: int) -> None:
        path, progress = f"{search}?keyword=held{i}", None
        while not stop.is_set():
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)  # only ever 127.0.0.1
            started = time.perf_counter()
            try:
                conn.request("GET", progress or path, headers=headers | ({"HX-Request": "true"} if progress else {}))
                response = conn.getresponse()
                body = response.read().decode()
                held.append((response.status, time.perf_counter() - started))
                if progress is None and (found := re.search(r'hx-get="([^"]*/jobs/\d+/)"', body)):
                    progress = found.group(1)
            except OSError:
                held.append((0, time.perf_counter() - started))
            finally:
                conn.close()
            stop.wait(HOLD_POLL_SECONDS)

    pool = [threading.Thread(target=holder, args=(i,), daemon=True) for i in range(HOLDERS)]
    for t in pool:
        t.start()
    try:
        time.sleep(HOLD_POLL_SECONDS * 2)  # every holder has started its search
        results = {
            "/healthz/": _fixed_rate(port, reverse("healthz"), "", RATE, PAGE_SECONDS),
            "login page": _fixed_rate(port, reverse("account_login"), "", RATE, PAGE_SECONDS),
        }
    finally:
        stop.set()
        for t in pool:
            t.join(timeout=90)
    results["holders"] = {
        "requests": len(held),
        "non-200": sum(1 for status, _ in held if status != 200),
        "p99": _p([seconds for _, seconds in held] or [0.0], 99),
    }
    print("hanging TikTok", results, flush=True)
    return results


def _wait_for(url: str, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: server exited with {process.returncode}")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not come up in {timeout} s")


# --- Report ------------------------------------------------------------------------------


def _spread(values: list[float], fmt: str = "{:.1f}") -> str:
    """One run's figure, or the median of several with their min and max."""
    if len(values) == 1:
        return fmt.format(values[0])
    low, mid, high = min(values), statistics.median(values), max(values)
    return f"{fmt.format(mid)} ({fmt.format(low)}–{fmt.format(high)})"


def _loads(values: list[float]) -> str:
    return ", ".join(f"{v:.1f}" for v in values)


def write_section(runs: list[tuple[dict, dict]], seed_seconds: float, total_seconds: float) -> Path:
    n = len(runs)
    spread = f"; each figure over {n} runs: the median, and (min–max) across the runs" if n > 1 else ""
    lines = [
        "## Load: pages at scale under gunicorn",
        "",
        "Produced by `python -m benchmarks load --runs 3` (`make bench` runs it once); rerun it to refresh this "
        f"section. Commit {_commit()}, {time.strftime('%Y-%m-%d %H:%M %Z')}. Machine: {_machine()}. "
        f"Database: a fresh `{connection.vendor}` database ({connection.settings_dict['NAME']}). "
        f"Whole run: {total_seconds:.0f} s{spread}.",
        "",
        "The machine is shared: other processes ran beside the benchmark, so each figure is given with the "
        "1-minute load average when it was taken (2 cores: above 2, processes were waiting for a CPU). Read the "
        "latencies with that load in mind; the query counts and sizes do not depend on it.",
        "",
        f"Seeded with bulk_create in {seed_seconds:.0f} s: {CREATORS:,} creators (user, creator profile, TikTok "
        f"account, Marketplace onboarding waiting for its invite) and {BRANDS:,} brands (owner, TikTok One "
        f"account and credential, {AD_ACCOUNTS_PER_BRAND} ad accounts, {CAMPAIGNS_PER_BRAND} campaigns each); the "
        f"measured brand has {SPARK_AUTHORIZATIONS:,} Spark Ads authorizations in its ledger.",
        "",
        "### Pages",
        "",
        f"gunicorn as in production (`gunicorn.conf.py`: gthread, 4 threads) with {GUNICORN_WORKERS} processes, "
        f"`DJANGO_ENV=dev` with DEBUG off, on 127.0.0.1; each page requested at a fixed {RATE} requests/s for "
        f"{PAGE_SECONDS} s (after 2 s of warm-up) by an open-loop Python generator in the benchmark process "
        "(wrk2-style: a request's latency counts from when it was due, so queueing is not hidden), with the "
        "session cookie of a user who owns one brand and is a creator, a new connection per request. Queries "
        "are counted per request with the test Client in the benchmark process; bytes are the body of the answer.",
        "",
        "| page | queries | KB | p50 ms | p99 ms | p99 / healthz | requests | non-200 | load average |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    healthz = "trivial view (/healthz/)"
    for name in runs[0][0]:
        rows = [pages[name] for pages, _ in runs]
        ratio = [pages[name]["p99"] / pages[healthz]["p99"] for pages, _ in runs]
        lines.append(
            f"| {name} | {rows[0]['queries']} | {_spread([r['bytes'] / 1024 for r in rows])} "
            f"| {_spread([r['p50'] for r in rows])} | {_spread([r['p99'] for r in rows])} | {_spread(ratio)}× "
            f"| {sum(r['n'] for r in rows)} | {sum(r['failures'] for r in rows)} | {_loads([r['load'] for r in rows])} |"
        )
    lines += [
        "",
        "### While TikTok hangs",
        "",
        f"The sandbox answers every API call after {HANG_SECONDS} s (longer than any timeout of ours); a Celery "
        "worker (`-Q interactive --concurrency 2`) runs the jobs. "
        f"{HOLDERS} people sit on creator search: each opens a search of its own (a job) and asks for its "
        f"progress every {HOLD_POLL_SECONDS:.0f} s, as the page does. Meanwhile /healthz/ and the login page "
        f"(GET) are requested at {RATE} requests/s for {PAGE_SECONDS} s each, as above; the baseline is "
        "/healthz/ in the pages table.",
        "",
        "| measured | p50 ms | p99 ms | p99 / baseline healthz | requests | non-200 | load average |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in ("/healthz/", "login page"):
        rows = [hanging[name] for _, hanging in runs]
        ratio = [hanging[name]["p99"] / pages[healthz]["p99"] for pages, hanging in runs]
        lines.append(
            f"| {name} | {_spread([r['p50'] for r in rows])} | {_spread([r['p99'] for r in rows])} "
            f"| {_spread(ratio)}× | {sum(r['n'] for r in rows)} | {sum(r['failures'] for r in rows)} "
            f"| {_loads([r['load'] for r in rows])} |"
        )
    holders = [hanging["holders"] for _, hanging in runs]
    lines += [
        "",
        f"The people on creator search made {sum(h['requests'] for h in holders):,} requests "
        f"({sum(h['non-200'] for h in holders)} not answered 200), p99 {_spread([h['p99'] for h in holders])} ms. "
        "No request thread calls TikTok (creator search is a job), so what /healthz/ and login lose here is "
        "the CPU the holders' pages and the rest of the machine take, not threads held by TikTok.",
        "",
        "Marketplace-status polling is measured with the product's own beat and workers in the "
        "polling section below (`python -m benchmarks polling`).",
        "",
    ]
    return report.write_section("load", "\n".join(lines))


def _hang(base: str) -> None:
    """Point this process and the ones it starts at the sandbox, and make it hang."""
    os.environ.update(TIKTOK_SANDBOX_URL=base, TIKTOK_AUTH_BASE_URL=base, TIKTOK_BUSINESS_API_BASE_URL=base)
    requests.post(f"{base}/sandbox/api/faults", json={"pattern": "*", "latency_ms": HANG_SECONDS * 1000},
                  timeout=30).raise_for_status()  # fmt: skip


def run(scratch: Path, runs: int = 1) -> int:
    import redis

    from tiktok_sandbox.testing import start_sandbox

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    redis.Redis.from_url(settings.REDIS_URL).flushdb()  # the benchmark's own Redis database: its jobs' queue
    t0 = time.perf_counter()
    if connection.vendor == "sqlite":
        # A throwaway file: no need to survive a crash, so skip the fsyncs while seeding.
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA synchronous=OFF")
            cursor.execute("PRAGMA journal_mode=MEMORY")
    with transaction.atomic():
        user, brand = seed()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # fresh planner statistics, as a long-lived database has
    seed_seconds = time.perf_counter() - t0
    print(f"seeded in {seed_seconds:.0f} s", flush=True)
    counts, cookie = query_counts(user, brand)
    results = []
    with start_sandbox(db_path=scratch / "sandbox.sqlite3") as base:
        _hang(base)
        with (scratch / "worker.log").open("w") as log:
            worker = subprocess.Popen(
                [str(Path(sys.executable).with_name("celery")), "-A", "aspire_tiktok", "worker", "-Q", "interactive",
                 "--concurrency", "2", "--loglevel", "WARNING"],
                cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        try:
            for i in range(runs):
                with _gunicorn(scratch, i) as port:
                    results.append((page_bench(port, cookie, brand, counts), hanging_bench(port, cookie, brand)))
        finally:
            worker.terminate()
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
    path = write_section(results, seed_seconds, time.perf_counter() - started)
    print(f"wrote {path}")
    return 0
