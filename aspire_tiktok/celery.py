"""The Celery app: configured from Django settings (CELERY_ namespace), tasks autodiscovered,
beat's schedule built from the pollers the apps register (integrations.polling)."""

from __future__ import annotations

import os
import warnings
from typing import Any

from celery import Celery
from celery.exceptions import CDeprecationWarning
from celery.signals import beat_init, import_modules

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aspire_tiktok.settings")

app = Celery("aspire_tiktok")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Post insights are a package inside integrations with tasks of their own; a person's jobs
# and outgoing mail keep their tasks beside the code that queues them.
app.autodiscover_tasks(["integrations.insights"])
app.autodiscover_tasks(["integrations"], related_name="jobs")
app.autodiscover_tasks(["integrations"], related_name="mail")


def declared_queue(name: str, args: Any, kwargs: Any, options: Any, task: Any = None, **kw: Any) -> dict | None:
    """Every task names its queue on its decorator (`@shared_task(queue="spark")`), so the code
    that defines a task says where it runs and no table spells each task a second time. This
    router sends it there: Celery 5.7 deprecates acting on the attribute itself and Celery 6
    ignores it, so routing must not depend on Celery reading it."""
    queue = getattr(task, "queue", None)
    return {"queue": queue} if queue else None


app.conf.task_routes = (declared_queue,)
# The attribute is read by declared_queue above, which is what Celery's warning asks for.
warnings.filterwarnings("ignore", message=r"\s*The 'queue' task attribute is deprecated", category=CDeprecationWarning)

# Periodic tasks that poll no rows.
PERIODIC: dict[str, dict[str, Any]] = {
    # Forget webhook deliveries past TikTok's retry window.
    "integrations-webhook-purge": {"task": "integrations.tasks.purge_webhook_deliveries", "schedule": 24 * 3600.0},
    # Rewrite the open-incidents cache pages read from.
    "integrations-incident-banner": {"task": "integrations.tasks.refresh_incident_banner", "schedule": 60.0},
}


def beat_schedule() -> dict[str, dict[str, Any]]:
    """Each registered poller's dispatcher at its interval, and the periodic tasks. Beat must
    run exactly once per deployment."""
    # Imported when called: this module loads with the project package, before Django is set up.
    from integrations.polling import POLLERS

    pollers = {
        f"poll-{poller.key}": {"task": poller.dispatcher.name, "schedule": poller.every} for poller in POLLERS.values()
    }
    return pollers | PERIODIC


@import_modules.connect(sender=app)
def schedule_pollers(sender: Celery, **kwargs: Any) -> None:
    """Beat (and a worker) import the task modules before anything reads the schedule; Celery's
    Django fixup set Django up just before, so every app has registered its pollers."""
    sender.conf.beat_schedule = beat_schedule()


@beat_init.connect
def dispatch_on_start(sender: Any = None, **kwargs: Any) -> None:
    """Beat first sends an interval task one interval after it starts; work due while beat
    was down should not wait for that. Every dispatcher only claims what is due, so an
    extra run is harmless."""
    for entry in beat_schedule().values():
        app.send_task(entry["task"])
