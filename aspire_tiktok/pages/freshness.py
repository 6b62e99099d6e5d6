"""How fresh the product's polled data is, per kind of polling, and what TikTok's budget carries.

Each kind is a poller the apps register (`integrations.polling.register`): the rows its
dispatcher claims on a due time and the Celery tasks that make its TikTok calls. Due rows and the oldest overdue age come from
one aggregate per kind over the partial index its dispatcher uses, so the page costs the same
number of queries at any table size; calls, throttles, failures and the last errors come from
the transport's per-minute counters in Redis (integrations/tiktok/callstats.py), and the
budget's daily use from the rate budget itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db.models import Count, Min
from django.utils import timezone

from integrations.polling import POLLERS
from integrations.tiktok import callstats, ratelimit
from integrations.tiktok.transport import business_budget_key

# Averages over this many whole minutes, next to the last whole minute.
AVERAGE_MINUTES = 15
ERRORS_PER_KIND = 5


# Calls outside any task (a person waiting) and from tasks of no kind above.
OTHER_SOURCES = (("interactive", "Interactive (a person waiting)"), ("other", "Other tasks"))


@dataclass
class Traffic:
    """Calls, throttles, failures and never-sent calls: last whole minute and average."""

    last_minute: dict[str, int] = field(default_factory=lambda: dict.fromkeys(callstats.OUTCOMES, 0))
    average: dict[str, float] = field(default_factory=lambda: dict.fromkeys(callstats.OUTCOMES, 0.0))


@dataclass
class KindFreshness:
    key: str
    label: str
    due: int | None  # None for the sources without rows (interactive, other)
    oldest_overdue_seconds: float | None
    traffic: Traffic
    errors: list[callstats.RecentError]


@dataclass(frozen=True)
class WindowUse:
    window: str
    limit: int  # 0 = no limit
    background_limit: float
    used: float | None  # per this window: calls last minute /60, last minute, today
    basis: str


@dataclass
class Snapshot:
    at: datetime
    kinds: list[KindFreshness]
    windows: list[WindowUse]
    blocked_for: float | None
    counters_on: bool

    @property
    def any_errors(self) -> bool:
        return any(kind.errors for kind in self.kinds)


def _kind_of(source: str) -> str:
    if source == callstats.INTERACTIVE:
        return "interactive"
    return next((poller.key for poller in POLLERS.values() if source in poller.task_names), "other")


def _traffic() -> tuple[dict[str, Traffic], dict[str, list[callstats.RecentError]], int]:
    """Per kind key: traffic; per kind: newest errors; and all calls in the last whole minute."""
    traffic: dict[str, Traffic] = {}
    errors: dict[str, list[callstats.RecentError]] = {}
    if not settings.TIKTOK_CALL_COUNTERS_ENABLED:
        return traffic, errors, 0
    buckets = callstats.minutes(AVERAGE_MINUTES)
    whole, last = buckets[:-1], buckets[-2]
    for bucket in whole:
        for (source, outcome), n in bucket.counts.items():
            t = traffic.setdefault(_kind_of(source), Traffic())
            t.average[outcome] = t.average.get(outcome, 0.0) + n / len(whole)
            if bucket is last:
                t.last_minute[outcome] = t.last_minute.get(outcome, 0) + n
    for error in callstats.recent_errors():
        kept = errors.setdefault(_kind_of(error.source), [])
        if len(kept) < ERRORS_PER_KIND:
            kept.append(error)
    all_calls = sum(n for (_, outcome), n in last.counts.items() if outcome == "calls")
    return traffic, errors, all_calls


def _windows(calls_last_minute: int, counters_on: bool) -> tuple[list[WindowUse], float | None]:
    limits = ratelimit.limits_for()
    # Background polling may use every slot of the second and minute windows that people leave
    # (their calls go first); of the day it may use only the unreserved share.
    background = 1 - settings.TIKTOK_RATE_RESERVED_SHARE
    budget = ratelimit.default_budget()
    state = budget.state(business_budget_key()) if budget is not None else None
    used_minute = float(calls_last_minute) if counters_on else None
    return [
        WindowUse(
            "second",
            limits.per_second,
            limits.per_second,
            None if used_minute is None else used_minute / 60,
            "average over the last whole minute",
        ),
        WindowUse("minute", limits.per_minute, limits.per_minute, used_minute, "last whole minute"),
        WindowUse(
            "day",
            limits.per_day,
            limits.per_day * background,
            None if state is None else float(state.used_today),
            "granted by the budget today (UTC)",
        ),
    ], (None if state is None else state.blocked_for)


def snapshot(now: datetime | None = None) -> Snapshot:
    """Everything the page and /metrics show: one aggregate query per kind, three Redis reads."""
    now = now or timezone.now()
    traffic, errors, calls_last_minute = _traffic()
    kinds = []
    for poller in POLLERS.values():
        # Filtered on the due time first, so the dispatcher's partial index answers it.
        field_name = poller.due_field
        # `now` on the poller's own clock (TikTok's, for deadlines kept in TikTok's time).
        poller_now = now + (poller.clock() - timezone.now())
        due = (
            poller.rows()
            .filter(**{f"{field_name}__lte": poller_now})
            .aggregate(due=Count("pk"), oldest=Min(field_name))
        )
        oldest = due["oldest"]
        kinds.append(
            KindFreshness(
                poller.key,
                poller.label,
                due["due"],
                None if oldest is None else (poller_now - oldest).total_seconds(),
                traffic.get(poller.key, Traffic()),
                errors.get(poller.key, []),
            )
        )
    for key, label in OTHER_SOURCES:
        kinds.append(KindFreshness(key, label, None, None, traffic.get(key, Traffic()), errors.get(key, [])))
    counters_on = settings.TIKTOK_CALL_COUNTERS_ENABLED
    windows, blocked_for = _windows(calls_last_minute, counters_on)
    return Snapshot(now, kinds, windows, blocked_for, counters_on)


def prometheus_text(snap: Snapshot) -> bytes:
    """The snapshot in Prometheus' text format, one gauge family per figure."""
    from prometheus_client import CollectorRegistry, generate_latest
    from prometheus_client.core import GaugeMetricFamily

    def families() -> list[GaugeMetricFamily]:
        due = GaugeMetricFamily("aspire_polling_due_rows", "Rows whose poll is due now", labels=["kind"])
        oldest = GaugeMetricFamily(
            "aspire_polling_oldest_overdue_seconds", "Age of the oldest due row (0 when none)", labels=["kind"]
        )
        last = GaugeMetricFamily(
            "aspire_tiktok_calls_last_minute",
            "TikTok calls in the last whole minute by outcome (calls counts every sent call)",
            labels=["kind", "outcome"],
        )
        avg = GaugeMetricFamily(
            "aspire_tiktok_calls_per_minute_average",
            f"TikTok calls per minute over the last {AVERAGE_MINUTES} whole minutes by outcome",
            labels=["kind", "outcome"],
        )
        for kind in snap.kinds:
            if kind.due is not None:
                due.add_metric([kind.key], kind.due)
                oldest.add_metric([kind.key], kind.oldest_overdue_seconds or 0.0)
            if snap.counters_on:
                for outcome in callstats.OUTCOMES:
                    last.add_metric([kind.key, outcome], kind.traffic.last_minute.get(outcome, 0))
                    avg.add_metric([kind.key, outcome], kind.traffic.average.get(outcome, 0.0))
        limit = GaugeMetricFamily("aspire_tiktok_budget_limit", "The app's limit per window", labels=["window"])
        background = GaugeMetricFamily(
            "aspire_tiktok_budget_background_limit",
            "The part of each window background polling may use (the rest is reserved for people)",
            labels=["window"],
        )
        used = GaugeMetricFamily(
            "aspire_tiktok_budget_used",
            "Calls counted against each window (see the page for the basis)",
            labels=["window"],
        )
        for window in snap.windows:
            limit.add_metric([window.window], window.limit)
            background.add_metric([window.window], window.background_limit)
            if window.used is not None:
                used.add_metric([window.window], window.used)
        families = [due, oldest, last, avg, limit, background, used]
        if snap.blocked_for is not None:
            blocked = GaugeMetricFamily(
                "aspire_tiktok_budget_backing_off_seconds", "Seconds left of a back-off TikTok asked for (40100)"
            )
            blocked.add_metric([], snap.blocked_for)
            families.append(blocked)
        return families

    class _Snapshot:
        def collect(self) -> list[GaugeMetricFamily]:
            return families()

    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Snapshot())
    return generate_latest(registry)
