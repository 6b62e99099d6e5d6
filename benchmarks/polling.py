"""The product's own polling, measured: its Celery beat and workers against a sandbox with latency.

Nothing here polls TikTok. For each scenario the benchmark empties its PostgreSQL database and
Redis database, starts a fresh sandbox enforcing the scenario's tier with 100 ms added to every
request, seeds rows in the states the product writes, starts CPU burners (busy loops, so the
figures are taken on a loaded machine), then starts `celery -A aspire_tiktok worker` (one per
"host", each with its own `-n` name) and `celery -A aspire_tiktok beat` as separate processes
with the project's settings, and watches the database and the sandbox while the product works.

Marketplace status rows are creators waiting for their invite (as `marketplace.request_invite`
leaves them: state WAITING, invite_requested_at set), with handles the sandbox knows (each with
an invite not yet delivered, so TikTok answers INVITED and they stay waiting). Scenarios:

- basic-20k, basic-100k: tier Basic, 4 worker processes, 20,000 / 100,000 creators due now.
  basic-20k also polls one campaign's post insights (BENCH_VIDEOS sponsored videos).
- spread: tier Basic, BENCH_SPREAD_ROWS rows in the table falling due one after the other at
  half the ceiling (100/s), BENCH_SPREAD_OVERDUE of them overdue by an hour when beat starts;
  the rows due in the first BENCH_SPREAD_SECONDS are measured: lateness = when the status was
  stored minus when the row fell due, and whether the overdue rows went first.
- ultimate: tier Ultimate (1,000 creators/s), BENCH_ULTIMATE_CONCURRENCY worker processes,
  20,000 creators due now, no CPU burners (the machine's two cores are the product's and the
  sandbox's).
- two-hosts: tier Basic, two `celery worker` processes named as two machines (`-n
  host1@bench`, `-n host2@bench`, 2 pool processes each) sharing Redis and PostgreSQL, 20,000
  creators due now.

BENCH_POLLING_SCENARIOS picks scenarios (comma-separated; all by default); `--runs N` runs each
N times and reports the median and min–max. BENCH_CPU_BURNERS sets the burners (default 2).
The sandbox counts every request (its stats API): the most in any second and minute and its
40100s are TikTok's view of the product. Worker CPU and RSS are read from /proc for the worker
and its pool processes; the 1-minute load average is sampled beside every figure.
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests
from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from . import report
from .insights import _commit, _machine

VIDEOS = int(os.environ.get("BENCH_VIDEOS", "300"))
BURNERS = int(os.environ.get("BENCH_CPU_BURNERS", "2"))
SPREAD_ROWS = int(os.environ.get("BENCH_SPREAD_ROWS", "100000"))
SPREAD_OVERDUE = int(os.environ.get("BENCH_SPREAD_OVERDUE", "2000"))
SPREAD_SECONDS = int(os.environ.get("BENCH_SPREAD_SECONDS", "300"))
# Pool processes of the Basic scenarios' worker (and the spark benchmark's).
CONCURRENCY = int(os.environ.get("BENCH_WORKER_CONCURRENCY", "4"))
ULTIMATE_CONCURRENCY = int(os.environ.get("BENCH_ULTIMATE_CONCURRENCY", "10"))
LATENCY_MS = 100
HANDLE_PREFIX = "bench.c"
SAMPLE_EVERY = 5.0
# Creators per call TikTok takes in `tto/tcm/creator/status/get/`.
HANDLES_PER_CALL = 20
STATUS_PATH = "tto/tcm/creator/status/get/"
REPORT_PATH = "tto/tcm/report/"
ROOT = Path(__file__).resolve().parent.parent
CELERY = Path(sys.executable).with_name("celery")
QUEUES = "default,invites,insights,spark,tokens"


@dataclass(frozen=True)
class Scenario:
    key: str
    tier: str
    creators: int
    hosts: int = 1
    concurrency: int = CONCURRENCY  # pool processes per host
    spread: bool = False
    burners: bool = True
    insights: bool = False

    def describe(self) -> str:
        workers = (
            f"{self.hosts} `celery worker` processes named as separate hosts, {self.concurrency} pool processes each"
            if self.hosts > 1
            else f"1 `celery worker`, {self.concurrency} pool processes"
        )
        load = f"{BURNERS} CPU burners" if self.burners and BURNERS else "no CPU burners"
        if self.spread:
            rows = (f"{self.creators:,} rows falling due at half the ceiling ({_ceiling(self.tier) // 2}/s), "
                    f"{SPREAD_OVERDUE:,} of them overdue by an hour, the first {SPREAD_SECONDS} s measured")  # fmt: skip
        else:
            rows = f"{self.creators:,} creators due now"
        return f"tier `{self.tier}`, {rows}; {workers}; {load}"


SCENARIOS = {
    s.key: s
    for s in (
        Scenario("basic-20k", "basic", 20_000, insights=True),
        Scenario("basic-100k", "basic", 100_000),
        Scenario("spread", "basic", SPREAD_ROWS, spread=True),
        Scenario("ultimate", "ultimate", 20_000, concurrency=ULTIMATE_CONCURRENCY, burners=False),
        Scenario("two-hosts", "basic", 20_000, hosts=2, concurrency=2),
    )
}


def _ceiling(tier: str) -> int:
    """Creators per second at the tier's QPS, 20 handles a call."""
    from integrations.tiktok.ratelimit import TIERS

    return TIERS[tier].per_second * HANDLES_PER_CALL


def _load() -> float:
    return os.getloadavg()[0]


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


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of the process trees, in seconds."""
    tick, total = os.sysconf("SC_CLK_TCK"), 0
    for p in (p for pid in pids for p in _tree(pid)):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / tick


def _rss_mib(pids: list[int]) -> float:
    total = 0
    for p in (p for pid in pids for p in _tree(pid)):
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


def _settle(pid: int, concurrency: int = CONCURRENCY, timeout: float = 180) -> None:
    """Wait until a worker has booted (its pool is up and its CPU stops climbing)."""
    deadline, last = time.monotonic() + timeout, -1.0
    while time.monotonic() < deadline:
        time.sleep(2)
        now = _cpu_seconds([pid])
        if len(_tree(pid)) > concurrency and now - last < 0.05:
            return
        last = now
    raise RuntimeError("a Celery worker did not settle; see its log in the scratch directory")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def _processes(started: list[subprocess.Popen]) -> Iterator[list[subprocess.Popen]]:
    """Stops every process appended to `started`, last first, however the block ends."""
    try:
        yield started
    finally:
        for process in reversed(started):
            _stop(process)


def _burner() -> subprocess.Popen:
    """A busy loop at normal priority: a CPU the product competes for, as on a busy host."""
    return subprocess.Popen([sys.executable, "-c", "while True: pass"])


# --- the sandbox -----------------------------------------------------------------------------


def _stats(control: requests.Session, base: str, window: float) -> dict:
    answer = control.get(f"{base}/sandbox/api/requests/stats", params={"window_seconds": window}, timeout=300)
    answer.raise_for_status()
    return answer.json()


def _path_count(stats: dict, path: str) -> int:
    return sum(row["count"] for p, row in stats["endpoints"].items() if path in p)


def environment(base: str, scratch: Path) -> None:
    """The settings the product's processes and this one share (read by settings.py)."""
    os.environ.update(
        TIKTOK_SANDBOX_URL=base,
        TIKTOK_AUTH_BASE_URL=base,
        TIKTOK_BUSINESS_API_BASE_URL=base,
        CELERY_BEAT_SCHEDULE_FILENAME=str(scratch / "celerybeat-schedule"),
    )
    for name in ("SANDBOX_URL", "TIKTOK_AUTH_BASE_URL", "TIKTOK_BUSINESS_API_BASE_URL"):
        setattr(settings, name, base)


def _tier(tier: str) -> None:
    """The tier this process and the workers it starts budget for."""
    os.environ["TIKTOK_API_TIER"] = settings.TIKTOK_API_TIER = tier


# --- Marketplace status ----------------------------------------------------------------------


def seed_waiting_creators(control: requests.Session, base: str, count: int) -> None:
    """`count` creators waiting for their invite, due now, in handle order (`bench.c<n>`)."""
    from creators.models import MarketplaceOnboarding
    from integrations.models import TikTokAccount

    control.post(f"{base}/sandbox/api/helpers/creators", json={"prefix": HANDLE_PREFIX, "count": count},
                 timeout=900).raise_for_status()  # fmt: skip
    now = timezone.now()
    for start in range(0, count, 20_000):
        with transaction.atomic():
            accounts = TikTokAccount.objects.bulk_create(
                [TikTokAccount(handle=f"{HANDLE_PREFIX}{n}", open_id=f"open-{HANDLE_PREFIX}{n}")
                 for n in range(start, min(count, start + 20_000))],
                batch_size=5000,
            )  # fmt: skip
            MarketplaceOnboarding.objects.bulk_create(
                [MarketplaceOnboarding(tiktok_account=a, state=MarketplaceOnboarding.State.WAITING, authorized_at=now,
                                       eligibility_checked_at=now, invite_requested_at=now, next_poll_at=now)
                 for a in accounts],
                batch_size=5000,
            )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # planner statistics, as a long-lived database has


def spread_due(t0: float, rate: float) -> Callable[[int], float]:
    """Make creator n due at t0 + (n - overdue) / rate, the first SPREAD_OVERDUE an hour before
    t0; returns n's due time. One UPDATE, in creator order (the seed's ids follow it)."""
    from creators.models import MarketplaceOnboarding

    def due(n: int) -> float:
        return t0 - 3600 if n < SPREAD_OVERDUE else t0 + (n - SPREAD_OVERDUE) / rate

    table = MarketplaceOnboarding._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT min(id) FROM {table}")
        (first,) = cursor.fetchone()
        cursor.execute(
            f"UPDATE {table} SET next_poll_at = CASE WHEN id - %s < %s THEN to_timestamp(%s) "
            f"ELSE to_timestamp(%s) + (id - %s - %s) * make_interval(secs => %s) END",
            [first, SPREAD_OVERDUE, t0 - 3600, t0, first, SPREAD_OVERDUE, 1 / rate],
        )
        cursor.execute(f"ANALYZE {table}")
    return due


def _stored() -> list[tuple[int, float]]:
    """(creator n, when its status was stored, real time) for every creator polled."""
    from creators.models import MarketplaceOnboarding
    from integrations.tiktok import clock

    # status_checked_at is on TikTok's clock: the sandbox's offset (none unless advanced) is taken off.
    offset = (clock.now() - timezone.now()).total_seconds()
    rows = MarketplaceOnboarding.objects.filter(status_checked_at__isnull=False).values_list(
        "tiktok_account__handle", "status_checked_at"
    )
    return sorted(((int(h.removeprefix(HANDLE_PREFIX)), at.timestamp() - offset) for h, at in rows), key=lambda r: r[1])


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


def watch(workers: list[subprocess.Popen], beat_started: float, done: Callable[[int], bool], limit: float) -> dict:
    """Sample while the product polls until `done(creators stored)` or `limit` seconds after
    beat started: one interactive call, the load average and the workers' RSS per sample."""
    from creators.models import MarketplaceOnboarding

    pids = [w.pid for w in workers]
    cpu0 = _cpu_seconds(pids)
    rss, loads, people = [(0.0, _rss_mib(pids))], [_load()], []
    stored = MarketplaceOnboarding.objects.filter(status_checked_at__isnull=False)
    finished = False
    while time.time() - beat_started < limit:
        time.sleep(SAMPLE_EVERY)
        people.append(interactive_call())
        rss.append((time.time() - beat_started, _rss_mib(pids)))
        loads.append(_load())
        if any(w.poll() is not None for w in workers):
            raise RuntimeError("a Celery worker exited; see its log in the scratch directory")
        if done(stored.count()):
            finished = True
            break
    return {"cpu": _cpu_seconds(pids) - cpu0, "rss": rss, "load": statistics.mean(loads), "people": people,
            "finished": finished}  # fmt: skip


def marketplace(scenario: Scenario, watched: dict, beat_started: float, calls: int) -> dict:
    """The due-now figures: rate, time for all, calls and CPU per call."""
    times = [at for _, at in _stored()]
    first, last = (times[0], times[-1]) if times else (beat_started, beat_started)
    rate = (len(times) - 1) / (last - first) if len(times) > 1 and last > first else 0.0
    ceiling = _ceiling(scenario.tier)
    all_after = last - beat_started if watched["finished"] else None
    return {
        "polled": len(times),
        "first_after_beat": first - beat_started,
        "all_after_beat": all_after,
        "rate": rate,
        "of_ceiling": rate / ceiling,
        # What TikTok's QPS carried meanwhile: the status calls and the people's calls.
        "all_of_ceiling": (calls + len(watched["people"])) / ((last - first) * ceiling / HANDLES_PER_CALL)
        if last > first
        else 0.0,
        "over_budget_time": (all_after / (scenario.creators / ceiling)) if all_after else None,
        "calls": calls,
        "per_call": len(times) / max(calls, 1),
        "cpu_ms_per_call": watched["cpu"] / max(calls, 1) * 1000,
    }


def lateness(due: Callable[[int], float], beat_started: float, per_second: int) -> dict:
    """The spread figures: lateness of the rows that fell due in the measured span, and whether
    the overdue ones were polled first."""
    stored = _stored()
    measured = SPREAD_OVERDUE + SPREAD_SECONDS * per_second
    late = sorted(at - due(n) for n, at in stored if SPREAD_OVERDUE <= n < measured)
    overdue = [at for n, at in stored if n < SPREAD_OVERDUE]

    def pct(p: float) -> float:
        return late[min(len(late) - 1, int(p * len(late)))] if late else float("nan")

    return {
        "measured": measured - SPREAD_OVERDUE,
        "polled": len(late),
        "p50": pct(0.5),
        "p95": pct(0.95),
        "max": late[-1] if late else float("nan"),
        "overdue_polled": len(overdue),
        "overdue_done_after_beat": (max(overdue) - beat_started) if overdue else None,
        # The claim takes the most overdue first: the first statuses stored should be theirs
        # (`stored` is in the order they were stored).
        "overdue_in_first": sum(1 for n, _ in stored[:SPREAD_OVERDUE] if n < SPREAD_OVERDUE),
    }


# --- Post insights ----------------------------------------------------------------------------


def insights(control: requests.Session, base: str, worker: subprocess.Popen) -> dict:
    """One campaign's post insights: the product's dispatcher task sent once through the broker
    (beat would send it after its 5-minute interval), the worker polling the report."""
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
    cpu0, started = _cpu_seconds([worker.pid]), timezone.now()
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
    cpu = _cpu_seconds([worker.pid]) - cpu0
    return {
        "posts": posts,
        "calls": calls,
        "calls_per_post": calls / max(posts, 1),
        "cpu_ms_per_post": cpu / max(posts, 1) * 1000,
        "cpu_ms_per_call": cpu / max(calls, 1) * 1000,
        "seconds": wall,
        "finished": bool(campaign.last_polled_at and campaign.last_polled_at >= started),
        "load": _load(),
    }


# --- the run -------------------------------------------------------------------------------


def run_scenario(scenario: Scenario, scratch: Path, number: int) -> dict:
    """One run of one scenario on an emptied database, Redis database and a fresh sandbox."""
    import redis

    from tiktok_sandbox.testing import start_sandbox

    started = time.perf_counter()
    call_command("flush", verbosity=0, interactive=False)  # TRUNCATE: the product's tables, empty
    redis.Redis.from_url(settings.REDIS_URL).flushdb()  # the benchmark's own Redis database
    name = f"{scenario.key}-{number}"
    with start_sandbox(db_path=scratch / f"sandbox-{name}.sqlite3") as base, _processes([]) as processes:
        environment(base, scratch)
        _tier(scenario.tier)
        control = requests.Session()
        # The sandbox enforces the tier the product is configured for, as TikTok would.
        control.post(f"{base}/sandbox/api/rate-limits/app", json={"tier": scenario.tier},
                     timeout=30).raise_for_status()  # fmt: skip
        call_command("connect_platform_account", wait=10)
        t = time.perf_counter()
        seed_waiting_creators(control, base, scenario.creators)
        seeded = time.perf_counter() - t
        control.post(f"{base}/sandbox/api/faults", json={"pattern": "*", "latency_ms": LATENCY_MS},
                     timeout=30).raise_for_status()  # fmt: skip
        control.delete(f"{base}/sandbox/api/requests", timeout=120).raise_for_status()
        if scenario.burners:
            processes += [_burner() for _ in range(BURNERS)]
        workers = []
        for host in range(1, scenario.hosts + 1):
            args = ["worker", "-Q", QUEUES, "--concurrency", str(scenario.concurrency), "--loglevel", "WARNING"]
            if scenario.hosts > 1:
                args += ["-n", f"host{host}@bench"]
            workers.append(_start(args, scratch / f"worker-{name}-{host}.log"))
        processes += workers
        for worker in workers:
            _settle(worker.pid, scenario.concurrency)
        ceiling = _ceiling(scenario.tier)
        due = None
        if scenario.spread:
            due = spread_due(time.time(), ceiling / 2)
            last_due = due(SPREAD_OVERDUE + SPREAD_SECONDS * ceiling // 2 - 1)
        processes.append(_start(["beat", "--loglevel", "WARNING"], scratch / f"beat-{name}.log"))
        beat_started = time.time()
        if due is not None:
            span = last_due - beat_started
            watched = watch(workers, beat_started, lambda _: time.time() > last_due + 60, span + 60 + SAMPLE_EVERY)
        else:
            budget_time = scenario.creators / ceiling
            watched = watch(workers, beat_started, lambda n: n >= scenario.creators, budget_time * 3 + 120)
        _stop(processes.pop())  # beat: no more dispatching
        calls = _path_count(_stats(control, base, 1), STATUS_PATH)
        result = {"scenario": scenario.key, "seed_seconds": seeded, "load": watched["load"], "rss": watched["rss"],
                  "people": watched["people"], "cpu_ms_per_call": watched["cpu"] / max(calls, 1) * 1000}  # fmt: skip
        if due is not None:
            result |= lateness(due, beat_started, ceiling // 2)
        else:
            result |= marketplace(scenario, watched, beat_started, calls)
        windows = {w: _stats(control, base, s)["app"] for w, s in (("second", 1), ("minute", 60))}
        result |= {
            "max_second": windows["second"]["max_in_window"],
            "max_minute": windows["minute"]["max_in_window"],
            "throttled": windows["second"]["throttled"],
            "requests": windows["second"]["count"],
        }
        if scenario.insights:
            result["insights"] = insights(control, base, workers[0])
    result["seconds"] = time.perf_counter() - started
    return result


def run(scratch: Path, runs: int = 1) -> int:
    if connection.vendor != "postgresql":
        raise SystemExit("the polling benchmark runs on PostgreSQL: set BENCH_DATABASE_URL or DATABASE_URL")
    chosen = os.environ.get("BENCH_POLLING_SCENARIOS", ",".join(SCENARIOS)).split(",")
    unknown = [key for key in chosen if key not in SCENARIOS]
    if unknown:
        raise SystemExit(f"unknown polling scenario(s) {unknown}; choose from {', '.join(SCENARIOS)}")
    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    results: dict[str, list[dict]] = {key: [] for key in chosen}
    for number in range(1, runs + 1):
        for key in chosen:
            result = run_scenario(SCENARIOS[key], scratch, number)
            print({k: v for k, v in result.items() if k not in ("rss", "people")}, flush=True)
            results[key].append(result)
    path = write_section(results, runs, time.perf_counter() - started)
    print(f"wrote {path}")
    return 0


# --- report ---------------------------------------------------------------------------------


def _fig(runs: list[dict], key: str, fmt: str = "{:.1f}", scale: float = 1.0) -> str:
    """A figure over the runs: the median, and (min–max) when there were several."""
    values = [r[key] * scale for r in runs if r.get(key) is not None]
    if not values:
        return "not reached"
    text = fmt.format(statistics.median(values))
    if len(values) > 1:
        text += f" ({fmt.format(min(values))}–{fmt.format(max(values))})"
    if len(values) < len(runs):
        text += f", not reached in {len(runs) - len(values)} of {len(runs)} runs"
    return text


def _people(runs: list[dict]) -> str:
    samples = [s for r in runs for s in r["people"]]
    done = sorted(s for s in samples if s is not None)
    if not done:
        return f"{len(samples)} made, none answered"
    return (
        f"{len(samples)} made, {len(samples) - len(done)} failed; p50 {done[len(done) // 2] * 1000:.0f} ms, "
        f"max {done[-1] * 1000:.0f} ms"
    )


_BLOCK = re.compile(r"(?m)^<!-- polling:([\w-]+) -->\n")


def write_section(results: dict[str, list[dict]], runs: int, total_seconds: float) -> Path:
    """The polling section: what every scenario runs on, then one block per scenario. A
    scenario that did not run this time keeps its block (which says when and at which commit
    it ran), so scenarios can be run separately to fit the time at hand."""
    kept = dict(zip(*[iter(_BLOCK.split(report.section("polling"))[1:])] * 2, strict=True))
    stamp = (
        f"`python -m benchmarks polling{f' --runs {runs}' if runs > 1 else ''}`, "
        f"BENCH_POLLING_SCENARIOS={','.join(results)}, commit {_commit()}, {time.strftime('%Y-%m-%d %H:%M %Z')}, "
        f"{total_seconds / 60:.0f} min for the scenarios of that run"
    )
    blocks = {key: _block(key, results[key], stamp) if key in results else kept.get(key) for key in SCENARIOS}
    text = "\n".join(
        [_head(), *(f"<!-- polling:{key} -->\n{block.rstrip()}\n" for key, block in blocks.items() if block)]
    )
    return report.write_section("polling", text)


def _head() -> str:
    share = settings.TIKTOK_RATE_RESERVED_SHARE
    return "\n".join(
        [
            "## The product's own polling: beat and Celery workers against the sandbox",
            "",
            f"Produced by `python -m benchmarks polling` (part of `make bench`, which runs every scenario once; "
            "`--runs N` runs each N times, BENCH_POLLING_SCENARIOS picks scenarios and each block below says which "
            f"run wrote it). Machine: {_machine()}. Database: `{connection.vendor}`, emptied before each scenario and "
            "shared by the benchmark, the workers and beat; a Redis database of its own, emptied too; a fresh sandbox "
            "per scenario. With several runs every figure is the median, and (min–max) across the runs. The load "
            "average is the 1-minute figure sampled every 5 s while the product polled, averaged (2 cores: above 2, "
            "processes were waiting for a CPU); other sessions share the machine too.",
            "",
            "`celery -A aspire_tiktok worker` and `celery -A aspire_tiktok beat` run as separate processes with the "
            "project's settings (`DJANGO_ENV=test`, the shared Redis rate budget on, people's calls first and "
            f"{share:.0%} of the day reserved for them), against a sandbox that adds {LATENCY_MS} ms to every request "
            "and enforces the scenario's tier (Basic: 10 QPS, 600 per minute; Ultimate: 50 QPS, 3,000 per minute). "
            f"CPU burners: {BURNERS} busy-loop processes started by the benchmark before the workers "
            "(BENCH_CPU_BURNERS), so the figures are taken on a loaded machine. No benchmark code polls TikTok: the "
            "numbers are the product's. Creators wait for their invite as the product leaves them after asking TikTok "
            "(state WAITING, due), with handles the sandbox knows (TikTok answers INVITED, so each poll stores the "
            "status and reschedules).",
            "",
        ]
    )


def _block(key: str, runs: list[dict], stamp: str) -> str:
    from integrations.tiktok.ratelimit import TIERS

    scenario = SCENARIOS[key]
    limits = TIERS[scenario.tier]
    lines = [
        f"### {key}: {scenario.describe()}",
        "",
        f"Run by {stamp}; {len(runs)} run{'s' if len(runs) > 1 else ''} of this scenario.",
        "",
        "| measure | value |",
        "|---|---|",
    ]
    if scenario.spread:
        lines += [
            f"| rows due in the measured span, polled | {_fig(runs, 'polled', '{:,.0f}')} of {runs[0]['measured']:,} |",
            f"| **lateness p50 / p95 / max** (stored − due; dispatcher every "
            f"{settings.MARKETPLACE_DISPATCH_SECONDS:.0f} s) | {_fig(runs, 'p50', '{:.1f} s')} / "
            f"**{_fig(runs, 'p95', '{:.1f} s')}** / {_fig(runs, 'max', '{:.1f} s')} |",
            f"| overdue rows polled | {_fig(runs, 'overdue_polled', '{:,.0f}')} of {SPREAD_OVERDUE:,} |",
            f"| last overdue row stored after beat started | {_fig(runs, 'overdue_done_after_beat', '{:.1f} s')} |",
            f"| of the first {SPREAD_OVERDUE:,} statuses stored, how many were the overdue rows' | "
            f"{_fig(runs, 'overdue_in_first', '{:,.0f}')} |",
        ]
    else:
        ceiling = _ceiling(scenario.tier)
        lines += [
            f"| creators polled | {_fig(runs, 'polled', '{:,.0f}')} of {scenario.creators:,} |",
            f"| first status stored after beat started | {_fig(runs, 'first_after_beat', '{:.0f} s')} |",
            f"| all stored after beat started | {_fig(runs, 'all_after_beat', '{:.0f} s')} |",
            f"| creators per second, steady (first to last status stored) | {_fig(runs, 'rate')} |",
            f"| **over the ceiling**, {limits.per_second} QPS × 20 = {ceiling:,}/s | "
            f"**{_fig(runs, 'of_ceiling', '{:.3f}')}** |",
            f"| all calls to TikTok in that time (the status calls and the interactive calls below) over its "
            f"{limits.per_second} QPS | {_fig(runs, 'all_of_ceiling', '{:.3f}')} |",
            f"| **time for all over budget time** ({scenario.creators / ceiling:.0f} s) | "
            f"**{_fig(runs, 'over_budget_time', '{:.3f} ×')}** |",
            f"| `{STATUS_PATH}` calls (creators per call) | {_fig(runs, 'calls', '{:,.0f}')} "
            f"({_fig(runs, 'per_call')}) |",
        ]
    lines += [
        f"| worker CPU per call (worker and pool processes, dispatcher included) | "
        f"{_fig(runs, 'cpu_ms_per_call', '{:.1f} ms')} |",
        f"| sandbox: most requests in any second / minute (limits {limits.per_second} / {limits.per_minute:,}) | "
        f"{_fig(runs, 'max_second', '{:.0f}')} / {_fig(runs, 'max_minute', '{:.0f}')} |",
        f"| **sandbox: throttled (40100), all runs** | **{sum(r['throttled'] for r in runs)}** of "
        f"{sum(r['requests'] for r in runs):,} requests |",
        f"| interactive calls while polling (one per {SAMPLE_EVERY:.0f} s, outside Celery, all runs) | {_people(runs)} |",
        f"| load average (1 min, mean while polling) | {_fig(runs, 'load')} |",
    ]
    rss = max((r["rss"] for r in runs), key=lambda samples: samples[-1][0])
    warm = next(((t, v) for t, v in rss if t >= 2 * SAMPLE_EVERY), rss[-1])
    lines.append(
        f"| worker RSS (longest run, {rss[-1][0]:.0f} s): before the first task, warm, end, peak | "
        f"{rss[0][1]:.0f}, {warm[1]:.0f}, {rss[-1][1]:.0f}, {max(v for _, v in rss):.0f} MiB |"
    )
    posts = [r["insights"] for r in runs if "insights" in r]
    if posts:
        lines += [
            "",
            f"Then post insights: one campaign with {VIDEOS} sponsored videos in the sandbox; the product's dispatcher "
            "task (`dispatch_insights_polls`) sent once through the broker, the worker polling the report: "
            f"{_fig(posts, 'posts', '{:.0f}')} posts refreshed in {_fig(posts, 'seconds', '{:.1f} s')}"
            f"{'' if all(x['finished'] for x in posts) else ' (not finished in 10 min in some run)'} with "
            f"{_fig(posts, 'calls', '{:.0f}')} `{REPORT_PATH}` calls; worker CPU "
            f"{_fig(posts, 'cpu_ms_per_post', '{:.2f} ms')} per refreshed post, "
            f"{_fig(posts, 'cpu_ms_per_call', '{:.1f} ms')} per call; load {_fig(posts, 'load')}.",
        ]
    return "\n".join(lines) + "\n\n"
