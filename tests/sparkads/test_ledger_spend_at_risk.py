"""The ledger's money side: each row lists the ads its code feeds with their spend, the spend
at risk per currency, a filter and an order by it (the renewal queue comes biggest first), and
a CSV that carries it and lists exactly the rows the page's filters keep."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
import responses
from django.urls import reverse

from sparkads.ads import flows
from sparkads.models import SparkAd, SparkAuthorization

from .test_ledger_volume import HTMX, bulk_ledger, ledger_url, ledger_videos

pytestmark = pytest.mark.django_db
Status = SparkAuthorization.Status


def _ad(row: SparkAuthorization, account, ad_id: str, **fields) -> SparkAd:
    defaults = {
        "identity_type": "AUTH_CODE",
        "operation_status": "ENABLE",
        "secondary_status": "AD_STATUS_DELIVERY_OK",
        "currency": account.currency or "USD",
    }
    return SparkAd.objects.create(
        brand=row.brand,
        ad_account=account,
        authorization=row,
        ad_id=ad_id,
        tiktok_item_id=row.item_id,
        **(defaults | fields),
    )


def _row_html(html: str, row: SparkAuthorization) -> str:
    """The row and the line of each of its ads, up to the next row."""
    ledger = html.split('id="ledger"', 1)[1]
    return ledger.split(f">{row.video_id}<", 1)[1].split("\n      <tr>", 1)[0]


def _csv(client, world, query=None) -> list[dict[str, str]]:
    response = client.get(reverse("sparkads:ledger_csv", args=[world["bc"].brand.slug]), query or {})
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


def test_a_row_lists_the_ads_its_code_feeds_with_status_account_source_and_spend_to_the_cent(
    world, alice, client, other_ad_account
):
    row = bulk_ledger(world, 1)[0]
    SparkAd.objects.filter(authorization=row).delete()
    world["ad"].currency = "USD"
    world["ad"].save()
    _ad(
        row,
        world["ad"],
        "1801",
        ad_name="Spring hero",
        daily_spend=Decimal("12.34"),
        spend_last_7_days=Decimal("80.01"),
        lifetime_spend=Decimal("1234.56"),
        identity_ads_used=12,
        identity_ads_total=10000,
    )
    _ad(
        row,
        other_ad_account,
        "1802",
        ad_name="EU retarget",
        identity_type="BC_AUTH_TT",
        secondary_status="AD_STATUS_NOT_APPROVE",
        daily_spend=Decimal("9.00"),
    )
    client.force_login(alice)

    with responses.RequestsMock():  # no TikTok call: any request would fail
        html = _row_html(client.get(ledger_url(world)).content.decode(), row)

    assert "Spring hero" in html and "Delivering" in html and "Demo Brand US" in html
    assert "Spark code applied to the ad account" in html
    assert "80.01 USD last 7 days" in html and "1,234.56 USD lifetime" in html
    assert "370.20 USD at risk" in html  # 12.34 a day × 30 days
    assert "ads on this identity: 12 of TikTok's 10,000" in html
    # The rejected Business Center ad is listed in words, and puts nothing at risk.
    assert "EU retarget" in html and "Rejected in review" in html and "Demo Brand EU" in html
    assert "TikTok account authorized to a Business Center" in html and "EUR at risk" not in html


def test_a_code_feeding_ads_in_two_currencies_shows_two_amounts_at_risk_never_their_sum(
    world, alice, client, other_ad_account
):
    row = bulk_ledger(world, 1)[0]
    SparkAd.objects.filter(authorization=row).update(daily_spend=Decimal("10.00"))
    _ad(row, other_ad_account, "eur", daily_spend=Decimal("5.00"))
    client.force_login(alice)

    html = _row_html(client.get(ledger_url(world)).content.decode(), row)

    assert "300.00 USD · 150.00 EUR at risk" in html
    assert "450" not in html
    [line] = [r for r in _csv(client, world) if r["video"] == row.video_id]
    assert line["spend at risk"] == "300.00 USD; 150.00 EUR"
    assert line["daily spend of ads that stop with the code"] == "10.00 USD; 5.00 EUR"


def test_the_ledger_filters_to_codes_with_spend_at_risk_and_orders_them_biggest_first(world, alice, client):
    rows = bulk_ledger(world, 12)
    client.force_login(alice)

    html = client.get(ledger_url(world), {"at_risk": "on", "sort": "at_risk"}).content.decode()

    # Only the live codes (every third row, active) have spend at risk; row i spends (i+1).25.
    active = [r for r in rows if r.status == Status.ACTIVE]
    assert ledger_videos(html, rows) == {r.video_id for r in active}
    ledger = html.split('id="ledger"', 1)[1]
    positions = [ledger.index(f">{r.video_id}<") for r in reversed(active)]
    assert positions == sorted(positions)


def test_the_renewal_queue_of_codes_ending_soon_comes_with_the_most_spend_at_risk_first(world, alice, client):
    rows = bulk_ledger(world, 7)  # active: rows 0, 3, 6 ending in 1, 4 and 7 days
    SparkAd.objects.filter(authorization=rows[0]).update(daily_spend=Decimal("1.00"))
    SparkAd.objects.filter(authorization=rows[3]).update(daily_spend=Decimal("90.00"))
    SparkAd.objects.filter(authorization=rows[6]).update(daily_spend=Decimal("40.00"))
    client.force_login(alice)

    html = client.get(ledger_url(world), {"expiring_within": "14"}, HTTP_HX_TARGET="ledger", **HTMX).content.decode()

    assert "most spend at risk first" in html
    order = sorted((html.index(f">{rows[i].video_id}<"), i) for i in (0, 3, 6))
    assert [i for _, i in order] == [3, 6, 0]


def test_the_csv_lists_exactly_the_filtered_rows_of_every_page_with_ads_and_spend_at_risk(world, alice, client):
    rows = bulk_ledger(world, 90)
    client.force_login(alice)

    listed = _csv(client, world, {"status": "active", "page": "2"})

    active = [r for r in rows if r.status == Status.ACTIVE]
    assert len(active) == 30 and {line["video"] for line in listed} == {r.video_id for r in active}
    by_video = {line["video"]: line for line in listed}
    first = by_video[rows[3].video_id]  # row 3 spends 4.25 a day
    assert (first["ads"], first["delivering ads"]) == ("1", "1")
    assert first["spend at risk"] == f"{Decimal('4.25') * flows.AT_RISK_DAYS:,.2f} USD"
    assert len(_csv(client, world)) == 90


def test_the_ledger_page_links_its_csv_with_its_own_filters(world, alice, client):
    bulk_ledger(world, 3)
    client.force_login(alice)
    html = client.get(ledger_url(world), {"status": "active", "at_risk": "on"}).content.decode()
    assert "ledger.csv?status=active&amp;at_risk=on" in html


@pytest.mark.parametrize(
    ("secondary", "operation", "shown"),
    [
        ("AD_STATUS_DELIVERY_OK", "ENABLE", ("Delivering", "ok")),
        ("AD_STATUS_AUDIT", "ENABLE", ("In review", "warn")),
        ("AD_STATUS_NOT_APPROVE", "ENABLE", ("Rejected in review", "bad")),
        ("", "DISABLE", ("Switched off", "bad")),
        ("AD_STATUS_SOMETHING_NEW", "ENABLE", ("AD_STATUS_SOMETHING_NEW", "muted")),
    ],
)
def test_an_ads_status_reads_in_words_and_an_unknown_one_as_tiktok_sent_it(secondary, operation, shown):
    assert SparkAd(secondary_status=secondary, operation_status=operation).status_display == shown
