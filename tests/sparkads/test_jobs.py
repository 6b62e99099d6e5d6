"""Business Center work a person waits for runs in a worker while the page shows its progress:
the sync, the live approvals refresh and the posts to promote."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests
import responses
from django.urls import reverse
from django.utils import timezone

from integrations.models import BackgroundJob, BusinessCenterGrant, BusinessCenterMember, TikTokAccount

pytestmark = pytest.mark.django_db
Grant = BusinessCenterGrant
API = "/open_api/v1.3/"


def ok(data: dict) -> dict:
    return {"code": 0, "message": "OK", "request_id": "r1", "data": data}


@pytest.fixture
def tiktok(settings):
    settings.TIKTOK_MAX_RETRIES = 0
    base = f"{settings.TIKTOK_BUSINESS_API_BASE_URL}{API}"
    with responses.RequestsMock() as rsps:
        yield lambda path: base + path, rsps


@pytest.fixture
def admin_member(world, alice):
    return BusinessCenterMember.objects.create(
        business_center=world["bc"], tiktok_user_id="1", role="ADMIN", user=alice
    )


def _page(bc) -> str:
    return reverse("sparkads:business_center", args=[bc.brand.slug]) + f"?bc={bc.pk}"


def test_sync_answers_at_once_with_a_progress_state_and_a_worker_reads_tiktok(
    world, alice, client_for, tiktok, run_jobs
):
    url, rsps = tiktok
    member = {"user_id": "42", "user_name": "Ada", "user_email": "ada@x.test", "user_role": "STANDARD"}
    rsps.get(url("bc/member/get/"), json=ok({"list": [member], "page_info": {"total_page": 1}}))
    rsps.get(url("bc/asset/get/"), json=ok({"list": [], "page_info": {"total_page": 1}}))
    client = client_for(alice)
    bc = world["bc"]

    with run_jobs():
        started = client.post(reverse("sparkads:bc_sync", args=[bc.brand.slug, bc.pk]))
        # The request itself asked TikTok nothing: the worker runs after it.
        assert len(rsps.calls) == 0
        page = client.get(started["Location"]).content.decode()
    job = BackgroundJob.objects.get()
    assert started["Location"] == _page(bc) + f"&job={job.pk}"
    assert 'hx-trigger="every 2s"' in page and reverse("integrations:job", args=[job.pk]) in page
    assert "waiting for a worker" in page

    assert BusinessCenterMember.objects.filter(business_center=bc, tiktok_user_id="42").exists()
    done = client.get(reverse("integrations:job", args=[job.pk]), HTTP_HX_REQUEST="true")
    assert done["HX-Refresh"] == "true"
    html = done.content.decode()
    assert "1 member and the authorized TikTok accounts were read from TikTok." in html
    assert "every 2s" not in html


def test_a_hanging_tiktok_during_sync_ends_the_job_with_what_to_do(world, alice, client_for, tiktok, run_jobs):
    url, rsps = tiktok
    rsps.get(url("bc/member/get/"), body=requests.ConnectionError("Max retries exceeded with url"))
    client = client_for(alice)
    bc = world["bc"]

    with run_jobs():
        client.post(reverse("sparkads:bc_sync", args=[bc.brand.slug, bc.pk]))
    job = BackgroundJob.objects.get()
    assert job.state == BackgroundJob.State.FAILED
    html = client.get(reverse("integrations:job", args=[job.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert "TikTok did not answer in time; try again in a minute." in html
    assert "ConnectionError" not in html and "Max retries" not in html and "every 2s" not in html


def test_another_brands_user_gets_a_404_for_the_job_and_the_page_naming_it(
    world, alice, charlie, client_for, other_brand, tiktok, run_jobs
):
    url, rsps = tiktok
    rsps.get(url("bc/member/get/"), json=ok({"list": [], "page_info": {"total_page": 1}}))
    rsps.get(url("bc/asset/get/"), json=ok({"list": [], "page_info": {"total_page": 1}}))
    bc = world["bc"]
    with run_jobs():
        client_for(alice).post(reverse("sparkads:bc_sync", args=[bc.brand.slug, bc.pk]))
    job = BackgroundJob.objects.get()

    outsider = client_for(charlie)
    assert outsider.get(reverse("integrations:job", args=[job.pk])).status_code == 404
    assert (
        outsider.get(reverse("sparkads:business_center", args=[other_brand.slug]) + f"?job={job.pk}").status_code == 404
    )


def test_the_approvals_fragment_never_waits_on_tiktok_and_asks_a_worker_at_most_every_ten_seconds(
    world, admin_member, alice, client_for, tiktok, run_jobs
):
    url, rsps = tiktok
    handle_row = {"asset_id": "901", "tt_asset_handle": "new.fan", "asset_name": "New Fan", "relation_status": "BOUND"}
    rsps.get(url("bc/asset/get/"), json=ok({"list": [handle_row], "page_info": {"total_page": 1}}))
    identity = {"identity_id": "i1", "username": "new.fan", "can_pull_video": True, "can_push_video": False}
    rsps.get(url("identity/get/"), json=ok({"identity_list": [identity], "page_info": {"total_page": 1}}))
    client = client_for(alice)
    bc = world["bc"]
    fragment = reverse("sparkads:bc_approvals", args=[bc.brand.slug, bc.pk])

    with run_jobs():
        first = client.get(fragment, HTTP_HX_REQUEST="true").content.decode()
    assert "Checking TikTok for new approvals" in first and "0 of 200" in first
    assert len(rsps.calls) == 2  # bc/asset/get and identity/get, by the worker

    # Polls every 5 s: what TikTok said is shown, nothing more is asked within ten seconds.
    second = client.get(fragment, HTTP_HX_REQUEST="true").content.decode()
    assert "1 of 200" in second and "@new.fan" in second and "Checking TikTok" not in second
    assert BackgroundJob.objects.count() == 1
    grant = Grant.objects.get(business_center=bc, asset_id="901", member=None)
    assert grant.status == Grant.Status.ACTIVE and grant.scopes == ["pull"]


def test_a_failed_approvals_refresh_says_so_and_keeps_what_we_knew(
    world, admin_member, alice, client_for, tiktok, run_jobs
):
    url, rsps = tiktok
    rsps.get(url("bc/asset/get/"), body=requests.ReadTimeout("read timed out"))
    client = client_for(alice)
    bc = world["bc"]
    fragment = reverse("sparkads:bc_approvals", args=[bc.brand.slug, bc.pk])

    with run_jobs():
        client.get(fragment, HTTP_HX_REQUEST="true")
    page = client.get(fragment, HTTP_HX_REQUEST="true")
    html = page.content.decode()
    assert page.status_code == 200
    assert "TikTok did not answer in time; try again in a minute." in html and "0 of 200" in html
    assert "every 5s" in html  # still polling; the next refresh is asked ten seconds later
    BackgroundJob.objects.update(created_at=timezone.now() - timedelta(seconds=11))
    rsps.replace(responses.GET, url("bc/asset/get/"), json=ok({"list": [], "page_info": {"total_page": 1}}))
    with run_jobs():
        client.get(fragment, HTTP_HX_REQUEST="true")
    assert BackgroundJob.objects.filter(state=BackgroundJob.State.DONE).count() == 1


def test_promote_loads_the_accounts_posts_in_a_worker(world, admin_member, alice, client_for, tiktok, run_jobs):
    url, rsps = tiktok
    bc, ad = world["bc"], world["ad"]
    account = TikTokAccount.objects.create(handle="new.fan")
    grant = Grant.objects.create(
        business_center=bc, asset_type="TT_ACCOUNT", asset_id="901", tiktok_account=account, scopes=["pull"]
    )
    grant.status = Grant.Status.ACTIVE
    grant.save()
    identity = {"identity_id": "i1", "username": "new.fan", "can_pull_video": True}
    rsps.get(url("identity/get/"), json=ok({"identity_list": [identity], "page_info": {"total_page": 1}}))
    rsps.get(url("identity/video/get/"), json=ok({"video_list": [{"item_id": "7711", "text": "Summer haul"}]}))
    client = client_for(alice)
    page_url = reverse("sparkads:promote", args=[bc.brand.slug, bc.pk]) + f"?grant={grant.pk}&ad_account={ad.pk}"

    with run_jobs():
        page = client.get(page_url).content.decode()
        assert len(rsps.calls) == 0
    job = BackgroundJob.objects.get(kind="promote_posts")
    assert 'id="pull-posts"' in page and reverse("integrations:job", args=[job.pk]) in page and "every 2s" in page

    done = client.get(reverse("integrations:job", args=[job.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert done.lstrip().startswith('<div id="pull-posts"') and "every 2s" not in done
    assert 'value="7711"' in done and "Summer haul" in done and "Use this post" in done


def test_a_double_clicked_sync_is_one_job(world, alice, client_for):
    client = client_for(alice)
    bc = world["bc"]
    url = reverse("sparkads:bc_sync", args=[bc.brand.slug, bc.pk])
    first, second = client.post(url), client.post(url)
    assert first["Location"] == second["Location"]
    assert BackgroundJob.objects.filter(kind="bc_sync").count() == 1
