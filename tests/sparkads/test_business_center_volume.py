"""The Business Center page at volume: its approved accounts, its assignments and its members
are each a page with its own plain links, in the same queries at 10 and 1,000 of each."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from integrations.models import AdAccount, BusinessCenter, BusinessCenterGrant, BusinessCenterMember, TikTokAccount

pytestmark = pytest.mark.django_db
Grant = BusinessCenterGrant
# What the page reads besides its lists (session, user, brand, navigation, the BC and the
# signed-in member, the approved count, the QR code, the promote check, the brand's people) and
# a count and a page for each of its three lists and of the assign form's three pickers.
BC_PAGE_QUERIES = 26


def crowd(world, alice, n: int) -> None:
    """alice administers the BC; n more members, n approved TikTok accounts, each assigned to
    one of the members."""
    bc, now = world["bc"], timezone.now()
    BusinessCenterMember.objects.create(business_center=bc, tiktok_user_id="admin", role="ADMIN", user=alice)
    members = BusinessCenterMember.objects.bulk_create(
        BusinessCenterMember(business_center=bc, tiktok_user_id=f"m{i}", user_name=f"crowd member {i:05d}")
        for i in range(n)
    )
    accounts = TikTokAccount.objects.bulk_create(TikTokAccount(handle=f"bc.crowd{i:05d}") for i in range(n))
    Grant.objects.bulk_create(
        Grant(business_center=bc, asset_type="TT_ACCOUNT", asset_id=f"95{i:05d}", tiktok_account=a, scopes=["pull"],
              granted_at=now)
        for i, a in enumerate(accounts)
    )  # fmt: skip
    Grant.objects.bulk_create(
        Grant(business_center=bc, asset_type="TT_ACCOUNT", asset_id=f"95{i:05d}", tiktok_account=a, member=m,
              roles=["POST"])
        for i, (a, m) in enumerate(zip(accounts, members, strict=True))
    )  # fmt: skip


def _section(html: str, start: str, end: str) -> str:
    return html.split(start, 1)[1].split(end, 1)[0]


@pytest.mark.parametrize("size", [10, 1000])
def test_the_business_center_page_makes_the_same_queries_at_10_and_1000_accounts_and_members(
    world, alice, client, django_assert_num_queries, size
):
    crowd(world, alice, size)
    client.force_login(alice)
    url = reverse("sparkads:business_center", args=[world["bc"].brand.slug])
    client.get(url)  # the session's first read
    with django_assert_num_queries(BC_PAGE_QUERIES):
        html = client.get(url).content.decode()
    accounts = _section(html, 'id="approvals"', "</table>")
    assignments = _section(html, 'id="assign"', "</table>").split("<table>", 1)[1]
    members = _section(html, "<h3>Members</h3>", "</table>")
    assert accounts.count("<td>@bc.crowd") == min(size, 25)
    assert assignments.count("<td>@bc.crowd") == min(size, 25)
    assert members.count("<tr><td>") == min(size + 1, 25)  # alice, the admin, and the crowd
    assign_form = _section(html, 'id="assign"', "<table>")
    assert _section(assign_form, 'name="asset"', "</select>").count("@bc.crowd") == min(size, 25)
    assert assign_form.count('name="members"') == min(size + 1, 25)


def test_each_business_center_list_pages_with_its_own_links_and_the_live_count_keeps_them(world, alice, client):
    crowd(world, alice, 30)
    client.force_login(alice)
    url = reverse("sparkads:business_center", args=[world["bc"].brand.slug])
    html = client.get(url, {"accounts_page": "2", "assignments_page": "2"}).content.decode()
    accounts = _section(html, 'id="approvals"', "</table>")
    assert accounts.count("<td>@bc.crowd") == 5 and "@bc.crowd00029" in accounts
    assert "?accounts_page=2&amp;assignments_page=2" in html.split('id="approvals"', 1)[1].split(">", 1)[0]
    assert 'href="?accounts_page=2&amp;assignments_page=2&amp;members_page=2"' in html
    # The assign form offers a page of the approved accounts and one of the members, each with its links.
    assert _section(html, 'name="asset"', "</select>").count("@bc.crowd") == 25
    assert "assign_accounts_page=2" in html and "assign_members_page=2" in html

    fragment = client.get(
        reverse("sparkads:bc_approvals", args=[world["bc"].brand.slug, world["bc"].pk]),
        {"accounts_page": "2"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="approvals",
    ).content.decode()
    assert fragment.count("<td>@bc.crowd") == 5 and "Page 2 of 2" in fragment


def test_an_admin_finds_the_account_and_the_members_to_assign_by_name(world, alice, client):
    crowd(world, alice, 1000)
    client.force_login(alice)
    url = reverse("sparkads:business_center", args=[world["bc"].brand.slug])
    html = client.get(url, {"assign_q": "crowd00987"}).content.decode()
    assign_form = _section(html, 'id="assign"', "<table>")
    assert _section(assign_form, 'name="asset"', "</select>").count("@bc.crowd") == 1
    assert "@bc.crowd00987" in assign_form

    html = client.get(url, {"assign_q": "crowd member 0098"}).content.decode()
    assign_form = _section(html, 'id="assign"', "<table>")
    assert assign_form.count('name="members"') == 10  # 00980 to 00989
    assert _section(assign_form, 'name="asset"', "</select>").count("@bc.crowd") == 0


def test_a_member_of_another_business_center_is_no_choice_in_the_assign_form(world, alice, client):
    crowd(world, alice, 5)
    picked = BusinessCenterMember.objects.get(business_center=world["bc"], tiktok_user_id="m3")
    client.force_login(alice)
    url = reverse("sparkads:bc_assign", args=[world["bc"].brand.slug, world["bc"].pk])
    other_bc_member = BusinessCenterMember.objects.create(
        business_center=BusinessCenter.objects.create(brand=world["bc"].brand, bc_id="other-bc"), tiktok_user_id="x"
    )
    response = client.post(
        url, {"asset": "TT_ACCOUNT:9500003", "members": [str(picked.pk), str(other_bc_member.pk)], "roles": ["POST"]}
    )
    assert response.status_code == 302
    # Another BC's member is no choice here: nothing is assigned.
    assert not Grant.objects.filter(member=other_bc_member).exists()


# Session, user, the brand and its role, the BC and the signed-in member, the navigation's two, whether an
# account and an ad account are there to promote with, and a count and a page of each.
PROMOTE_PAGE_QUERIES = 14


@pytest.mark.parametrize("size", [10, 1000])
def test_the_promote_page_offers_a_page_of_the_accounts_in_the_same_queries_at_10_and_1000(
    world, alice, client, django_assert_num_queries, size
):
    crowd(world, alice, size)
    AdAccount.objects.filter(pk=world["ad"].pk).update(owner_bc=world["bc"])
    client.force_login(alice)
    url = reverse("sparkads:promote", args=[world["bc"].brand.slug, world["bc"].pk])
    client.get(url)  # the session's first read
    with django_assert_num_queries(PROMOTE_PAGE_QUERIES):
        html = client.get(url).content.decode()
    assert _section(html, 'name="grant"', "</select>").count("@bc.crowd") == min(size, 25)

    html = client.get(url, {"q": "crowd00007"}).content.decode()
    assert _section(html, 'name="grant"', "</select>").count("@bc.crowd") == 1
