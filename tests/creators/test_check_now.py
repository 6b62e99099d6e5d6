"""A creator's "Check again now" asks TikTok from a worker while the page shows its progress."""

from __future__ import annotations

import pytest
import requests
import responses
from django.urls import reverse

from creators.models import MarketplaceOnboarding
from integrations.models import BackgroundJob, Credential, TikTokOneAccount

from .test_pages import make_account

pytestmark = pytest.mark.django_db


@pytest.fixture
def status_api(settings):
    cred = Credential.objects.create(kind=Credential.Kind.BUSINESS, access_token="internal-token")
    TikTokOneAccount.objects.create(
        tto_tcm_account_id="7200000000000000099", name="Platform", is_internal=True, credential=cred
    )
    settings.TIKTOK_MAX_RETRIES = 0
    with responses.RequestsMock() as rsps:
        yield f"{settings.TIKTOK_BUSINESS_API_BASE_URL}/open_api/v1.3/tto/tcm/creator/status/get/", rsps


def test_check_now_answers_at_once_and_the_worker_moves_the_creator_in(user_factory, client_for, status_api, run_jobs):
    url, rsps = status_api
    creator = user_factory()
    account = make_account(creator)
    rsps.get(
        url,
        json={
            "code": 0,
            "message": "OK",
            "request_id": "r",
            "data": {"onboarding_status": [{"handle_name": account.handle, "status": "IN"}]},
        },
    )
    client = client_for(creator)

    with run_jobs():
        started = client.post(reverse("creators:check_status", args=[account.pk]))
        assert len(rsps.calls) == 0  # not in the request
        waiting = client.get(started["Location"]).content.decode()
    job = BackgroundJob.objects.get(kind="onboarding_check")
    assert started["Location"] == reverse("creators:home") + f"?job={job.pk}"
    assert 'hx-trigger="every 2s"' in waiting and "Check the Creator Marketplace status" in waiting

    assert MarketplaceOnboarding.objects.get(tiktok_account=account).state == MarketplaceOnboarding.State.IN_MARKETPLACE
    done = client.get(reverse("integrations:job", args=[job.pk]), HTTP_HX_REQUEST="true")
    assert done["HX-Refresh"] == "true"
    assert "Checked your Creator Marketplace status with TikTok" in done.content.decode()


def test_check_now_with_tiktok_down_says_try_again_and_someone_elses_job_is_a_404(
    user_factory, client_for, status_api, run_jobs
):
    url, rsps = status_api
    creator = user_factory()
    account = make_account(creator)
    rsps.get(url, body=requests.ConnectionError("Max retries exceeded"))
    client = client_for(creator)

    with run_jobs():
        client.post(reverse("creators:check_status", args=[account.pk]))
    job = BackgroundJob.objects.get()
    html = client.get(reverse("integrations:job", args=[job.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert job.__class__.objects.get(pk=job.pk).state == BackgroundJob.State.FAILED
    assert "TikTok did not answer in time; try again in a minute." in html and "ConnectionError" not in html

    stranger = client_for(user_factory())
    assert stranger.get(reverse("integrations:job", args=[job.pk])).status_code == 404
    assert stranger.get(reverse("creators:home") + f"?job={job.pk}").status_code == 404
    assert stranger.post(reverse("creators:check_status", args=[account.pk])).status_code == 404
