"""End to end over real HTTP: the sandbox's signed REPORT_DATA_CHANGE reaches the platform,
the dispatcher's next tick reads that ad account once, and the ledger row's ad shows the
sandbox's spend to the cent within one webhook window; AD and CREATIVE_FATIGUE flag the ad."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest

from integrations.models import AdAccount
from integrations.tiktok import clock
from sparkads import codes, tasks
from sparkads.models import AdAccountSubscription, SparkAd

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
REPORT = "/open_api/v1.3/report/integrated/get/"


@pytest.fixture
def dispatcher(monkeypatch):
    """The beat's dispatcher, run by the test: each sweep it hands out runs at once."""
    monkeypatch.setattr(tasks.sweep_spark_ads, "delay_on_commit", lambda ids: tasks.sweep_spark_ads.apply(args=[ids]))
    return tasks.dispatch_spark_ad_sweeps


def wait_for(check, seconds: float = 15) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return False


def read_due(account: AdAccount) -> bool:
    due = AdAccount.objects.get(pk=account.pk).next_spend_read_at
    return due is not None and due <= clock.now()


def test_a_spend_change_reaches_the_ledger_row_within_one_webhook_window_with_one_report_call(
    live_world, control, alice, live_server, settings, dispatcher
):
    settings.SITE_URL = live_server.url
    post, account = live_world["post"], live_world["ad"]
    code = control("POST", "helpers/ad-codes", {"video_id": post.video_id, "days": 30})["auth_code"]
    row = codes.accept_pasted_code(post.campaign.brand, alice, code, post=post)
    ad = control(
        "POST",
        "helpers/ads",
        {"advertiser_id": account.advertiser_id, "video_id": post.video_id, "daily_budget": "144.00"},
    )
    control("POST", f"helpers/ads/{ad['ad_id']}/approve")

    assert dispatcher() == 1  # the account just got a live code: swept now, and subscribed
    assert set(AdAccountSubscription.objects.exclude(subscription_id="").values_list("entity", "ad_id")) == {
        ("REPORT_DATA_CHANGE", ""),
        ("CREATIVE_FATIGUE", ""),
        ("AD", ad["ad_id"]),
    }
    assert dispatcher() == 0  # read: next due in a day
    reports_before = control.calls(REPORT)

    control("POST", "clock/advance", {"minutes": 6})  # the ad spends; the 5-minute window closes
    assert wait_for(lambda: read_due(account))  # REPORT_DATA_CHANGE arrived
    control("POST", f"helpers/ads/{ad['ad_id']}/pause")  # freeze the figure the ledger must show
    sandbox_spend = Decimal(
        next(a for a in control("GET", "helpers/ads") if a["ad_id"] == ad["ad_id"])["lifetime_spend"]
    )

    assert dispatcher() == 1
    assert control.calls(REPORT) - reports_before == 1
    stored = SparkAd.objects.get(ad_id=ad["ad_id"])
    assert stored.authorization_id == row.pk
    assert sandbox_spend > 0 and stored.lifetime_spend == sandbox_spend


def test_the_sandboxs_review_and_fatigue_webhooks_flag_the_ad_on_its_ledger_row(
    live_world, control, alice, live_server, settings, dispatcher
):
    settings.SITE_URL = live_server.url
    post, account = live_world["post"], live_world["ad"]
    code = control("POST", "helpers/ad-codes", {"video_id": post.video_id, "days": 30})["auth_code"]
    codes.accept_pasted_code(post.campaign.brand, alice, code, post=post)
    first, second = (
        control("POST", "helpers/ads", {"advertiser_id": account.advertiser_id, "video_id": post.video_id})
        for _ in range(2)
    )
    dispatcher()  # both ads read (in review) and subscribed to

    control("POST", f"helpers/ads/{first['ad_id']}/reject")
    control("POST", f"helpers/ads/{second['ad_id']}/approve")
    control("POST", f"helpers/ads/{second['ad_id']}/fatigue")

    assert wait_for(lambda: SparkAd.objects.filter(ad_id=first["ad_id"], rejected_at__isnull=False).exists())
    assert wait_for(lambda: SparkAd.objects.filter(ad_id=second["ad_id"], fatigued_at__isnull=False).exists())
    rejected, fatigued = (SparkAd.objects.get(ad_id=a["ad_id"]) for a in (first, second))
    assert rejected.flag == "Rejected" and rejected.flag_detail
    assert fatigued.flag == "Fatigued"
