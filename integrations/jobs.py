"""Slow TikTok work a person asked for runs in a worker, never in their request.

A view calls `start(...)`: one BackgroundJob row, and once it commits the `run_job` task on the
`interactive` queue (which no background polling shares, so a person never queues behind a
poll). The page shows the job's progress fragment, which polls `integrations:job` every two
seconds until the worker has stored the outcome: a result for the page, or what went wrong and
what to do. Each kind's runner lives with its flow and takes the job, returning
(message, result).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from celery import shared_task
from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from .errors import FlowError, message_for
from .models import BackgroundJob, Brand
from .models.jobs import KIND_LABELS
from .tiktok import TikTokError, clock

logger = logging.getLogger("integrations.jobs")
State = BackgroundJob.State
KEEP_FINISHED = timedelta(days=1)

Runner = Callable[[BackgroundJob], tuple[str, dict]]


@dataclass(frozen=True)
class JobKind:
    runner: Runner
    # The fragment that shows the result in place (default: integrations/_job.html).
    template: str = "integrations/_job.html"
    # The result changes the whole page: once done, the page reloads itself.
    reload_when_done: bool = False


# Filled by each app's AppConfig.ready() with `register`: the runner lives with its flow, and
# integrations never imports the apps built on it.
KINDS: dict[str, JobKind] = {}


def register(kind: str, runner: Runner, *, label: str, template: str = "", reload_when_done: bool = False) -> None:
    """Make `kind` a kind of BackgroundJob, run by `runner`; `label` names it in the admin."""
    KINDS[kind] = JobKind(runner, template or JobKind.template, reload_when_done)
    KIND_LABELS[kind] = label


def _signed_in(user: User | AnonymousUser) -> User:
    # Jobs belong to the person watching them; their views require a login.
    if not isinstance(user, User):
        raise PermissionDenied
    return user


def start(kind: str, user: User | AnonymousUser, brand: Brand | None = None, **params: Any) -> BackgroundJob:
    if kind not in KINDS:
        # Here, in the request, rather than in the worker after the page said "started".
        raise LookupError(f"No job kind {kind!r} is registered")
    # Jobs are for watching, not for history (the audit log is): finished ones go after a day,
    # so the approvals refresh every ten seconds does not grow the table without bound.
    BackgroundJob.objects.filter(kind=kind, brand=brand, finished_at__lt=timezone.now() - KEEP_FINISHED).delete()
    job = BackgroundJob.objects.create(kind=kind, user=_signed_in(user), brand=brand, params=params)
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


def pending(kind: str, user: User | AnonymousUser, brand: Brand | None, **params: Any) -> BackgroundJob | None:
    """The user's unfinished job of this kind for these parameters, if still on its way."""
    jobs = BackgroundJob.objects.filter(
        kind=kind, user=_signed_in(user), brand=brand, state__in=[State.PENDING, State.RUNNING]
    )
    for name, value in params.items():
        jobs = jobs.filter(**{f"params__{name}": value})
    job = jobs.order_by("-created_at").first()
    return None if job is None or job.lost else job


def start_once(kind: str, user: User | AnonymousUser, brand: Brand | None = None, **params: Any) -> BackgroundJob:
    """What a double click or a reload asks again joins the job already on its way."""
    return pending(kind, user, brand, **params) or start(kind, user, brand, **params)


def run(job_id: int) -> str:
    """Run one job once: of two deliveries of the same task only the first takes the row."""
    if not BackgroundJob.objects.filter(pk=job_id, state=State.PENDING).update(state=State.RUNNING):
        return "taken or gone"
    job = BackgroundJob.objects.get(pk=job_id)
    runner = KINDS[job.kind].runner
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
    job.finished_at = timezone.now()
    job.save(update_fields=["state", "message", "result", "finished_at"])
    return job.state


@shared_task(queue="interactive", time_limit=5 * 60, soft_time_limit=4 * 60)
def run_job(job_id: int) -> str:
    """One slow piece of work a person is watching; not retried: the transport already
    retried TikTok, and the page tells the person to try again."""
    return run(job_id)
