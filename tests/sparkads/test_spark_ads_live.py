"""The Spark ads sweep against the live sandbox over real HTTP: a code's ad, its spend to the
cent, its ad group's scheduled end and its identity's quota, and what is at risk."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from integrations.tiktok import clock
from sparkads import codes
from sparkads.ads import flows
from sparkads.models import Money, SparkAd, SparkAuthorization

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def test_the_sweep_reads_spend_schedule_and_quota_from_the_sandbox_and_prices_the_days_past_the_codes_end(
    live_world, control, alice, settings, live_sandbox
):
    # The platform reads the spend on the sandbox's clock.
    settings.TIKTOK_SANDBOX, settings.SANDBOX_URL = True, live_sandbox
    post = live_world["post"]
    code = control("POST", "helpers/ad-codes", {"video_id": post.video_id, "days": 30})["auth_code"]
    auth = codes.accept_pasted_code(post.campaign.brand, alice, code, post=post)
    group_ends = auth.auth_end + timedelta(days=10)
    made = control(
        "POST",
        "helpers/ads",
        {
            "advertiser_id": live_world["ad"].advertiser_id,
            "video_id": post.video_id,
            "daily_budget": "100.00",
            "schedule_end_time": f"{group_ends:%Y-%m-%d %H:%M:%S}",
        },
    )
    control("POST", f"helpers/ads/{made['ad_id']}/approve")
    control("POST", "clock/advance", {"seconds": 2 * 86400})
    clock.forget()

    flows.sweep([live_world["ad"].pk])

    sandbox_ad = next(a for a in control("GET", "helpers/ads") if a["ad_id"] == made["ad_id"])
    ad = SparkAd.objects.get(ad_id=made["ad_id"])
    assert ad.authorization_id == auth.pk
    assert ad.lifetime_spend == Decimal(sandbox_ad["lifetime_spend"]) > 0
    assert ad.runs_until == group_ends.replace(microsecond=0)
    assert (ad.identity_ads_used, ad.identity_ads_total) == (1, 10000)
    row = flows.with_spend_at_risk(SparkAuthorization.objects.filter(pk=auth.pk)).get()
    assert ad.daily_spend > 0
    assert row.spend_at_risk == [Money(ad.daily_spend * 10, live_world["ad"].currency)]
