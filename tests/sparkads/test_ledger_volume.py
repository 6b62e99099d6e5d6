"""The Spark Ads page at volume: the ledger is a paged, filtered table whose size and query
count do not grow with the brand's authorizations, and requesting codes starts from one
campaign's posts, a page at a time."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from integrations.models import Campaign, CampaignPost, TikTokAccount
from sparkads.models import AuditEvent, SparkAd, SparkAuthorization

pytestmark = pytest.mark.django_db
Status = SparkAuthorization.Status
HTMX = {"HTTP_HX_REQUEST": "true"}
# The full page: session and user, the brand and its role, the navigation's two, the ledger's
# count and page, the capability, the campaigns both forms list (read once), the default campaign, the
# posts' count and page, the last bulk request, the page's open extension proposals, the
# page's ads (each with its part of the spend at risk, the flagged ones among them).
LEDGER_PAGE_QUERIES = 17
# The ledger's own refresh: session, user, brand, role, the navigation's two, count and page,
# the page's open extension proposals, the page's ads.
LEDGER_FRAGMENT_QUERIES = 10


def bulk_ledger(world, n: int, *, campaign=None, prefix: str = "v") -> list[SparkAuthorization]:
    """n authorizations, each for its own creator's linked post in one campaign, built in bulk:
    active, requested and expired in turn, their windows ending 1 to 90 days from now."""
    brand = world["bc"].brand
    campaign = campaign or world["campaign"]
    accounts = TikTokAccount.objects.bulk_create([TikTokAccount(handle=f"{prefix}creator{i:05d}") for i in range(n)])
    posts = CampaignPost.objects.bulk_create(
        [
            CampaignPost(
                campaign=campaign,
                tiktok_account=a,
                video_id=f"{prefix}77{i:015d}",
                link_status=CampaignPost.LinkStatus.APPROVE,
                caption=f"Caption {prefix}{i}",
            )
            for i, a in enumerate(accounts)
        ]
    )
    now = timezone.now()
    statuses = [Status.ACTIVE, Status.REQUESTED, Status.EXPIRED]
    rows = SparkAuthorization.objects.bulk_create(
        [
            SparkAuthorization(
                brand=brand,
                post=p,
                tiktok_account=p.tiktok_account,
                ad_account=world["ad"],
                video_id=p.video_id,
                status=statuses[i % 3],
                item_id=f"{prefix}{i}",
                code_hash=f"{prefix}h{i}",
                auth_start=now,
                auth_end=now + timedelta(days=1 + i % 90, hours=12),
                requested_at=now - timedelta(minutes=i),
            )
            for i, p in enumerate(posts)
        ]
    )
    # Each row feeds one delivering ad; row i's spends (i % 50 + 1).25 a day.
    SparkAd.objects.bulk_create(
        SparkAd(
            brand=brand,
            ad_account=world["ad"],
            authorization=row,
            ad_id=f"{prefix}ad{i}",
            ad_name=f"Ad {prefix}{i}",
            tiktok_item_id=row.item_id,
            identity_type="AUTH_CODE",
            operation_status="ENABLE",
            secondary_status="AD_STATUS_DELIVERY_OK",
            currency="USD",
            daily_spend=Decimal(f"{i % 50 + 1}.25"),
        )
        for i, row in enumerate(rows)
    )
    return rows


def ledger_url(world) -> str:
    return reverse("sparkads:ledger", args=[world["bc"].brand.slug])


def ledger_videos(html: str, rows: list[SparkAuthorization]) -> set[str]:
    return {r.video_id for r in rows if f">{r.video_id}<" in html.split('id="ledger"', 1)[1]}


def test_the_ledger_of_a_brand_with_1000_authorizations_is_one_page_under_100_kb(world, alice, client):
    rows = bulk_ledger(world, 1000)
    client.force_login(alice)
    html = client.get(ledger_url(world)).content
    assert len(html) < 100_000
    page = html.decode()
    assert "1,000 authorizations" in page and "Page 1 of 40" in page
    # The newest 25, newest first.
    assert ledger_videos(page, rows) == {r.video_id for r in rows[:25]}


@pytest.mark.parametrize("size", [10, 1000])
def test_the_spark_ads_page_makes_the_same_queries_at_10_and_1000_authorizations(
    world, alice, client, django_assert_num_queries, size
):
    bulk_ledger(world, size)
    client.force_login(alice)
    with django_assert_num_queries(LEDGER_PAGE_QUERIES):
        assert client.get(ledger_url(world)).status_code == 200


@pytest.mark.parametrize("size", [10, 1000])
def test_the_ledger_refresh_makes_the_same_queries_at_10_and_1000_authorizations(
    world, alice, client, django_assert_num_queries, size
):
    bulk_ledger(world, size)
    client.force_login(alice)
    with django_assert_num_queries(LEDGER_FRAGMENT_QUERIES):
        html = client.get(ledger_url(world), {"status": "active", "page": "2"}, HTTP_HX_TARGET="ledger", **HTMX)
    assert html.content.decode().lstrip().startswith('<div id="ledger"')


def test_the_next_page_is_a_plain_link_that_keeps_the_filters(world, alice, client):
    rows = bulk_ledger(world, 90)
    client.force_login(alice)
    first = client.get(ledger_url(world), {"status": "active"}).content.decode()
    assert 'href="?status=active&amp;page=2"' in first and "30 authorizations match" in first
    second = client.get(ledger_url(world), {"status": "active", "page": "2"}).content.decode()
    active = [r for r in rows if r.status == Status.ACTIVE]
    assert ledger_videos(second, rows) == {r.video_id for r in active[25:]}
    assert 'href="?status=active&amp;page=1"' in second and "Page 2 of 2" in second


def test_an_htmx_filter_gets_the_ledger_fragment_alone(world, alice, client):
    bulk_ledger(world, 6)
    client.force_login(alice)
    html = client.get(ledger_url(world), {"status": "requested"}, HTTP_HX_TARGET="ledger", **HTMX).content.decode()
    assert "<h1>" not in html and "Request permission" not in html
    assert "2 authorizations match" in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"status": "expired"}, {2, 5, 8, 11}),
        ({"creator": "@vcreator00004"}, {4}),
        ({"creator": "CREATOR0000"}, set(range(10))),
        # Windows end 1 day 12 h + i days out; expired and requested rows never count as ending.
        ({"expiring_within": "7"}, {0, 3}),
        ({"expiring_within": "7", "status": "requested"}, set()),
    ],
)
def test_the_ledger_filters_by_status_creator_and_end_of_window(world, alice, client, query, expected):
    rows = bulk_ledger(world, 12)
    client.force_login(alice)
    html = client.get(ledger_url(world), query).content.decode()
    assert ledger_videos(html, rows) == {rows[i].video_id for i in expected}


def test_the_ledger_filters_by_campaign_and_refuses_another_brands(world, alice, client, other_brand):
    spring = bulk_ledger(world, 3)
    autumn = Campaign.objects.create(brand=world["bc"].brand, name="Autumn")
    fall = bulk_ledger(world, 2, campaign=autumn, prefix="a")
    theirs = Campaign.objects.create(brand=other_brand, name="Theirs")
    client.force_login(alice)
    html = client.get(ledger_url(world), {"campaign": autumn.pk}).content.decode()
    assert ledger_videos(html, spring + fall) == {r.video_id for r in fall}
    html = client.get(ledger_url(world), {"campaign": theirs.pk}).content.decode()
    assert "Theirs" not in html and "Select a valid choice" not in html
    # An invalid filter filters nothing rather than failing the page.
    assert ledger_videos(html, spring + fall) == {r.video_id for r in spring + fall}


def _posts_section(html: str) -> str:
    return html.split('id="campaign-posts"', 1)[1].split('id="ledger-card"', 1)[0]


def test_requesting_codes_starts_from_one_campaign_not_every_campaigns_posts(world, alice, client):
    spring = bulk_ledger(world, 3)
    autumn = Campaign.objects.create(brand=world["bc"].brand, name="Autumn")
    fall = bulk_ledger(world, 2, campaign=autumn, prefix="a")
    client.force_login(alice)
    # Before a choice: the newest campaign with linked posts.
    section = _posts_section(client.get(ledger_url(world)).content.decode())
    assert all(r.video_id in section for r in fall) and not any(r.video_id in section for r in spring)
    assert f'name="campaign" value="{autumn.pk}"' in section
    section = _posts_section(client.get(ledger_url(world), {"posts-campaign": world["campaign"].pk}).content.decode())
    assert all(r.video_id in section for r in spring) and not any(r.video_id in section for r in fall)


def test_a_campaigns_posts_come_a_page_at_a_time_and_filter_by_creator(world, alice, client):
    rows = bulk_ledger(world, 60)
    client.force_login(alice)
    query = {"posts-campaign": world["campaign"].pk, "posts-page": "3", "status": "active"}
    html = client.get(ledger_url(world), query, HTTP_HX_TARGET="campaign-posts", **HTMX).content.decode()
    assert html.lstrip().startswith('<div id="campaign-posts"') and 'id="ledger"' not in html
    # 61 posts (the world's own first), by id: the third page holds the last 11.
    assert "Page 3 of 3" in html and rows[-1].video_id in html and rows[-12].video_id not in html
    assert f"?posts-campaign={world['campaign'].pk}&amp;posts-page=2&amp;status=active" in html
    html = client.get(ledger_url(world), {"posts-campaign": world["campaign"].pk, "posts-creator": "creator00059"})
    section = _posts_section(html.content.decode())
    assert rows[-1].video_id in section and rows[-2].video_id not in section


def test_a_campaign_of_another_brand_shows_no_posts(world, alice, client, other_brand):
    theirs = Campaign.objects.create(brand=other_brand, name="Theirs")
    account = TikTokAccount.objects.create(handle="their.creator")
    CampaignPost.objects.create(
        campaign=theirs, tiktok_account=account, video_id="7799", link_status=CampaignPost.LinkStatus.APPROVE
    )
    client.force_login(alice)
    section = _posts_section(client.get(ledger_url(world), {"posts-campaign": theirs.pk}).content.decode())
    assert "7799" not in section and "Pick a campaign" in section


# --- the audit trail ------------------------------------------------------------------------

# Session, user, brand, role, the navigation's two, the count and the page.
AUDIT_QUERIES = 8


def bulk_audit(world, actor, n: int, *, kind: str = "applied") -> list[AuditEvent]:
    now = timezone.now()
    return AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                brand=world["bc"].brand,
                kind=kind,
                summary=f"Event {kind} {i:05d}",
                actor=actor,
                ad_account=world["ad"],
                tiktok_account=world["account"],
                created_at=now - timedelta(minutes=i),
            )
            for i in range(n)
        ]
    )


def audit_url(world) -> str:
    return reverse("sparkads:audit", args=[world["bc"].brand.slug])


@pytest.mark.parametrize("size", [10, 1000])
def test_the_audit_trail_makes_the_same_queries_at_10_and_1000_events(
    world, alice, client, django_assert_num_queries, size
):
    bulk_audit(world, alice, size)
    client.force_login(alice)
    with django_assert_num_queries(AUDIT_QUERIES):
        html = client.get(audit_url(world)).content.decode()
    assert html.count("Event applied ") == min(size, 25)


def test_the_audit_trail_pages_its_filtered_events_with_plain_links(world, alice, client):
    bulk_audit(world, alice, 30, kind="applied")
    bulk_audit(world, alice, 40, kind="unbound")
    client.force_login(alice)
    first = client.get(audit_url(world), {"kind": "unbound"}).content.decode()
    assert "40 events" in first and "Event applied" not in first
    assert "Event unbound 00000" in first and "Event unbound 00025" not in first
    assert 'href="?kind=unbound&amp;page=2"' in first
    second = client.get(audit_url(world), {"kind": "unbound", "page": "2"}, HTTP_HX_TARGET="events", **HTMX)
    html = second.content.decode()
    assert html.lstrip().startswith('<div class="card" id="events"') and "<h1>" not in html
    assert "Event unbound 00025" in html and "Event unbound 00039" in html and "Event unbound 00024" not in html
    assert "Page 2 of 2" in html and "format=csv" in html and "kind=unbound" in html
