"""The role matrix of Spark Ads, Ads Manager links, Business Center and the audit trail
(docs/roles.md), enforced on the server: a POST someone may not make is a 404, like a
foreign brand's object, and changes nothing."""

from __future__ import annotations

import pytest
import responses
from django.urls import reverse

from integrations.models import BackgroundJob, BrandMembership, BusinessCenterGrant, BusinessCenterMember
from sparkads.models import AdsManagerLink, AuditEvent, QrAccessRequest, SparkAuthorization

pytestmark = pytest.mark.django_db
Grant = BusinessCenterGrant


@pytest.fixture
def objects(world, alice, bob):
    """One of everything a POST can act on; alice (owner) is the BC's admin member."""
    brand, bc = world["bc"].brand, world["bc"]
    admin_m = BusinessCenterMember.objects.create(business_center=bc, tiktok_user_id="1", role="ADMIN", user=alice)
    other_m = BusinessCenterMember.objects.create(business_center=bc, tiktok_user_id="3", role="STANDARD")
    grant = Grant.objects.create(
        business_center=bc, asset_type="TT_ACCOUNT", asset_id="900", member=other_m, roles=["POST"]
    )
    auth = SparkAuthorization.objects.create(
        brand=brand,
        video_id="1",
        status="active",
        ad_account=world["ad"],
        item_id="1",
        code_hash="h1",
        fee_amount=10,
        fee_currency="USD",
        payment_status="unpaid",
    )
    link = AdsManagerLink.objects.create(brand=brand, ad_account=world["ad"], username="demo.creator")
    QrAccessRequest.objects.create(brand=brand, business_center=bc, scopes=["pull"], link="http://sandbox.test/q/")
    return {
        "brand": brand,
        "bc": bc,
        "admin_m": admin_m,
        "other_m": other_m,
        "grant": grant,
        "auth": auth,
        "campaign": world["campaign"],
        "link": link,
    }


def _posts(o, bob) -> dict[str, tuple[str, dict]]:
    slug, bc = o["brand"].slug, o["bc"].pk
    link = o["link"].pk
    return {
        "request_permission": (reverse("sparkads:request_permission", args=[slug]), {"post": 1, "days": 30}),
        "paste_code": (reverse("sparkads:paste_code", args=[slug]), {"code": "SOME-CODE"}),
        "extend": (reverse("sparkads:extend", args=[slug, o["auth"].pk]), {"days": 30}),
        "unbind": (reverse("sparkads:unbind", args=[slug, o["auth"].pk]), {}),
        "mark_paid": (reverse("sparkads:mark_paid", args=[slug, o["auth"].pk]), {}),
        "bulk_request": (reverse("sparkads:bulk_request", args=[slug]), {"campaign": o["campaign"].pk, "days": 30}),
        "release_setting": (reverse("sparkads:release_setting", args=[slug]), {"release_after_payment": "on"}),
        "link_request": (reverse("sparkads:link_request", args=[slug]), {"ad_account": 1, "username": "x.y"}),
        "link_check": (reverse("sparkads:link_action", args=[slug, link, "check"]), {}),
        "link_rejected": (reverse("sparkads:link_action", args=[slug, link, "rejected"]), {}),
        "link_unlink": (reverse("sparkads:link_action", args=[slug, link, "unlink"]), {}),
        "link_send_again": (reverse("sparkads:link_action", args=[slug, link, "again"]), {}),
        "bc_sync": (reverse("sparkads:bc_sync", args=[slug, bc]), {}),
        "bc_link_member": (reverse("sparkads:bc_link_member", args=[slug, bc, o["other_m"].pk]), {"user": bob.pk}),
        "bc_request_qr": (reverse("sparkads:bc_request_qr", args=[slug, bc]), {"scopes": ["pull"]}),
        "bc_assign": (
            reverse("sparkads:bc_assign", args=[slug, bc]),
            {"asset": "TT_ACCOUNT:900", "members": [o["other_m"].pk], "roles": ["POST"]},
        ),
        "bc_unassign": (reverse("sparkads:bc_unassign", args=[slug, bc, o["grant"].pk]), {}),
        "promote": (reverse("sparkads:promote", args=[slug, bc]), {"mode": "pull", "grant": 1, "ad_account": 1}),
    }


def _snapshot(o) -> tuple:
    """Everything a forbidden POST could have changed."""
    return (
        AuditEvent.objects.count(),
        SparkAuthorization.objects.count(),
        SparkAuthorization.objects.get(pk=o["auth"].pk).status,
        SparkAuthorization.objects.get(pk=o["auth"].pk).payment_status,
        o["brand"].__class__.objects.get(pk=o["brand"].pk).spark_release_after_payment,
        BackgroundJob.objects.count(),
        list(AdsManagerLink.objects.values_list("status", flat=True)),
        list(BusinessCenterMember.objects.order_by("pk").values_list("user_id", flat=True)),
        list(Grant.objects.order_by("pk").values_list("member_id", "roles")),
        QrAccessRequest.objects.count(),
    )


@pytest.mark.parametrize("name", ["ledger", "ads_manager", "business_center", "audit", "ledger_csv"])
def test_every_spark_ads_page_renders_for_the_owner_and_for_a_plain_member(objects, alice, bob, client, name):
    url = reverse(f"sparkads:{name}", args=[objects["brand"].slug])
    for user in (alice, bob):
        client.force_login(user)
        assert client.get(url).status_code == 200, user


BRAND_MEMBER_FORBIDDEN = [
    "request_permission",
    "paste_code",
    "extend",
    "unbind",
    "mark_paid",
    "bulk_request",
    "release_setting",
    "link_request",
    "link_check",
    "link_rejected",
    "link_unlink",
    "bc_sync",
    "bc_link_member",
    "bc_request_qr",
    "bc_assign",
    "bc_unassign",
    "promote",
]


@pytest.mark.parametrize("name", BRAND_MEMBER_FORBIDDEN)
def test_a_plain_brand_member_gets_a_404_for_every_spark_ads_action_and_nothing_changes(objects, bob, client, name):
    client.force_login(bob)
    url, data = _posts(objects, bob)[name]
    before = _snapshot(objects)
    with responses.RequestsMock():  # no TikTok call may be made: any would fail the test
        assert client.post(url, data).status_code == 404
    assert _snapshot(objects) == before


STANDARD_BC_MEMBER_FORBIDDEN = ["bc_sync", "bc_link_member", "bc_request_qr", "bc_assign", "bc_unassign"]


@pytest.mark.parametrize("name", STANDARD_BC_MEMBER_FORBIDDEN)
def test_a_standard_business_center_member_gets_a_404_for_every_admin_action(objects, bob, client, name):
    BusinessCenterMember.objects.create(business_center=objects["bc"], tiktok_user_id="2", role="STANDARD", user=bob)
    client.force_login(bob)
    url, data = _posts(objects, bob)[name]
    before = _snapshot(objects)
    with responses.RequestsMock():
        assert client.post(url, data).status_code == 404
    assert _snapshot(objects) == before


def test_a_brand_admin_manages_ads_manager_links(objects, user_factory, client):
    admin = user_factory(email="dora@example.test")
    BrandMembership.objects.create(user=admin, brand=objects["brand"], role=BrandMembership.Role.ADMIN)
    client.force_login(admin)
    url, data = _posts(objects, admin)["link_rejected"]
    assert client.post(url, data).status_code == 302
    assert AdsManagerLink.objects.get(pk=objects["link"].pk).status == AdsManagerLink.Status.REJECTED


def test_a_business_center_admin_who_is_a_plain_brand_member_links_members(objects, bob, alice, client):
    BusinessCenterMember.objects.filter(pk=objects["admin_m"].pk).update(user=None)
    BusinessCenterMember.objects.create(business_center=objects["bc"], tiktok_user_id="2", role="ADMIN", user=bob)
    client.force_login(bob)
    url, _ = _posts(objects, bob)["bc_link_member"]
    assert client.post(url, {"user": alice.pk}).status_code == 302
    assert BusinessCenterMember.objects.get(pk=objects["other_m"].pk).user == alice


def _audit_events(o, alice):
    AuditEvent.objects.create(brand=o["brand"], kind="requested", summary="spark request event", actor=alice)
    AuditEvent.objects.create(
        brand=o["brand"], kind="assigned", summary="bc assignment event", actor=alice, business_center=o["bc"]
    )


def test_the_audit_trail_shows_a_plain_member_everything_but_business_center_events(objects, alice, bob, client):
    _audit_events(objects, alice)
    url = reverse("sparkads:audit", args=[objects["brand"].slug])
    client.force_login(bob)
    page = client.get(url).content.decode()
    assert "spark request event" in page and "bc assignment event" not in page
    export = b"".join(client.get(url, {"format": "csv"}).streaming_content).decode()
    assert "spark request event" in export and "bc assignment event" not in export


def test_business_center_events_are_shown_to_its_admins_and_to_brand_owners(objects, alice, bob, client):
    _audit_events(objects, alice)
    url = reverse("sparkads:audit", args=[objects["brand"].slug])
    client.force_login(alice)  # the brand's owner
    assert "bc assignment event" in client.get(url).content.decode()
    BusinessCenterMember.objects.create(business_center=objects["bc"], tiktok_user_id="2", role="ADMIN", user=bob)
    client.force_login(bob)  # a plain brand member who is the BC's admin
    assert "bc assignment event" in client.get(url).content.decode()
