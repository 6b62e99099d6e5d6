"""One TikTok write per user intent: double submits and races on the Spark Ads and Business
Center forms send TikTok one call and give every submitter the same page, never a 500."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
import responses
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from integrations.errors import FlowError
from integrations.models import BusinessCenterGrant as Grant
from integrations.models import BusinessCenterMember, TikTokAccount
from sparkads import flows
from sparkads.models import AdsManagerLink, AuditEvent, QrAccessRequest, SparkAuthorization
from tests.races import submit_together

pytestmark = pytest.mark.django_db
API = "/open_api/v1.3/"
SUBMITTERS = 20


def ok(data):
    return {"code": 0, "message": "OK", "request_id": "req-1", "data": data}


def url(settings, path: str) -> str:
    return f"{settings.TIKTOK_BUSINESS_API_BASE_URL}{API}{path}"


def slow_ok(data, seconds: float = 0.3):
    """TikTok answering after a moment, so that concurrent submits overlap the call."""

    def answer(_request):
        time.sleep(seconds)
        return 200, {}, json.dumps(ok(data))

    return answer


def ledger_url(world) -> str:
    return reverse("sparkads:ledger", args=[world["campaign"].brand.slug])


def request_url(world) -> str:
    return reverse("sparkads:request_permission", args=[world["campaign"].brand.slug])


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent inserts under a constraint need PostgreSQL")
def test_twenty_concurrent_spark_requests_for_one_post_send_one_apply_and_give_everyone_the_ledger(
    world, alice, settings
):
    with responses.RequestsMock() as rsps:
        apply = rsps.add_callback(responses.POST, url(settings, "tcm/tt_video/apply/"), callback=slow_ok({}))
        results = submit_together(alice, SUBMITTERS, request_url(world), {"post": world["post"].pk, "days": 30})

    assert not [r for r in results if isinstance(r, Exception)], results
    assert len(results) == SUBMITTERS
    assert apply.call_count == 1
    assert {r.status_code for r in results} == {200}
    assert {r.redirect_chain[-1][0] for r in results} == {ledger_url(world)}
    pages = [r.content.decode() for r in results]
    assert sum("Request sent." in p for p in pages) == 1
    assert sum("Already requested" in p for p in pages) == SUBMITTERS - 1
    assert SparkAuthorization.objects.filter(post=world["post"]).count() == 1
    assert AuditEvent.objects.filter(kind="requested").count() == 1


def test_a_double_submitted_spark_request_sends_one_apply_and_shows_the_existing_request(
    world, alice, client, settings
):
    client.force_login(alice)
    with responses.RequestsMock() as rsps:
        apply = rsps.post(url(settings, "tcm/tt_video/apply/"), json=ok({}))
        first = client.post(request_url(world), {"post": world["post"].pk, "days": 30}, follow=True)
        second = client.post(request_url(world), {"post": world["post"].pk, "days": 30}, follow=True)
    assert apply.call_count == 1
    assert first.redirect_chain[-1][0] == second.redirect_chain[-1][0] == ledger_url(world)
    assert "Request sent." in first.content.decode()
    assert "Already requested: alice@example.test asked for 30 days" in second.content.decode()
    auth = SparkAuthorization.objects.get(post=world["post"])
    assert (auth.status, auth.pending_write, auth.next_poll_at is not None) == ("requested", "", True)


def test_a_request_tiktok_refuses_is_recorded_and_can_be_sent_again(world, alice, client, settings):
    client.force_login(alice)
    with responses.RequestsMock() as rsps:
        rsps.post(
            url(settings, "tcm/tt_video/apply/"),
            json={"code": 40002, "message": "Invalid video id", "request_id": "r", "data": {}},
        )
        refused = client.post(request_url(world), {"post": world["post"].pk, "days": 30}, follow=True)
        rsps.replace(responses.POST, url(settings, "tcm/tt_video/apply/"), json=ok({}))
        retried = client.post(request_url(world), {"post": world["post"].pk, "days": 30}, follow=True)
        sent = len(rsps.calls)
    assert sent == 2  # the refused one and the retry
    assert "TikTok refused the request: Invalid video id" in refused.content.decode()
    assert "Request sent." in retried.content.decode()
    failed, sent = SparkAuthorization.objects.filter(post=world["post"]).order_by("pk")
    assert (failed.status, failed.last_error) == ("failed", "TikTok refused the request: Invalid video id")
    assert (sent.status, sent.pending_write) == ("requested", "")


def test_failed_requests_do_not_count_against_tiktoks_thirty(world, alice, settings):
    SparkAuthorization.objects.create(
        brand=world["campaign"].brand, post=world["post"], video_id="1", status="rejected", num_remaining_request=1
    )
    with responses.RequestsMock() as rsps:
        rsps.post(url(settings, "tcm/tt_video/apply/"), status=503)
        for _ in range(2):
            with pytest.raises(FlowError, match="TikTok is busy"):
                flows.request_permission(world["post"], alice, 30)
        rsps.replace(responses.POST, url(settings, "tcm/tt_video/apply/"), json=ok({}))
        sent = flows.request_permission(world["post"], alice, 30)
    assert sent.num_remaining_request == 0


def test_a_request_whose_sender_died_is_taken_over_after_the_claim_goes_stale(world, alice, client, settings):
    stuck = SparkAuthorization.objects.create(
        brand=world["campaign"].brand,
        post=world["post"],
        video_id=world["post"].video_id,
        pending_write="request",
        pending_since=timezone.now() - timedelta(hours=1),
    )
    client.force_login(alice)
    with responses.RequestsMock() as rsps:
        apply = rsps.post(url(settings, "tcm/tt_video/apply/"), json=ok({}))
        page = client.post(request_url(world), {"post": world["post"].pk, "days": 30}, follow=True)
    assert apply.call_count == 1
    assert "Request sent." in page.content.decode()
    stuck.refresh_from_db()
    assert stuck.status == "failed"


def test_a_request_being_sent_right_now_is_not_sent_again(world, alice, client, settings):
    SparkAuthorization.objects.create(
        brand=world["campaign"].brand,
        post=world["post"],
        video_id=world["post"].video_id,
        requested_by=alice,
        pending_write="request",
        pending_since=timezone.now(),
    )
    client.force_login(alice)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        apply = rsps.post(url(settings, "tcm/tt_video/apply/"), json=ok({}))
        page = client.post(request_url(world), {"post": world["post"].pk, "days": 30}, follow=True)
    assert apply.call_count == 0
    assert "is being sent to TikTok right now" in page.content.decode()


@pytest.fixture
def active(world):
    auth = SparkAuthorization.objects.create(
        brand=world["campaign"].brand,
        post=world["post"],
        video_id=world["post"].video_id,
        status="active",
        ad_account=world["ad"],
        tiktok_account=world["account"],
        item_id=world["post"].video_id,
        auth_start=timezone.now() - timedelta(days=1),
        auth_end=timezone.now() + timedelta(days=60),
    )
    auth.set_code("CODE-ACTIVE")
    auth.save()
    return auth


def test_a_double_submitted_extension_sends_one_apply(world, active, alice, client, settings):
    client.force_login(alice)
    target = reverse("sparkads:extend", args=[world["campaign"].brand.slug, active.pk])
    with responses.RequestsMock() as rsps:
        apply = rsps.post(url(settings, "tcm/tt_video/apply/"), json=ok({}))
        first = client.post(target, {"days": 30}, follow=True)
        second = client.post(target, {"days": 30}, follow=True)
    assert apply.call_count == 1
    assert first.redirect_chain[-1][0] == second.redirect_chain[-1][0] == ledger_url(world)
    assert "Extension requested" in first.content.decode()
    assert "Already requested: an extension was asked for on" in second.content.decode()
    assert AuditEvent.objects.filter(kind="extended").count() == 1


def test_an_extension_tiktok_refuses_releases_the_claim_for_a_retry(world, active, alice, client, settings):
    client.force_login(alice)
    target = reverse("sparkads:extend", args=[world["campaign"].brand.slug, active.pk])
    with responses.RequestsMock() as rsps:
        rsps.post(url(settings, "tcm/tt_video/apply/"), status=503)
        client.post(target, {"days": 30})
        rsps.replace(responses.POST, url(settings, "tcm/tt_video/apply/"), json=ok({}))
        retried = client.post(target, {"days": 30}, follow=True)
        sent = len(rsps.calls)
    assert sent == 2
    assert "Extension requested" in retried.content.decode()


def test_a_double_submitted_unbind_sends_one_unbind(world, active, alice, client, settings):
    client.force_login(alice)
    target = reverse("sparkads:unbind", args=[world["campaign"].brand.slug, active.pk])
    with responses.RequestsMock() as rsps:
        unbind = rsps.post(url(settings, "tt_video/unbind/"), json=ok({}))
        first = client.post(target, follow=True)
        second = client.post(target, follow=True)
    assert unbind.call_count == 1
    assert first.redirect_chain[-1][0] == second.redirect_chain[-1][0] == ledger_url(world)
    assert f"Already unbound: video {active.video_id}" in second.content.decode()
    active.refresh_from_db()
    assert (active.status, active.pending_write) == ("unbound", "")


def test_an_unbind_in_flight_is_not_sent_twice(world, active, alice, client, settings):
    SparkAuthorization.objects.filter(pk=active.pk).update(pending_write="unbind", pending_since=timezone.now())
    client.force_login(alice)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        unbind = rsps.post(url(settings, "tt_video/unbind/"), json=ok({}))
        page = client.post(reverse("sparkads:unbind", args=[world["campaign"].brand.slug, active.pk]), follow=True)
    assert unbind.call_count == 0
    assert "is being unbound right now" in page.content.decode()


def test_a_double_submitted_qr_request_asks_tiktok_once_and_shows_the_same_code(world, alice, client, settings):
    bc = world["bc"]
    BusinessCenterMember.objects.create(business_center=bc, tiktok_user_id="1", role="ADMIN", user=alice)
    client.force_login(alice)
    target = reverse("sparkads:bc_request_qr", args=[bc.brand.slug, bc.pk])
    with responses.RequestsMock() as rsps:
        qr = rsps.get(
            url(settings, "bc/asset/account/authorization/"),
            json=ok({"bc_auth_qr_code": "https://www.tiktok.com/bc-auth/one-link"}),
        )
        first = client.post(target, {"scopes": ["pull"]}, follow=True)
        second = client.post(target, {"scopes": ["pull"]}, follow=True)
    assert qr.call_count == 1
    assert first.redirect_chain[-1][0] == second.redirect_chain[-1][0]
    assert "Already generated at" in second.content.decode()
    assert QrAccessRequest.objects.filter(business_center=bc).count() == 1


def test_a_qr_request_tiktok_fails_leaves_nothing_pending(world, alice, client, settings):
    bc = world["bc"]
    BusinessCenterMember.objects.create(business_center=bc, tiktok_user_id="1", role="ADMIN", user=alice)
    client.force_login(alice)
    target = reverse("sparkads:bc_request_qr", args=[bc.brand.slug, bc.pk])
    with responses.RequestsMock() as rsps:
        rsps.get(url(settings, "bc/asset/account/authorization/"), status=503)
        client.post(target, {"scopes": ["pull"]})
        rsps.replace(
            responses.GET,
            url(settings, "bc/asset/account/authorization/"),
            json=ok({"bc_auth_qr_code": "https://www.tiktok.com/bc-auth/one-link"}),
        )
        client.post(target, {"scopes": ["pull"]})
        sent = len(rsps.calls)
    assert sent == 2
    assert list(QrAccessRequest.objects.values_list("link", flat=True)) == ["https://www.tiktok.com/bc-auth/one-link"]


@pytest.fixture
def bc_members(world, alice, bob):
    bc = world["bc"]
    admin = BusinessCenterMember.objects.create(business_center=bc, tiktok_user_id="1", role="ADMIN", user=alice)
    standard = BusinessCenterMember.objects.create(
        business_center=bc, tiktok_user_id="2", role="STANDARD", user=bob, user_name="Bob"
    )
    account = TikTokAccount.objects.create(handle="assigned.one")
    Grant.objects.create(
        business_center=bc, asset_type="TT_ACCOUNT", asset_id="900", tiktok_account=account, scopes=["pull"]
    )
    return {"bc": bc, "admin": admin, "standard": standard}


def bc_page(bc) -> str:
    return reverse("sparkads:business_center", args=[bc.brand.slug]) + f"?bc={bc.pk}"


def test_a_double_submitted_assignment_sends_one_assign(bc_members, alice, client, settings):
    bc, standard = bc_members["bc"], bc_members["standard"]
    client.force_login(alice)
    form = {"asset": "TT_ACCOUNT:900", "members": [standard.pk], "roles": ["POST"]}
    with responses.RequestsMock() as rsps:
        assign = rsps.post(url(settings, "bc/asset/assign/"), json=ok({}))
        first = client.post(reverse("sparkads:bc_assign", args=[bc.brand.slug, bc.pk]), form, follow=True)
        second = client.post(reverse("sparkads:bc_assign", args=[bc.brand.slug, bc.pk]), form, follow=True)
    assert assign.call_count == 1
    assert first.redirect_chain[-1][0] == second.redirect_chain[-1][0] == bc_page(bc) + "#assign"
    assert "Assigned to 1 member." in first.content.decode()
    assert "Already assigned: Bob already has @assigned.one (Post)." in second.content.decode()
    grant = Grant.objects.get(member=standard)
    assert (grant.status, grant.roles) == ("active", ["POST"])
    assert AuditEvent.objects.filter(kind="assigned").count() == 1


def test_an_assignment_tiktok_refuses_leaves_no_row_and_can_be_retried(bc_members, alice, client, settings):
    bc, standard = bc_members["bc"], bc_members["standard"]
    client.force_login(alice)
    form = {"asset": "TT_ACCOUNT:900", "members": [standard.pk], "roles": ["POST"]}
    target = reverse("sparkads:bc_assign", args=[bc.brand.slug, bc.pk])
    with responses.RequestsMock() as rsps:
        rsps.post(url(settings, "bc/asset/assign/"), json={"code": 40002, "message": "No", "request_id": "r"})
        refused = client.post(target, form, follow=True)
        assert not Grant.objects.filter(member=standard).exists()
        rsps.replace(responses.POST, url(settings, "bc/asset/assign/"), json=ok({}))
        client.post(target, form)
        sent = len(rsps.calls)
    assert sent == 2
    assert "TikTok refused to assign" in refused.content.decode()
    assert Grant.objects.get(member=standard).status == "active"


def test_an_assignment_in_flight_is_not_sent_again(bc_members, alice, client, settings):
    bc, standard = bc_members["bc"], bc_members["standard"]
    Grant.objects.create(
        business_center=bc, asset_type="TT_ACCOUNT", asset_id="900", member=standard, roles=["POST"], status="pending"
    )
    client.force_login(alice)
    form = {"asset": "TT_ACCOUNT:900", "members": [standard.pk], "roles": ["POST"]}
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        assign = rsps.post(url(settings, "bc/asset/assign/"), json=ok({}))
        page = client.post(reverse("sparkads:bc_assign", args=[bc.brand.slug, bc.pk]), form, follow=True)
    assert assign.call_count == 0
    assert "is being changed at TikTok" in page.content.decode()


def test_a_double_submitted_unassignment_sends_one_unassign(bc_members, alice, client, settings):
    bc, standard = bc_members["bc"], bc_members["standard"]
    grant = Grant.objects.create(
        business_center=bc, asset_type="TT_ACCOUNT", asset_id="900", member=standard, roles=["POST"]
    )
    client.force_login(alice)
    target = reverse("sparkads:bc_unassign", args=[bc.brand.slug, bc.pk, grant.pk])
    with responses.RequestsMock() as rsps:
        unassign = rsps.post(url(settings, "bc/asset/unassign/"), json=ok({}))
        first = client.post(target, follow=True)
        second = client.post(target, follow=True)
    assert unassign.call_count == 1
    assert first.redirect_chain[-1][0] == second.redirect_chain[-1][0] == bc_page(bc) + "#assign"
    assert "Unassigned." in first.content.decode()
    assert "Already unassigned." in second.content.decode()
    assert not Grant.objects.filter(member=standard).exists()


def test_an_unassignment_tiktok_refuses_keeps_the_assignment(bc_members, alice, client, settings):
    bc, standard = bc_members["bc"], bc_members["standard"]
    grant = Grant.objects.create(
        business_center=bc, asset_type="TT_ACCOUNT", asset_id="900", member=standard, roles=["POST"]
    )
    client.force_login(alice)
    with responses.RequestsMock() as rsps:
        rsps.post(url(settings, "bc/asset/unassign/"), status=503)
        page = client.post(reverse("sparkads:bc_unassign", args=[bc.brand.slug, bc.pk, grant.pk]), follow=True)
    assert "try again in a minute" in page.content.decode()  # a 503 is TikTok being down, not a refusal
    grant.refresh_from_db()
    assert (grant.status, grant.roles) == ("active", ["POST"])


def ads_manager_page(world) -> str:
    return reverse("sparkads:ads_manager", args=[world["campaign"].brand.slug])


def test_a_double_submitted_ads_manager_link_asks_tiktok_once_and_shows_the_waiting_request(
    world, alice, client, settings
):
    client.force_login(alice)
    target = reverse("sparkads:link_request", args=[world["campaign"].brand.slug])
    form = {"ad_account": world["ad"].pk, "username": "market.star"}
    with responses.RequestsMock() as rsps:
        lookup = rsps.get(url(settings, "tto/tcm/creator/public/"), json=ok({"handle_name": "market.star"}))
        first = client.post(target, form, follow=True)
        second = client.post(target, form, follow=True)
    assert lookup.call_count == 1
    assert first.redirect_chain[-1][0] == second.redirect_chain[-1][0] == ads_manager_page(world)
    assert "Already requested: alice@example.test asked @market.star for" in second.content.decode()
    link = AdsManagerLink.objects.get()
    assert (link.status, link.next_poll_at is not None) == ("pending", True)
    assert AuditEvent.objects.filter(kind="requested").count() == 1


def test_a_link_to_an_unknown_username_leaves_no_row_behind(world, alice, client, settings):
    client.force_login(alice)
    target = reverse("sparkads:link_request", args=[world["campaign"].brand.slug])
    with responses.RequestsMock() as rsps:
        rsps.get(
            url(settings, "tto/tcm/creator/public/"),
            json={"code": 40002, "message": "The creator does not exist", "request_id": "r", "data": {}},
        )
        page = client.post(target, {"ad_account": world["ad"].pk, "username": "no.such"}, follow=True)
    assert "There is no TikTok account @no.such" in page.content.decode()
    assert not AdsManagerLink.objects.exists()


def test_a_double_submitted_unlink_unbinds_the_accounts_spark_ads_once(world, active, alice, client, settings):
    link = AdsManagerLink.objects.create(
        brand=world["campaign"].brand, ad_account=world["ad"], username="market.star", status="authorized"
    )
    SparkAuthorization.objects.filter(pk=active.pk).update(tiktok_name="market.star")
    client.force_login(alice)
    target = reverse("sparkads:link_action", args=[world["campaign"].brand.slug, link.pk, "unlink"])
    with responses.RequestsMock() as rsps:
        unbind = rsps.post(url(settings, "tt_video/unbind/"), json=ok({}))
        first = client.post(target, follow=True)
        second = client.post(target, follow=True)
    assert unbind.call_count == 1
    assert first.redirect_chain[-1][0] == second.redirect_chain[-1][0] == ads_manager_page(world)
    assert "1 Spark Ad using its posts was stopped." in first.content.decode()
    assert "Already unlinked: @market.star" in second.content.decode()
    assert AuditEvent.objects.filter(kind="unlinked").count() == 1


def test_an_ad_account_not_synced_here_is_named_in_words_in_the_audit_line_not_by_tiktoks_asset_type(
    bc_members, alice, client, settings
):
    bc, standard = bc_members["bc"], bc_members["standard"]
    client.force_login(alice)
    form = {"asset": "ADVERTISER:7300000000000000999", "members": [standard.pk], "roles": ["ANALYST"]}
    with responses.RequestsMock() as rsps:
        rsps.post(url(settings, "bc/asset/assign/"), json=ok({}))
        client.post(reverse("sparkads:bc_assign", args=[bc.brand.slug, bc.pk]), form, follow=True)
    [line] = AuditEvent.objects.filter(kind="assigned").values_list("summary", flat=True)
    assert line == "Bob given ad account 7300000000000000999 (Analyst)"
