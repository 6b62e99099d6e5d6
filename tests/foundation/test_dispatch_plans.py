"""Every dispatcher finds its due rows through its partial index (PostgreSQL's plans), so a
dispatch costs the due rows it reads, not the size of the table.

Each table gets many rows outside the index's condition (finished work) and many inside it
but not yet due; the dispatchers run for real and each query they send is EXPLAINed.
docs/polling.md shows these plans.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from creators import collaborations, marketplace
from creators.models import MarketplaceOnboarding
from creators.tasks import refresh_due_creator_tokens
from integrations.connect import recheck
from integrations.insights import report
from integrations.models import AdAccount, Campaign, CampaignPost, Credential, TikTokAccount, TikTokOneAccount
from sparkads.ads_manager import flows as ads_manager
from sparkads.models import AdsManagerLink, SparkAuthorization
from sparkads.tasks import dispatch_spark_polls

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the plans are PostgreSQL's"),
]
ROWS = 5_000  # per table: half finished, half scheduled later, DUE of them due now
DUE = 30


def _times(n: int) -> list:
    """Half outside the index (None stands for 'finished'), half later, DUE due now."""
    now = timezone.now()
    return [now - timedelta(minutes=1) if i < DUE else now + timedelta(hours=1 + i % 500) for i in range(n)]


def seed(brand) -> None:
    times = _times(ROWS)
    finished = ROWS // 2
    accounts = TikTokAccount.objects.bulk_create(TikTokAccount(handle=f"plan.{i}") for i in range(ROWS))
    MarketplaceOnboarding.objects.bulk_create(
        MarketplaceOnboarding(
            tiktok_account=a,
            state=MarketplaceOnboarding.State.IN_MARKETPLACE
            if i >= ROWS - finished
            else MarketplaceOnboarding.State.WAITING,
            next_poll_at=None if i >= ROWS - finished else times[i],
            due_at=None if i >= ROWS - finished else times[i],
        )
        for i, a in enumerate(accounts)
    )
    credentials = Credential.objects.bulk_create(
        Credential(
            kind=Credential.Kind.TT_USER,
            status=Credential.Status.REVOKED if i >= ROWS - finished else Credential.Status.OK,
            refresh_due_at=times[i],
        )
        for i in range(ROWS)
    )
    ttos = TikTokOneAccount.objects.bulk_create(
        TikTokOneAccount(
            tto_tcm_account_id=f"72{i:017d}",
            brand=brand,
            credential=credentials[i],
            status=TikTokOneAccount.Status.INACTIVE if i >= ROWS - finished else TikTokOneAccount.Status.ACTIVE,
            next_poll_at=times[i],
        )
        for i in range(ROWS)
    )
    campaigns = Campaign.objects.bulk_create(
        Campaign(
            brand=brand,
            tiktok_one_account=ttos[0],
            campaign_id=f"79{i:017d}",
            name=f"c{i}",
            status=Campaign.Status.DELETED if i >= ROWS - finished else Campaign.Status.ACTIVE,
            next_poll_at=times[i],
        )
        for i in range(ROWS)
    )
    CampaignPost.objects.bulk_create(
        CampaignPost(
            campaign=campaigns[0],
            tiktok_account=a,
            video_id=f"77{i:017d}",
            publish_status=CampaignPost.PublishStatus.PUBLISHED
            if i >= ROWS - finished
            else CampaignPost.PublishStatus.REVIEWING,
            next_poll_at=times[i],
        )
        for i, a in enumerate(accounts)
    )
    SparkAuthorization.objects.bulk_create(
        SparkAuthorization(
            brand=brand,
            video_id=f"77{i:017d}",
            status=SparkAuthorization.Status.EXPIRED if i >= ROWS - finished else SparkAuthorization.Status.ACTIVE,
            next_poll_at=times[i],
        )
        for i in range(ROWS)
    )
    ad_accounts = AdAccount.objects.bulk_create(AdAccount(advertiser_id=f"70{i:05d}", brand=brand) for i in range(50))
    AdsManagerLink.objects.bulk_create(
        AdsManagerLink(
            brand=brand,
            ad_account=ad_accounts[i % 50],
            username=f"plan.{i}",
            status=AdsManagerLink.Status.AUTHORIZED if i >= ROWS - finished else AdsManagerLink.Status.PENDING,
            next_poll_at=times[i],
        )
        for i in range(ROWS)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


DISPATCHERS: dict[str, tuple[Callable[[], object], str]] = {
    # Its count of what waits in the queue reads its own index (onboarding_queued_idx).
    "Marketplace status": (marketplace.claim_due_polls, "onboarding_"),
    "Marketplace waits on TikTok's clock": (
        lambda: marketplace.claim_due_deadlines(500),
        "onboarding_deadline_due_idx",
    ),
    "Campaign posts in review": (lambda: collaborations.claim_due_post_polls(500), "post_review_poll_idx"),
    "Creator token refresh": (refresh_due_creator_tokens, "cred_refresh_due_idx"),
    "Connection re-checks": (recheck.due_credentials, "tto_poll_due_idx"),
    "Spark requests and codes": (dispatch_spark_polls, "spark_auth_poll_due_idx"),
    "Ads Manager links": (lambda: ads_manager.claim_due_ad_accounts(200), "ads_link_poll_due_idx"),
    "Post insights": (report.claim_due_campaigns, "campaign_poll_due_idx"),
}


def finding_queries(run: Callable[[], object]) -> list[str]:
    """The SQL a dispatcher sends to find rows (its claim, and the queue count if any)."""
    with CaptureQueriesContext(connection) as captured:
        run()
    return [q["sql"] for q in captured.captured_queries if "FOR UPDATE" in q["sql"] or "COUNT(" in q["sql"]]


def plan(sql: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_every_dispatcher_finds_due_rows_through_its_partial_index_not_a_scan_of_the_table(brand):
    seed(brand)
    for name, (run, index) in DISPATCHERS.items():
        queries = finding_queries(run)
        assert queries, name
        for sql in queries:
            shown = plan(sql)
            assert index in shown and "Seq Scan" not in shown, f"{name}:\n{sql}\n{shown}"


def test_the_claim_is_one_statement_on_the_due_index(brand):
    seed(brand)
    (claim,) = finding_queries(lambda: marketplace.claim_due_polls(20))
    assert " UPDATE " in claim and "FOR UPDATE SKIP LOCKED" in claim and "RETURNING" in claim
    shown = plan(claim)
    assert "onboarding_poll_due_idx" in shown and "Seq Scan" not in shown, shown
