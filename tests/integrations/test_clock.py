"""One clock: real time in production; in a sandbox deployment the sandbox's clock, so an
advanced sandbox moves every time-based decision and display of the platform with it."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests
import responses
from django.utils import timezone

from integrations.tiktok import clock

SANDBOX = "http://sandbox.test"


@pytest.fixture
def sandbox_deployment(settings):
    settings.TIKTOK_SANDBOX = True
    settings.SANDBOX_URL = SANDBOX
    clock.forget()
    yield
    clock.forget()


def _offset(hours: float) -> None:
    responses.get(f"{SANDBOX}/sandbox/api/state", json={"now": "", "offset_seconds": hours * 3600, "counts": {}})


@responses.activate
def test_production_uses_real_time_and_never_asks_the_sandbox(settings):
    settings.TIKTOK_SANDBOX = False
    before = timezone.now()
    assert before <= clock.now() <= timezone.now()
    assert len(responses.calls) == 0


@responses.activate
def test_a_sandbox_deployment_follows_the_sandboxs_clock(sandbox_deployment):
    _offset(25)
    moved = clock.now() - timezone.now()
    assert timedelta(hours=24, minutes=59) < moved <= timedelta(hours=25)


@responses.activate
def test_the_offset_is_read_once_per_short_while_not_on_every_call(sandbox_deployment):
    _offset(2)
    for _ in range(20):
        clock.now()
    assert len(responses.calls) == 1


@responses.activate
def test_a_sandbox_that_does_not_answer_keeps_the_last_offset_instead_of_going_back_in_time(sandbox_deployment):
    _offset(48)
    clock.now()
    clock.forget()
    responses.replace(responses.GET, f"{SANDBOX}/sandbox/api/state", body=requests.ConnectionError("down"))
    assert clock.now() - timezone.now() > timedelta(hours=47)


@pytest.mark.django_db
@responses.activate
def test_a_spark_code_window_counts_its_days_left_on_the_sandboxs_clock(sandbox_deployment, brand):
    from sparkads.models import SparkAuthorization

    _offset(24 * 5)
    auth = SparkAuthorization(brand=brand, auth_end=timezone.now() + timedelta(days=30, hours=1))
    # 30 days by real time; the sandbox is 5 days ahead, so TikTok's window has 25 left.
    assert auth.days_left == 25
    assert auth.lifecycle_status() == SparkAuthorization.Status.ACTIVE
    clock.forget()
    responses.replace(
        responses.GET, f"{SANDBOX}/sandbox/api/state", json={"offset_seconds": 24 * 3600 * 20, "counts": {}}
    )
    assert auth.lifecycle_status() == SparkAuthorization.Status.EXPIRING


@pytest.mark.django_db
@responses.activate
def test_a_token_window_is_kept_and_judged_on_the_sandboxs_clock(sandbox_deployment):
    from integrations.models import Credential
    from integrations.tiktok import tokens
    from integrations.tiktok.base import TokenGrant

    _offset(0)
    grant = TokenGrant(access_token="a", refresh_token="r", expires_in=86400, refresh_expires_in=86400 * 365)
    credential = tokens.apply_grant(Credential(kind=Credential.Kind.TT_USER), grant)
    assert not credential.access_expires_soon()
    # A day passes on TikTok's side only: TikTok's token has expired, and the platform knows it.
    clock.forget()
    responses.replace(responses.GET, f"{SANDBOX}/sandbox/api/state", json={"offset_seconds": 86400 + 60})
    assert credential.access_expires_soon()


@responses.activate
@pytest.mark.django_db
def test_work_a_person_just_asked_for_reads_the_sandboxs_clock_afresh(sandbox_deployment, monkeypatch, alice):
    from integrations import jobs
    from integrations.models import BackgroundJob

    _offset(0)
    clock.now()  # this worker read the clock a moment ago
    responses.replace(
        responses.GET, f"{SANDBOX}/sandbox/api/state", json={"now": "", "offset_seconds": 25 * 3600, "counts": {}}
    )
    kind = "bc_sync"
    ahead = lambda job: ("", {"ahead": (clock.now() - timezone.now()).total_seconds()})  # noqa: E731
    monkeypatch.setitem(jobs.KINDS, kind, jobs.JobKind(ahead))
    job = BackgroundJob.objects.create(kind=kind, user=alice)

    jobs.run(job.pk)

    job.refresh_from_db()
    assert 24.9 * 3600 < job.result["ahead"] <= 25 * 3600
