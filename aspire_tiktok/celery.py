"""The Celery app: configured from Django settings (CELERY_ namespace), tasks autodiscovered."""

from __future__ import annotations

import os
from typing import Any

from celery import Celery
from celery.signals import beat_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aspire_tiktok.settings")

app = Celery("aspire_tiktok")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Post insights are a package inside integrations with tasks of their own.
app.autodiscover_tasks(["integrations.insights"])


@beat_init.connect
def dispatch_on_start(sender: Any = None, **kwargs: Any) -> None:
    """Beat first sends an interval task one interval after it starts; work due while beat
    was down should not wait for that. Every dispatcher only claims what is due, so an
    extra run is harmless."""
    for entry in app.conf.beat_schedule.values():
        app.send_task(entry["task"])
