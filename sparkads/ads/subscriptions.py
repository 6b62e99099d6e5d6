"""Webhook subscriptions of the ad accounts that may feed live codes (every ad account of a
brand holding one): REPORT_DATA_CHANGE (every 5 minutes) and CREATIVE_FATIGUE for the account,
AD (review status) per Spark ad. Held from the daily sweep (a worker), once per account and
entity (and ad, for AD); an account whose brand's last live code is gone is unsubscribed by its
next sweep. The deliveries: `webhooks.py`.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django.urls import reverse

from integrations.models import AdAccount
from integrations.tiktok import BusinessClient, TikTokError, clock
from integrations.tiktok.tokens import call_with_credential
from sparkads.models import AdAccountSubscription

Entity = AdAccountSubscription.Entity
NOTIFY_FREQUENCY = "5_MINUTE"  # the shortest window TikTok offers (model/subscription/subscription.go)
# TikTok's "not exist" (official SDK code table): the subscription is gone already.
GONE = 40007


def callback_url() -> str:
    return settings.SITE_URL + reverse("sparkads:ads_webhook")


def _detail(account: AdAccount, entity: str, ad_id: str) -> dict[str, object]:
    if entity == Entity.REPORT_DATA_CHANGE:
        return {"advertiser_ids": [account.advertiser_id], "notify_frequency": NOTIFY_FREQUENCY}
    return {"advertiser_id": account.advertiser_id, "ad_id": ad_id or None}


def _wanted(account: AdAccount) -> list[tuple[str, str]]:
    """(entity, ad_id) the account should hold: the account-wide two, and AD for each Spark
    ad that runs on a ledger row."""
    ads = account.spark_ads.filter(authorization__isnull=False).order_by("ad_id").values_list("ad_id", flat=True)
    return [(Entity.REPORT_DATA_CHANGE, ""), (Entity.CREATIVE_FATIGUE, ""), *((Entity.AD, ad) for ad in ads)]


def subscribe(account: AdAccount) -> int:
    """Hold each subscription the account should; a refusal is recorded, never raised (the
    next sweep tries again). Returns how many subscriptions TikTok made now."""
    held = set(
        AdAccountSubscription.objects.filter(ad_account=account)
        .exclude(subscription_id="")
        .values_list("entity", "ad_id")
    )
    callback = callback_url()
    return sum(
        _subscribe_one(account, entity, ad_id, callback)
        for entity, ad_id in _wanted(account)
        if (entity, ad_id) not in held
    )


def _subscribe_one(account: AdAccount, entity: str, ad_id: str, callback: str) -> bool:
    sub, _ = AdAccountSubscription.objects.get_or_create(ad_account=account, entity=entity, ad_id=ad_id)
    detail = _detail(account, entity, ad_id)
    try:
        # The app subscribes; the account's token in the detail lets TikTok check its access.
        sub.subscription_id = call_with_credential(
            account.credential_id,
            lambda client: client.subscription_subscribe(
                entity, callback, detail | {"access_token": client.access_token}
            ),
        )
    except TikTokError as exc:
        sub.last_error = str(exc)[:2000]
        sub.save()
        return False
    sub.subscribed_at, sub.last_error = clock.now(), ""
    sub.save()
    return True


def unsubscribe(account: AdAccount) -> int:
    """End every subscription of an account that can feed no live code; one TikTok refuses stays
    (with its error) for the next sweep. Returns how many are gone."""
    gone = 0
    for sub in AdAccountSubscription.objects.filter(ad_account=account):
        if sub.subscription_id:
            try:
                BusinessClient().subscription_unsubscribe(sub.subscription_id)
            except TikTokError as exc:
                if str(exc.code) != str(GONE):
                    sub.last_error = str(exc)[:2000]
                    sub.save(update_fields=["last_error"])
                    continue
        sub.delete()
        gone += 1
    return gone


def keep(accounts: Sequence[AdAccount], live_ids: set[int]) -> None:
    """After a sweep: accounts that may feed a live code are subscribed, the others unsubscribed."""
    for account in accounts:
        if account.pk in live_ids:
            subscribe(account)
        else:
            unsubscribe(account)


def still_subscribed(ids: Sequence[int]) -> set[int]:
    """Of these accounts, those TikTok may still hold a subscription for (swept again so an
    unsubscribe that failed is tried once more)."""
    return set(AdAccountSubscription.objects.filter(ad_account_id__in=ids).values_list("ad_account_id", flat=True))
