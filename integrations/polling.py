"""The one way background work finds, claims and retries due rows.

Every poller is declared once, as a `Poller` each app registers from its AppConfig.ready():
the rows it polls, its dispatcher and worker tasks and how often beat runs the dispatcher.
Beat's schedule (aspire_tiktok/celery.py), the freshness page and /metrics read the
registry, so a new poller is its tasks plus one `register` call.

Every poller follows the same three steps:

1. A beat-driven dispatcher claims up to `limit` due rows with `claim_due`: their
   `next_poll_at` moves out by a lease, so a second dispatcher (or the next beat) does not
   claim them again while the work runs. The work sets the real next time when it ends;
   if a worker dies, the lease runs out and the row is due again; if the rate budget never
   sent the call, `give_back` makes the row due again at once.
2. The dispatcher enqueues one task per row (or per batch) with `enqueue_on_commit`, so a
   worker never reads a row before the claim is committed. The task takes its row with
   `take` before it calls TikTok, so of two executors (a message delivered twice, a retry
   racing the dispatcher) one acts. Triggers outside the schedule
   (a webhook, a "poll now" click) use `enqueue_coalesced`: at most one pending task per row.
3. Tasks use `base=TikTokTask`: a transient TikTok error (throttling, 5xx, timeouts) is
   retried with TikTok's back-off; an auth or permanent error was already recorded by the
   flow on the row and is not retried.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from celery import Task
from celery.contrib.django.task import DjangoTask
from django.core.cache import cache
from django.core.exceptions import EmptyResultSet, ImproperlyConfigured
from django.db import connections, transaction
from django.db.models import Field, Model, Q, QuerySet
from django.db.models.sql import UpdateQuery
from django.utils import timezone

from .tiktok import TikTokError

# Retry delays of TikTokTask: the first retry after about 30 s, doubling, at most 30 minutes.
RETRY_BASE_SECONDS = 30.0
RETRY_MAX_SECONDS = 30 * 60.0


@dataclass(frozen=True)
class Poller:
    """One kind of background polling, declared once."""

    key: str
    label: str
    # The rows this poller looks after: the dispatcher claims the due ones, the freshness
    # page counts them (filtered on `due_field` first, so the dispatcher's partial index answers).
    rows: Callable[[], QuerySet]
    dispatcher: Task
    # The tasks that make this poller's TikTok calls (their calls are counted under `key`).
    workers: tuple[Task, ...]
    # Seconds between two runs of the dispatcher (beat).
    every: float
    due_field: str = "next_poll_at"
    # The clock `due_field` is on. A deadline on TikTok's clock (integrations.tiktok.clock.now)
    # is compared with that clock on every tick, never converted once into real time, so a
    # sandbox clock that jumps makes the work due at the next tick.
    clock: Callable[[], datetime] = timezone.now

    @property
    def queue(self) -> str:
        """The dispatcher's and the workers' one queue (each task names it on its decorator)."""
        return queue_of(self.dispatcher)

    @property
    def task_names(self) -> tuple[str, ...]:
        return tuple(str(task.name) for task in self.workers)


def queue_of(task: Task) -> str:
    """The queue a task names on its decorator (aspire_tiktok.celery routes by it; Celery's
    stubs do not declare the attribute)."""
    return str(cast(Any, task).queue)


# Filled by each app's AppConfig.ready() with `register`, in that order.
POLLERS: dict[str, Poller] = {}


def register(poller: Poller) -> None:
    """Add a poller; its tasks must share one queue, so its workers can be scaled as one."""
    stray = [task.name for task in poller.workers if queue_of(task) != poller.queue]
    if stray:
        raise ImproperlyConfigured(f"Poller {poller.key}: {stray} not on its queue {poller.queue!r}")
    POLLERS[poller.key] = poller


def claim_due[M: Model](
    queryset: QuerySet[M],
    *,
    lease: timedelta,
    limit: int,
    now: datetime | None = None,
    field: str = "next_poll_at",
    mark: str | None = None,
    ahead: timedelta = timedelta(0),
) -> list[M]:
    """Claim up to `limit` rows of `queryset` whose `field` is due (by `now + ahead`: a
    schedule, never a deadline, may be claimed a little early), the most overdue first,
    moving `field` (and `mark`, when given: a column that says the row is claimed) to
    `now + lease`. Returns the claimed rows the most overdue first, so work enqueued in that
    order reaches the longest-waiting rows first (the lease has overwritten `field`, so
    the order cannot be found afterwards).

    On PostgreSQL one statement on the due-time index: `WITH due AS (SELECT pk, field …
    ORDER BY field LIMIT n FOR UPDATE SKIP LOCKED) UPDATE … FROM due … RETURNING …, due.field`.
    Of concurrent callers each row goes to exactly one: PostgreSQL's claimers skip the rows
    another holds; SQLite runs one writer at a time. A NULL `field` is never due: a row is
    scheduled by setting it.
    """
    if limit <= 0:
        return []
    now = now or timezone.now()
    until = now + lease
    model, db = queryset.model, queryset.db
    connection = connections[db]
    quote = connection.ops.quote_name
    due = queryset.filter(**{f"{field}__lte": now + ahead}).order_by(field).select_for_update(skip_locked=True)
    table, pk = quote(model._meta.db_table), quote(str(model._meta.pk.column))
    moved = [cast(Field, model._meta.get_field(name)) for name in (field, mark) if name]
    assignments = ", ".join(f"{quote(str(f.column))} = %s" for f in moved)
    columns = ", ".join(f"{table}.{quote(str(f.column))}" for f in model._meta.concrete_fields)
    if connection.vendor == "sqlite":
        # SQLite's RETURNING may name only the updated table's columns, not the CTE's due time:
        # read the due rows, then claim those still due. SQLite runs one writer at a time, so the
        # UPDATE's own due check hands each row to one claimer.
        with transaction.atomic(using=db):
            was = dict(due.values_list("pk", field)[:limit])
            claimed = update_returning(
                queryset.filter(pk__in=was, **{f"{field}__lte": now + ahead}), {f.name: until for f in moved}
            )
        return sorted(claimed, key=lambda row: was[row.pk])
    # One statement is one transaction already; Django compiles FOR UPDATE only inside one.
    with transaction.atomic(using=db):
        try:
            found, params = due.values_list("pk", field)[:limit].query.get_compiler(db).as_sql()
        except EmptyResultSet:
            return []
        sql = (
            f"WITH due (pk, was) AS ({found}) UPDATE {table} SET {assignments} FROM due WHERE {table}.{pk} = due.pk "
            f"RETURNING {columns}, due.was AS claimed_due"
        )
        values = [f.get_db_prep_save(until, connection) for f in moved]
        rows = list(model._default_manager.db_manager(db).raw(sql, [*params, *values]))
    # The due time each row had before the claim, which raw() keeps as an extra attribute.
    return sorted(rows, key=lambda row: row.__dict__["claimed_due"])


def update_returning[M: Model](queryset: QuerySet[M], values: dict[str, Any]) -> list[M]:
    """`queryset.update(**values)` that returns the rows it changed (as they are after it),
    in one statement: the conditions are checked on each row as it is updated, so of two
    concurrent callers a row goes to the one whose conditions held when it got there."""
    query = cast(UpdateQuery, queryset.query.chain(UpdateQuery))
    query.add_update_values(values)
    try:
        sql, params = query.get_compiler(queryset.db).as_sql()
    except EmptyResultSet:  # e.g. pk__in=[]: nothing to update
        return []
    model = queryset.model
    quote = connections[queryset.db].ops.quote_name
    columns = ", ".join(quote(str(f.column)) for f in model._meta.concrete_fields)
    return list(model._default_manager.db_manager(queryset.db).raw(f"{sql} RETURNING {columns}", params))


def take(
    rows: QuerySet,
    *,
    field: str = "next_poll_at",
    free_within: timedelta = timedelta(0),
    hold: timedelta = timedelta(0),
    unset_is_free: bool = False,
    now: datetime | None = None,
) -> bool:
    """Take `rows` (usually one) for this executor by one conditional UPDATE: of concurrent
    executors exactly one wins.

    A row qualifies while `field` is at most `now + free_within` (a positive `free_within`
    lets a task take over a row a dispatcher holds; a negative one lets a claim go stale), or
    while it is NULL with `unset_is_free`; otherwise NULL is never free (a row is scheduled by
    setting it). The winner sets `field` to `now + hold`. Returns whether this executor won.
    """
    now = now or timezone.now()
    free = Q(**{f"{field}__lte": now + free_within})
    if unset_is_free:
        free |= Q(**{f"{field}__isnull": True})
    return bool(rows.filter(free).update(**{field: now + hold}))


def give_back(
    queryset: QuerySet, exc: TikTokError, *, now: datetime | None = None, field: str = "next_poll_at"
) -> bool:
    """A claimed row whose call our rate budget never sent is due again at once, not held for
    the claim's lease: TikTok was never asked, so nothing is recorded as TikTok's failure.
    Returns whether that was the case (otherwise the caller records the failure)."""
    if not (exc.is_transient and not exc.sent):
        return False
    queryset.update(**{field: now or timezone.now()})
    return True


def enqueue_on_commit(task: DjangoTask, ids: Iterable[Any], *, batch: int | None = None) -> int:
    """Send `task(id)` for each id once the current transaction commits; with `batch`,
    `task([id, ...])` for each run of up to `batch` ids (one TikTok call that takes several).
    Returns the number of ids."""
    ids = list(ids)
    if batch is None:
        for pk in ids:
            task.delay_on_commit(pk)
    else:
        for start in range(0, len(ids), batch):
            task.delay_on_commit(ids[start : start + batch])
    return len(ids)


def _pending_key(task: DjangoTask, pk: Any) -> str:
    return f"pending:{task.name}:{pk}"


def _send_unless_pending(task: DjangoTask, pk: Any, ttl: timedelta) -> None:
    # cache.add is atomic (SET NX): of concurrent triggers exactly one sends.
    if cache.add(_pending_key(task, pk), 1, ttl.total_seconds()):
        try:
            task.delay(pk)
        except Exception:
            # Not queued: the next trigger must queue it, not wait out the ttl.
            cache.delete(_pending_key(task, pk))
            raise


def enqueue_coalesced(task: DjangoTask, ids: Iterable[Any], *, ttl: timedelta) -> None:
    """Send `task(id)` once the current transaction commits, unless one is already queued
    for that id: a burst of triggers (webhook deliveries, double clicks) makes one pending
    task, not one each. The task calls `mark_started` first, so a trigger arriving while it
    runs queues the next run. A task lost in the broker stops coalescing after `ttl`."""
    for pk in ids:
        transaction.on_commit(functools.partial(_send_unless_pending, task, pk, ttl))


def mark_started(task: DjangoTask, pk: Any) -> None:
    """The queued `task(pk)` is running: the next trigger may queue another."""
    cache.delete(_pending_key(task, pk))


def retry_delay(exc: TikTokError, retries: int) -> float:
    """Seconds before retry number `retries + 1`: TikTok's own wait when it gives one,
    otherwise an exponential back-off; always with jitter and never zero, so a burst of
    throttled tasks does not come back at the same instant."""
    backoff = min(RETRY_BASE_SECONDS * 2**retries, RETRY_MAX_SECONDS)
    # Capped: a retry waiting in Redis longer than the broker's visibility timeout would be
    # handed out again. TikTok's longer waits (its daily quota) are kept by the shared rate
    # budget's back-off, which holds the retried call unsent until then.
    wait = min(max(exc.retry_after or 0.0, backoff), RETRY_MAX_SECONDS)
    return wait * random.uniform(1.0, 1.25)


class TikTokTask(DjangoTask):
    """A task that retries transient TikTok errors and leaves the others to the flow.

    Flows record auth and permanent errors on their rows (with what to do next) and
    re-raise; retrying those would only repeat a refusal.
    """

    max_retries = 5

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().__call__(*args, **kwargs)
        except TikTokError as exc:
            if not exc.is_transient:
                return None
            raise self.retry(exc=exc, countdown=retry_delay(exc, self.request.retries)) from exc
