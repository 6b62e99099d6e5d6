"""Twenty people pressing one button of the deal at once, against the live sandbox: each
button's TikTok write goes out once, counted in TikTok's own request log, and the row's window
is the one TikTok has for its code afterwards. Threads need real row locks and transactions
of their own: PostgreSQL only."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse

from integrations import jobs
from integrations.models import BackgroundJob
from integrations.tiktok import BusinessClient
from sparkads import creator_codes, flows, renewal, tasks, terms
from sparkads.models import ExtensionProposal, SparkAuthorization, UsageTerms
from tests.races import submit_together
from tests.sparkads.conftest import ADVERTISER_ID
from tests.sparkads.test_deal_live import APPLY, AUTHORIZE, link_more_posts

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks across threads need PostgreSQL"),
]
Status = SparkAuthorization.Status
EXTEND = "business/post/authorize/"


def tiktoks_window(world, auth: SparkAuthorization) -> tuple:
    info = BusinessClient(world["cred"].access_token).tt_video_info(ADVERTISER_ID, auth.auth_code)["auth_info"]
    return flows.parse_tiktok_time(info["auth_start_time"]), flows.parse_tiktok_time(info["auth_end_time"])


def test_twenty_concurrent_accepts_of_one_proposal_extend_once_on_tiktok_and_the_window_is_tiktoks(
    live_world, control, alice, client_for, user_factory, run_jobs
):
    from tests.sparkads.test_creator_codes_live import authorize

    star = user_factory(email="star@example.test")
    authorize(control, client_for(star), "market.star")
    requested = flows.request_permission(live_world["post"], alice, 30)
    with run_jobs():
        creator_codes.approve(SparkAuthorization.objects.get(pk=requested.pk), star)
    auth = SparkAuthorization.objects.get(pk=requested.pk)
    assert auth.status == Status.ACTIVE
    proposal = renewal.propose(auth, alice, 60, UsageTerms(Decimal("40"), "USD"))
    before = control.calls(EXTEND) - control.calls(f"{EXTEND}setting/")

    target = reverse("sparkads:creator_accept_extension", args=[proposal.pk])
    results = submit_together(star, 20, target, {})

    assert not [r for r in results if isinstance(r, Exception)], results
    assert control.calls(EXTEND) - control.calls(f"{EXTEND}setting/") == before + 1
    pages = [r.content.decode() for r in results]
    assert sum("Extended: " in page for page in pages) == 1
    assert sum("Already" in page for page in pages) == 19
    auth.refresh_from_db()
    assert auth.authorization_days == 90 and auth.fee_label == "40.00 USD"
    assert ExtensionProposal.objects.get(pk=proposal.pk).status == ExtensionProposal.Status.ACCEPTED
    assert (auth.auth_start, auth.auth_end) == tiktoks_window(live_world, auth)


def test_twenty_concurrent_mark_paid_clicks_record_one_payment_and_apply_the_held_code_once(live_world, control, alice):
    post = live_world["post"]
    terms.set_release_after_payment(post.campaign.brand, alice, True)
    auth = flows.request_permission(post, alice, 60, UsageTerms(Decimal("300"), "USD"))
    control("POST", "helpers/spark/approve", {"video_id": post.video_id, "days": 60})
    tasks.poll_spark_request(auth.pk)
    auth.refresh_from_db()
    assert auth.awaiting_payment and control.calls(AUTHORIZE) == 0

    target = reverse("sparkads:mark_paid", args=[post.campaign.brand.slug, auth.pk])
    results = submit_together(alice, 20, target, {})

    assert not [r for r in results if isinstance(r, Exception)], results
    assert control.calls(AUTHORIZE) == 1
    auth.refresh_from_db()
    assert auth.status == Status.ACTIVE and auth.payment_status == SparkAuthorization.Payment.PAID
    assert auth.events.filter(kind="paid").count() == 1 and auth.events.filter(kind="applied").count() == 1
    assert (auth.auth_start, auth.auth_end) == tiktoks_window(live_world, auth)


def test_twenty_concurrent_bulk_requests_for_one_campaign_make_one_job_that_asks_tiktok_once_per_post(
    live_world, control, alice
):
    posts = link_more_posts(live_world, control, 2)
    campaign = live_world["campaign"]
    target = reverse("sparkads:bulk_request", args=[campaign.brand.slug])
    data = {"campaign": campaign.pk, "days": 30, "fee": "80", "currency": "GBP"}

    results = submit_together(alice, 20, target, data)  # no worker runs yet: the job waits

    assert all(getattr(r, "status_code", None) == 200 for r in results), results
    job = BackgroundJob.objects.get(kind="spark_bulk_request")
    assert jobs.run(job.pk) == "done"
    assert jobs.run(job.pk) == "taken or gone"
    assert control.calls(APPLY) == len(posts) == 3
    assert SparkAuthorization.objects.filter(status=Status.REQUESTED, fee_currency="GBP").count() == 3
