"""Post insights benchmark: the campaign page at 10,000 posts × 90 days.

1. Seed a brand with 1,000 creators and 10,000 posts in one campaign with 90 days of
   snapshots (bulk_create), then time the campaign insights page (full page and its htmx
   table fragment) against a trivial Django view in the same process, with the Django test
   Client (no network or WSGI server in the loop), and count its queries.

Polling the report is measured with the product's own worker by `python -m benchmarks polling`.
"""

from __future__ import annotations

import os
import platform
import subprocess
import time
from datetime import date, timedelta
from pathlib import Path

from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from . import report

CREATORS, POSTS, DAYS = 1_000, 10_000, 90
PAGE_RUNS, TRIVIAL_RUNS = 60, 300
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


def write_report(pages: dict, seed_seconds: float, total_seconds: float) -> Path:
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
        "Polling `tto/tcm/report/` is measured with the product's own worker in the polling section "
        "(`python -m benchmarks polling`).",
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
    path = write_report(pages, seed_seconds, time.perf_counter() - started)
    print(f"wrote {path}")
    return 0
