"""The Spark ads sweep against the live sandbox over real HTTP: a code's ads, their spend to the
cent, their ad groups' scheduled ends and their identity's quota, and what is at risk."""

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
    running, paused = (
        control(
            "POST",
            "helpers/ads",
            {"advertiser_id": live_world["ad"].advertiser_id, "video_id": post.video_id, "daily_budget": "100.00"}
            | extra,
        )
        for extra in ({"schedule_end_time": f"{group_ends:%Y-%m-%d %H:%M:%S}"}, {})
    )
    for made in (running, paused):
        control("POST", f"helpers/ads/{made['ad_id']}/approve")
    control("POST", "clock/advance", {"seconds": 2 * 86400})
    # A delivering ad's lifetime spend grows by the second; the paused one's stands still, so the
    # figure read by the sweep can be held to the sandbox's to the cent.
    control("POST", f"helpers/ads/{paused['ad_id']}/pause")
    clock.forget()

    flows.sweep([live_world["ad"].pk])

    sandbox_paused = next(a for a in control("GET", "helpers/ads") if a["ad_id"] == paused["ad_id"])
    ads = {ad.ad_id: ad for ad in SparkAd.objects.all()}
    ad, stopped = ads[running["ad_id"]], ads[paused["ad_id"]]
    assert ad.authorization_id == stopped.authorization_id == auth.pk
    assert stopped.lifetime_spend == Decimal(sandbox_paused["lifetime_spend"]) > 0
    assert ad.runs_until == group_ends.replace(microsecond=0)
    assert stopped.runs_until is None  # its ad group has no end
    assert (ad.identity_ads_used, ad.identity_ads_total) == (2, 10000)  # both ads use the code's identity
    row = flows.with_spend_at_risk(SparkAuthorization.objects.filter(pk=auth.pk)).get()
    assert ad.daily_spend > 0
    # Only the delivering ad puts spend at risk: the 10 days its ad group runs past the code's end.
    assert row.spend_at_risk == [Money(ad.daily_spend * 10, live_world["ad"].currency)]
