"""Pages: the Business Center role matrix, tenant isolation, CSRF, query counts, audit export."""

from __future__ import annotations

from datetime import timedelta

import pytest
import responses
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from integrations.models import BusinessCenterGrant, BusinessCenterMember, CampaignPost, TikTokAccount
from sparkads.models import AuditEvent, QrAccessRequest, SparkAuthorization

pytestmark = pytest.mark.django_db
Grant = BusinessCenterGrant


@pytest.fixture
def bc_setup(world, alice, bob):
    """alice is the BC admin, bob a standard member; two authorized accounts, one assigned to bob."""
    bc = world["bc"]
    admin = BusinessCenterMember.objects.create(business_center=bc, tiktok_user_id="1", role="ADMIN", user=alice)
    standard = BusinessCenterMember.objects.create(business_center=bc, tiktok_user_id="2", role="STANDARD", user=bob)
    grants = []
    for n, handle in enumerate(["assigned.one", "hidden.two"]):
        account = TikTokAccount.objects.create(handle=handle)
        grants.append(
            Grant.objects.create(
                business_center=bc,
                asset_type="TT_ACCOUNT",
                asset_id=f"90{n}",
                tiktok_account=account,
                scopes=["pull"],
                granted_at=timezone.now(),
            )
        )
    Grant.objects.create(business_center=bc, asset_type="TT_ACCOUNT", asset_id="900", member=standard, roles=["POST"])
    qr = QrAccessRequest.objects.create(
        brand=bc.brand, business_center=bc, scopes=["pull"], link="http://sandbox.test/sandbox/bc-auth/secret-qr-token/"
    )
    return {"bc": bc, "admin": admin, "standard": standard, "grants": grants, "qr": qr}


def _urls(bc, qr, grant_pk):
    slug = bc.brand.slug
    return {
        "page": ("get", reverse("sparkads:business_center", args=[slug]) + f"?bc={bc.pk}"),
        "approvals": ("get", reverse("sparkads:bc_approvals", args=[slug, bc.pk])),
        "qr": ("post", reverse("sparkads:bc_request_qr", args=[slug, bc.pk])),
        "qr_png": ("get", reverse("sparkads:bc_qr_png", args=[slug, bc.pk, qr.pk])),
        "assign": ("post", reverse("sparkads:bc_assign", args=[slug, bc.pk])),
        "unassign": ("post", reverse("sparkads:bc_unassign", args=[slug, bc.pk, grant_pk])),
        "promote": ("get", reverse("sparkads:promote", args=[slug, bc.pk])),
    }


@pytest.fixture
def mocked_unassign(settings):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.post(
            f"{settings.TIKTOK_BUSINESS_API_BASE_URL}/open_api/v1.3/bc/asset/unassign/",
            json={"code": 0, "message": "OK", "request_id": "r1", "data": {}},
        )
        yield rsps


# who → url → expected status. 302 = the action ran (or was refused with a message) and redirected.
ROLE_MATRIX = [
    ("admin", "page", 200),
    ("standard", "page", 200),
    ("outsider", "page", 404),
    ("admin", "qr_png", 200),
    ("standard", "qr_png", 404),
    ("outsider", "qr_png", 404),
    ("admin", "qr", 302),
    ("standard", "qr", 404),
    ("outsider", "qr", 404),
    ("admin", "assign", 302),
    ("standard", "assign", 404),
    ("outsider", "assign", 404),
    ("admin", "unassign", 302),
    ("standard", "unassign", 404),
    ("outsider", "unassign", 404),
    ("standard", "promote", 200),
    ("outsider", "promote", 404),
]


@pytest.mark.parametrize(("who", "name", "expected"), ROLE_MATRIX)
def test_the_business_center_role_matrix_is_enforced_on_the_server(
    bc_setup, alice, bob, charlie, other_brand, client, who, name, expected, mocked_unassign
):
    user = {"admin": alice, "standard": bob, "outsider": charlie}[who]
    client.force_login(user)
    unassign_pk = Grant.objects.get(member=bc_setup["standard"]).pk
    method, url = _urls(bc_setup["bc"], bc_setup["qr"], unassign_pk)[name]
    response = (
        getattr(client, method)(url, HTTP_HX_REQUEST="true") if name == "approvals" else getattr(client, method)(url)
    )
    assert response.status_code == expected
    if expected == 404:
        assert b"hidden.two" not in response.content and b"assigned.one" not in response.content


def test_admins_see_every_authorized_account_and_standard_members_only_theirs(bc_setup, alice, bob, client):
    url = reverse("sparkads:business_center", args=[bc_setup["bc"].brand.slug])
    client.force_login(alice)
    page = client.get(url).content.decode()
    assert "@assigned.one" in page and "@hidden.two" in page and "2 of 200" in page
    client.force_login(bob)
    page = client.get(url).content.decode()
    assert "@assigned.one" in page and "@hidden.two" not in page and "Request TikTok Account" not in page
    assert "Admin or Operator access to an ad account" in page  # exactly what is missing to promote


def test_assignments_show_roles_in_words_not_tiktoks_values(bc_setup, alice, client):
    BusinessCenterGrant.objects.filter(member=bc_setup["standard"]).update(roles=["POST", "DIRECT_MESSAGE"])
    client.force_login(alice)
    page = client.get(
        reverse("sparkads:business_center", args=[bc_setup["bc"].brand.slug]) + f"?bc={bc_setup['bc'].pk}"
    ).content.decode()
    assert "Post, Direct message" in page and "DIRECT_MESSAGE</td>" not in page
    assert "(STANDARD)" not in page and "(standard)" in page


def test_a_role_tiktok_does_not_offer_is_refused(bc_setup, alice, client):
    client.force_login(alice)
    url = reverse("sparkads:bc_assign", args=[bc_setup["bc"].brand.slug, bc_setup["bc"].pk])
    response = client.post(
        url, {"asset": "TT_ACCOUNT:900", "members": [bc_setup["standard"].pk], "roles": ["ADMIN"]}, follow=True
    )
    assert "TikTok offers only these roles here: Post, LIVE, Direct message" in response.content.decode()
    assert not AuditEvent.objects.filter(kind="assigned").exists()


def test_posts_without_a_csrf_token_are_refused(bc_setup, alice, world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    slug = world["bc"].brand.slug
    for url in (
        reverse("sparkads:bc_request_qr", args=[slug, world["bc"].pk]),
        reverse("sparkads:request_permission", args=[slug]),
        reverse("sparkads:paste_code", args=[slug]),
    ):
        assert client.post(url, {"code": "x"}).status_code == 403


def test_every_brand_page_is_a_404_for_an_outsider(world, charlie, other_brand, client):
    client.force_login(charlie)
    slug = world["bc"].brand.slug
    auth = SparkAuthorization.objects.create(
        brand=world["bc"].brand, video_id="1", status="active", ad_account=world["ad"], item_id="1"
    )
    for name, args in [
        ("ledger", []),
        ("ads_manager", []),
        ("business_center", []),
        ("audit", []),
        ("extend", [auth.pk]),
        ("unbind", [auth.pk]),
    ]:
        url = reverse(f"sparkads:{name}", args=[slug, *args])
        method = client.post if name in ("extend", "unbind") else client.get
        assert method(url).status_code == 404, name


def test_a_plain_brand_member_cannot_request_or_unbind(world, bob, client):
    client.force_login(bob)
    slug = world["bc"].brand.slug
    assert (
        client.post(
            reverse("sparkads:request_permission", args=[slug]), {"post": world["post"].pk, "days": 30}
        ).status_code
        == 404
    )


def _ledger_rows(world, n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        SparkAuthorization.objects.create(
            brand=world["bc"].brand,
            post=world["post"],
            video_id=world["post"].video_id,
            status="active",
            ad_account=world["ad"],
            tiktok_account=world["account"],
            item_id=str(i),
            code_hash=f"h{i}",
            auth_start=timezone.now(),
            auth_end=timezone.now() + timedelta(days=30),
            num_remaining_request=max(0, 30 - i),
        )


@pytest.mark.parametrize("name", ["ledger", "audit"])
def test_page_query_counts_do_not_grow_with_rows(world, alice, client, django_assert_max_num_queries, name):
    client.force_login(alice)
    url = reverse(f"sparkads:{name}", args=[world["bc"].brand.slug])
    counts = []
    for batch in (3, 12):
        _ledger_rows(world, batch, start=len(counts) * 100)
        for i in range(batch):
            AuditEvent.objects.create(
                brand=world["bc"].brand,
                kind="applied",
                summary=f"row {i}",
                actor=alice,
                ad_account=world["ad"],
                tiktok_account=world["account"],
            )
        with django_assert_max_num_queries(25) as captured:
            assert client.get(url).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]


def test_the_audit_page_filters_and_exports_csv_without_codes_or_tokens(bc_setup, world, alice, client):
    brand = world["bc"].brand
    auth = SparkAuthorization(brand=brand, video_id="77", status="active")
    auth.set_code("SECRET-AUTH-CODE-123")
    auth.save()
    AuditEvent.objects.create(
        brand=brand, kind="applied", summary="Video 77 authorized", actor=alice, authorization=auth
    )
    AuditEvent.objects.create(brand=brand, kind="qr_generated", summary="QR code made", actor=alice)
    client.force_login(alice)
    url = reverse("sparkads:audit", args=[brand.slug])
    page = client.get(url, {"kind": "applied"}).content.decode()
    assert "Video 77 authorized" in page and "QR code made" not in page
    csv_text = b"".join(client.get(url, {"format": "csv"}).streaming_content).decode()
    assert "Video 77 authorized" in csv_text and "QR code made" in csv_text
    for secret in ("SECRET-AUTH-CODE-123", world["cred"].access_token, "secret-qr-token"):
        assert secret not in csv_text and secret not in page


def test_the_ledger_shows_posts_by_caption_and_cover_without_a_query_per_post(
    world, alice, client, django_assert_max_num_queries
):
    client.force_login(alice)
    url = reverse("sparkads:ledger", args=[world["bc"].brand.slug])
    counts = []
    for n in (2, 8):
        for i in range(n):
            post = CampaignPost.objects.create(
                campaign=world["campaign"],
                tiktok_account=world["account"],
                video_id=f"77{n:02d}{i:015d}",
                link_status=CampaignPost.LinkStatus.APPROVE,
                caption=f"Spring look {n}-{i} #ad",
                thumbnail_url=f"https://p16-sign.tiktokcdn.com/cover/77{n:02d}{i:015d}.jpeg",
            )
            SparkAuthorization.objects.create(
                brand=world["bc"].brand, post=post, video_id=post.video_id, status="requested", code_hash=f"c{n}{i}"
            )
        with django_assert_max_num_queries(25) as captured:
            html = client.get(url).content.decode()
        counts.append(len(captured))
    assert counts[0] == counts[1]
    assert (
        "Spring look 8-7 #ad" in html and 'src="https://p16-sign.tiktokcdn.com/cover/7708000000000000007.jpeg"' in html
    )


def test_a_rejected_link_offers_send_again_only_while_no_newer_request_for_that_username_is_open(world, alice, client):
    from sparkads.models import AdsManagerLink

    old = AdsManagerLink.objects.create(
        brand=world["ad"].brand, ad_account=world["ad"], username="market.star", status=AdsManagerLink.Status.REJECTED
    )
    url = reverse("sparkads:ads_manager", args=[world["ad"].brand.slug])
    again = reverse("sparkads:link_action", args=[world["ad"].brand.slug, old.pk, "again"])
    client.force_login(alice)
    assert again in client.get(url).content.decode()

    AdsManagerLink.objects.create(brand=world["ad"].brand, ad_account=world["ad"], username="market.star")
    page = client.get(url).content.decode()
    assert again not in page
    assert "A newer request to @market.star is open" in page
