"""The deal as an agreement and a guarded state machine, TikTok mocked at the HTTP boundary:
extending a code the creator made here is a proposal only the creator's acceptance sends;
actions a row's status does not allow change nothing; a pasted code's terms are TikTok's."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
import responses
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from integrations.errors import FlowError
from integrations.models import Credential
from sparkads import bulk, codes, renewal, tasks, terms
from sparkads.models import AuditEvent, AutoRenewal, ExtensionProposal, SparkAuthorization, UsageTerms
from tests.races import submit_together
from tests.sparkads.test_flows import ok, url
from tests.sparkads.test_one_write import slow_ok

from .conftest import MUSIC_CLEARED

pytestmark = pytest.mark.django_db
Status = SparkAuthorization.Status
Payment = SparkAuthorization.Payment
FMT = "%Y-%m-%d %H:%M:%S"


@pytest.fixture
def creator(world, user_factory):
    user = user_factory(email="star@example.test")
    account = world["account"]
    account.owner, account.open_id = user, "open-star"
    account.credential = Credential.objects.create(
        kind=Credential.Kind.TT_USER, user=user, open_id="open-star", access_token="creator-token"
    )
    account.save()
    return user


@pytest.fixture
def made_here(world, creator):
    """A 30-day, 100 USD code the creator made here, applied and paid."""
    now = timezone.now()
    auth = SparkAuthorization.objects.create(
        brand=world["campaign"].brand,
        post=world["post"],
        tiktok_account=world["account"],
        video_id=world["post"].video_id,
        item_id=world["post"].video_id,
        source=SparkAuthorization.Source.CREATOR,
        status=Status.ACTIVE,
        ad_account=world["ad"],
        authorization_days=30,
        auth_start=now - timedelta(days=20),
        auth_end=now + timedelta(days=10),
        applied_at=now - timedelta(days=20),
        fee_amount=Decimal("100"),
        fee_currency="USD",
        payment_status=Payment.PAID,
    )
    auth.set_code("CODE-MADE-HERE")
    auth.save()
    return auth


def _extended(auth: SparkAuthorization, days: int) -> dict:
    return ok(
        {
            "item_id": auth.item_id,
            "auth_code_end_time": (auth.auth_end + timedelta(days=days)).strftime(FMT),
            "authorization_days": auth.authorization_days + days,
            "auth_code_status": "IN_USE",
        }
    )


def test_an_owner_clicking_extend_on_a_code_the_creator_made_sends_nothing_to_tiktok_and_asks_the_creator(
    made_here, world, alice, client, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(alice)
    target = reverse("sparkads:extend", args=[world["campaign"].brand.slug, made_here.pk])
    with responses.RequestsMock() as rsps, django_capture_on_commit_callbacks(execute=True):
        pages = [client.post(target, {"days": 365, "fee": "50", "currency": "USD"}, follow=True) for _ in range(3)]
        sent = len(rsps.calls)
    assert sent == 0
    assert "Proposed to @market.star" in pages[0].content.decode()
    assert "Already proposed" in pages[1].content.decode()
    made_here.refresh_from_db()
    assert (made_here.authorization_days, made_here.auth_end.date()) == (
        30,
        (timezone.now() + timedelta(days=10)).date(),
    )
    assert ExtensionProposal.objects.get().status == ExtensionProposal.Status.PROPOSED
    told = [m for m in mailoutbox if "proposes to extend" in m.subject]
    assert len(told) == 1 and told[0].to == ["star@example.test"]


def test_the_creators_acceptance_extends_once_with_their_token_and_the_terms_and_payment_follow(
    made_here, alice, creator, client, settings, mailoutbox, django_capture_on_commit_callbacks
):
    proposal = renewal.propose(made_here, alice, 30, UsageTerms(Decimal("40"), "usd"))
    client.force_login(creator)
    target = reverse("sparkads:creator_accept_extension", args=[proposal.pk])
    with responses.RequestsMock() as rsps, django_capture_on_commit_callbacks(execute=True):
        extend = rsps.post(url(settings, "business/post/authorize/"), json=_extended(made_here, 30))
        first = client.post(target, follow=True)
        second = client.post(target, follow=True)
    assert extend.call_count == 1
    assert json.loads(extend.calls[0].request.body) == {
        "business_id": "open-star",
        "item_id": made_here.item_id,
        "authorization_days": 30,
    }
    assert extend.calls[0].request.headers["Access-Token"] == "creator-token"
    assert "Extended: video" in first.content.decode()
    assert "Already answered" in second.content.decode()
    old_end = made_here.auth_end.replace(microsecond=0)  # TikTok's times are to the second
    made_here.refresh_from_db()
    assert made_here.authorization_days == 60 and made_here.auth_end == old_end + timedelta(days=30)
    assert (made_here.fee_amount, made_here.payment_status) == (Decimal("140.00"), Payment.UNPAID)
    assert "60 days · 140.00 USD · unpaid" in made_here.terms_summary
    assert any("extended" in m.subject and m.to == ["star@example.test"] for m in mailoutbox)


def test_a_declined_proposal_sends_nothing_and_changes_no_terms(made_here, alice, creator, client, mailoutbox):
    proposal = renewal.propose(made_here, alice, 30, UsageTerms())
    client.force_login(creator)
    with responses.RequestsMock() as rsps:
        page = client.post(reverse("sparkads:creator_decline_extension", args=[proposal.pk]), follow=True)
        assert len(rsps.calls) == 0
    assert "Declined" in page.content.decode()
    made_here.refresh_from_db()
    assert made_here.authorization_days == 30 and made_here.payment_status == Payment.PAID
    assert ExtensionProposal.objects.get().status == ExtensionProposal.Status.DECLINED


def test_another_creator_cannot_answer_a_proposal(made_here, alice, user_factory, client):
    proposal = renewal.propose(made_here, alice, 30, UsageTerms())
    client.force_login(user_factory(email="someone@example.test"))
    with responses.RequestsMock():
        response = client.post(reverse("sparkads:creator_accept_extension", args=[proposal.pk]))
    assert response.status_code == 404


def test_without_a_grant_nothing_is_extended_near_the_end_with_one_it_renews_up_to_the_cap(
    made_here, creator, settings, django_capture_on_commit_callbacks
):
    status = lambda auth: ok(  # noqa: E731 - the creator's code as TikTok reads it now
        {"item_id": auth.item_id, "auth_code": "CODE-MADE-HERE", "auth_code_end_time": auth.auth_end.strftime(FMT)}
    )
    with responses.RequestsMock() as rsps, django_capture_on_commit_callbacks(execute=True):
        rsps.get(url(settings, "business/post/authorize/status/"), json=status(made_here))
        tasks.check_spark_authorization(made_here.pk)
        assert not [c for c in rsps.calls if c.request.url.endswith("business/post/authorize/")]
    renewal.grant_auto_renewal(made_here, creator, 30, UsageTerms(Decimal("10"), "USD"), 60)
    made_here.refresh_from_db()
    for _ in range(3):
        with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
            rsps.get(url(settings, "business/post/authorize/status/"), json=status(made_here))
            rsps.post(url(settings, "business/post/authorize/"), json=_extended(made_here, 30))
            tasks.check_spark_authorization(made_here.pk)
        made_here.refresh_from_db()
        made_here.auth_end = timezone.now() + timedelta(days=5)  # the term nears its end again
        made_here.save()
    assert made_here.authorization_days == 60  # one renewal: a second would pass the 60-day cap
    assert ExtensionProposal.objects.filter(by_auto_renewal=True, status="accepted").count() == 1
    assert AutoRenewal.objects.filter(authorization=made_here).exists()


def test_a_pasted_code_cannot_be_extended_or_proposed(made_here, alice):
    SparkAuthorization.objects.filter(pk=made_here.pk).update(source=SparkAuthorization.Source.PASTED)
    made_here.refresh_from_db()
    with responses.RequestsMock(), pytest.raises(FlowError, match="was pasted"):
        renewal.extend(made_here, alice, 30)
    assert not ExtensionProposal.objects.exists()


# --- guards: Mark paid -----------------------------------------------------------------------------


@pytest.fixture
def held_and_ended(world, alice):
    """An approved code held for an unpaid fee, whose window has already ended on TikTok."""
    terms.set_release_after_payment(world["campaign"].brand, alice, True)
    auth = SparkAuthorization.objects.create(
        brand=world["campaign"].brand,
        post=world["post"],
        video_id=world["post"].video_id,
        status=Status.APPROVED,
        auth_end=timezone.now() - timedelta(hours=1),
        fee_amount=Decimal("100"),
        fee_currency="USD",
        payment_status=Payment.UNPAID,
    )
    auth.set_code("CODE-HELD")
    auth.save()
    return auth


def test_mark_paid_after_the_held_window_ended_says_so_and_records_nothing(held_and_ended, world, alice, client):
    client.force_login(alice)
    with responses.RequestsMock() as rsps:
        page = client.post(
            reverse("sparkads:mark_paid", args=[world["campaign"].brand.slug, held_and_ended.pk]), follow=True
        )
        assert len(rsps.calls) == 0
    assert "Nothing was recorded" in page.content.decode() and "window ended" in page.content.decode()
    held_and_ended.refresh_from_db()
    assert held_and_ended.payment_status == Payment.UNPAID and held_and_ended.paid_at is None
    assert not AuditEvent.objects.filter(kind="paid").exists()


def test_the_ledger_offers_no_mark_paid_on_an_ended_held_code_or_a_revoked_row(held_and_ended, world, alice, client):
    revoked = SparkAuthorization.objects.create(
        brand=world["campaign"].brand,
        video_id="7700000000000000999",
        status=Status.REVOKED,
        fee_amount=Decimal("5"),
        fee_currency="USD",
        payment_status=Payment.UNPAID,
    )
    client.force_login(alice)
    html = client.get(reverse("sparkads:ledger", args=[world["campaign"].brand.slug])).content.decode()
    assert reverse("sparkads:mark_paid", args=[world["campaign"].brand.slug, held_and_ended.pk]) not in html
    assert reverse("sparkads:mark_paid", args=[world["campaign"].brand.slug, revoked.pk]) not in html
    with pytest.raises(FlowError, match="Not possible now"):
        terms.mark_paid(revoked, alice)


def test_an_approved_row_without_a_code_never_sends_an_empty_code(world):
    auth = SparkAuthorization.objects.create(
        brand=world["campaign"].brand, video_id=world["post"].video_id, status=Status.APPROVED
    )
    with responses.RequestsMock():
        assert tasks.apply_spark_authorization(auth.pk) is False
    auth.refresh_from_db()
    assert auth.next_poll_at is None and "no code" in auth.last_error


# --- terms from TikTok's answer --------------------------------------------------------------------


def test_a_pasted_seven_day_code_takes_its_terms_from_tiktoks_window_and_reads_pasted(world, alice, client, settings):
    start = timezone.now().replace(microsecond=0) - timedelta(days=1)
    window = {
        "auth_info": {
            "ad_auth_status": "AUTHORIZED",
            "auth_start_time": start.strftime(FMT),
            "auth_end_time": (start + timedelta(days=7)).strftime(FMT),
        },
        "item_info": {"item_id": world["post"].video_id},
        "user_info": {"tiktok_name": "market.star", "identity_id": "9"},
    }
    with responses.RequestsMock() as rsps:
        rsps.get(url(settings, "tt_video/info/"), json=ok(window))
        rsps.post(url(settings, "tt_video/authorize/"), json=ok({}))
        rsps.get(url(settings, "identity/music/authorization/"), json=ok(MUSIC_CLEARED))
        auth = codes.accept_pasted_code(world["campaign"].brand, alice, "PASTED-SEVEN", post=world["post"])
    assert (auth.authorization_days, auth.auth_start, auth.auth_end) == (7, start, start + timedelta(days=7))
    assert auth.terms_summary.startswith("7 days")
    client.force_login(alice)
    html = client.get(reverse("sparkads:ledger", args=[world["campaign"].brand.slug])).content.decode()
    assert "pasted " + timezone.localtime(auth.requested_at).strftime("%Y-%m-%d") in html
    csv = b"".join(client.get(reverse("sparkads:ledger_csv", args=[world["campaign"].brand.slug])).streaming_content)
    assert ",7,,,No fee," in csv.decode() and ",pasted,alice@example.test," in csv.decode()


def test_a_bulk_request_that_sends_nothing_is_not_audited_with_terms(world, alice, settings):
    from integrations.models import BackgroundJob

    SparkAuthorization.objects.create(
        brand=world["campaign"].brand, post=world["post"], video_id=world["post"].video_id, status=Status.REQUESTED
    )
    job = BackgroundJob.objects.create(
        kind="spark_bulk_request",
        user=alice,
        brand=world["campaign"].brand,
        params={"campaign": world["campaign"].pk, "posts": [], "days": 60, "fee": "99", "currency": "USD"},
    )
    with responses.RequestsMock():
        message, _ = bulk.bulk_request_job(job)
    assert "0 sent" in message
    assert not AuditEvent.objects.filter(kind="bulk_requested").exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent claims need PostgreSQL")
def test_twenty_concurrent_accepts_of_one_proposal_send_one_extension(made_here, alice, creator, settings):
    proposal = renewal.propose(made_here, alice, 30, UsageTerms())
    target = reverse("sparkads:creator_accept_extension", args=[proposal.pk])
    with responses.RequestsMock() as rsps:
        extend = rsps.add_callback(
            responses.POST,
            url(settings, "business/post/authorize/"),
            callback=slow_ok(_extended(made_here, 30)["data"]),
        )
        results = submit_together(creator, 20, target, {})

    assert not [r for r in results if isinstance(r, Exception)], results
    assert extend.call_count == 1
    pages = [r.content.decode() for r in results]
    assert sum("Extended: video" in p for p in pages) == 1
    assert sum("Already" in p for p in pages) == 19
    made_here.refresh_from_db()
    assert made_here.authorization_days == 60


def test_accepting_an_extension_of_a_code_the_creator_deleted_in_tiktok_records_the_revoke_and_sends_once(
    made_here, alice, creator, settings
):
    """TikTok answers that the post has no code any more (40007: deleted in the app): the row
    is the creator's cancellation, the proposal is withdrawn, and a second click sends nothing."""
    proposal = renewal.propose(made_here, alice, 30, UsageTerms(None, ""))
    deleted = {"code": 40007, "message": "The post has no ad authorization code.", "request_id": "r", "data": {}}
    with responses.RequestsMock() as rsps:
        extend = rsps.post(url(settings, "business/post/authorize/"), json=deleted)
        for _ in range(2):
            with pytest.raises(FlowError):
                renewal.accept(ExtensionProposal.objects.get(pk=proposal.pk), creator)
    assert extend.call_count == 1
    made_here.refresh_from_db()
    proposal.refresh_from_db()
    assert made_here.status == SparkAuthorization.Status.REVOKED
    assert proposal.status == ExtensionProposal.Status.WITHDRAWN


def test_an_extension_tiktok_answers_for_another_code_of_the_post_never_becomes_the_rows_window(
    made_here, alice, creator, settings
):
    """The creator deleted the code in the app and made a new one: TikTok extends the post's
    code it has, and answers that code. Its window is not the row's; the row's code is gone,
    which is the creator's cancellation."""
    proposal = renewal.propose(made_here, alice, 30, UsageTerms(None, ""))
    window = (made_here.auth_start, made_here.auth_end)
    answer = _extended(made_here, 30)
    answer["data"]["auth_code"] = "CODE-MADE-IN-THE-APP"
    with responses.RequestsMock() as rsps:
        extend = rsps.post(url(settings, "business/post/authorize/"), json=answer)
        with pytest.raises(FlowError, match="another code"):
            renewal.accept(ExtensionProposal.objects.get(pk=proposal.pk), creator)
    assert extend.call_count == 1
    made_here.refresh_from_db()
    proposal.refresh_from_db()
    assert (made_here.auth_start, made_here.auth_end) == window
    assert made_here.status == SparkAuthorization.Status.REVOKED and made_here.authorization_days == 30
    assert proposal.status == ExtensionProposal.Status.WITHDRAWN
