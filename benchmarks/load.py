"""Load benchmark: the main pages at scale under gunicorn.

1. Seed 100,000 creators (user, CreatorProfile, TikTok account, Marketplace onboarding
   waiting for its invite) and 2,000 brands (owner, TikTok One account with its credential,
   ad accounts, campaigns) with bulk_create.
2. Start gunicorn (DJANGO_ENV=dev, DEBUG off) on 127.0.0.1 and drive each main page at a
   fixed request rate from an open-loop Python generator, logged in by a session cookie;
   report p50/p99 as a ratio to /healthz/ measured in the same run, and each page's query
   count (test Client in this process, CaptureQueriesContext).

Marketplace polling is measured with the product's own beat and workers by
`python -m benchmarks polling` (benchmarks/polling.py).

`python -m benchmarks load`.
"""

from __future__ import annotations

import http.client
import itertools
import os
import subprocess
import sys
import threading
import time
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
    ttos = TikTokOneAccount.objects.bulk_create(
        [TikTokOneAccount(tto_tcm_account_id=f"71{i:017d}", brand=b, credential=c)
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
    return user, brands[0]


# --- 2. Pages under gunicorn -------------------------------------------------------------


def _pages(brand) -> dict[str, str]:
    return {
        "trivial view (/healthz/)": reverse("healthz"),
        "brand TikTok integration page": reverse("integrations:tiktok_settings", args=[brand.slug]),
        "campaigns": reverse("integrations:campaigns", args=[brand.slug]),
        "creator Social Accounts": reverse("creators:home"),
        "brand insights": reverse("integrations:insights", args=[brand.slug]),
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
    start = time.perf_counter() + 0.1
    headers = {"Cookie": f"{settings.SESSION_COOKIE_NAME}={cookie}", "Host": "127.0.0.1"}

    def worker() -> None:
        while (i := next(counter)) < total:
            due = start + i / rate
            if (delay := due - time.perf_counter()) > 0:
                time.sleep(delay)
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)  # only ever 127.0.0.1
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
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
            "statuses": sorted(set(failures)), "achieved": total / elapsed}  # fmt: skip


def page_bench(user, brand, scratch: Path) -> dict:
    from tiktok_sandbox.testing import free_port

    counts, cookie = query_counts(user, brand)
    port = free_port()
    env = {**os.environ, "DJANGO_ENV": "dev", "DJANGO_DEBUG": "false"}
    log = (scratch / "gunicorn.log").open("w")
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "aspire_tiktok.wsgi", "--workers", str(GUNICORN_WORKERS),
         "--bind", f"127.0.0.1:{port}", "--timeout", "60"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        _wait_for(f"http://127.0.0.1:{port}/healthz/", server)
        results = {}
        for name, path in _pages(brand).items():
            _fixed_rate(port, path, cookie, RATE, 2)  # warm every worker's caches and templates
            results[name] = {**_fixed_rate(port, path, cookie, RATE, PAGE_SECONDS), "queries": counts[name]}
            print(name, results[name], flush=True)
        return results
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


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


def write_section(pages: dict, seed_seconds: float, total_seconds: float) -> Path:
    trivial = pages["trivial view (/healthz/)"]
    lines = [
        "## Load: pages at scale under gunicorn",
        "",
        "Produced by `python -m benchmarks load` (part of `make bench`); rerun it to refresh this section. "
        f"Commit {_commit()}, {time.strftime('%Y-%m-%d %H:%M %Z')}. Machine: {_machine()}. "
        f"Database: a fresh `{connection.vendor}` database ({connection.settings_dict['NAME']}). "
        f"Whole run: {total_seconds:.0f} s.",
        "",
        f"Seeded with bulk_create in {seed_seconds:.0f} s: {CREATORS:,} creators (user, creator profile, TikTok "
        f"account, Marketplace onboarding waiting for its invite) and {BRANDS:,} brands (owner, TikTok One "
        f"account and credential, {AD_ACCOUNTS_PER_BRAND} ad accounts, {CAMPAIGNS_PER_BRAND} campaigns each).",
        "",
        "### Pages",
        "",
        f"gunicorn, {GUNICORN_WORKERS} sync workers, `DJANGO_ENV=dev` with DEBUG off, on 127.0.0.1; each page "
        f"requested at a fixed {RATE} requests/s for {PAGE_SECONDS} s (after 2 s of warm-up) by an open-loop "
        "Python generator in the benchmark process (wrk2-style: a request's latency counts from when it was "
        "due, so queueing is not hidden), with the session cookie of a user who owns one brand and is a "
        "creator. A new connection per request (gunicorn's sync workers do not keep connections alive). "
        "Queries are counted per request with the test Client in the benchmark process.",
        "",
        "| page | queries | p50 ms | p99 ms | p50 / healthz | p99 / healthz | requests | non-200 | achieved req/s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in pages.items():
        lines.append(
            f"| {name} | {r['queries']} | {r['p50']:.1f} | {r['p99']:.1f} | {r['p50'] / trivial['p50']:.1f}× "
            f"| {r['p99'] / trivial['p99']:.1f}× | {r['n']} | {r['failures']} | {r['achieved']:.1f} |"
        )
    lines += [
        "",
        "Every page reads only the logged-in user's brand or accounts, through indexed foreign keys; the "
        "query counts match a trial run of this benchmark at 2,000 creators and 50 brands.",
        "",
        "Marketplace-status polling is measured with the product's own beat and workers in the "
        "polling section below (`python -m benchmarks polling`).",
        "",
    ]
    return report.write_section("load", "\n".join(lines))


def run(scratch: Path) -> int:
    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
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
    pages = page_bench(user, brand, scratch)
    path = write_section(pages, seed_seconds, time.perf_counter() - started)
    print(f"wrote {path}")
    return 0
