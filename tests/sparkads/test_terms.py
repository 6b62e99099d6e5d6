"""Usage-rights terms with TikTok mocked at the HTTP boundary: terms set with the request and
shown on the ledger and in the CSV, the release-after-payment gate in the one apply path,
"Mark paid" (one write), and who may do what."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
import responses
from django.urls import reverse
from django.utils import timezone

from integrations.errors import FlowError
from integrations.models import Credential
from sparkads import creator_codes, flows, tasks, terms
from sparkads.models import AuditEvent, SparkAuthorization, UsageTerms
from tests.sparkads.test_flows import START, info, ok, url

from .conftest import MUSIC_CLEARED

pytestmark = pytest.mark.django_db
Status = SparkAuthorization.Status
Payment = SparkAuthorization.Payment
SCOPES = "user.info.basic,user.info.profile,user.info.stats,video.list,biz.spark.auth"


def _ledger(world) -> str:
    return reverse("sparkads:ledger", args=[world["bc"].brand.slug])


@pytest.fixture
def requested(world, alice, settings):
    """A 60-day request for 250 EUR, sent to TikTok."""
    with responses.RequestsMock() as rsps:
        rsps.post(url(settings, "tcm/tt_video/apply/"), json=ok({}))
        return flows.request_permission(world["post"], alice, 60, UsageTerms(Decimal("250"), "eur"))


def _approve(settings, rsps, code: str = "CODE-TERMS") -> None:
    rsps.get(
        url(settings, "tcm/tt_video/status/"),
        json=ok({"auth_status": "ACCEPTED", "auth_code": code, "num_remaining_request": 29}),
    )


def test_a_request_carries_its_terms_and_the_ledger_and_audit_show_them(requested, world, alice, client):
    assert (requested.fee_amount, requested.fee_currency, requested.payment_status) == (Decimal("250"), "EUR", "unpaid")
    assert requested.terms_summary == "60 days · 250.00 EUR · unpaid"
    client.force_login(alice)
    assert "60 days · 250.00 EUR · unpaid" in client.get(_ledger(world)).content.decode()
    assert "250.00 EUR" in AuditEvent.objects.get(kind="requested").summary


def test_the_request_form_sets_fee_and_currency_and_refuses_a_fee_without_a_currency(world, alice, client, settings):
    client.force_login(alice)
    target = reverse("sparkads:request_permission", args=[world["bc"].brand.slug])
    with responses.RequestsMock():  # refused before TikTok is asked
        refused = client.post(target, {"post": world["post"].pk, "days": 30, "fee": "99"}, follow=True)
    assert "Say which currency the fee is in" in refused.content.decode()
    with responses.RequestsMock() as rsps:
        rsps.post(url(settings, "tcm/tt_video/apply/"), json=ok({}))
        client.post(target, {"post": world["post"].pk, "days": 30, "fee": "99.50", "currency": "usd"})
    auth = SparkAuthorization.objects.get()
    assert auth.terms_summary == "30 days · 99.50 USD · unpaid"


def test_without_a_fee_the_terms_say_no_fee_and_nothing_is_owed(world, alice, settings):
    with responses.RequestsMock() as rsps:
        rsps.post(url(settings, "tcm/tt_video/apply/"), json=ok({}))
        auth = flows.request_permission(world["post"], alice, 7)
    assert auth.payment_status == Payment.NONE and auth.terms_summary == "7 days · No fee"


def test_with_the_setting_off_an_approved_code_with_an_unpaid_fee_is_applied_at_once(requested, settings):
    with responses.RequestsMock() as rsps:
        _approve(settings, rsps)
        authorize = rsps.post(url(settings, "tt_video/authorize/"), json=ok({}))
        rsps.get(url(settings, "identity/music/authorization/"), json=ok(MUSIC_CLEARED))
        rsps.get(url(settings, "tt_video/info/"), json=info(START + timedelta(days=60)))
        tasks.poll_spark_request(requested.pk)
    assert authorize.call_count == 1
    requested.refresh_from_db()
    assert requested.status in (Status.ACTIVE, Status.EXPIRED)


def test_with_the_setting_on_an_unpaid_code_waits_and_mark_paid_applies_it_once(
    requested, world, alice, client, settings
):
    brand = world["bc"].brand
    terms.set_release_after_payment(brand, alice, True)
    with responses.RequestsMock() as rsps:
        _approve(settings, rsps)
        tasks.poll_spark_request(requested.pk)  # no tt_video/authorize is registered: none may be sent
        flows.apply_approved(requested.pk)  # any other apply path meets the same gate
    requested.refresh_from_db()
    assert requested.status == Status.APPROVED and requested.applied_at is None
    assert requested.status_label == "Approved — waiting for payment"
    assert requested.next_poll_at is None  # the dispatcher leaves it alone
    assert AuditEvent.objects.filter(authorization=requested, kind="held").count() == 1

    client.force_login(alice)
    page = client.get(_ledger(world)).content.decode()
    assert "Approved — waiting for payment" in page and "Mark paid" in page and "CODE-TERMS" not in page

    target = reverse("sparkads:mark_paid", args=[brand.slug, requested.pk])
    with responses.RequestsMock() as rsps:
        authorize = rsps.post(url(settings, "tt_video/authorize/"), json=ok({}))
        rsps.get(url(settings, "identity/music/authorization/"), json=ok(MUSIC_CLEARED))
        rsps.get(url(settings, "tt_video/info/"), json=info(timezone.now() + timedelta(days=60)))
        first = client.post(target, HTTP_HX_REQUEST="true")
        second = client.post(target, follow=True)
    assert authorize.call_count == 1
    assert json.loads(authorize.calls[0].request.body)["auth_code"] == "CODE-TERMS"
    assert first.status_code == 204 and first["HX-Redirect"] == _ledger(world)
    assert "Already marked paid by alice@example.test" in second.content.decode()
    requested.refresh_from_db()
    assert (requested.status, requested.payment_status, requested.paid_by) == (Status.ACTIVE, Payment.PAID, alice)
    kinds = list(AuditEvent.objects.filter(authorization=requested).values_list("kind", flat=True))
    assert kinds.count("paid") == 1 and kinds.count("applied") == 1
    assert not AuditEvent.objects.filter(summary__contains="CODE-TERMS").exists()


def test_marking_paid_before_the_creator_answers_is_refused_and_records_nothing(requested, alice):
    """A fee is for a code that is or was live; a request has no code yet."""
    with pytest.raises(FlowError, match="Not possible now"):
        terms.mark_paid(requested, alice)
    requested.refresh_from_db()
    assert requested.payment_status == Payment.UNPAID and requested.paid_at is None
    assert not AuditEvent.objects.filter(kind="paid").exists()


def test_turning_the_setting_off_releases_held_codes_to_the_poller(requested, world, alice, settings, client):
    brand = world["bc"].brand
    client.force_login(alice)
    target = reverse("sparkads:release_setting", args=[brand.slug])
    client.post(target, {"release_after_payment": "on"})
    brand.refresh_from_db()
    assert brand.spark_release_after_payment
    with responses.RequestsMock() as rsps:
        _approve(settings, rsps)
        tasks.poll_spark_request(requested.pk)
    client.post(target, {})
    brand.refresh_from_db()
    requested.refresh_from_db()
    assert not brand.spark_release_after_payment and requested.next_poll_at is not None
    assert AuditEvent.objects.filter(kind="setting").count() == 2


def test_only_owners_and_admins_mark_paid_and_another_brand_gets_404(requested, world, bob, charlie, client):
    target = reverse("sparkads:mark_paid", args=[world["bc"].brand.slug, requested.pk])
    for user in (bob, charlie):
        client.force_login(user)
        assert client.post(target).status_code == 404
    requested.refresh_from_db()
    assert requested.payment_status == Payment.UNPAID


def test_the_ledger_csv_has_the_terms_never_the_code_and_no_formulas(requested, world, alice, client):
    world["post"].caption = "=HYPERLINK() spring look"
    world["post"].save()
    SparkAuthorization.objects.filter(pk=requested.pk).update(
        status=Status.ACTIVE, auth_start=START, auth_end=START + timedelta(days=60), tiktok_name="=cmd()"
    )
    requested.refresh_from_db()
    requested.set_code("CODE-SECRET")
    requested.save()
    client.force_login(alice)
    response = client.get(reverse("sparkads:ledger_csv", args=[world["bc"].brand.slug]))
    body = b"".join(response.streaming_content).decode()
    header, row = body.splitlines()[:2]
    assert header.startswith("video,caption,campaign,creator,source,status,duration (days),fee,currency,payment")
    assert "'=HYPERLINK() spring look" in row  # named by its caption, never read as a formula
    assert "250.00,EUR,Unpaid" in row and "2026-03-01 12:00:00" in row and "Spring Launch" in row
    assert "CODE-SECRET" not in body


def test_the_ledger_page_query_count_does_not_grow_with_rows(world, alice, client, django_assert_num_queries):
    for n in range(6):  # with range(1) the count is the same
        SparkAuthorization.objects.create(
            brand=world["bc"].brand,
            post=world["post"],
            video_id=f"77{n}",
            status=Status.ACTIVE if n % 2 else Status.APPROVED,
            payment_status=Payment.UNPAID,
            fee_amount=Decimal("10"),
            fee_currency="USD",
            tiktok_account=world["account"],
            requested_by=alice,
            paid_by=alice,
        )
    client.force_login(alice)
    # The same for one row: nothing per row (open proposals: one query; their ads: one query).
    with django_assert_num_queries(17):
        page = client.get(_ledger(world))
    assert page.content.decode().count("Mark paid") == 6


def test_a_refused_request_owes_nothing_and_cannot_be_marked_paid(requested, alice):
    SparkAuthorization.objects.filter(pk=requested.pk).update(status=Status.REJECTED)
    requested.refresh_from_db()
    assert "mark_paid" not in requested.actions
    with pytest.raises(FlowError, match="Not possible now: the authorization of video .* is rejected"):
        terms.mark_paid(requested, alice)
    requested.refresh_from_db()
    assert requested.payment_status == Payment.UNPAID


def test_a_code_the_creator_approves_here_meets_the_same_payment_hold(world, alice, user_factory, settings):
    star = user_factory(email="star@example.test")
    account = world["account"]
    account.owner, account.open_id = star, "open-star"
    account.credential = Credential.objects.create(
        kind=Credential.Kind.TT_USER, user=star, open_id="open-star", access_token="tt-user-token", scopes=SCOPES
    )
    account.save()
    brand = world["bc"].brand
    terms.set_release_after_payment(brand, alice, True)
    row = SparkAuthorization.objects.create(
        brand=brand,
        post=world["post"],
        tiktok_account=account,
        video_id=world["post"].video_id,
        authorization_days=60,
        requested_by=alice,
        ad_account=world["ad"],
        **UsageTerms(Decimal("90"), "USD").fields(),
    )
    start = timezone.now()
    made = {
        "item_id": row.video_id,
        "auth_code": "CODE-HERE",
        "auth_code_start_time": f"{start:%Y-%m-%d %H:%M:%S}",
        "auth_code_end_time": f"{start + timedelta(days=60):%Y-%m-%d %H:%M:%S}",
        "authorization_days": 60,
        "auth_code_status": "NOT_USED",
    }
    with responses.RequestsMock() as rsps:  # no tt_video/authorize is registered: none may be sent
        rsps.post(url(settings, "business/post/authorize/setting/"), json=ok(made))
        auth = creator_codes.approve(row, star)
    auth.refresh_from_db()
    assert auth.source == SparkAuthorization.Source.CREATOR
    assert auth.status_label == "Approved — waiting for payment"
    with responses.RequestsMock() as rsps:
        authorize = rsps.post(url(settings, "tt_video/authorize/"), json=ok({}))
        rsps.get(url(settings, "identity/music/authorization/"), json=ok(MUSIC_CLEARED))
        rsps.get(url(settings, "tt_video/info/"), json=info(timezone.now() + timedelta(days=60)))
        assert terms.mark_paid(auth, alice) is True
    assert authorize.call_count == 1


def test_a_held_code_whose_window_ends_unpaid_expires_unused_and_the_brand_is_told(
    requested, world, alice, settings, mailoutbox, run_jobs
):
    import time_machine

    terms.set_release_after_payment(world["bc"].brand, alice, True)
    end = timezone.now() + timedelta(days=60)
    with responses.RequestsMock() as rsps:
        rsps.get(
            url(settings, "tcm/tt_video/status/"),
            json=ok(
                {
                    "auth_status": "ACCEPTED",
                    "auth_code": "CODE-TERMS",
                    "num_remaining_request": 29,
                    "auth_code_end_time": f"{end:%Y-%m-%d %H:%M:%S}",
                }
            ),
        )
        tasks.poll_spark_request(requested.pk)
    requested.refresh_from_db()
    # Parked until the end of its window, then looked at again.
    assert requested.status == Status.APPROVED and abs(requested.due_at - end) < timedelta(seconds=2)

    with (
        time_machine.travel(end + timedelta(minutes=1), tick=False),
        responses.RequestsMock(),  # nothing may reach TikTok: the code is past its window
    ):
        with run_jobs():  # the dispatcher wakes the row; its task runs here
            assert tasks.dispatch_spark_deadlines() == 1
        with pytest.raises(FlowError, match="Nothing was recorded"):  # paying late records and applies nothing
            terms.mark_paid(requested, alice)

    requested.refresh_from_db()
    assert requested.status == Status.EXPIRED and requested.next_poll_at is None
    assert "while waiting for the fee to be paid" in requested.end_reason
    assert AuditEvent.objects.filter(authorization=requested, kind="expired").count() == 1
    expired = [m for m in mailoutbox if "expired unused" in m.subject]
    assert len(expired) == 1 and expired[0].to == ["alice@example.test"]
