"""Against the live sandbox: the seeded "Spring Launch" campaign of Demo Brand's TikTok One
account (docs/sandbox.md), polled through the real client."""

from __future__ import annotations

import pytest
import requests

from integrations.insights import report
from integrations.models import Campaign, Credential, PostSnapshot, TikTokOneAccount
from integrations.tiktok import BusinessClient

pytestmark = [pytest.mark.django_db, pytest.mark.integration]


def _business_token(base: str) -> str:
    auth = requests.post(f"{base}/sandbox/api/helpers/portal-auth",
                         json={"persona": "demo-brand", "redirect_uri": "http://testserver/cb"}, timeout=30)  # fmt: skip
    auth.raise_for_status()
    return BusinessClient().oauth2_access_token(auth.json()["auth_code"]).access_token


@pytest.fixture
def spring_launch(live_sandbox, brand):
    cred = Credential.objects.create(
        kind=Credential.Kind.BUSINESS, brand=brand, access_token=_business_token(live_sandbox)
    )
    account = TikTokOneAccount.objects.create(tto_tcm_account_id="7200000000000000001", brand=brand, credential=cred)
    return Campaign.objects.create(brand=brand, tiktok_one_account=account, campaign_id="7900000000000000001",
                                   name="Spring Launch")  # fmt: skip


def test_polling_the_seeded_campaign_keeps_growing_snapshots(spring_launch, live_sandbox):
    first = report.poll_campaign(spring_launch.pk)
    assert first.status == "ok" and first.saved >= 1
    post = spring_launch.posts.select_related("tiktok_account", "insight").get()
    assert post.tiktok_account.handle == "market.star"
    snapshots_before = PostSnapshot.objects.filter(post=post).count()
    views_before = post.insight.video_views
    assert snapshots_before >= 1 and views_before > 0

    requests.post(f"{live_sandbox}/sandbox/api/clock/advance", json={"hours": 24}, timeout=30).raise_for_status()
    Campaign.objects.filter(pk=spring_launch.pk).update(next_poll_at=None)
    report.poll_campaign(spring_launch.pk)

    post.insight.refresh_from_db()
    assert PostSnapshot.objects.filter(post=post).count() > snapshots_before
    assert post.insight.video_views > views_before
    latest = PostSnapshot.objects.filter(post=post).order_by("-date").first()
    assert latest.audience and latest.video_views_by_source and latest.day_views is not None
    assert post.insight.ad_cost is None  # not boosted: TikTok's "-" stays empty
    assert latest.day_likes_organic is not None and latest.day_favorites is not None
    assert latest.day_favorites == latest.day_favorites_organic + latest.day_favorites_paid
    assert post.insight.anchor_views is None  # the seeded campaign has no anchor


def test_a_tcm_videos_subscription_is_made_on_the_first_poll(spring_launch):
    report.poll_campaign(spring_launch.pk)
    assert spring_launch.tiktok_one_account.report_subscription.subscription_id
