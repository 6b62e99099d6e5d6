"""TikTok's ads webhooks, as they arrive: REPORT_DATA_CHANGE makes only that ad account's spend
read due now through the `spark_ads` poller's due field (the dispatcher's next tick reads it,
five changed accounts of one grant to a report call); AD and CREATIVE_FATIGUE flag the ad on
its ledger row. The daily sweep stays the catch-all for what a webhook missed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.db.models import Q

from integrations.tiktok import clock
from integrations.tiktok.webhooks import AD, CREATIVE_FATIGUE, REPORT_DATA_CHANGE, AdsEvent
from sparkads.models import SparkAd

from .flows import swept_ad_accounts


def read_due_now(advertiser_ids: Sequence[str], now: datetime | None = None) -> int:
    """Make these ad accounts' spend read due now through the poller's due field, unless it
    is already due sooner; returns how many rows moved. An advertiser the platform does not
    know matches no row and is ignored."""
    now = now or clock.now()
    return (
        swept_ad_accounts()
        .filter(advertiser_id__in=advertiser_ids)
        .filter(Q(next_spend_read_at__isnull=True) | Q(next_spend_read_at__gt=now))
        .update(next_spend_read_at=now)
    )


def apply(events: list[AdsEvent]) -> int:
    """Act on one delivery (inside its transaction): REPORT_DATA_CHANGE makes those accounts'
    read due; AD records a rejection (or clears it on approval, and reads the account again to
    learn its delivery status); CREATIVE_FATIGUE flags the ads. Returns the rows changed."""
    now = clock.now()
    changed = 0
    stale: list[str] = []
    for event in events:
        ads = SparkAd.objects.filter(ad_account__advertiser_id=event.advertiser_id, ad_id__in=event.ad_ids)
        if event.entity == REPORT_DATA_CHANGE:
            stale.append(event.advertiser_id)
        elif event.entity == AD and event.reject_reason:
            moved = ads.update(
                rejected_at=now, reject_reason=event.reject_reason, secondary_status=SparkAd.REJECTED_BY_WEBHOOK
            )
            changed += moved
            if not moved:
                stale.append(event.advertiser_id)  # an ad not read yet: ad/get will show it rejected
        elif event.entity == AD:
            changed += ads.update(rejected_at=None, reject_reason="")
            stale.append(event.advertiser_id)
        elif event.entity == CREATIVE_FATIGUE:
            changed += ads.filter(fatigued_at__isnull=True).update(fatigued_at=now, fatigued_on=event.fatigue_date)
    return changed + (read_due_now(sorted(set(stale)), now) if stale else 0)
