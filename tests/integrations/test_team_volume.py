"""The team page at volume: the people in a brand and its open invitations are each a page,
with its own plain links, in the same queries at 10 and 1,000 of each."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from integrations.models import BrandInvitation, BrandMembership

pytestmark = pytest.mark.django_db
Role = BrandMembership.Role
# Session, user, brand, role, the grantable roles, the navigation's two, each list's count
# and page.
TEAM_PAGE_QUERIES = 10


def crowd(brand, inviter, n: int) -> None:
    """n members and n open invitations, made in bulk."""
    now = timezone.now()
    users = get_user_model().objects.bulk_create(
        get_user_model()(username=f"crowd{i:05d}", email=f"crowd{i:05d}@example.test") for i in range(n)
    )
    BrandMembership.objects.bulk_create(BrandMembership(brand=brand, user=u, role=Role.MEMBER) for u in users)
    BrandInvitation.objects.bulk_create(
        BrandInvitation(brand=brand, email=f"invited{i:05d}@example.test", role=Role.MEMBER, invited_by=inviter,
                        token_hash=f"{i:064d}", sent_at=now, expires_at=now + timedelta(days=7))
        for i in range(n)
    )  # fmt: skip


def _section(html: str, name: str) -> str:
    return html.split(f'id="{name}"', 1)[1].split("</section>", 1)[0]


@pytest.mark.parametrize("size", [10, 1000])
def test_the_team_page_makes_the_same_queries_at_10_and_1000_people_and_invitations(
    client, brand, alice, django_assert_num_queries, size
):
    crowd(brand, alice, size)
    client.force_login(alice)
    url = reverse("integrations:team", args=[brand.slug])
    client.get(url)  # the session's first read
    with django_assert_num_queries(TEAM_PAGE_QUERIES):
        html = client.get(url).content.decode()
    people = BrandMembership.objects.filter(brand=brand).count()
    assert _section(html, "members").count("@example.test</td>") == min(people, 25)
    assert _section(html, "invitations").count('<tr id="invitation-') == min(size, 25)
    assert len(html) < 100_000


def test_the_people_and_the_invitations_page_with_their_own_plain_links(client, brand, alice):
    crowd(brand, alice, 60)
    client.force_login(alice)
    url = reverse("integrations:team", args=[brand.slug])
    html = client.get(url, {"page": "3", "invitations_page": "2"}).content.decode()
    members, invitations = _section(html, "members"), _section(html, "invitations")
    people = BrandMembership.objects.filter(brand=brand).count()  # 60 and the brand's own
    assert "Page 3 of 3" in members and members.count("@example.test</td>") == people - 50
    assert "Page 2 of 3" in invitations and "invited00025@" in invitations and "invited00024@" not in invitations
    assert 'href="?page=3&amp;invitations_page=3"' in invitations
