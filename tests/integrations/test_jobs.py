"""Slow work a person asked for runs in a worker (integrations.jobs); TikTok failing inside a
request is a page that says what happened, never a 500 or the transport's own words."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests
import responses
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from integrations import jobs
from integrations.middleware import TikTokDeadlineMiddleware
from integrations.models import BackgroundJob
from integrations.sourcing import flows as sourcing_flows
from integrations.tiktok import TikTokError
from integrations.tiktok.errors import CONNECTION

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def _creators(page: int, total_page: int = 3) -> dict:
    creators = [{"handle_name": f"p{page}.c{n}", "followers_count": 1000 - n} for n in range(2)]
    info = {"page": page, "page_size": 20, "total_page": total_page, "total_number": 41}
    return {"code": 0, "message": "OK", "request_id": "r", "data": {"creators": creators, "page_info": info}}


@pytest.fixture
def sourcing(brand, tto_factory, ad_factory, settings):
    tto = tto_factory(brand)
    ad_factory(brand, tto)
    assert sourcing_flows.sourcing_account(brand) == tto
    settings.TIKTOK_MAX_RETRIES = 0
    discover = f"{settings.TIKTOK_BUSINESS_API_BASE_URL}/open_api/v1.3/tto/tcm/creator/discover/"
    with responses.RequestsMock() as rsps:
        yield discover, rsps


def test_the_first_page_of_creators_is_loaded_by_a_worker_too_and_then_shown_in_the_results_area(
    brand, alice, client_for, sourcing, run_jobs
):
    discover, rsps = sourcing
    rsps.get(discover, json=_creators(1))
    client = client_for(alice)

    with run_jobs():
        waiting = client.get(reverse("integrations:creator_search", args=[brand.slug]))
        assert len(rsps.calls) == 0
    html = waiting.content.decode()
    assert "<html" in html and 'hx-trigger="every 2s"' in html
    assert "Load a page of creators: waiting for a worker" in html and "p1.c0" not in html
    job = BackgroundJob.objects.get(kind="creator_search")
    assert job.params == {"filters": {}, "page": 1, "query": ""}
    assert dict(p.split("=") for p in rsps.calls[0].request.url.split("?")[1].split("&"))["page"] == "1"

    done = client.get(reverse("integrations:job", args=[job.pk]), **HTMX).content.decode()
    assert "every 2s" not in done and "p1.c0" in done and "page 1 of 3" in done and "page=2" in done


def test_no_search_starts_while_the_filters_are_invalid_or_sourcing_is_unavailable(
    brand, other_brand, alice, charlie, client_for, sourcing
):
    bad = client_for(alice).get(
        reverse("integrations:creator_search", args=[brand.slug]), {"min_followers": 10, "max_followers": 5}, **HTMX
    )
    assert bad.context["job"] is None and "Please check the filters." in bad.content.decode()
    unavailable = client_for(charlie).get(reverse("integrations:creator_search", args=[other_brand.slug]))
    assert (
        unavailable.context["job"] is None and "Creator sourcing is not available yet" in unavailable.content.decode()
    )
    assert not BackgroundJob.objects.exists()


def test_what_tiktok_answered_when_a_search_failed_is_shown_in_the_results_area(
    brand, alice, client_for, sourcing, run_jobs
):
    discover, rsps = sourcing
    rsps.get(discover, json={"code": 40100, "message": "Too many requests", "request_id": "r", "data": {}})
    client = client_for(alice)

    with run_jobs():
        client.get(reverse("integrations:creator_search", args=[brand.slug]), {"keyword": "x"}, **HTMX)
    job = BackgroundJob.objects.get()
    assert job.state == BackgroundJob.State.FAILED and job.message
    html = client.get(reverse("integrations:job", args=[job.pk]), **HTMX).content.decode()
    assert html.lstrip().startswith('<section id="creator-results"') and "every 2s" not in html
    assert f'<p class="msg msg-error">{job.message}</p>' in html


def test_a_creators_profile_is_read_by_a_worker_while_the_page_shows_its_progress(
    brand, alice, client_for, sourcing, run_jobs, settings
):
    _, rsps = sourcing
    public = rsps.get(
        f"{settings.TIKTOK_BUSINESS_API_BASE_URL}/open_api/v1.3/tto/tcm/creator/public/",
        json={
            "code": 0,
            "message": "OK",
            "request_id": "r",
            "data": {
                "handle_name": "p.star",
                "followers_count": 4200,
                "audience_genders": [{"gender": "FEMALE", "percentage": 0.6}],
            },
        },
    )
    client = client_for(alice)

    with run_jobs():
        waiting = client.get(reverse("integrations:creator_profile", args=[brand.slug, "p.star"]))
        assert not public.calls
    html = waiting.content.decode()
    assert "<h1>@p.star</h1>" in html and 'hx-trigger="every 2s"' in html and "4,200" not in html
    job = BackgroundJob.objects.get(kind="creator_profile")
    assert job.params == {"handle": "p.star"} and job.state == BackgroundJob.State.DONE

    done = client.get(reverse("integrations:job", args=[job.pk]), **HTMX).content.decode()
    assert done.lstrip().startswith('<section id="creator-profile"') and "every 2s" not in done
    assert "4,200" in done and "FEMALE" in done and "60.0%" in done


def test_a_later_page_of_creators_is_loaded_by_a_worker_while_the_results_area_polls(
    brand, alice, client_for, sourcing, run_jobs
):
    discover, rsps = sourcing
    rsps.get(discover, json=_creators(2))
    client = client_for(alice)
    url = reverse("integrations:creator_search", args=[brand.slug])

    with run_jobs():
        waiting = client.get(url, {"country": "us", "min_engagement": "2.5", "page": 2}, **HTMX)
        assert len(rsps.calls) == 0
    job = BackgroundJob.objects.get(kind="creator_search")
    html = waiting.content.decode()
    assert html.lstrip().startswith('<section id="creator-results"') and 'hx-trigger="every 2s"' in html
    assert "Load a page of creators: waiting for a worker" in html
    query = dict(p.split("=") for p in rsps.calls[0].request.url.split("?")[1].split("&"))
    assert query["page"] == "2" and query["min_engagement_rate"] == "0.025"

    done = client.get(reverse("integrations:job", args=[job.pk]), **HTMX).content.decode()
    assert "every 2s" not in done and "p2.c0" in done and "page 2 of 3" in done
    # The pager keeps the filters and goes on from here.
    assert "country=us" in done and "page=3" in done and "page=1" in done


def test_the_same_later_page_asked_twice_while_loading_is_one_job_per_person(brand, alice, bob, client_for, sourcing):
    url = reverse("integrations:creator_search", args=[brand.slug])
    for user in (alice, alice, bob):
        response = client_for(user).get(url, {"page": 2}, **HTMX)
        # Each person polls a job they may see.
        job = response.context["job"]
        assert client_for(user).get(reverse("integrations:job", args=[job.pk])).status_code == 200
    assert BackgroundJob.objects.filter(user=alice).count() == 1
    assert BackgroundJob.objects.filter(user=bob).count() == 1


def test_a_hanging_discover_ends_the_job_with_a_clear_message(brand, alice, client_for, sourcing, run_jobs):
    discover, rsps = sourcing
    rsps.get(discover, body=requests.ConnectTimeout("connect timed out"))
    client = client_for(alice)

    with run_jobs():
        client.get(reverse("integrations:creator_search", args=[brand.slug]), {"page": 2}, **HTMX)
    job = BackgroundJob.objects.get()
    assert job.state == BackgroundJob.State.FAILED
    html = client.get(reverse("integrations:job", args=[job.pk]), **HTMX).content.decode()
    assert "TikTok did not answer in time; try again in a minute." in html
    assert "ConnectTimeout" not in html and "every 2s" not in html


def test_a_job_is_shown_only_to_who_started_it_and_only_while_in_its_brand(
    brand, alice, bob, charlie, client_for, sourcing
):
    client_for(alice).get(reverse("integrations:creator_search", args=[brand.slug]), {"page": 2}, **HTMX)
    job = BackgroundJob.objects.get()
    url = reverse("integrations:job", args=[job.pk])

    assert client_for(alice).get(url).status_code == 200
    assert client_for(charlie).get(url).status_code == 404
    assert client_for(bob).get(url).status_code == 404  # same brand, someone else's job
    brand.memberships.filter(user=alice).delete()
    assert client_for(alice).get(url).status_code == 404


def test_a_job_runs_once_however_often_its_task_is_delivered(brand, alice, sourcing):
    discover, rsps = sourcing
    rsps.get(discover, json=_creators(2))
    job = jobs.start("creator_search", alice, brand, filters={}, page=2, query="")

    assert jobs.run(job.pk) == "done"
    assert jobs.run(job.pk) == "taken or gone"
    assert len(rsps.calls) == 1


def test_a_job_the_broker_lost_says_so_and_is_handed_to_a_worker_by_the_lost_jobs_poller(
    brand, alice, client_for, monkeypatch, django_capture_on_commit_callbacks
):
    job = jobs.start("creator_search", alice, brand, filters={}, page=2, query="")
    BackgroundJob.objects.filter(pk=job.pk).update(alive_until=timezone.now() - timedelta(seconds=1))

    html = client_for(alice).get(reverse("integrations:job", args=[job.pk]), **HTMX).content.decode()
    assert "stopped before it finished" in html and "every 2s" in html  # still watched

    sent: list[int] = []
    monkeypatch.setattr(jobs.run_job, "delay", sent.append)
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs.dispatch_lost_jobs() == 1
    assert sent == [job.pk]
    job.refresh_from_db()
    assert job.state == BackgroundJob.State.PENDING and not job.lost
    assert jobs.dispatch_lost_jobs() == 0  # handed out once


def test_a_job_taken_by_too_many_workers_is_given_up_with_a_message(brand, alice):
    job = jobs.start("creator_search", alice, brand, filters={}, page=2, query="")
    BackgroundJob.objects.filter(pk=job.pk).update(
        state=BackgroundJob.State.RUNNING, attempts=jobs.MAX_ATTEMPTS, alive_until=timezone.now()
    )
    assert jobs.dispatch_lost_jobs() == 0
    job.refresh_from_db()
    assert job.state == BackgroundJob.State.FAILED and "stopped several times" in job.message


def test_a_tiktok_error_no_view_caught_is_a_clear_503_page_not_a_500(settings):
    assert "integrations.middleware.TikTokDeadlineMiddleware" in settings.MIDDLEWARE
    request = RequestFactory().get("/somewhere/")
    middleware = TikTokDeadlineMiddleware(lambda r: HttpResponse())
    failure = TikTokError("ConnectionError talking to TikTok", code=CONNECTION, path="bc/get/")

    response = middleware.process_exception(request, failure)

    assert response is not None and response.status_code == 503
    html = response.content.decode()
    assert "TikTok did not answer in time; try again in a minute." in html and "ConnectionError" not in html
    assert response["Retry-After"] == "60"
    assert middleware.process_exception(request, ValueError("not TikTok")) is None


def test_every_job_kind_is_registered_with_a_label_and_the_task_is_alone_on_the_interactive_queue():
    from aspire_tiktok.celery import app

    assert set(jobs.KINDS) == {
        "bc_sync",
        "bc_approvals",
        "promote_posts",
        "creator_search",
        "creator_profile",
        "anchor_review",
        "onboarding_check",
        "link_requests",
        "spark_bulk_request",
    }
    assert set(dict(BackgroundJob._meta.get_field("kind").choices)) == set(jobs.KINDS)
    app.loader.import_default_modules()

    def queue(name: str) -> str:
        return app.amqp.router.route({}, name, task_type=app.tasks[name])["queue"].name

    assert queue("integrations.jobs.run_job") == "interactive"
    ours = [name for name in app.tasks if name.split(".")[0] in {"integrations", "creators", "sparkads"}]
    background = {queue(name) for name in ours if name != "integrations.jobs.run_job"}
    assert "interactive" not in background


def test_a_kind_no_app_registered_is_refused_in_the_request(brand, alice):
    with pytest.raises(LookupError):
        jobs.start("no_such_kind", alice, brand)
    assert not BackgroundJob.objects.exists()


def test_finished_jobs_are_dropped_after_a_day_when_the_next_of_their_kind_starts(brand, alice):
    old = jobs.start("bc_approvals", alice, brand, bc=1)
    BackgroundJob.objects.filter(pk=old.pk).update(state="done", finished_at=timezone.now() - timedelta(days=2))
    recent = jobs.start("bc_approvals", alice, brand, bc=1)
    BackgroundJob.objects.filter(pk=recent.pk).update(state="done", finished_at=timezone.now())
    other_kind = jobs.start("bc_sync", alice, brand, bc=1)
    BackgroundJob.objects.filter(pk=other_kind.pk).update(state="done", finished_at=timezone.now() - timedelta(days=2))

    newest = jobs.start("bc_approvals", alice, brand, bc=1)

    assert set(BackgroundJob.objects.values_list("pk", flat=True)) == {recent.pk, other_kind.pk, newest.pk}
