"""A real Celery worker on Redis runs a task end to end."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from integrations.tasks import ping

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.worker
def test_a_real_worker_runs_a_task_from_redis():
    queue = f"smoke-{uuid.uuid4().hex[:8]}"
    from aspire_tiktok.celery import app

    # The worker listens where this process publishes (another test may have pointed the
    # app at a private Redis database), so the round trip proves the wiring, not luck.
    env = {
        **os.environ,
        "DJANGO_ENV": "test",
        "CELERY_BROKER_URL": app.conf.broker_url,
        "CELERY_RESULT_BACKEND": app.conf.result_backend,
    }
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "aspire_tiktok",
            "worker",
            "-Q",
            queue,
            "--pool",
            "solo",
            "--without-gossip",
            "--without-mingle",
            "--loglevel",
            "WARNING",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        result = ping.apply_async(args=["hello"], queue=queue)
        assert result.get(timeout=60) == "pong:hello"
    finally:
        worker.terminate()
        worker.wait(timeout=30)


def test_celery_is_configured_for_safe_redelivery():
    assert settings.CELERY_TASK_ACKS_LATE is True
    assert settings.CELERY_WORKER_PREFETCH_MULTIPLIER == 1
    assert settings.CELERY_ACCEPT_CONTENT == ["json"]
    # Redis redelivers unacked tasks after the visibility timeout: it must outlast any task.
    assert settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] > settings.CELERY_TASK_TIME_LIMIT


PROJECT_APPS = {"integrations", "creators", "sparkads"}


@pytest.mark.django_db
def test_every_task_names_a_queue_that_the_worker_consumes():
    from aspire_tiktok.celery import app

    app.loader.import_default_modules()
    procfile = (Path(settings.BASE_DIR) / "Procfile").read_text()
    consumed = set(procfile.split(" -Q ", 1)[1].split()[0].split(","))
    ours = sorted(name for name in app.tasks if name.split(".")[0] in PROJECT_APPS)
    assert {"integrations.insights.tasks.poll_campaign_report", "integrations.mail.send_email"} <= set(ours)
    # Where Celery really sends each task, not what the task claims.
    queues = {name: app.amqp.router.route({}, name, task_type=app.tasks[name])["queue"].name for name in ours}
    assert {name: q for name, q in queues.items() if q not in consumed} == {}
    assert queues["integrations.insights.tasks.poll_campaign_report"] == "insights"
    assert queues["creators.tasks.refresh_creator_token"] == "tokens"
    assert queues["integrations.jobs.run_job"] == "interactive"


def test_every_poller_is_on_beat_at_its_interval_beside_the_periodic_tasks():
    from aspire_tiktok.celery import PERIODIC, beat_schedule
    from integrations.polling import POLLERS

    schedule = beat_schedule()
    assert {entry["task"]: entry["schedule"] for entry in schedule.values()} == {
        "integrations.insights.tasks.dispatch_insights_polls": 300.0,
        "integrations.tasks.dispatch_rechecks": 300.0,
        "creators.tasks.dispatch_onboarding_polls": settings.MARKETPLACE_DISPATCH_SECONDS,
        "creators.tasks.dispatch_onboarding_deadlines": 15.0,
        "creators.tasks.dispatch_post_polls": 15.0,
        "creators.tasks.refresh_due_creator_tokens": 300.0,
        "sparkads.tasks.dispatch_spark_polls": 15.0,
        "sparkads.tasks.dispatch_spark_deadlines": 15.0,
        "integrations.jobs.dispatch_lost_jobs": 15.0,
        "sparkads.tasks.dispatch_ads_manager_polls": 120.0,
        "sparkads.tasks.dispatch_spark_ad_sweeps": 60.0,
        "integrations.tasks.purge_webhook_deliveries": 24 * 3600.0,
        "integrations.tasks.refresh_incident_banner": 60.0,
    }
    assert len(schedule) == len(POLLERS) + len(PERIODIC)


def test_beat_sends_every_dispatcher_when_it_starts_not_one_interval_later(monkeypatch):
    from aspire_tiktok import celery as celery_module

    sent = []
    monkeypatch.setattr(celery_module.app, "send_task", lambda name, *a, **kw: sent.append(name))
    celery_module.dispatch_on_start()
    assert sorted(sent) == sorted(entry["task"] for entry in celery_module.beat_schedule().values())
    assert "creators.tasks.dispatch_onboarding_polls" in sent
