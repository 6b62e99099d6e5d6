"""The Celery app: configured from Django settings (CELERY_ namespace), tasks autodiscovered."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aspire_tiktok.settings")

app = Celery("aspire_tiktok")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Post insights are a package inside integrations with tasks of their own.
app.autodiscover_tasks(["integrations.insights"])
