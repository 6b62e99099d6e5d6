"""The Ads Manager link list at volume: paged, filtered by status, the same queries at 10 and
1,000 link requests."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from sparkads.models import AdsManagerLink

pytestmark = pytest.mark.django_db
Status = AdsManagerLink.Status
# Session, user, brand, role, the navigation's two, the ad accounts, the count and the page.
ADS_MANAGER_QUERIES = 9


def bulk_links(world, n: int) -> list[AdsManagerLink]:
    """n link requests, authorized and rejected in turn (rejected ones never block each other)."""
    now = timezone.now()
    return AdsManagerLink.objects.bulk_create(
        [
            AdsManagerLink(
                brand=world["bc"].brand,
                ad_account=world["ad"],
                username=f"linked.{i:05d}",
                status=Status.AUTHORIZED if i % 2 else Status.REJECTED,
                requested_at=now - timedelta(minutes=i),
            )
            for i in range(n)
        ]
    )


def page_url(world) -> str:
    return reverse("sparkads:ads_manager", args=[world["bc"].brand.slug])


@pytest.mark.parametrize("size", [10, 1000])
def test_the_ads_manager_page_makes_the_same_queries_at_10_and_1000_links(
    world, alice, client, django_assert_num_queries, size
):
    bulk_links(world, size)
    client.force_login(alice)
    with django_assert_num_queries(ADS_MANAGER_QUERIES):
        html = client.get(page_url(world)).content.decode()
    assert html.count("<td>@linked.") == min(size, 25)


def test_the_ads_manager_links_filter_by_status_and_page_with_plain_links(world, alice, client):
    bulk_links(world, 60)
    client.force_login(alice)
    html = client.get(page_url(world), {"status": "authorized"}).content.decode()
    assert "30 link requests" in html and "@linked.00001<" in html and "@linked.00000<" not in html
    assert 'href="?status=authorized&amp;page=2"' in html
    fragment = client.get(
        page_url(world), {"status": "authorized", "page": "2"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="links"
    ).content.decode()
    assert fragment.lstrip().startswith('<div id="links"') and "Record request" not in fragment
    assert "@linked.00059<" in fragment and "@linked.00049<" not in fragment and "Page 2 of 2" in fragment
