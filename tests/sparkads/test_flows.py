"""Spark Ads flows with TikTok mocked at the HTTP boundary: reminders, expiry, limits, the
one-apply claim, and the capability gate."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
import responses
import time_machine
from celery.exceptions import Retry
from django.db import connection
from django.utils import timezone

from integrations.errors import FlowError
from integrations.models import AdAccount
from integrations.tiktok import Kind, TikTokError
from sparkads import codes, flows, tasks
from sparkads.ads_manager import flows as ads_manager
from sparkads.models import AdsManagerLink, AuditEvent, SparkAuthorization

from .conftest import MUSIC_CLEARED

pytestmark = pytest.mark.django_db
API = "/open_api/v1.3/"
START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def ok(data):
    return {"code": 0, "message": "OK", "request_id": "req-1", "data": data}


def url(settings, path: str) -> str:
    return f"{settings.TIKTOK_BUSINESS_API_BASE_URL}{API}{path}"


def info(end: datetime, video_id: str = "7700000000000000501", status: str = "AUTHORIZED") -> dict:
    fmt = "%Y-%m-%d %H:%M:%S"
    return ok(
        {
            "auth_info": {
                "ad_auth_status": status,
                "auth_start_time": START.strftime(fmt),
                "auth_end_time": end.strftime(fmt),
            },
            "item_info": {"item_id": video_id},
            "user_info": {"tiktok_name": "market.star", "identity_id": "9"},
        }
    )


@pytest.fixture
def active(world, user_factory):
    creator = user_factory(email="creator@example.test")
    world["account"].owner = creator
    world["account"].save()
    auth = SparkAuthorization.objects.create(
        brand=world["bc"].brand,
        post=world["post"],
        video_id=world["post"].video_id,
        status="active",
        ad_account=world["ad"],
        tiktok_account=world["account"],
        item_id=world["post"].video_id,
        auth_start=START,
        auth_end=START + timedelta(days=30),
    )
    auth.set_code("CODE-ACTIVE")
    auth.save()
    return auth


def _status(settings, rsps, end, code="CODE-ACTIVE", code_status="IN_USE"):
    rsps.get(
        url(settings, "tcm/tt_video/status/"),
        json=ok(
            {
                "auth_status": "ACCEPTED",
                "auth_code": code,
                "auth_code_status": code_status,
                "auth_code_end_time": end.strftime("%Y-%m-%d %H:%M:%S"),
                "num_remaining_request": 29,
            }
        ),
    )


def test_a_code_cancelled_by_the_creator_is_revoked(active, settings):
    with responses.RequestsMock() as rsps:
        rsps.get(
            url(settings, "tcm/tt_video/status/"),
            json=ok({"auth_status": "ACCEPTED", "auth_code": "CODE-ACTIVE", "auth_code_status": "DELETED"}),
        )
        tasks.check_spark_authorization(active.pk)
    active.refresh_from_db()
    assert active.status == SparkAuthorization.Status.REVOKED
    assert AuditEvent.objects.filter(authorization=active, kind="revoked").exists()


def test_requests_past_thirty_are_refused(world, alice, settings):
    SparkAuthorization.objects.create(
        brand=world["bc"].brand, post=world["post"], video_id="1", status="rejected", num_remaining_request=0
    )
    with pytest.raises(FlowError, match="30 requests per video"):
        flows.request_permission(world["post"], alice, 30)


def test_tiktoks_own_limit_message_is_translated(world, alice, settings):
    with responses.RequestsMock() as rsps:
        rsps.post(
            url(settings, "tcm/tt_video/apply/"),
            json={
                "code": 40001,
                "message": "The video has reached the maximum number of authorization requests.",
                "request_id": "r",
                "data": {},
            },
        )
        with pytest.raises(FlowError, match="30 requests per video"):
            flows.request_permission(world["post"], alice, 30)


def test_requests_are_refused_while_spark_ads_are_off(world, alice):
    AdAccount.objects.filter(pk=world["ad"].pk).update(tto_has_access=False)
    with pytest.raises(FlowError, match="Spark Ads are off"):
        flows.request_permission(world["post"], alice, 30)


def test_an_invalid_duration_is_refused(world, alice):
    with pytest.raises(FlowError, match="7, 30, 60 or 365"):
        flows.request_permission(world["post"], alice, 14)


def test_the_dispatcher_claims_due_rows_once(active):
    SparkAuthorization.objects.filter(pk=active.pk).update(next_poll_at=START)

    with time_machine.travel(START + timedelta(minutes=1), tick=False):
        assert tasks.dispatch_spark_polls() == 1
        assert tasks.dispatch_spark_polls() == 0


def _approved(world):
    auth = SparkAuthorization.objects.create(
        brand=world["bc"].brand, post=world["post"], video_id=world["post"].video_id, status="approved"
    )
    auth.set_code("CODE-APPROVED")
    auth.save()
    return auth


def test_applying_the_same_code_twice_calls_authorize_once(world, settings):
    auth = _approved(world)
    with responses.RequestsMock() as rsps:
        authorize = rsps.post(url(settings, "tt_video/authorize/"), json=ok({}))
        rsps.get(url(settings, "identity/music/authorization/"), json=ok(MUSIC_CLEARED))
        rsps.get(url(settings, "tt_video/info/"), json=info(START + timedelta(days=400)))
        assert flows.apply_approved(auth.pk) is True
        assert flows.apply_approved(auth.pk) is False
    assert authorize.call_count == 1
    assert AuditEvent.objects.filter(authorization=auth, kind="applied").count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row claims across threads need PostgreSQL")
def test_two_workers_applying_the_same_approved_code_make_one_row_and_one_authorize_call(world, settings):
    auth = _approved(world)
    barrier = threading.Barrier(2)
    results = []

    def worker():
        barrier.wait()
        try:
            results.append(flows.apply_approved(auth.pk))
        finally:
            connection.close()

    with responses.RequestsMock() as rsps:
        authorize = rsps.post(url(settings, "tt_video/authorize/"), json=ok({}))
        rsps.get(url(settings, "identity/music/authorization/"), json=ok(MUSIC_CLEARED))
        rsps.get(url(settings, "tt_video/info/"), json=info(START + timedelta(days=400)))
        threads = [threading.Thread(target=worker) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert sorted(results) == [False, True]
    assert authorize.call_count == 1
    assert SparkAuthorization.objects.filter(code_hash=auth.code_hash).count() == 1
    assert AuditEvent.objects.filter(kind="applied").count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row claims across threads need PostgreSQL")
def test_two_workers_polling_the_same_approval_apply_it_once(world, settings, alice):
    auth = SparkAuthorization.objects.create(
        brand=world["bc"].brand, post=world["post"], video_id=world["post"].video_id, requested_by=alice
    )
    barrier = threading.Barrier(2)

    def worker():
        barrier.wait()
        try:
            flows.poll_request(auth.pk)
        finally:
            connection.close()

    with responses.RequestsMock() as rsps:
        rsps.get(
            url(settings, "tcm/tt_video/status/"),
            json=ok(
                {
                    "auth_status": "ACCEPTED",
                    "auth_code": "CODE-POLLED",
                    "num_remaining_request": 29,
                    "auth_code_end_time": "2027-01-01 00:00:00",
                }
            ),
        )
        authorize = rsps.post(url(settings, "tt_video/authorize/"), json=ok({}))
        rsps.get(url(settings, "identity/music/authorization/"), json=ok(MUSIC_CLEARED))
        rsps.get(url(settings, "tt_video/info/"), json=info(datetime(2027, 1, 1, tzinfo=UTC)))
        threads = [threading.Thread(target=worker) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert authorize.call_count == 1
    assert SparkAuthorization.objects.count() == 1
    assert AuditEvent.objects.filter(kind="approved").count() == 1


def test_a_code_whose_status_tiktok_never_documented_is_accepted_and_its_value_kept(world, settings, alice):
    # TikTok documents no ad_auth_status values: refusing unknown ones would refuse real codes.
    end = datetime.now(UTC) + timedelta(days=30)
    post = world["post"]
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.get(url(settings, "tt_video/info/"), json=info(end, post.video_id, status="SOMETHING_NEW"))
        rsps.post(url(settings, "tt_video/authorize/"), json=ok({}))
        rsps.get(url(settings, "identity/music/authorization/"), json=ok(MUSIC_CLEARED))
        check = codes.check_code(world["bc"].brand, "CODE-NEW", post=post)
        auth = codes.accept_pasted_code(world["bc"].brand, alice, "CODE-NEW-2", post=post)

    assert check.ok and check.info["auth_info"]["ad_auth_status"] == "SOMETHING_NEW"
    assert auth.status in (SparkAuthorization.Status.APPROVED, SparkAuthorization.Status.ACTIVE)
    assert AuditEvent.objects.filter(authorization=auth, summary__contains="(TikTok: SOMETHING_NEW)").exists()


def test_an_explicitly_expired_code_is_still_refused(world, settings):
    end = datetime.now(UTC) + timedelta(days=30)
    with responses.RequestsMock() as rsps:
        rsps.get(url(settings, "tt_video/info/"), json=info(end, world["post"].video_id, status="EXPIRED"))
        check = codes.check_code(world["bc"].brand, "CODE-OLD", post=world["post"])
    assert not check.ok and "expired" in check.message


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-03-01 12:00:00", START),
        ("2026-03-01", datetime(2026, 3, 1, tzinfo=UTC)),
        (1772366400, START),
        ("1772366400000", START),
        (None, None),
        ("", None),
        ("-", None),
        ("not a time", None),
    ],
)
def test_tiktok_times_are_read_in_every_form_tiktoks_sdk_reads_and_nothing_else_raises(value, expected):
    assert flows.parse_tiktok_time(value) == expected


@pytest.mark.parametrize(
    ("answer", "state"),
    [
        ({"auth_status": "SOMETHING_NEW", "num_remaining_request": 29}, SparkAuthorization.Status.REQUESTED),
        ({"auth_status": "WAITING", "auth_code_start_time": None, "auth_code_end_time": None}, "requested"),
        ({}, SparkAuthorization.Status.REQUESTED),
    ],
    ids=["unknown status", "null times while waiting", "nothing yet"],
)
def test_a_waiting_request_survives_whatever_tiktok_answers_while_it_waits(world, settings, alice, answer, state):
    auth = SparkAuthorization.objects.create(
        brand=world["bc"].brand, post=world["post"], video_id=world["post"].video_id, requested_by=alice
    )
    with responses.RequestsMock() as rsps:
        rsps.get(url(settings, "tcm/tt_video/status/"), json=ok(answer))
        assert flows.poll_request(auth.pk) == state
    auth.refresh_from_db()
    assert auth.status == state and auth.next_poll_at is not None


def _unsent(*args, **kwargs):
    raise TikTokError("Rate budget exhausted", kind=Kind.TRANSIENT, code=40100, sent=False)


def test_a_spark_poll_the_rate_budget_never_sent_gives_its_row_back_at_once(world, alice, monkeypatch):
    auth = SparkAuthorization.objects.create(
        brand=world["bc"].brand, post=world["post"], video_id=world["post"].video_id, requested_by=alice
    )
    SparkAuthorization.objects.filter(pk=auth.pk).update(next_poll_at=timezone.now() - timedelta(minutes=1))
    assert tasks.dispatch_spark_polls() == 1  # claimed: held for the lease
    monkeypatch.setattr(flows, "poll_request", _unsent)
    with pytest.raises(Retry):
        tasks.poll_spark_request.apply(args=[auth.pk])
    auth.refresh_from_db()
    assert auth.next_poll_at <= timezone.now()


def test_an_ads_manager_poll_the_rate_budget_never_sent_gives_its_links_back_at_once(world, alice, monkeypatch):
    link = AdsManagerLink.objects.create(
        brand=world["bc"].brand,
        ad_account=world["ad"],
        username="demo.creator",
        next_poll_at=timezone.now() - timedelta(minutes=1),
    )
    assert tasks.dispatch_ads_manager_polls() == 1
    assert tasks.dispatch_ads_manager_polls() == 0  # held by the first claim
    monkeypatch.setattr(ads_manager, "poll_links", _unsent)
    with pytest.raises(Retry):
        tasks.poll_ads_manager_links.apply(args=[world["ad"].pk])
    link.refresh_from_db()
    assert link.next_poll_at <= timezone.now()


def _identities(settings, rsps, pages: list[list[str]]) -> None:
    for number, handles in enumerate(pages, start=1):
        identities = [{"identity_id": f"id-{h}", "identity_type": "TT_USER", "username": h} for h in handles]
        page_info = {"page": number, "page_size": 100, "total_number": 150, "total_page": len(pages)}
        rsps.get(
            url(settings, "identity/get/"),
            json=ok({"identity_list": identities, "page_info": page_info}),
            match=[responses.matchers.query_param_matcher({"page": str(number)}, strict_match=False)],
        )


def test_an_ads_manager_poll_reads_every_page_of_identities_so_a_link_on_page_two_is_neither_missed_nor_unlinked(
    world, settings
):
    def link(username: str, status: str) -> AdsManagerLink:
        return AdsManagerLink.objects.create(
            brand=world["bc"].brand, ad_account=world["ad"], username=username, status=status,
            next_poll_at=timezone.now() if status == "pending" else None,
        )  # fmt: skip

    waiting, linked = link("late.page.creator", "pending"), link("kept.creator", "authorized")
    first = [f"someone.{i}" for i in range(100)]
    with responses.RequestsMock() as rsps:
        _identities(settings, rsps, [first, ["late.page.creator", "kept.creator"]])
        assert ads_manager.poll_links(world["ad"].pk) == 1
        assert len(rsps.calls) == 2  # one read of each page answers every link of the ad account
    waiting.refresh_from_db()
    linked.refresh_from_db()
    assert waiting.status == "authorized" and waiting.identity_id == "id-late.page.creator"
    assert linked.status == "authorized"


def test_a_spark_request_is_read_within_seconds_of_asking_then_ever_less_often():
    from sparkads.flows import REQUEST_POLL_EVERY, next_request_poll
    from sparkads.models import SparkAuthorization

    asked = timezone.now()
    auth = SparkAuthorization(requested_at=asked)
    assert next_request_poll(auth, asked + timedelta(seconds=3)) == timedelta(seconds=15)
    assert next_request_poll(auth, asked + timedelta(minutes=4)) == timedelta(minutes=1)
    assert next_request_poll(auth, asked + timedelta(days=1)) == REQUEST_POLL_EVERY


def _link_sent(world, **fields) -> AdsManagerLink:
    return AdsManagerLink.objects.create(
        brand=world["bc"].brand, ad_account=world["ad"], username="demo.creator", next_poll_at=timezone.now(), **fields
    )


def test_a_link_rejected_before_any_check_saw_it_waiting_is_rejected_once_it_was_sent(world, settings):
    link = _link_sent(world, requested_at=timezone.now() - ads_manager.SEND_WINDOW - timedelta(minutes=1))
    with responses.RequestsMock() as rsps:
        _identities(settings, rsps, [[]])
        assert ads_manager.poll_links(world["ad"].pk) == 1
    link.refresh_from_db()
    assert link.status == AdsManagerLink.Status.REJECTED and link.seen_waiting_at is None
    assert "rejected it or let it expire" in AuditEvent.objects.get(kind="rejected").summary


def test_check_now_on_a_link_tiktok_does_not_list_records_the_rejection_at_once(world, settings, client_for, alice):
    from django.urls import reverse

    link = _link_sent(world)
    with responses.RequestsMock() as rsps:
        _identities(settings, rsps, [[]])
        client_for(alice).post(reverse("sparkads:link_action", args=[link.brand.slug, link.pk, "check"]))
    link.refresh_from_db()
    assert link.status == AdsManagerLink.Status.REJECTED


def test_a_link_just_recorded_and_not_listed_yet_keeps_waiting_for_its_sending(world, settings):
    link = _link_sent(world)
    with responses.RequestsMock() as rsps:
        _identities(settings, rsps, [[]])
        assert ads_manager.poll_links(world["ad"].pk) == 0
    link.refresh_from_db()
    assert link.status == AdsManagerLink.Status.PENDING
