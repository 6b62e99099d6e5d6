"""The deal around Spark codes end to end against the live sandbox: a bulk request for a
campaign, a code held until its fee is marked paid, and the renewal schedule, an extension and
an unrenewed term's unbind as the sandbox clock moves (the platform's clock moved with it)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from integrations.models import BackgroundJob, CampaignPost
from sparkads import creator_codes, flows, renewal, tasks, terms
from sparkads.models import AuditEvent, SparkAuthorization, UsageTerms
from tests.sparkads.conftest import ADVERTISER_ID, CAMPAIGN_ID, TTO_ID
from tiktok_sandbox.testing import link_post

pytestmark = [pytest.mark.integration, pytest.mark.django_db]
Status = SparkAuthorization.Status
APPLY = "/open_api/v1.3/tcm/tt_video/apply/"
AUTHORIZE = "/open_api/v1.3/tt_video/authorize/"
UNBIND = "/open_api/v1.3/tt_video/unbind/"


def link_more_posts(world, control, count: int) -> list[CampaignPost]:
    """Link `count` more of market.star's videos to Spring Launch (asked by the brand, approved
    by the creator) and return all the campaign's posts."""
    star = next(c for c in control("GET", "personas")["creators"] if c["handle"] == "market.star")
    others = [v for v in star["video_ids"] if v != world["post"].video_id][:count]
    for video_id in others:
        link = link_post(
            settings.TIKTOK_BUSINESS_API_BASE_URL, world["cred"].access_token, TTO_ID, CAMPAIGN_ID, video_id
        )
        control(
            "POST", "helpers/link-requests/confirm", {"link_request_id": link["link_request_id"], "action": "APPROVE"}
        )
        CampaignPost.objects.create(
            campaign=world["campaign"],
            tiktok_account=world["account"],
            video_id=video_id,
            link_status=CampaignPost.LinkStatus.APPROVE,
        )
    return list(CampaignPost.objects.filter(campaign=world["campaign"]).order_by("pk"))


class Clocks:
    """The sandbox clock and the platform's, moved together."""

    def __init__(self, control) -> None:
        self.control, self.offset = control, timedelta(0)

    def advance(self, days: float) -> None:
        self.control("POST", "clock/advance", {"hours": 24 * days})
        self.offset += timedelta(days=days)

    def check(self, auth: SparkAuthorization, capture) -> None:
        with time_machine.travel(timezone.now() + self.offset, tick=True), capture(execute=True):
            tasks.check_spark_authorization(auth.pk)
        auth.refresh_from_db()


def test_a_bulk_request_sends_each_linked_post_once_and_shows_tiktoks_refusal(
    live_world, control, alice, client, run_jobs
):
    posts = link_more_posts(live_world, control, 1)
    unlinked = CampaignPost.objects.create(  # linked here, not on TikTok: TikTok refuses it
        campaign=live_world["campaign"],
        tiktok_account=live_world["account"],
        video_id="7700000000000099999",
        link_status=CampaignPost.LinkStatus.APPROVE,
    )
    client.force_login(alice)
    target = reverse("sparkads:bulk_request", args=[live_world["campaign"].brand.slug])
    data = {"campaign": live_world["campaign"].pk, "days": 30, "fee": "80", "currency": "GBP"}
    with run_jobs():
        client.post(target, data)
    job = BackgroundJob.objects.get()
    states = {row["video_id"]: (row["state"], row["remaining"]) for row in job.result["rows"]}
    assert states[posts[0].video_id] == ("sent", 29) and states[posts[1].video_id] == ("sent", 29)
    assert states[unlinked.video_id][0] == "refused"
    assert "not a video of your campaigns" in job.result["rows"][-1]["detail"]

    with run_jobs():
        client.post(target, data)  # again: the two waiting requests are not sent twice
    again = BackgroundJob.objects.order_by("-pk").first()
    assert [row["state"] for row in again.result["rows"]] == ["waiting", "waiting", "refused"]
    assert control.calls(APPLY) == 4  # two sent, and the refused one asked twice
    assert SparkAuthorization.objects.filter(status=Status.REQUESTED, fee_currency="GBP").count() == 2


def test_a_code_waits_for_payment_and_is_applied_once_when_marked_paid(live_world, control, alice):
    post = live_world["post"]
    terms.set_release_after_payment(post.campaign.brand, alice, True)
    auth = flows.request_permission(post, alice, 60, UsageTerms(Decimal("300"), "USD"))
    control("POST", "helpers/spark/approve", {"video_id": post.video_id, "days": 60})
    tasks.poll_spark_request(auth.pk)
    auth.refresh_from_db()
    assert auth.status_label == "Approved — waiting for payment"
    assert control.calls(AUTHORIZE) == 0

    assert terms.mark_paid(auth, alice) is True
    auth.refresh_from_db()
    assert auth.status == Status.ACTIVE and auth.payment_status == "paid"
    assert control.calls(AUTHORIZE) == 1
    assert auth.terms_summary.startswith("60 days · 300.00 USD · paid · ")


def test_the_schedule_runs_on_the_sandbox_clock_one_extended_and_one_unbound_at_its_end(
    live_world, control, alice, user_factory, mailoutbox, django_capture_on_commit_callbacks
):
    live_world["account"].owner = user_factory(email="star@example.test")
    live_world["account"].save()
    posts = link_more_posts(live_world, control, 1)
    codes = []
    for post in posts:
        auth = flows.request_permission(post, alice, 60)
        control("POST", "helpers/spark/approve", {"video_id": post.video_id, "days": 60})
        tasks.poll_spark_request(auth.pk)
        auth.refresh_from_db()
        assert auth.status == Status.ACTIVE
        codes.append(auth)
    ending, extended = codes
    clocks = Clocks(control)

    for days, subject in [(15.05, "ends in 45 days"), (15, "ends in 30 days"), (16, "ends in 14 days")]:
        clocks.advance(days)
        before = len(mailoutbox)
        for auth in codes:
            clocks.check(auth, django_capture_on_commit_callbacks)
        new = mailoutbox[before:]
        assert len(new) == 4 and all(subject in m.subject for m in new), [m.subject for m in new]

    message = renewal.extend(extended, alice, 30)
    assert "pending" in message
    extended.refresh_from_db()
    assert extended.extension_pending
    control("POST", "helpers/spark/approve", {"video_id": extended.video_id, "days": 30})

    clocks.advance(14)  # past the end of both 60-day windows
    before = len(mailoutbox)
    for auth in codes:
        clocks.check(auth, django_capture_on_commit_callbacks)
    assert len(mailoutbox) - before == 3  # the ending one's last-day reminders and the unbind notice
    assert ending.status == Status.UNBOUND and "without a renewal" in ending.end_reason
    assert control.calls(UNBIND) == 1
    assert extended.status == Status.ACTIVE and not extended.extension_pending
    assert extended.auth_end > ending.auth_end + timedelta(days=14)
    subjects = [m.subject for m in mailoutbox]
    name = SparkAuthorization.objects.get(pk=ending.pk).post_name
    assert subjects.count(f"Spark Ads authorization for {name} ends today") == 2
    assert f"Spark Ads: {name} was unbound from Demo Brand US" in subjects
    assert AuditEvent.objects.filter(authorization=extended, kind="renewed").exists()
    assert AuditEvent.objects.filter(authorization=ending, kind="unbound", actor=None).exists()


def test_a_code_the_creator_approved_here_is_extended_only_when_the_creator_accepts_the_brands_proposal(
    live_world, control, alice, client_for, user_factory, run_jobs, mailoutbox
):
    from tests.sparkads.test_creator_codes_live import authorize

    star = user_factory(email="star@example.test")
    authorize(control, client_for(star), "market.star")
    requested = flows.request_permission(live_world["post"], alice, 30)
    auth = SparkAuthorization.objects.get(pk=requested.pk)  # with the account as the creator connected it
    with run_jobs():
        creator_codes.approve(auth, star)
    auth.refresh_from_db()
    assert auth.status == Status.ACTIVE and auth.source == SparkAuthorization.Source.CREATOR
    end = auth.auth_end

    def extensions() -> int:
        # path filters match a substring: the setting call that made the code is left out
        return control.calls("business/post/authorize/") - control.calls("business/post/authorize/setting/")

    brand_page = client_for(alice)
    extend = reverse("sparkads:extend", args=[live_world["campaign"].brand.slug, auth.pk])
    for _ in range(3):  # the attack: Extend clicked again and again by an owner
        brand_page.post(extend, {"days": 365, "fee": "20", "currency": "USD"}, follow=True)
    assert extensions() == 0
    proposal = auth.proposals.get()

    creator_page = client_for(star)
    html = creator_page.get(reverse("sparkads:creator_codes")).content.decode()
    assert "proposes 365 more days for 20.00 USD" in html
    page = creator_page.post(reverse("sparkads:creator_accept_extension", args=[proposal.pk]), follow=True)
    name = SparkAuthorization.objects.get(pk=auth.pk).post_name
    assert name.startswith("“")  # TikTok gave the caption with the code
    assert escape(f"Extended: {name} can run as a Spark Ad") in page.content.decode()
    assert extensions() == 1
    assert control.calls(APPLY) == 1  # the brand's request only: no TikTok One extension
    auth.refresh_from_db()
    assert auth.auth_end >= end + timedelta(days=364) and auth.authorization_days == 395
    assert auth.payment_status == SparkAuthorization.Payment.UNPAID and auth.fee_label == "20.00 USD"
    kinds = list(AuditEvent.objects.filter(authorization=auth).values_list("kind", flat=True))
    assert {"proposed", "extended", "renewed"} <= set(kinds)
    ledger_html = client_for(alice).get(reverse("sparkads:ledger", args=[live_world["campaign"].brand.slug])).content
    assert "395 days · 20.00 USD · unpaid" in ledger_html.decode()


def test_a_live_check_keeps_the_rows_window_when_a_newer_code_of_the_post_is_cancelled_in_tiktok(
    live_world, live_sandbox, control, alice
):
    """TikTok One's status names the post's latest request: once a newer row's code is cancelled
    in TikTok, it names that code, deleted, with its later end. The older row keeps the window
    TikTok has for its own code, and only the newer row is recorded as cancelled."""
    import re

    import requests

    from integrations.tiktok import BusinessClient

    post = live_world["post"]
    rows = []
    for days in (30, 60):
        auth = flows.request_permission(post, alice, days)
        control("POST", "helpers/spark/approve", {"video_id": post.video_id, "days": days})
        tasks.poll_spark_request(auth.pk)
        auth.refresh_from_db()
        assert auth.status == Status.ACTIVE
        rows.append(auth)
    older, newer = rows
    tiktok = requests.Session()
    tiktok.post(f"{live_sandbox}/sandbox/login/", data={"handle": live_world["account"].handle}, timeout=60)
    screen = tiktok.get(f"{live_sandbox}/sandbox/tiktok/authorizations/", timeout=60).text
    found = re.search(rf"<code>{re.escape(newer.auth_code)}</code>.*?name=\"code\" value=\"(\d+)\"", screen, re.S)
    assert found is not None
    tiktok.post(f"{live_sandbox}/sandbox/tiktok/authorizations/", data={"code": found[1]}, timeout=60)

    for auth in (older, newer):
        tasks.check_spark_authorization(auth.pk)
        auth.refresh_from_db()
    assert newer.status == Status.REVOKED
    info = BusinessClient(live_world["cred"].access_token).tt_video_info(ADVERTISER_ID, older.auth_code)["auth_info"]
    assert older.status == Status.ACTIVE
    assert older.auth_end == flows.parse_tiktok_time(info["auth_end_time"])
