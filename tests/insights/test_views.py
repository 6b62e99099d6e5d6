from __future__ import annotations

import csv
import io
import json
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from integrations.insights import report
from integrations.insights.tasks import poll_campaign_report
from integrations.models import AdAccount, Campaign
from integrations.tiktok import webhooks

from .conftest import build_campaign_data

pytestmark = pytest.mark.django_db


def _urls(campaign, post):
    slug = campaign.brand.slug
    return [
        reverse("integrations:insights", args=[slug]),
        reverse("integrations:insights_campaign", args=[slug, campaign.pk]),
        reverse("integrations:insights_export", args=[slug, campaign.pk]),
        reverse("integrations:insights_post", args=[slug, post.pk]),
    ]


def test_members_see_every_page(campaign, client_for, bob):
    post = build_campaign_data(campaign, posts=3, days=4)[0]
    client = client_for(bob)
    for url in _urls(campaign, post):
        assert client.get(url).status_code == 200, url
    fragment = client.get(_urls(campaign, post)[1], headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and b'id="posts-table"' in fragment.content and b"<html" not in fragment.content


def test_outsiders_get_404_on_every_page_and_fragment(campaign, client_for, charlie, other_brand):
    post = build_campaign_data(campaign, posts=2, days=2)[0]
    client = client_for(charlie)
    for url in _urls(campaign, post):
        assert client.get(url).status_code == 404, url
        assert client.get(url, headers={"HX-Request": "true"}).status_code == 404, url
    # Their own brand's slug does not open another brand's campaign or post either.
    slug = other_brand.slug
    for name, pk in (("insights_campaign", campaign.pk), ("insights_export", campaign.pk), ("insights_post", post.pk)):
        assert client.get(reverse(f"integrations:{name}", args=[slug, pk])).status_code == 404
    assert (
        client.post(reverse("integrations:insights_poll", args=[campaign.brand.slug, campaign.pk])).status_code == 404
    )


def test_plain_members_cannot_trigger_a_poll(campaign, client_for, bob):
    assert (
        client_for(bob).post(reverse("integrations:insights_poll", args=[campaign.brand.slug, campaign.pk])).status_code
        == 404
    )


def test_an_owner_can_fetch_now(campaign, client_for, alice, monkeypatch, django_capture_on_commit_callbacks):
    sent = []
    monkeypatch.setattr(poll_campaign_report, "delay", sent.append)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(alice).post(
            reverse("integrations:insights_poll", args=[campaign.brand.slug, campaign.pk])
        )
    assert response.status_code == 302 and sent == [campaign.pk]


def test_clicking_fetch_now_again_while_a_poll_is_pending_queues_no_second_one(
    campaign, client_for, alice, monkeypatch, django_capture_on_commit_callbacks
):
    sent = []
    monkeypatch.setattr(poll_campaign_report, "delay", sent.append)
    client = client_for(alice)
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            client.post(reverse("integrations:insights_poll", args=[campaign.brand.slug, campaign.pk]))
    assert sent == [campaign.pk]


def test_the_campaign_page_query_count_does_not_grow_with_the_data(campaign, client_for, bob,
                                                                   django_assert_max_num_queries):  # fmt: skip
    url = reverse("integrations:insights_campaign", args=[campaign.brand.slug, campaign.pk])
    client = client_for(bob)
    build_campaign_data(campaign, posts=5, days=3)
    with django_assert_max_num_queries(14) as small:
        assert client.get(url).status_code == 200
    build_campaign_data(campaign, posts=200, days=30, start=5)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(url)
    assert response.status_code == 200 and b"205 posts" in response.content
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(url + "?page=3&sort=-engagement_count", headers={"HX-Request": "true"}).status_code == 200


def test_the_brand_page_query_count_does_not_grow_with_campaigns(campaign, brand, client_for, bob,
                                                                 django_assert_max_num_queries):  # fmt: skip
    build_campaign_data(campaign, posts=20, days=2)
    for i in range(5):
        extra = Campaign.objects.create(brand=brand, campaign_id=f"79000000000000001{i:02d}", name=f"C{i}")
        build_campaign_data(extra, posts=20, days=2)
    client = client_for(bob)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("integrations:insights", args=[brand.slug]))
    assert response.content.count(b"/insights/campaigns/") == 6


@pytest.mark.parametrize("size", [10, 1000])
def test_the_brand_page_makes_the_same_queries_at_10_and_1000_campaigns_and_shows_a_page_of_them(
    campaign, brand, client_for, bob, django_assert_num_queries, size
):
    build_campaign_data(campaign, posts=5, days=2)
    Campaign.objects.bulk_create(
        Campaign(brand=brand, campaign_id=f"78{i:017d}", name=f"Bulk {i:04d}") for i in range(size - 1)
    )
    client = client_for(bob)
    url = reverse("integrations:insights", args=[brand.slug])
    client.get(url)  # the session's first read
    # Session, user, the brand with its role, the navigation's two, the money's currency, the
    # campaigns' count and page.
    with django_assert_num_queries(8):
        html = client.get(url).content.decode()
    assert html.count("/insights/campaigns/") == min(size, 25)
    assert len(html) < 100_000


def test_the_brand_pages_campaigns_come_a_page_at_a_time_newest_first(campaign, brand, client_for, bob):
    Campaign.objects.bulk_create(
        Campaign(brand=brand, campaign_id=f"78{i:017d}", name=f"Bulk {i:04d}") for i in range(30)
    )
    client = client_for(bob)
    html = client.get(reverse("integrations:insights", args=[brand.slug]), {"page": "2"}).content.decode()
    assert "Page 2 of 2" in html and 'href="?page=1"' in html
    assert html.count("/insights/campaigns/") == 6 and "Spring Launch" in html


def _table(html: str) -> list[list[str]]:
    body = html.split('id="posts-table"', 1)[1].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = re.findall(r"<tr data-post[^>]*>(.*?)</tr>", body, re.S)
    cells = [re.findall(r"<td>(.*?)</td>", row, re.S) for row in rows]
    return [[_last_line(c) for c in row] for row in cells]


def _last_line(cell: str) -> str:
    """A post's cell shows its caption (or date) above its id: the id, its last line, is the CSV's value."""
    lines = re.sub(r"<[^>]+>", "", cell.replace("<br>", "\n")).strip().splitlines()
    return lines[-1].strip() if lines else ""


@pytest.mark.parametrize("query", ["", "?sort=engagement_count", "?show=boosted&sort=-ad_cost", "?q=bulk.creator"])
def test_the_csv_matches_the_table(campaign, client_for, bob, query):
    build_campaign_data(campaign, posts=12, days=2)
    client = client_for(bob)
    slug = campaign.brand.slug
    table = _table(
        client.get(reverse("integrations:insights_campaign", args=[slug, campaign.pk]) + query).content.decode()
    )
    export = client.get(reverse("integrations:insights_export", args=[slug, campaign.pk]) + query)
    lines = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode())))
    header, rows = lines[0], lines[1:]
    assert header[:3] == ["Creator", "Video", "Views"]
    assert len(rows) == len(table) == 12
    shown = [[c.replace(",", "").replace("–", "") for c in row] for row in table]
    assert rows == shown


def test_the_table_filters_and_sorts(campaign, client_for, bob):
    build_campaign_data(campaign, posts=4, days=1)
    url = reverse("integrations:insights_campaign", args=[campaign.brand.slug, campaign.pk])
    rows = _table(client_for(bob).get(url + "?sort=video_views").content.decode())
    assert [r[2] for r in rows] == ["1,000", "2,000", "3,000", "4,000"]
    rows = _table(client_for(bob).get(url + f"?q=bulk.creator{campaign.pk}.2").content.decode())
    assert len(rows) == 1


def test_the_campaign_page_draws_svg_charts_and_states_problems(campaign, client_for, bob):
    build_campaign_data(campaign, posts=3, days=5)
    Campaign.objects.filter(pk=campaign.pk).update(last_poll_error="TikTok was unavailable or throttling on page 2")
    html = (
        client_for(bob)
        .get(reverse("integrations:insights_campaign", args=[campaign.brand.slug, campaign.pk]))
        .content.decode()
    )
    assert html.count("<svg") == 2 and "<polyline" in html and "<rect" in html
    assert "throttling on page 2" in html and '<script src="http' not in html


def test_the_post_page_shows_breakdowns_series_and_when_figures_changed(campaign, client_for, bob):
    post = build_campaign_data(campaign, posts=1, days=3)[0]
    post.insight.audience = {
        "gender": [{"label": "FEMALE", "percentage": 0.6}],
        "country": [{"label": "US", "percentage": 1}],
    }
    post.insight.save()
    html = (
        client_for(bob).get(reverse("integrations:insights_post", args=[campaign.brand.slug, post.pk])).content.decode()
    )
    assert "FEMALE" in html and "figures last changed" in html and html.count("<svg") >= 3


def test_the_post_page_shows_anchor_metrics_and_each_days_organic_and_paid_favorites(campaign, client_for, bob):
    post = build_campaign_data(campaign, posts=1, days=2)[0]
    post.insight.anchor_views, post.insight.anchor_clicks = 3617, 149
    post.insight.save()
    post.snapshots.update(day_favorites=41, day_favorites_organic=37, day_favorites_paid=4)
    html = (
        client_for(bob).get(reverse("integrations:insights_post", args=[campaign.brand.slug, post.pk])).content.decode()
    )
    assert "Anchor views / clicks" in html and "3,617 / 149" in html
    assert '41 <span class="muted">37 / 4</span>' in html


def _deliver(client, payload, header=None):
    raw = json.dumps(payload).encode()
    from django.conf import settings

    header = header or webhooks.sign(raw, settings.TIKTOK_APP_SECRET)
    return client.post(reverse("integrations:insights_webhook"), raw, content_type="application/json",
                       headers={"TikTok-Signature": header})  # fmt: skip


PAYLOAD = {"request_id": "r1", "object": 10, "time": 1, "entry": [{
    "event_type": "tto_campaign_webhook", "tto_campaign_event_type": "tto_video_published",
    "video_id": "7700000000000000999", "campaign_id": "7900000000000000001", "handle_name": "market.star",
    "tto_tcm_account_id": "7200000000000000001", "event_time": 1}]}  # fmt: skip


def test_a_signed_tcm_videos_webhook_claims_the_campaign_and_queues_a_poll(campaign, client, monkeypatch,
                                                          django_capture_on_commit_callbacks):  # fmt: skip
    sent = []
    monkeypatch.setattr(poll_campaign_report, "delay", sent.append)
    Campaign.objects.filter(pk=campaign.pk).update(next_poll_at=timezone.now() + timezone.timedelta(hours=3))
    with django_capture_on_commit_callbacks(execute=True):
        response = _deliver(client, PAYLOAD)
    assert response.status_code == 200 and sent == [campaign.pk]
    campaign.refresh_from_db()
    # Claimed for the queued poll: due before the scheduled time, not due for the dispatcher.
    assert timezone.now() < campaign.next_poll_at <= timezone.now() + report.CLAIM_LEASE


def test_a_webhook_with_a_bad_signature_is_rejected(campaign, client, monkeypatch):
    sent = []
    monkeypatch.setattr(poll_campaign_report, "delay", sent.append)
    assert _deliver(client, PAYLOAD, header="t=1,s=deadbeef").status_code == 400
    raw = json.dumps(PAYLOAD).encode()
    assert (
        client.post(reverse("integrations:insights_webhook"), raw, content_type="application/json").status_code == 400
    )
    assert sent == []


def test_ad_cost_cpm_and_cpc_name_the_currency_of_the_brands_spark_ads_ad_account(campaign, brand, client_for, bob):
    build_campaign_data(campaign, posts=3, days=2)
    AdAccount.objects.create(
        brand=brand, advertiser_id="7300000000000000901", name="Acme EU", currency="EUR", is_active_for_spark=True
    )
    client = client_for(bob)
    campaign_page = client.get(reverse("integrations:insights_campaign", args=[brand.slug, campaign.pk])).content
    brand_page = client.get(reverse("integrations:insights", args=[brand.slug])).content
    export = client.get(reverse("integrations:insights_export", args=[brand.slug, campaign.pk]))
    header = next(csv.reader(io.StringIO(b"".join(export.streaming_content).decode())))

    for page in (campaign_page.decode(), brand_page.decode()):
        assert "Ad cost (EUR)" in page
    assert "CPM (EUR)" in campaign_page.decode()
    assert "Ad cost (EUR)" in header
