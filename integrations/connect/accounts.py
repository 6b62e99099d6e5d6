"""What a brand (or staff) does with its connected accounts."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from ..errors import FlowError
from ..models import AdAccount, TikTokOneAccount


def remove_ad_account(ad: AdAccount) -> None:
    """Remove an ad account from the brand, unless it is the last Spark-enabled ad account
    the TikTok One account can access (raises FlowError with the reason)."""
    with transaction.atomic():
        live = AdAccount.objects.select_for_update().filter(brand_id=ad.brand_id, removed_at__isnull=True)
        rows = {a.pk: a for a in live}
        locked = rows.get(ad.pk)
        if locked is None:
            return
        ad = locked
        others_usable = [a for a in rows.values() if a.pk != ad.pk and a.usable_for_spark]
        if ad.usable_for_spark and not others_usable:
            raise FlowError(
                f"“{ad}” is the only ad account with Spark Ads enabled that your TikTok One account can "
                "access. At least one must remain, so it was not removed. To replace it, first make another "
                "one usable: “Add back” an ad account you removed (under Removed ad accounts), or click "
                "“Add TikTok One and Ad Account” and share another ad account on TikTok's screen."
            )
        ad.removed_at = timezone.now()
        was_active = ad.is_active_for_spark
        ad.is_active_for_spark = False
        ad.save(update_fields=["removed_at", "is_active_for_spark"])
        if was_active and others_usable:
            others_usable[0].is_active_for_spark = True
            others_usable[0].save(update_fields=["is_active_for_spark"])


def restore_ad_account(ad: AdAccount) -> None:
    """“Add back”: a removed ad account is the brand's again, as the last check found it (the
    next re-check or reconnect brings its access up to date); a brand without an ad account
    for Spark Ads gets this one if it can run them."""
    with transaction.atomic():
        if not AdAccount.objects.filter(pk=ad.pk, removed_at__isnull=False).update(removed_at=None):
            raise FlowError(f"“{ad}” is already one of this brand's ad accounts.")
        ad.removed_at = None
        live = AdAccount.objects.filter(brand_id=ad.brand_id, removed_at__isnull=True)
        if ad.usable_for_spark and not live.filter(is_active_for_spark=True).exists():
            AdAccount.objects.filter(pk=ad.pk).update(is_active_for_spark=True)


def set_spark_ad_account(ad: AdAccount) -> None:
    """Make ``ad`` the brand's ad account for Spark Ads (refused if it cannot be used)."""
    if not ad.usable_for_spark:
        raise FlowError(
            f"“{ad}” cannot run Spark Ads: "
            + ("the TikTok One account cannot access it." if not ad.tto_has_access else "Spark Ads are off for it.")
        )
    with transaction.atomic():
        AdAccount.objects.filter(brand_id=ad.brand_id, is_active_for_spark=True).exclude(pk=ad.pk).update(
            is_active_for_spark=False
        )
        AdAccount.objects.filter(pk=ad.pk).update(is_active_for_spark=True)


def remove_tiktok_one_account(account: TikTokOneAccount) -> None:
    """Staff action: the brand no longer uses this account; history is kept."""
    with transaction.atomic():
        TikTokOneAccount.objects.filter(pk=account.pk).update(
            removed_at=timezone.now(), status=TikTokOneAccount.Status.INACTIVE, is_internal=False
        )
        AdAccount.objects.filter(tiktok_one_account=account).update(tto_has_access=False)
