"""The product's own polling, measured: its Celery beat and workers against a sandbox with latency.

Nothing here polls TikTok. The benchmark seeds rows in the states the product writes, starts
`celery -A aspire_tiktok worker` and `celery -A aspire_tiktok beat` as separate processes with
the project's settings (this run's database, a Redis database of its own, the shared rate
budget on, the TikTok URLs pointing at the sandbox), and watches the database and the
sandbox while the product works:

1. Marketplace status: BENCH_CREATORS creators waiting for their invite (as
   `marketplace.request_invite` leaves them: state WAITING, invite_requested_at set, due now),
   with handles the sandbox knows (its `helpers/creators`, each with an invite not yet
   delivered, so TikTok answers INVITED and they stay waiting). Beat's dispatcher and the
   workers poll them however the product does it today; the benchmark records when each row's
   status was stored.
2. Post insights: a campaign with BENCH_VIDEOS sponsored videos in the sandbox; the product's
   dispatcher task is sent once through the broker (beat would first send it after its
   5-minute interval) and the worker polls the report.

The sandbox counts every request (its stats API): the most in any second, minute and day is
TikTok's view of the product. Worker CPU and RSS are read from /proc for the worker and its
pool processes. The run lasts at least BENCH_SOAK_SECONDS (the RSS soak).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import requests
from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from . import report
from .insights import _commit, _machine

CREATORS = int(os.environ.get("BENCH_CREATORS", "3000"))
VIDEOS = int(os.environ.get("BENCH_VIDEOS", "300"))
SOAK_SECONDS = int(os.environ.get("BENCH_SOAK_SECONDS", "600"))
CONCURRENCY = int(os.environ.get("BENCH_WORKER_CONCURRENCY", "4"))
LATENCY_MS = 100
HANDLE_PREFIX = "bench.c"
SAMPLE_EVERY = 5.0
# Creators per call TikTok takes in `tto/tcm/creator/status/get/`.
HANDLES_PER_CALL = 20
STATUS_PATH = "tto/tcm/creator/status/get/"
REPORT_PATH = "tto/tcm/report/"
ROOT = Path(__file__).resolve().parent.parent
CELERY = Path(sys.executable).with_name("celery")


# --- processes -----------------------------------------------------------------------------


def _tree(pid: int) -> list[int]:
    """pid and its descendants (the prefork pool's processes)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return out


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of the process tree, in seconds."""
    tick, total = os.sysconf("SC_CLK_TCK"), 0
    for p in _tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / tick


def _rss_mib(pid: int) -> float:
    total = 0
    for p in _tree(pid):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def _start(args: list[str], log: Path) -> subprocess.Popen:
    with log.open("w") as out:
        return subprocess.Popen([str(CELERY), "-A", "aspire_tiktok", *args], cwd=ROOT, stdout=out, stderr=out)


def _settle(pid: int, timeout: float = 60) -> float:
    """Wait until the worker has booted (its CPU stops climbing); its CPU then."""
    deadline, last = time.monotonic() + timeout, -1.0
    while time.monotonic() < deadline:
        time.sleep(2)
        now = _cpu_seconds(pid)
        if len(_tree(pid)) > CONCURRENCY and now - last < 0.05:
            return now
        last = now
    raise RuntimeError("the Celery worker did not settle; see its log in the scratch directory")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# --- the sandbox -----------------------------------------------------------------------------


def _stats(control: requests.Session, base: str, window: float) -> dict:
    answer = control.get(f"{base}/sandbox/api/requests/stats", params={"window_seconds": window}, timeout=120)
    answer.raise_for_status()
    return answer.json()


def _path_count(stats: dict, path: str) -> int:
    return sum(row["count"] for p, row in stats["endpoints"].items() if path in p)


# --- 1. Marketplace status -------------------------------------------------------------------


def seed_waiting_creators(control: requests.Session, base: str) -> None:
    from creators.models import MarketplaceOnboarding
    from integrations.models import TikTokAccount

    control.post(f"{base}/sandbox/api/helpers/creators", json={"prefix": HANDLE_PREFIX, "count": CREATORS},
                 timeout=600).raise_for_status()  # fmt: skip
    now = timezone.now()
    with transaction.atomic():
        accounts = TikTokAccount.objects.bulk_create(
            [TikTokAccount(handle=f"{HANDLE_PREFIX}{n}", open_id=f"open-{HANDLE_PREFIX}{n}") for n in range(CREATORS)],
            batch_size=2000,
        )
        MarketplaceOnboarding.objects.bulk_create(
            [MarketplaceOnboarding(tiktok_account=a, state=MarketplaceOnboarding.State.WAITING, authorized_at=now,
                                   eligibility_checked_at=now, invite_requested_at=now, next_poll_at=now)
             for a in accounts],
            batch_size=2000,
        )  # fmt: skip


def _polled(since, until) -> list[float]:
    """When each creator's status was stored; `until` leaves out a second round of polls
    (a waiting creator is polled again after 15 minutes or more)."""
    from creators.models import MarketplaceOnboarding

    times = MarketplaceOnboarding.objects.filter(
        tiktok_account__handle__startswith=HANDLE_PREFIX, status_checked_at__gte=since, status_checked_at__lte=until
    ).values_list("status_checked_at", flat=True)
    return sorted(t.timestamp() for t in times)


def interactive_call() -> float | None:
    """One call a person would wait on, as a web request makes it: the product's client, the
    shared budget (outside a Celery task, so the reserved share is open to it) and the request
    deadline. Seconds it took, or None if it failed."""
    from integrations.models import TikTokOneAccount
    from integrations.tiktok import TikTokError, tokens
    from integrations.tiktok.transport import request_deadline

    account = TikTokOneAccount.objects.get(is_internal=True)
    started = time.perf_counter()
    try:
        with request_deadline(settings.TIKTOK_REQUEST_DEADLINE_SECONDS):
            tokens.call_with_credential(account.credential_id, lambda c: c.tto_oauth2_info(account.tto_tcm_account_id))
    except TikTokError:
        return None
    return time.perf_counter() - started


def marketplace(control: requests.Session, base: str, worker: subprocess.Popen, beat_started: float) -> dict:
    """Watch the product poll the waiting creators; at least SOAK_SECONDS in all. Every sample
    also times one interactive call while the background polls saturate the budget."""
    from creators.models import MarketplaceOnboarding

    cpu0, since = _cpu_seconds(worker.pid), timezone.now()
    rss, done_at = [(0.0, _rss_mib(worker.pid))], None
    people: list[float | None] = []
    waiting = MarketplaceOnboarding.objects.filter(tiktok_account__handle__startswith=HANDLE_PREFIX)
    while True:
        time.sleep(SAMPLE_EVERY)
        if done_at is None:
            people.append(interactive_call())
        elapsed = time.time() - beat_started
        rss.append((elapsed, _rss_mib(worker.pid)))
        if done_at is None and waiting.filter(status_checked_at__gte=since).count() >= CREATORS:
            done_at, cpu_done, done_when = time.time(), _cpu_seconds(worker.pid), timezone.now()
            calls_done = _path_count(_stats(control, base, 1), STATUS_PATH)
        if worker.poll() is not None:
            raise RuntimeError("the Celery worker exited; see its log in the scratch directory")
        if elapsed >= SOAK_SECONDS and done_at is not None:
            break
        if elapsed >= SOAK_SECONDS * 3:
            break  # the product did not get through them: report what it did
    if done_at is None:
        cpu_done, calls_done = _cpu_seconds(worker.pid), _path_count(_stats(control, base, 1), STATUS_PATH)
        done_when = timezone.now()
    times = _polled(since, done_when)
    first, last = (times[0], times[-1]) if times else (beat_started, beat_started)
    return {
        "polled": len(times),
        "first_after_beat": first - beat_started,
        "all_after_beat": (last - beat_started) if done_at else None,
        "steady_per_second": (len(times) - 1) / (last - first) if len(times) > 1 and last > first else 0.0,
        "calls": calls_done,
        "cpu_ms_per_call": (cpu_done - cpu0) / max(calls_done, 1) * 1000,
        "rss": rss,
        "people": people,
    }


# --- 2. Post insights ----------------------------------------------------------------------


def insights(control: requests.Session, base: str, worker: subprocess.Popen) -> dict:
    from integrations.insights import report as insights_report
    from integrations.insights.tasks import dispatch_insights_polls
    from integrations.models import Brand, Campaign, Credential, PostInsight, TikTokOneAccount
    from integrations.tiktok import BusinessClient

    for _ in range(VIDEOS):
        control.post(f"{base}/sandbox/api/helpers/sponsored-videos",
                     json={"handle": "market.star", "campaign_id": "7900000000000000001"}, timeout=30).raise_for_status()  # fmt: skip
    control.post(f"{base}/sandbox/api/clock/advance", json={"hours": 30}, timeout=60).raise_for_status()
    code = control.post(f"{base}/sandbox/api/helpers/portal-auth",
                        json={"persona": "demo-brand", "redirect_uri": "http://bench/cb"}, timeout=30).json()  # fmt: skip
    brand = Brand.objects.create(name="Bench Brand")
    token = BusinessClient().oauth2_access_token(code["auth_code"]).access_token
    cred = Credential.objects.create(kind=Credential.Kind.BUSINESS, brand=brand, access_token=token)
    account = TikTokOneAccount.objects.create(tto_tcm_account_id="7200000000000000001", brand=brand, credential=cred)
    insights_report.subscribe_tcm_videos(account)  # a one-off call when an account connects
    calls0 = _path_count(_stats(control, base, 1), REPORT_PATH)
    cpu0, started = _cpu_seconds(worker.pid), timezone.now()
    campaign = Campaign.objects.create(brand=brand, tiktok_one_account=account, campaign_id="7900000000000000001",
                                       name="Spring Launch", next_poll_at=started)  # fmt: skip
    dispatch_insights_polls.delay()
    refreshed = PostInsight.objects.filter(campaign=campaign, fetched_at__gte=started)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        time.sleep(1)
        campaign.refresh_from_db()
        if campaign.last_polled_at and campaign.last_polled_at >= started:
            break
    wall = (timezone.now() - started).total_seconds()
    calls = _path_count(_stats(control, base, 1), REPORT_PATH) - calls0
    posts = refreshed.count()
    cpu = _cpu_seconds(worker.pid) - cpu0
    return {
        "posts": posts,
        "calls": calls,
        "calls_per_post": calls / max(posts, 1),
        "cpu_ms_per_post": cpu / max(posts, 1) * 1000,
        "cpu_ms_per_call": cpu / max(calls, 1) * 1000,
        "seconds": wall,
        "finished": bool(campaign.last_polled_at and campaign.last_polled_at >= started),
    }


# --- the run -------------------------------------------------------------------------------


def environment(base: str, scratch: Path) -> None:
    """The settings the product's processes and this one share (read by settings.py)."""
    os.environ.update(
        TIKTOK_SANDBOX_URL=base,
        TIKTOK_AUTH_BASE_URL=base,
        TIKTOK_BUSINESS_API_BASE_URL=base,
        CELERY_BEAT_SCHEDULE_FILENAME=str(scratch / "celerybeat-schedule"),
    )
    for name in (
        "SANDBOX_URL",
        "TIKTOK_AUTH_BASE_URL",
        "TIKTOK_BUSINESS_API_BASE_URL",
    ):
        setattr(settings, name, base)


def run(scratch: Path) -> int:
    from tiktok_sandbox.testing import start_sandbox

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    import redis

    redis.Redis.from_url(settings.REDIS_URL).flushdb()  # the benchmark's own Redis database
    with start_sandbox(db_path=scratch / "sandbox.sqlite3") as base:
        environment(base, scratch)
        control = requests.Session()
        # The sandbox enforces the tier the product is configured for, as TikTok would.
        control.post(f"{base}/sandbox/api/rate-limits/app", json={"tier": settings.TIKTOK_API_TIER},
                     timeout=30).raise_for_status()  # fmt: skip
        call_command("connect_platform_account", wait=10)
        seed_waiting_creators(control, base)
        control.post(f"{base}/sandbox/api/faults", json={"pattern": "*", "latency_ms": LATENCY_MS},
                     timeout=30).raise_for_status()  # fmt: skip
        control.delete(f"{base}/sandbox/api/requests", timeout=60).raise_for_status()
        worker = _start(["worker", "-Q", "default,invites,insights,spark,tokens", "--concurrency", str(CONCURRENCY),
                         "--loglevel", "WARNING"], scratch / "worker.log")  # fmt: skip
        beat = None
        try:
            _settle(worker.pid)
            beat = _start(["beat", "--loglevel", "WARNING"], scratch / "beat.log")
            beat_started = time.time()
            market = marketplace(control, base, worker, beat_started)
            _stop(beat)
            print(market | {"rss": market["rss"][-3:]}, flush=True)
            posts = insights(control, base, worker)
            print(posts, flush=True)
            rss_end, load = _rss_mib(worker.pid), os.getloadavg()
            windows = {w: _stats(control, base, s)["app"] for w, s in (("second", 1), ("minute", 60), ("day", 86400))}
        finally:
            if beat is not None:
                _stop(beat)
            _stop(worker)
    path = write_section(market, posts, windows, rss_end, load, time.perf_counter() - started)
    print(f"wrote {path}")
    return 0


# --- report ---------------------------------------------------------------------------------


def _people(samples: list[float | None]) -> str:
    done = sorted(s for s in samples if s is not None)
    if not done:
        return f"{len(samples)} made, none answered"
    p50 = done[len(done) // 2]
    return (
        f"{len(samples)} made, {len(samples) - len(done)} failed; p50 {p50 * 1000:.0f} ms, "
        f"max {done[-1] * 1000:.0f} ms, {sum(s <= 2 for s in done)} of {len(samples)} within 2 s"
    )


def write_section(
    market: dict, posts: dict, windows: dict, rss_end: float, load: tuple[float, ...], total_seconds: float
) -> Path:
    from integrations.tiktok.ratelimit import limits_for

    limits, share = limits_for(), settings.TIKTOK_RATE_RESERVED_SHARE
    ceiling = limits.per_second * HANDLES_PER_CALL
    rate = market["steady_per_second"]
    full = 100_000 / rate + market["first_after_beat"] if rate else float("inf")
    budget_time = 100_000 / ceiling
    span = (market["polled"] - 1) / rate if rate else 0.0
    rss = market["rss"]
    rss_idle, rss_peak = rss[0][1], max(v for _, v in rss)
    # Warm: the first sample once the worker has polled (its pool has imported and connected).
    warm = next(((t, v) for t, v in rss if t >= market["first_after_beat"] + SAMPLE_EVERY), rss[-1])
    soak = rss[-1][0]
    lines = [
        "## The product's own polling: beat and Celery workers against the sandbox",
        "",
        "Produced by `python -m benchmarks polling` (part of `make bench`). "
        f"Commit {_commit()}, {time.strftime('%Y-%m-%d %H:%M %Z')}. Machine: {_machine()}. "
        f"Database: a throwaway `{connection.vendor}` database shared by the benchmark, the worker and beat. "
        f"Whole run: {total_seconds:.0f} s. Load average at the end (1/5/15 min): "
        + "/".join(f"{v:.1f}" for v in load)
        + " (other processes share the machine: read CPU figures with that in mind).",
        "",
        f"`celery -A aspire_tiktok worker --concurrency {CONCURRENCY}` and `celery -A aspire_tiktok beat` run as "
        "separate processes with the project's settings (`DJANGO_ENV=test`, shared Redis rate budget on, tier "
        f"`{settings.TIKTOK_API_TIER}`: {limits.per_second} QPS, {limits.per_minute} per minute, {limits.per_day:,} "
        f"per day; people's calls go first and {share:.0%} of the day is reserved for them), against a sandbox that adds {LATENCY_MS} ms to every request "
        "and enforces the same tier. No benchmark code polls TikTok: the numbers are the product's.",
        "",
        "### Marketplace status",
        "",
        f"{CREATORS:,} creators waiting for their invite, seeded as the product leaves them after asking TikTok "
        "(state WAITING, `invite_requested_at` set, due now), with handles the sandbox knows (each with an "
        "invite not yet delivered: TikTok answers INVITED, so each poll stores the status and reschedules). "
        "Rate = creators stored per second between the first and the last status stored.",
        "",
        "| measure | value |",
        "|---|---|",
        f"| creators polled | {market['polled']:,} of {CREATORS:,} |",
        f"| first status stored after beat started | {market['first_after_beat']:.0f} s |",
        "| all stored after beat started | "
        + (f"{market['all_after_beat']:.0f} s" if market["all_after_beat"] is not None else "not all, in the run")
        + " |",
        f"| creators per second (steady, over {span:.0f} s) | {rate:.1f} |",
        f"| over the ceiling, {limits.per_second} QPS × {HANDLES_PER_CALL} = {ceiling} creators/s | {rate / ceiling:.3f} |",
        f"| `{STATUS_PATH}` calls (sandbox's count) | {market['calls']:,} "
        f"({market['polled'] / max(market['calls'], 1):.1f} creators per call) |",
        f"| calls per second (steady) | {market['calls'] / span if span else 0.0:.2f} |",
        f"| time for 100,000 (extrapolated from this run: first-status delay + 100,000 / rate) | {full / 60:.1f} min |",
        f"| budget time for 100,000 at the ceiling | {budget_time / 60:.1f} min |",
        f"| time for 100,000 over budget time | {full / budget_time:.2f} × |",
        f"| worker CPU per call (worker and pool processes, dispatcher included) | {market['cpu_ms_per_call']:.1f} ms |",
        f"| interactive calls while the creators were polled (one per {SAMPLE_EVERY:.0f} s, the product's client "
        f"under the request deadline, outside Celery) | {_people(market['people'])} |",
        "",
        f"100,000 creators were not run on this 2-core machine: the figure above extrapolates the measured rate "
        f"of {market['polled']:,}. BENCH_CREATORS sets the number.",
        "",
        "### Post insights",
        "",
        f"One campaign with {VIDEOS} sponsored videos in the sandbox; the product's dispatcher task "
        "(`dispatch_insights_polls`) sent once through the broker (beat would send it after its 5-minute "
        "interval), the worker polling the report.",
        "",
        "| measure | value |",
        "|---|---|",
        f"| posts refreshed | {posts['posts']} in {posts['seconds']:.1f} s"
        f"{'' if posts['finished'] else ' (poll not finished in 10 min)'} |",
        f"| `{REPORT_PATH}` calls | {posts['calls']} |",
        f"| cost per refreshed post | {posts['calls_per_post']:.3f} calls, {posts['cpu_ms_per_post']:.2f} ms worker CPU |",
        f"| worker CPU per call | {posts['cpu_ms_per_call']:.1f} ms |",
        "",
        "### What the sandbox counted (every API for Business request of the run)",
        "",
        "| window | most requests in any window | limit | throttled (40100) |",
        "|---|---|---|---|",
    ]
    for window, limit in (("second", limits.per_second), ("minute", limits.per_minute), ("day", limits.per_day)):
        app = windows[window]
        lines.append(f"| {window} | {app['max_in_window']} | {limit:,} | {app['throttled']} |")
    lines += [
        "",
        "### Worker RSS (soak)",
        "",
        f"Worker and pool processes together, from /proc every {SAMPLE_EVERY:.0f} s over {soak:.0f} s "
        f"(BENCH_SOAK_SECONDS={SOAK_SECONDS}; the Marketplace phase lasts at least that long): "
        f"{rss_idle:.1f} MiB idle before the first task, {warm[1]:.1f} MiB at {warm[0]:.0f} s (warm: polling "
        f"had begun), {rss[-1][1]:.1f} MiB at the last sample, peak {rss_peak:.1f} MiB, {rss_end:.1f} MiB after "
        f"the insights poll. Growth over the soak from warm to last: {(rss[-1][1] - warm[1]) / warm[1]:.1%} "
        f"(from idle: {(rss[-1][1] - rss_idle) / rss_idle:.1%}).",
        "",
        "RSS samples (s after beat started: MiB): " + "; ".join(f"{t:.0f}: {v:.0f}" for t, v in rss) + ".",
        "",
    ]
    return report.write_section("polling", "\n".join(lines))
