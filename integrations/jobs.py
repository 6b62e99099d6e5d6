"""Slow TikTok work a person asked for runs in a worker, never in their request.

A view calls `start(...)`: one BackgroundJob row, and once it commits the `run_job` task on the
`interactive` queue (which no background polling shares, so a person never queues behind a
poll). The page shows the job's progress fragment, which polls `integrations:job` every two
seconds until the worker has stored the outcome: a result for the page, or what went wrong and
what to do. Each kind's runner lives with its flow and takes the job, returning
(message, result).

A job survives its worker: the running worker holds a lease (`alive_until`), renewed by every
step a runner records with `progress`. When a worker dies the lease runs out, the page says so
at once, and the lost-jobs poller (`dispatch_lost_jobs`, in the polling idiom) hands the job to
another worker, whose runner skips the steps already recorded.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from celery import shared_task
from celery.contrib.django.task import DjangoTask
from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from . import polling
from .errors import FlowError, message_for
from .models import BackgroundJob, Brand
from .models.jobs import KIND_LABELS, STALE_AFTER, UNFINISHED
from .tiktok import TikTokError, clock

logger = logging.getLogger("integrations.jobs")
State = BackgroundJob.State
KEEP_FINISHED = timedelta(days=1)
# The task's hard time limit: a runner that records no steps holds its lease this long.
RUN_TIME_LIMIT = timedelta(minutes=5)
# The lease of a runner that records each step: a dead worker is seen, and its job resumed,
# within this plus one beat of the lost-jobs poller.
HEARTBEAT_LEASE = timedelta(seconds=30)
# A job whose worker died this many times is given up rather than handed out again.
MAX_ATTEMPTS = 3

Runner = Callable[[BackgroundJob], tuple[str, dict]]


@dataclass(frozen=True)
class JobKind:
    runner: Runner
    # The fragment that shows the result in place (default: integrations/_job.html).
    template: str = "integrations/_job.html"
    # The result changes the whole page: once done, the page reloads itself.
    reload_when_done: bool = False
    # How long a worker holds the job between two recorded steps (see `progress`).
    lease: timedelta = RUN_TIME_LIMIT


# Filled by each app's AppConfig.ready() with `register`: the runner lives with its flow, and
# integrations never imports the apps built on it.
KINDS: dict[str, JobKind] = {}


def register(
    kind: str,
    runner: Runner,
    *,
    label: str,
    template: str = "",
    reload_when_done: bool = False,
    records_steps: bool = False,
) -> None:
    """Make `kind` a kind of BackgroundJob, run by `runner`; `label` names it in the admin.
    A runner that `records_steps` calls `progress` after each step and skips the steps a
    previous worker recorded: its lease is short, so a dead worker is noticed within a minute."""
    lease = HEARTBEAT_LEASE if records_steps else RUN_TIME_LIMIT
    KINDS[kind] = JobKind(runner, template or JobKind.template, reload_when_done, lease)
    KIND_LABELS[kind] = label


def _signed_in(user: User | AnonymousUser) -> User:
    # Jobs belong to the person watching them; their views require a login.
    if not isinstance(user, User):
        raise PermissionDenied
    return user


def start(kind: str, user: User | AnonymousUser, brand: Brand | None = None, **params: Any) -> BackgroundJob:
    return _start(kind, user, brand, params)


def _start(
    kind: str, user: User | AnonymousUser, brand: Brand | None, params: dict[str, Any], intent: str = ""
) -> BackgroundJob:
    if kind not in KINDS:
        # Here, in the request, rather than in the worker after the page said "started".
        raise LookupError(f"No job kind {kind!r} is registered")
    # Jobs are for watching, not for history (the audit log is): finished ones go after a day,
    # so the approvals refresh every ten seconds does not grow the table without bound.
    BackgroundJob.objects.filter(kind=kind, brand=brand, finished_at__lt=timezone.now() - KEEP_FINISHED).delete()
    job = BackgroundJob.objects.create(
        kind=kind,
        user=_signed_in(user),
        brand=brand,
        params=params,
        intent=intent,
        alive_until=timezone.now() + STALE_AFTER,
    )
    transaction.on_commit(lambda: _enqueue(job))
    return job


def _enqueue(job: BackgroundJob) -> None:
    try:
        run_job.delay(job.pk)
    except Exception:
        # Not queued (the broker is down, say), so no task will ever run it: a pending row
        # would be joined by the next click (start_once) until it counts as lost.
        BackgroundJob.objects.filter(pk=job.pk, state=State.PENDING).delete()
        raise


def start_once(kind: str, user: User | AnonymousUser, brand: Brand | None = None, **params: Any) -> BackgroundJob:
    """What a double click, a reload or a concurrent click asks again joins the job already on
    its way: an unfinished job's intent is unique, so of concurrent starts one inserts."""
    intent = _intent(kind, _signed_in(user), brand, params)
    unfinished = BackgroundJob.objects.filter(intent=intent, state__in=[State.PENDING, State.RUNNING])
    for _ in range(2):  # the second look follows a concurrent insert, or a job that just finished
        job = unfinished.first()
        if job is not None:
            return job
        try:
            with transaction.atomic():
                return _start(kind, user, brand, params, intent)
        except IntegrityError:
            continue
    raise FlowError("This was just started and finished; reload the page to see the result.")


def _intent(kind: str, user: User, brand: Brand | None, params: dict[str, Any]) -> str:
    key = json.dumps([kind, user.pk, brand.pk if brand else None, params], sort_keys=True, default=str)
    return hashlib.sha256(key.encode()).hexdigest()


def progress(job: BackgroundJob, result: dict) -> None:
    """Record a step's outcome for the page and renew the worker's lease on the job."""
    job.result = result
    BackgroundJob.objects.filter(pk=job.pk, state=State.RUNNING).update(
        result=result, alive_until=timezone.now() + KINDS[job.kind].lease
    )


def run(job_id: int) -> str:
    """Run one job once: of two deliveries of the same task only the first takes the row."""
    job = BackgroundJob.objects.filter(pk=job_id, state=State.PENDING).first()
    if job is None or job.kind not in KINDS:
        return "taken or gone"
    kind = KINDS[job.kind]
    if not BackgroundJob.objects.filter(pk=job_id, state=State.PENDING).update(
        state=State.RUNNING, alive_until=timezone.now() + kind.lease, attempts=F("attempts") + 1
    ):
        return "taken or gone"
    job.refresh_from_db()
    runner = kind.runner
    # A person just asked: judge by TikTok's time as it is now, not as this worker last read
    # it (in a sandbox demo the clock may have been advanced a moment ago).
    clock.forget()
    try:
        job.message, job.result = runner(job)
        job.state = State.DONE
    except FlowError as exc:
        job.state, job.message = State.FAILED, exc.message
    except TikTokError as exc:
        logger.warning("job %s %s failed: %s", job.pk, job.kind, exc)
        job.state, job.message = State.FAILED, message_for(exc)
    except Exception:
        # The person still gets an answer; the error itself goes to the logs.
        logger.exception("job %s %s crashed", job.pk, job.kind)
        job.state, job.message = State.FAILED, "Something went wrong on our side. Please try again."
    job.finished_at, job.alive_until = timezone.now(), None
    job.save(update_fields=["state", "message", "result", "finished_at", "alive_until"])
    return job.state


@shared_task(
    base=DjangoTask, queue="interactive", time_limit=int(RUN_TIME_LIMIT.total_seconds()), soft_time_limit=4 * 60
)
def run_job(job_id: int) -> str:
    """One slow piece of work a person is watching; not retried: the transport already
    retried TikTok, and the page tells the person to try again."""
    return run(job_id)


def unfinished_jobs() -> QuerySet[BackgroundJob]:
    """The jobs the lost-jobs poller looks after (alive_until): waiting for a worker or held
    by one."""
    return BackgroundJob.objects.filter(state__in=UNFINISHED)


# Not on the interactive queue, which only the jobs themselves use.
@shared_task(queue="default", time_limit=60, soft_time_limit=50)
def dispatch_lost_jobs() -> int:
    """Hand each lost job (its worker died, or the broker lost its task) to a worker: it is
    pending again, and its runner skips the steps a dead worker recorded. A job that has been
    taken MAX_ATTEMPTS times is given up, with a message."""
    rows = polling.claim_due(unfinished_jobs(), lease=STALE_AFTER, limit=100, field="alive_until")
    spent = [row.pk for row in rows if row.attempts >= MAX_ATTEMPTS]
    BackgroundJob.objects.filter(pk__in=spent, state__in=UNFINISHED).update(
        state=State.FAILED,
        message="This stopped several times before it finished. Please try again, or contact support.",
        finished_at=timezone.now(),
        alive_until=None,
    )
    ids = [row.pk for row in rows if row.pk not in spent]
    BackgroundJob.objects.filter(pk__in=ids, state__in=UNFINISHED).update(state=State.PENDING)
    for pk in ids:
        logger.warning("job %s was lost; handing it to a worker", pk)
    return polling.enqueue_on_commit(run_job, ids)
