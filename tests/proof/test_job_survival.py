"""A background job outlives its worker: a real Celery worker is killed (SIGKILL) while a bulk
Spark request is in flight, the job is seen as lost once its 30-second lease runs out, and
another worker resumes it where it stopped, asking TikTok once per post."""

from __future__ import annotations

import pytest
from django.utils import timezone

from integrations import jobs
from integrations.models import BackgroundJob, CampaignPost
from integrations.tiktok import BusinessClient
from tests.proof.harness import requires_postgres, wait_until
from tests.sparkads.conftest import REDIRECT, make_world

pytestmark = [pytest.mark.integration, pytest.mark.worker, pytest.mark.django_db(transaction=True)]
APPLY = "/open_api/v1.3/tcm/tt_video/apply/"


@requires_postgres("the workers and the test share one database")
def test_a_bulk_job_whose_worker_is_killed_mid_request_is_resumed_by_another_and_asks_tiktok_once_per_post(
    sandbox, celery_redis, worker_factory, brand, alice
):
    sandbox.clear_rate_limits()
    code = sandbox.helper("portal-auth", persona="demo-brand", redirect_uri=REDIRECT)["auth_code"]
    world = make_world(brand, BusinessClient().oauth2_access_token(code).access_token)
    # Two more posts linked here but not on TikTok: TikTok refuses them, once each.
    for n in (1, 2):
        CampaignPost.objects.create(
            campaign=world["campaign"],
            tiktok_account=world["account"],
            video_id=f"770000000000009999{n}",
            link_status=CampaignPost.LinkStatus.APPROVE,
        )
    posts = CampaignPost.objects.filter(campaign=world["campaign"])
    sandbox.clear_requests()
    # The first request reaches TikTok and is answered slowly: the worker dies while it waits.
    rule = sandbox.add_fault(pattern=f"*{APPLY}", latency_ms=4000, times=1)
    victim = worker_factory(1, concurrency=1, queues=["interactive"])[0]

    job = jobs.start_once("spark_bulk_request", alice, brand, campaign=world["campaign"].pk, posts=[], days=30)
    wait_until(lambda: not any(r["id"] == rule["id"] and r["times"] for r in sandbox.faults()), timeout=60,
               message="the first request to reach TikTok")  # fmt: skip
    victim.kill()

    job.refresh_from_db()
    assert job.state == BackgroundJob.State.RUNNING
    assert [row["state"] for row in job.result["rows"]][:1] == ["sending"]  # recorded before the call
    wait_until(lambda: BackgroundJob.objects.get(pk=job.pk).lost, timeout=jobs.HEARTBEAT_LEASE.total_seconds() + 5,
               message="the job to be seen as lost")  # fmt: skip
    lost_after = timezone.now() - job.created_at
    assert lost_after.total_seconds() < 60

    worker_factory(1, concurrency=1, queues=["interactive"])
    assert jobs.dispatch_lost_jobs() == 1
    wait_until(lambda: BackgroundJob.objects.get(pk=job.pk).state == BackgroundJob.State.DONE, timeout=90,
               message="the job to be finished by the second worker")  # fmt: skip

    assert len(sandbox.requests(path=APPLY)) == len(posts)  # one request per post, none twice
    job.refresh_from_db()
    assert sorted(row["state"] for row in job.result["rows"]) == ["refused", "refused", "waiting"]
