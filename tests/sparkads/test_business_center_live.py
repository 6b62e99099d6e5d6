"""Business Center and Ads Manager links end to end against the live sandbox."""

from __future__ import annotations

from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from integrations.errors import FlowError
from integrations.models import BackgroundJob, BrandMembership, BrandNotice, BusinessCenterGrant
from integrations.words import post_name
from sparkads import codes
from sparkads.ads_manager import flows as ads_manager
from sparkads.business_center import flows as bcflows
from sparkads.business_center import promote
from sparkads.models import AdsManagerLink, AuditEvent, SparkAdReference, SparkAuthorization

pytestmark = [pytest.mark.integration, pytest.mark.django_db]
Grant = BusinessCenterGrant


@pytest.fixture
def bc_people(live_world, brand, user_factory):
    """Platform users whose verified emails match the sandbox BC members (case differs on purpose)."""
    admin = user_factory(email="Brand@Demo.TEST")
    standard = user_factory(email="member@demo.test")
    for user in (admin, standard):
        BrandMembership.objects.create(user=user, brand=brand, role=BrandMembership.Role.MEMBER)
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    bcflows.sync_members(live_world["bc"])
    bc = live_world["bc"]
    return {
        "admin": admin,
        "standard": standard,
        "admin_m": bc.members.get(user=admin),
        "standard_m": bc.members.get(user=standard),
    }


def _approve_qr(control, link: str, handle: str = "bc.owner", publish: bool = True) -> None:
    control(
        "POST", "helpers/bc-qr/approve", {"link": link, "handle": handle, "existing_posts": True, "publish": publish}
    )


def test_members_are_synced_and_linked_by_email_case_insensitively(live_world, bc_people):
    assert bc_people["admin_m"].role == "ADMIN" and bc_people["standard_m"].role == "STANDARD"


def test_the_qr_flow_counts_approvals_live_as_n_of_the_limit(live_world, bc_people, control, client, run_jobs):
    bc = live_world["bc"]
    qr = bcflows.request_access_qr(bc, bc_people["admin_m"], ["pull", "push"], bc_people["admin"])
    assert qr.link.startswith("http")
    client.force_login(bc_people["admin"])
    url = reverse("sparkads:bc_approvals", args=[bc.brand.slug, bc.pk])
    with run_jobs():
        assert "0 of 200" in client.get(url, HTTP_HX_REQUEST="true").content.decode()

    _approve_qr(control, qr.link)
    bc.last_checked_at = None
    bc.save()
    # The fragment asks a worker at most every ten seconds: let them pass.
    BackgroundJob.objects.update(created_at=timezone.now() - timedelta(seconds=11))
    with run_jobs():
        asking = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "Checking TikTok for new approvals" in asking and "0 of 200" in asking
    page = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "1 of 200" in page and "@bc.owner" in page
    grant = Grant.objects.get(business_center=bc, member=None, asset_type="TT_ACCOUNT")
    assert grant.status == Grant.Status.ACTIVE and set(grant.scopes) == {"pull", "push"}
    kinds = list(AuditEvent.objects.filter(business_center=bc).values_list("kind", flat=True))
    assert "qr_generated" in kinds and "account_approved" in kinds

    png = client.get(reverse("sparkads:bc_qr_png", args=[bc.brand.slug, bc.pk, qr.pk]))
    assert png["Content-Type"] == "image/png" and png.content.startswith(b"\x89PNG")


def test_an_account_that_allowed_existing_posts_only_has_only_the_pull_permission(live_world, bc_people, control):
    # TikTok reports what the owner allowed on identity/get (BC_AUTH_TT), not on bc/asset/get.
    bc = live_world["bc"]
    qr = bcflows.request_access_qr(bc, bc_people["admin_m"], ["pull", "push"], bc_people["admin"])
    _approve_qr(control, qr.link, publish=False)
    bcflows.sync_tiktok_accounts(bc)
    grant = Grant.objects.get(business_center=bc, member=None, asset_type="TT_ACCOUNT")
    assert grant.status == Grant.Status.ACTIVE and grant.scopes == ["pull"]


def test_past_the_limit_a_qr_request_is_refused_with_a_clear_message(live_world, bc_people, control, settings):
    settings.BC_TIKTOK_ACCOUNT_LIMIT = 1
    bc = live_world["bc"]
    qr = bcflows.request_access_qr(bc, bc_people["admin_m"], ["pull"], bc_people["admin"])
    _approve_qr(control, qr.link)
    bcflows.sync_tiktok_accounts(bc)
    with pytest.raises(FlowError, match="1 of 1 TikTok accounts, the limit"):
        bcflows.request_access_qr(bc, bc_people["admin_m"], ["pull"], bc_people["admin"])


def test_a_cancelled_authorization_shows_as_cancelled(live_world, bc_people, control):
    bc = live_world["bc"]
    qr = bcflows.request_access_qr(bc, bc_people["admin_m"], ["pull"], bc_people["admin"])
    _approve_qr(control, qr.link)
    bcflows.sync_tiktok_accounts(bc)
    control("POST", "helpers/authorizations/cancel", {"handle": "bc.owner", "bc_id": bc.bc_id})
    assert bcflows.sync_tiktok_accounts(bc) == (0, 1)
    assert Grant.objects.get(business_center=bc, member=None).status == Grant.Status.CANCELLED
    assert AuditEvent.objects.filter(business_center=bc, kind="revoked").exists()


def test_assigning_gives_a_standard_member_the_account_and_promote_records_a_pull_reference(
    live_world, bc_people, control, client_for
):
    bc, admin_m, standard_m, ad = live_world["bc"], bc_people["admin_m"], bc_people["standard_m"], live_world["ad"]
    qr = bcflows.request_access_qr(bc, admin_m, ["pull", "push"], bc_people["admin"])
    _approve_qr(control, qr.link)
    bcflows.sync_tiktok_accounts(bc)
    grant = Grant.objects.get(business_center=bc, member=None)
    assert list(bcflows.visible_tiktok_grants(bc, standard_m)) == []
    assert promote.promote_options(bc, standard_m)["missing"]

    bcflows.assign(bc, admin_m, [standard_m], "TT_ACCOUNT", grant.asset_id, ["POST"], bc_people["admin"])
    assert "Admin or Operator" in promote.promote_options(bc, standard_m)["missing"][0]
    bcflows.assign(bc, admin_m, [standard_m], "ADVERTISER", ad.advertiser_id, ["OPERATOR"], bc_people["admin"])
    options = promote.promote_options(bc, standard_m)
    assert options["missing"] == [] and list(options["accounts"]) == [grant] and list(options["ad_accounts"]) == [ad]

    identity = promote.bc_identity(bc, ad, "bc.owner")
    post = promote.account_posts(bc, ad, identity)[0]
    page = client_for(bc_people["standard"]).post(
        reverse("sparkads:promote", args=[bc.brand.slug, bc.pk]),
        {"mode": "pull", "grant": grant.pk, "ad_account": ad.pk, "item_id": post["item_id"]},
    )
    ref = SparkAdReference.objects.get(business_center=bc)
    assert ref.status == SparkAdReference.Status.READY and ref.identity_id == identity["identity_id"]
    assert post["text"] and ref.caption == post["text"]
    # The post is named by its caption; its id is the value the ad needs, so it is given too.
    assert escape(post_name(post["text"], post["item_id"])) in page.content.decode()

    bcflows.unassign(bc, admin_m, standard_m, "TT_ACCOUNT", grant.asset_id, bc_people["admin"])
    assert list(bcflows.visible_tiktok_grants(bc, standard_m)) == []
    kinds = set(AuditEvent.objects.filter(business_center=bc).values_list("kind", flat=True))
    assert {"assigned", "unassigned"} <= kinds


def test_an_ads_manager_link_approved_on_tiktok_becomes_authorized(live_world, control, alice):
    link = ads_manager.record_link_request(live_world["ad"].brand, live_world["ad"], "@demo.creator", alice)
    req = control(
        "POST",
        "helpers/ads-manager/link-requests",
        {"advertiser_id": live_world["ad"].advertiser_id, "handle": "demo.creator"},
    )
    assert ads_manager.poll_links(live_world["ad"].pk) == 0  # still waiting
    control("POST", f"helpers/ads-manager/link-requests/{req['link_request_id']}/approve")
    assert ads_manager.poll_links(live_world["ad"].pk) == 1
    link.refresh_from_db()
    assert link.status == AdsManagerLink.Status.AUTHORIZED and link.identity_id
    assert AuditEvent.objects.filter(kind="linked", ad_account=live_world["ad"]).exists()


def test_an_ads_manager_link_rejected_on_tiktok_is_seen_and_the_brand_is_told_what_to_do(
    live_world, control, alice, client_for
):
    ad = live_world["ad"]
    link = ads_manager.record_link_request(ad.brand, ad, "demo.creator", alice)
    req = control(
        "POST", "helpers/ads-manager/link-requests", {"advertiser_id": ad.advertiser_id, "handle": "demo.creator"}
    )
    assert ads_manager.poll_links(ad.pk) == 0  # listed, waiting for the owner
    link.refresh_from_db()
    assert link.status == AdsManagerLink.Status.PENDING and link.seen_waiting_at

    control("POST", f"helpers/ads-manager/link-requests/{req['link_request_id']}/reject")
    assert ads_manager.poll_links(ad.pk) == 1
    link.refresh_from_db()
    assert link.status == AdsManagerLink.Status.REJECTED and link.decided_by is None and link.next_poll_at is None
    assert AuditEvent.objects.filter(kind="rejected", ad_account=ad).count() == 1
    notice = BrandNotice.objects.get(brand=ad.brand)
    assert "did not approve" in notice.message and "send the request again" in notice.message
    assert ads_manager.poll_links(ad.pk) == 0  # seen once, told once

    page = client_for(alice).get(reverse("sparkads:ads_manager", args=[ad.brand.slug])).content.decode()
    assert "Check that the username is right" in page and "Send again" in page


def test_send_again_after_a_rejection_records_a_new_request_that_can_be_approved(
    live_world, control, alice, client_for
):
    ad = live_world["ad"]
    link = ads_manager.record_link_request(ad.brand, ad, "demo.creator", alice)
    req = control(
        "POST", "helpers/ads-manager/link-requests", {"advertiser_id": ad.advertiser_id, "handle": "demo.creator"}
    )
    ads_manager.poll_links(ad.pk)
    control("POST", f"helpers/ads-manager/link-requests/{req['link_request_id']}/reject")
    ads_manager.poll_links(ad.pk)

    page = client_for(alice).post(reverse("sparkads:link_action", args=[ad.brand.slug, link.pk, "again"]), follow=True)
    assert "Recorded again" in page.content.decode()
    again = AdsManagerLink.objects.get(ad_account=ad, username="demo.creator", status=AdsManagerLink.Status.PENDING)
    req = control(
        "POST", "helpers/ads-manager/link-requests", {"advertiser_id": ad.advertiser_id, "handle": "demo.creator"}
    )
    control("POST", f"helpers/ads-manager/link-requests/{req['link_request_id']}/approve")
    assert ads_manager.poll_links(ad.pk) == 1
    again.refresh_from_db()
    assert again.status == AdsManagerLink.Status.AUTHORIZED
    with pytest.raises(FlowError):
        ads_manager.send_again(again, alice)  # only a rejected request goes again


def test_a_request_not_sent_from_ads_manager_yet_keeps_waiting_and_can_be_marked_rejected(live_world, alice):
    ad = live_world["ad"]
    link = ads_manager.record_link_request(ad.brand, ad, "demo.creator", alice)
    assert ads_manager.poll_links(ad.pk) == 0
    link.refresh_from_db()
    assert link.status == AdsManagerLink.Status.PENDING and link.seen_waiting_at is None
    ads_manager.mark_link_rejected(link, alice)
    assert link.status == AdsManagerLink.Status.REJECTED and link.decided_by == alice


def test_mark_rejected_asks_for_confirmation(live_world, alice, client_for):
    ad = live_world["ad"]
    ads_manager.record_link_request(ad.brand, ad, "demo.creator", alice)
    page = client_for(alice).get(reverse("sparkads:ads_manager", args=[ad.brand.slug])).content.decode()
    form = page[page.index("/rejected/") :].split(">", 1)[0]
    assert "hx-confirm=" in form and "hx-boost" in form


def test_an_unknown_username_says_so(live_world, alice):
    with pytest.raises(FlowError, match="no TikTok account @nobody.here"):
        ads_manager.record_link_request(live_world["ad"].brand, live_world["ad"], "nobody.here", alice)
    with pytest.raises(FlowError, match="2-24 letters"):
        ads_manager.record_link_request(live_world["ad"].brand, live_world["ad"], "bad name!", alice)


def test_several_accounts_per_ad_account_and_unlinking_stops_their_spark_ads(live_world, control, alice):
    ad = live_world["ad"]
    links = [ads_manager.record_link_request(ad.brand, ad, h, alice) for h in ("demo.creator", "small.creator")]
    for handle in ("demo.creator", "small.creator"):
        req = control(
            "POST", "helpers/ads-manager/link-requests", {"advertiser_id": ad.advertiser_id, "handle": handle}
        )
        control("POST", f"helpers/ads-manager/link-requests/{req['link_request_id']}/approve")
    assert ads_manager.poll_links(ad.pk) == 2
    video = next(c["video_ids"][0] for c in control("GET", "personas")["creators"] if c["handle"] == "demo.creator")
    code = control("POST", "helpers/ad-codes", {"video_id": video, "days": 30})["auth_code"]
    auth = codes.accept_pasted_code(ad.brand, alice, code)
    assert auth.tiktok_name == "demo.creator"

    links[0].refresh_from_db()
    assert ads_manager.unlink(links[0], alice) == 1
    auth.refresh_from_db()
    assert auth.status == SparkAuthorization.Status.UNBOUND and "unlinked" in auth.end_reason
    assert AuditEvent.objects.filter(kind="unlinked").exists()
