"""Spark codes for a whole campaign with TikTok mocked at the HTTP boundary: one background job,
each post's state as it goes (sent, already has a code, waiting, refused with TikTok's reason,
needs the creator), TikTok's remaining-requests count, the terms on every row, and a re-run
that sends nothing twice."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
import responses
import time_machine
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from integrations import jobs
from integrations.models import BackgroundJob, CampaignPost, TikTokAccount
from sparkads import bulk
from sparkads.models import AuditEvent, SparkAuthorization
from tests.races import submit_together
from tests.sparkads.test_flows import ok, url

pytestmark = pytest.mark.django_db
Status = SparkAuthorization.Status


@pytest.fixture
def campaign(world):
    """Five linked posts: one with an active code, one with a waiting request, three new."""
    posts = [world["post"]]
    for n, handle in enumerate(["second.star", "third.star", "fourth.star", "fifth.star"], start=2):
        account = TikTokAccount.objects.create(handle=handle)
        posts.append(
            CampaignPost.objects.create(
                campaign=world["campaign"],
                tiktok_account=account,
                video_id=f"770000000000000050{n}",
                link_status=CampaignPost.LinkStatus.APPROVE,
            )
        )
    brand = world["bc"].brand
    SparkAuthorization.objects.create(brand=brand, post=posts[0], video_id=posts[0].video_id, status=Status.ACTIVE)
    SparkAuthorization.objects.create(brand=brand, post=posts[1], video_id=posts[1].video_id, status=Status.REQUESTED)
    return world["campaign"], posts


def _apply_answers(settings, rsps, refused_video: str, used_up_video: str):
    def answer(request):
        video = json.loads(request.body)["video_id"]
        if video == refused_video:
            return 200, {}, json.dumps({"code": 40002, "message": "The video is private.", "data": {}})
        if video == used_up_video:
            message = "The video has reached the maximum number of authorization requests."
            return 200, {}, json.dumps({"code": 40001, "message": message, "data": {}})
        return 200, {}, json.dumps(ok({}))

    apply = rsps.add_callback(responses.POST, url(settings, "tcm/tt_video/apply/"), callback=answer)
    rsps.get(url(settings, "tcm/tt_video/status/"), json=ok({"auth_status": "WAITING", "num_remaining_request": 27}))
    return apply


def _start(client, brand, campaign, **extra):
    data = {"campaign": campaign.pk, "days": 60, "fee": "120", "currency": "usd", **extra}
    return client.post(reverse("sparkads:bulk_request", args=[brand.slug]), data)


def test_a_campaign_bulk_request_shows_each_posts_state_and_what_needs_the_creator(
    campaign, alice, client, settings, run_jobs
):
    camp, posts = campaign
    brand = camp.brand
    client.force_login(alice)
    with responses.RequestsMock() as rsps:
        apply = _apply_answers(settings, rsps, refused_video=posts[3].video_id, used_up_video=posts[4].video_id)
        with run_jobs():
            started = _start(client, brand, camp)
    job = BackgroundJob.objects.get(kind="spark_bulk_request")
    assert started["Location"] == reverse("sparkads:bulk_progress", args=[brand.slug, job.pk])
    assert apply.call_count == 3  # the active and the waiting post are not asked again
    states = {row["video_id"]: (row["state"], row["remaining"]) for row in job.result["rows"]}
    assert states == {
        posts[0].video_id: ("has_code", None),
        posts[1].video_id: ("waiting", None),
        posts[2].video_id: ("sent", 27),
        posts[3].video_id: ("refused", None),
        posts[4].video_id: ("needs_creator", 0),
    }
    assert job.result["to_approve"] == ["second.star", "third.star"]

    page = client.get(started["Location"]).content.decode()
    assert "TikTok refused the request: The video is private." in page
    assert "All 30 requests for this video are used: ask @fifth.star" in page
    assert "To approve in TikTok's notifications: @second.star, @third.star" in page
    assert "60 days, fee 120 USD" in page

    sent = SparkAuthorization.objects.get(post=posts[2], status=Status.REQUESTED)
    assert (sent.authorization_days, sent.fee_amount, sent.fee_currency, sent.payment_status) == (
        60,
        Decimal("120"),
        "USD",
        "unpaid",
    )
    assert AuditEvent.objects.filter(kind="bulk_requested").count() == 1


def test_running_the_bulk_request_again_sends_nothing_twice(campaign, alice, client, settings, run_jobs):
    camp, posts = campaign
    client.force_login(alice)
    with responses.RequestsMock() as rsps:
        apply = _apply_answers(settings, rsps, refused_video="", used_up_video="")
        with run_jobs():
            _start(client, camp.brand, camp)
        with run_jobs():
            _start(client, camp.brand, camp)
    assert apply.call_count == 3
    second = BackgroundJob.objects.order_by("-pk").first()
    assert {row["state"] for row in second.result["rows"]} == {"has_code", "waiting"}
    assert SparkAuthorization.objects.filter(status=Status.REQUESTED).count() == 4


def test_a_selection_requests_only_the_ticked_posts(campaign, alice, client, settings, run_jobs):
    camp, posts = campaign
    client.force_login(alice)
    with responses.RequestsMock() as rsps:
        apply = _apply_answers(settings, rsps, refused_video="", used_up_video="")
        with run_jobs():
            _start(client, camp.brand, camp, posts=[posts[2].pk, posts[4].pk], selection="1")
    assert sorted(json.loads(c.request.body)["video_id"] for c in apply.calls) == [
        posts[2].video_id,
        posts[4].video_id,
    ]


def test_a_double_click_joins_the_job_already_on_its_way(campaign, alice, client):
    camp, _ = campaign
    client.force_login(alice)
    first = _start(client, camp.brand, camp)  # no worker runs: the job is still pending
    second = _start(client, camp.brand, camp)
    assert first["Location"] == second["Location"]
    assert BackgroundJob.objects.count() == 1
    ledger = client.get(reverse("sparkads:ledger", args=[camp.brand.slug])).content.decode()
    assert f'href="{first["Location"]}"' in ledger and "still running" in ledger  # come back to it later


def test_the_progress_fragment_shows_rows_as_they_go_and_polls_until_done(campaign, alice, client, world):
    camp, posts = campaign
    client.force_login(alice)
    _start(client, camp.brand, camp)
    job = BackgroundJob.objects.get()
    rows = [bulk._row(p) for p in posts]
    rows[0].update(state="sent", label=bulk.STATES["sent"], remaining=29)
    BackgroundJob.objects.filter(pk=job.pk).update(state="running", result={"rows": rows, **bulk.summarize(rows)})
    fragment = client.get(reverse("integrations:job", args=[job.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 2s"' in fragment
    assert "1 sent" in fragment and "4 to go" in fragment and "Waiting its turn" in fragment


def test_members_cannot_start_a_bulk_request_and_another_brands_campaign_is_404(
    campaign, world, bob, charlie, other_brand, client
):
    camp, _ = campaign
    client.force_login(bob)
    assert _start(client, camp.brand, camp).status_code == 404
    client.force_login(charlie)
    assert _start(client, other_brand, camp).status_code == 404
    assert not BackgroundJob.objects.exists()


def test_the_progress_page_query_count_is_fixed(campaign, alice, client, django_assert_num_queries):
    camp, _ = campaign
    client.force_login(alice)
    started = _start(client, camp.brand, camp)
    with django_assert_num_queries(8):
        assert client.get(started["Location"]).status_code == 200


def test_a_bulk_request_without_a_campaign_says_what_to_pick_and_starts_nothing(campaign, alice, client):
    camp, _posts = campaign
    client.force_login(alice)

    response = client.post(reverse("sparkads:bulk_request", args=[camp.brand.slug]), {"days": 30}, follow=True)

    assert "Pick the campaign whose posts should get Spark codes." in response.content.decode()
    assert not BackgroundJob.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent inserts under a constraint need PostgreSQL")
def test_concurrent_bulk_clicks_for_one_campaign_join_one_job(campaign, alice):
    camp, _ = campaign
    path = reverse("sparkads:bulk_request", args=[camp.brand.slug])
    data = {"campaign": camp.pk, "days": 60, "fee": "120", "currency": "usd"}
    results = submit_together(alice, 8, path, data)  # no worker runs: the job stays pending
    assert all(getattr(r, "status_code", None) == 200 for r in results), results
    assert BackgroundJob.objects.filter(kind="spark_bulk_request").count() == 1


class WorkerKilled(BaseException):
    """A worker killed mid-call: nothing after the call runs, nothing is caught."""


def test_a_bulk_job_whose_worker_died_is_seen_within_a_minute_and_resumed_where_it_stopped(
    campaign, alice, client, settings, run_jobs
):
    camp, posts = campaign
    client.force_login(alice)
    asked: list[str] = []

    def tiktok(request):
        asked.append(json.loads(request.body)["video_id"])
        if len(asked) == 2 and not resumed:
            raise WorkerKilled  # the second new post's call is in flight when the worker dies
        return 200, {}, json.dumps(ok({}))

    resumed = False
    with responses.RequestsMock() as rsps:
        rsps.add_callback(responses.POST, url(settings, "tcm/tt_video/apply/"), callback=tiktok)
        rsps.get(
            url(settings, "tcm/tt_video/status/"), json=ok({"auth_status": "WAITING", "num_remaining_request": 27})
        )
        with pytest.raises(WorkerKilled), run_jobs():
            _start(client, camp.brand, camp)
        job = BackgroundJob.objects.get()
        assert job.state == BackgroundJob.State.RUNNING and job.in_progress and not job.lost
        with time_machine.travel(timezone.now() + jobs.HEARTBEAT_LEASE + timedelta(seconds=1)):
            job.refresh_from_db()
            assert job.lost  # within a minute, not six
            page = client.get(reverse("integrations:job", args=[job.pk]), HTTP_HX_REQUEST="true").content.decode()
            assert "stopped before it finished" in page
            resumed = True
            with run_jobs():
                assert jobs.dispatch_lost_jobs() == 1
    job.refresh_from_db()
    assert job.state == BackgroundJob.State.DONE
    # Each new post was asked once: the one in flight at the kill is not asked again.
    assert sorted(asked) == sorted(p.video_id for p in posts[2:])
    states = {row["video_id"]: row["state"] for row in job.result["rows"]}
    assert states[posts[3].video_id] == "waiting" and states[posts[4].video_id] == "sent"


def test_bulk_progress_names_each_post_by_its_caption_and_the_ones_needing_the_creator_too(
    campaign, alice, client, world
):
    camp, posts = campaign
    CampaignPost.objects.filter(pk=posts[4].pk).update(caption="Fifth look #ad")
    posts[4].refresh_from_db()
    client.force_login(alice)
    _start(client, camp.brand, camp)
    job = BackgroundJob.objects.get()
    rows = [bulk._row(p) for p in posts]
    rows[4].update(state="needs_creator", label=bulk.STATES["needs_creator"], detail="ask @fifth.star")
    BackgroundJob.objects.filter(pk=job.pk).update(state="done", result={"rows": rows, **bulk.summarize(rows)})
    page = client.get(reverse("sparkads:bulk_progress", args=[camp.brand.slug, job.pk])).content.decode()
    assert page.count("Fifth look #ad") == 2  # its row and "what needs the creator"
    assert f"Video {posts[4].video_id}:" not in page
