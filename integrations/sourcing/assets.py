"""Brand profiles and anchors a brand makes at TikTok One for its campaigns.

Each create is one TikTok write per intent: the brand row is locked while TikTok is called,
and a second submit of the same name within the window gets the row the first one made.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from ..errors import FlowError
from ..models import Anchor, BackgroundJob, Brand, BrandProfile, TikTokOneAccount
from ..tiktok import TikTokError
from ..tiktok.errors import NOT_EXIST
from .flows import call_tiktok_one, sourcing_account

REPEAT_WINDOW = timedelta(minutes=2)
# tto/tcm/anchor/get/ takes up to this many ids per call (the page size the client asks for).
IDS_PER_CALL = 20


def _lock(brand: Brand) -> None:
    Brand.objects.select_for_update().filter(pk=brand.pk).first()


def create_brand_profile(brand: Brand, account: TikTokOneAccount, cleaned: dict[str, Any]) -> tuple[BrandProfile, bool]:
    name = cleaned["brand_name"]
    with transaction.atomic():
        _lock(brand)
        recent = BrandProfile.objects.filter(
            brand=brand, brand_name=name, created_at__gte=timezone.now() - REPEAT_WINDOW
        ).first()
        if recent is not None:
            return recent, False
        fields = {k: cleaned[k] for k in ("brand_website", "tiktok_account_url") if cleaned.get(k)}
        data = call_tiktok_one(
            account, lambda c: c.tto_tcm_brand_profile_create(account.tto_tcm_account_id, name, **fields)
        )
        profile_id = str(data.get("brand_profile_id") or "")
        if not profile_id:
            raise FlowError("TikTok did not say which brand profile it made; look for it on TikTok One.")
        profile = BrandProfile.objects.create(
            brand=brand,
            tiktok_one_account=account,
            brand_profile_id=profile_id,
            brand_name=str(data.get("brand_name") or name)[:100],
            brand_website=str(data.get("brand_website") or cleaned.get("brand_website") or "")[:500],
            tiktok_account_url=str(data.get("tiktok_account_url") or cleaned.get("tiktok_account_url") or "")[:500],
        )
    return profile, True


def create_anchor(brand: Brand, account: TikTokOneAccount, cleaned: dict[str, Any]) -> tuple[Anchor, bool]:
    name = cleaned["anchor_name"]
    with transaction.atomic():
        _lock(brand)
        recent = Anchor.objects.filter(brand=brand, anchor_name=name, created_at__gte=timezone.now() - REPEAT_WINDOW)
        if (done := recent.first()) is not None:
            return done, False
        data = call_tiktok_one(
            account,
            lambda c: c.tto_tcm_anchor_create(
                account.tto_tcm_account_id,
                anchor_sub_type=cleaned["anchor_sub_type"],
                anchor_name=name,
                anchor_title=cleaned["anchor_title"],
                call_to_action={"landing_page_url": cleaned["landing_page_url"]},
            ),
        )
        anchor_id = str(data.get("anchor_id") or "")
        if not anchor_id:
            raise FlowError("TikTok did not say which anchor it made; look for it on TikTok One.")
        anchor = Anchor.objects.create(
            brand=brand,
            tiktok_one_account=account,
            anchor_id=anchor_id,
            anchor_sub_type=str(data.get("anchor_sub_type") or cleaned["anchor_sub_type"])[:20],
            anchor_name=name,
            anchor_title=cleaned["anchor_title"],
            landing_page_url=cleaned["landing_page_url"],
            status=str(data.get("status") or "")[:30],
        )
    return anchor, True


def _read_anchors(account: TikTokOneAccount, anchor_ids: list[str]) -> Any:
    return call_tiktok_one(
        account,
        lambda c: c.tto_tcm_anchor_get(account.tto_tcm_account_id, anchor_ids=anchor_ids, page_size=IDS_PER_CALL),
    )


def refresh_anchors(brand: Brand, account: TikTokOneAccount) -> None:
    """Read the review status of the brand's anchors on this account; an anchor TikTok no
    longer lists is removed."""
    anchors = {a.anchor_id: a for a in Anchor.objects.filter(brand=brand, tiktok_one_account=account)}
    ids = sorted(anchors)
    seen: set[str] = set()
    for start in range(0, len(ids), IDS_PER_CALL):
        chunk = ids[start : start + IDS_PER_CALL]
        data = _read_anchors(account, chunk)
        for item in data.get("anchors") or []:
            anchor = anchors.get(str(item.get("anchor_id") or ""))
            if anchor is None:
                continue
            seen.add(anchor.anchor_id)
            status = str(item.get("status") or "")[:30]
            if status and status != anchor.status:
                Anchor.objects.filter(pk=anchor.pk).update(status=status)
    Anchor.objects.filter(pk__in=[a.pk for i, a in anchors.items() if i not in seen]).delete()


def review_job(job: BackgroundJob) -> tuple[str, dict]:
    """integrations.jobs runner: the anchors' review status, read for their page."""
    brand = job.brand
    account = sourcing_account(brand) if brand is not None else None
    if brand is None or account is None:
        raise FlowError("This needs a TikTok One account; see Integrations.")
    refresh_anchors(brand, account)
    return "", {}


def delete_anchor(account: TikTokOneAccount, anchor: Anchor) -> None:
    try:
        call_tiktok_one(account, lambda c: c.tto_tcm_anchor_delete(account.tto_tcm_account_id, anchor.anchor_id))
    except FlowError as err:
        cause = err.__cause__
        # 40007: already gone at TikTok (deleted there, or by a first submit): the row goes too.
        if not (isinstance(cause, TikTokError) and cause.code == NOT_EXIST):
            raise
    anchor.delete()
