"""Post insights benchmarks: the campaign page at 10,000 posts × 90 days, and polling.

1. Seed a brand with 1,000 creators and 10,000 posts in one campaign with 90 days of
   snapshots (bulk_create), then time the campaign insights page (full page and its htmx
   table fragment) against a trivial Django view in the same process, with the Django test
   Client (no network or WSGI server in the loop), and count its queries.
2. Start a sandbox, add 100 ms latency to every request (fault rule `latency_ms`), post
   videos to the seeded "Spring Launch" campaign, and poll its report through the real
   client and shared rate budget: posts refreshed per second and CPU time per API call.
"""

from __future__ import annotations

import os
import platform
import subprocess
import time
from datetime import date, timedelta
from pathlib import Path

import requests
from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from . import report

CREATORS, POSTS, DAYS = 1_000, 10_000, 90
PAGE_RUNS, TRIVIAL_RUNS = 60, 300
SANDBOX_VIDEOS, POLL_RUNS = 300, 3
ROOT = Path(__file__).resolve().parent.parent


def _p(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))] * 1000


def seed():
    from integrations.models import (
        Brand,
        BrandMembership,
        Campaign,
        CampaignDayTotal,
        CampaignPost,
        PostInsight,
        PostSnapshot,
        TikTokAccount,
    )

    user = _user()
    brand = Brand.objects.create(name="Bench Brand")
    BrandMembership.objects.create(user=user, brand=brand, role=BrandMembership.Role.OWNER)
    campaign = Campaign.objects.create(brand=brand, campaign_id="7999999999999999999", name="Bench campaign")
    accounts = TikTokAccount.objects.bulk_create([TikTokAccount(handle=f"bench.creator{i}") for i in range(CREATORS)])
    posts = CampaignPost.objects.bulk_create(
        [CampaignPost(campaign=campaign, tiktok_account=accounts[i % CREATORS], video_id=f"78{i:017d}",
                      link_status="APPROVE", publish_status="published") for i in range(POSTS)],
        batch_size=2000,
    )  # fmt: skip
    today, now = date.today(), timezone.now()
    for start in range(0, POSTS, 500):
        PostSnapshot.objects.bulk_create(
            [PostSnapshot(post=p, campaign=campaign, date=today - timedelta(days=d), day_views=100 + d,
                          day_views_organic=80 + d, day_views_paid=20, day_likes=5, day_comments=1, day_shares=1,
                          video_views=(DAYS - d) * 100, fetched_at=now)
             for p in posts[start : start + 500] for d in range(DAYS)],
            batch_size=5000,
        )  # fmt: skip
    PostInsight.objects.bulk_create(
        [PostInsight(post=p, campaign=campaign, as_of=today, fetched_at=now, changed_at=now, video_views=9000 + i,
                     video_views_organic=7000 + i, video_views_paid=2000, engagement_count=600 + i % 97,
                     engagement_rate=0.06, ad_cost=i % 50) for i, p in enumerate(posts)],
        batch_size=2000,
    )  # fmt: skip
    CampaignDayTotal.objects.bulk_create(
        [CampaignDayTotal(campaign=campaign, date=today - timedelta(days=d), views_organic=800_000,
                          views_paid=200_000, engagement=70_000) for d in range(DAYS)]
    )  # fmt: skip
    return user, brand, campaign


def _user():
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_user(username="bench", email="bench@example.test", password="x")


def _time(client: Client, url: str, runs: int, **kwargs) -> tuple[list[float], int]:
    client.get(url, **kwargs)  # warm caches and template loading
    times, queries = [], 0
    for _ in range(runs):
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            response = client.get(url, **kwargs)
            times.append(time.perf_counter() - started)
        assert response.status_code == 200, (url, response.status_code)
        queries = len(ctx.captured_queries)
    return times, queries


def page_bench(user, brand, campaign) -> dict:
    client = Client()
    client.force_login(user)
    page = reverse("integrations:insights_campaign", args=[brand.slug, campaign.pk])
    results = {}
    for name, url, kwargs in (
        ("trivial view (/healthz/)", reverse("healthz"), {}),
        ("campaign insights page", page, {}),
        ("table fragment, page 150 sorted by engagement (htmx)", page + "?page=150&sort=-engagement_count",
         {"headers": {"HX-Request": "true"}}),
        ("brand insights page", reverse("integrations:insights", args=[brand.slug]), {}),
    ):  # fmt: skip
        times, queries = _time(client, url, TRIVIAL_RUNS if "trivial" in name else PAGE_RUNS, **kwargs)
        results[name] = {"queries": queries, "p50": _p(times, 50), "p99": _p(times, 99), "runs": len(times)}
    return results


def poll_bench(brand, scratch: Path) -> dict:
    from tiktok_sandbox.testing import start_sandbox

    with start_sandbox(db_path=scratch / "sandbox.sqlite3") as base:
        for name in ("TIKTOK_AUTH_BASE_URL", "TIKTOK_OPEN_API_BASE_URL", "TIKTOK_BUSINESS_API_BASE_URL"):
            setattr(settings, name, base)
        return _poll_against(base, brand)


def _poll_against(base: str, brand) -> dict:
    from integrations.insights import report
    from integrations.models import Campaign, Credential, TikTokOneAccount
    from integrations.tiktok import BusinessClient

    control = requests.Session()
    for _ in range(SANDBOX_VIDEOS):
        control.post(f"{base}/sandbox/api/helpers/sponsored-videos",
                     json={"handle": "market.star", "campaign_id": "7900000000000000001"}, timeout=30).raise_for_status()  # fmt: skip
    control.post(f"{base}/sandbox/api/clock/advance", json={"hours": 30}, timeout=60).raise_for_status()
    code = control.post(f"{base}/sandbox/api/helpers/portal-auth",
                        json={"persona": "demo-brand", "redirect_uri": "http://bench/cb"}, timeout=30).json()  # fmt: skip
    token = BusinessClient().oauth2_access_token(code["auth_code"]).access_token
    cred = Credential.objects.create(kind=Credential.Kind.BUSINESS, brand=brand, access_token=token)
    account = TikTokOneAccount.objects.create(tto_tcm_account_id="7200000000000000001", brand=brand, credential=cred)
    campaign = Campaign.objects.create(brand=brand, tiktok_one_account=account, campaign_id="7900000000000000001",
                                       name="Spring Launch")  # fmt: skip
    report.subscribe_tcm_videos(account)  # outside the timing: a one-off call
    control.post(f"{base}/sandbox/api/faults", json={"pattern": "*", "latency_ms": 100}, timeout=30).raise_for_status()
    control.delete(f"{base}/sandbox/api/requests", timeout=30)
    runs = []
    for _ in range(POLL_RUNS):
        Campaign.objects.filter(pk=campaign.pk).update(report_resume_page=1, last_polled_at=None)
        cpu, wall = time.process_time(), time.perf_counter()
        result = report.poll_campaign(campaign.pk)
        runs.append((result.saved, result.pages, time.perf_counter() - wall, time.process_time() - cpu))
    stats = control.get(f"{base}/sandbox/api/requests/stats", params={"window_seconds": 1}, timeout=30).json()
    posts, pages = sum(r[0] for r in runs), sum(r[1] for r in runs)
    return {
        "posts_per_poll": runs[0][0],
        "pages_per_poll": runs[0][1],
        "posts_per_second": posts / sum(r[2] for r in runs),
        "cpu_ms_per_call": sum(r[3] for r in runs) / pages * 1000,
        "wall_ms_per_call": sum(r[2] for r in runs) / pages * 1000,
        "budget": settings.TIKTOK_RATE_BUDGET_ENABLED,
        "report_stats": _report_stats(stats),
    }


def _report_stats(stats) -> str:
    rows = stats.get("endpoints", stats) if isinstance(stats, dict) else stats
    items = rows.items() if isinstance(rows, dict) else [(r.get("path"), r) for r in rows or []]
    for path, row in items:
        if path and "tto/tcm/report" in path:
            return f"{row.get('count')} requests, max {row.get('max_in_window')} in any 1 s window"
    return "n/a"


def _machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 1024 / 1024:.1f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return f"{cpu}, {os.cpu_count()} cores{mem}; {platform.system()} {platform.release()}; Python {platform.python_version()}"


def _commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def write_report(pages: dict, poll: dict, seed_seconds: float, total_seconds: float) -> Path:
    db = connection.vendor
    lines = [
        "# Benchmarks",
        "",
        "Produced by `make bench` (which runs `python -m benchmarks`); rerun it to refresh this file.",
        f"Commit {_commit()}, {time.strftime('%Y-%m-%d %H:%M %Z')}. Machine: {_machine()}. "
        f"Database: throwaway {db} file (set DATABASE_URL to bench Postgres). Whole run: {total_seconds:.0f} s.",
        "",
        "## Post insights: campaign page",
        "",
        f"Seeded with bulk_create in {seed_seconds:.0f} s: one brand, {CREATORS:,} creators, {POSTS:,} posts in one "
        f"campaign, {DAYS} days of snapshots per post ({POSTS * DAYS:,} snapshot rows). Timed with Django's test "
        "Client in this process (middleware, view, ORM, templates; no network or WSGI server), "
        "logged in as the brand owner, after one warm-up request.",
        "",
        "| request | queries | p50 ms | p99 ms | runs |",
        "|---|---|---|---|---|",
    ]
    for name, r in pages.items():
        lines.append(f"| {name} | {r['queries']} | {r['p50']:.1f} | {r['p99']:.1f} | {r['runs']} |")
    lines += [
        "",
        "The query count is the same at 5 posts and at 10,000 (asserted with 200 posts × 30 days in "
        "`tests/insights/test_views.py`): totals come from one aggregate over the per-post latest-figures "
        "table, the chart from per-day campaign totals kept at poll time, the table from one paginated join.",
        "",
        "## Post insights: polling `tto/tcm/report/`",
        "",
        f"Against a live sandbox with 100 ms added to every request (fault rule `latency_ms`), "
        f'{poll["posts_per_poll"]} posts in the "Spring Launch" campaign, {poll["pages_per_poll"]} report pages '
        f"of 50 per poll, {POLL_RUNS} polls, each page upserted in its own transaction. Shared Redis rate budget "
        f"{'on' if poll['budget'] else 'off (Redis unavailable)'}.",
        "",
        "| measure | value |",
        "|---|---|",
        f"| posts refreshed per second (one campaign, pages in sequence) | {poll['posts_per_second']:.0f} |",
        f"| wall time per API call (100 ms latency + sandbox + upsert) | {poll['wall_ms_per_call']:.0f} ms |",
        f"| CPU time per API call in the polling process (request, JSON, parse, upsert 50 posts) "
        f"| {poll['cpu_ms_per_call']:.1f} ms |",
        f"| sandbox's view of `tto/tcm/report/` | {poll['report_stats']} |",
        "",
        "A poll is bound by the API's response time (the 100 ms added plus the sandbox's own time to compute "
        "50 posts with up to 60 days of daily stats), not by our CPU: the CPU per call is a small share of the "
        "wall time per call. Pages of one campaign are fetched in sequence (a page's resume point is saved "
        "before the next is asked for); more campaigns poll in parallel on more insights-queue workers, up "
        "to the app's shared budget (TIKTOK_API_TIER).",
        "",
    ]
    # The head of the file; other benchmarks' sections after it are kept.
    return report.write_section("head", "\n".join(lines))


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
        user, brand, campaign = seed()
    seed_seconds = time.perf_counter() - t0
    print(f"seeded in {seed_seconds:.0f} s", flush=True)
    pages = page_bench(user, brand, campaign)
    print(pages, flush=True)
    poll = poll_bench(brand, scratch)
    print(poll, flush=True)
    path = write_report(pages, poll, seed_seconds, time.perf_counter() - started)
    print(f"wrote {path}")
    return 0
