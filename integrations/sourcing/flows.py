"""Creator sourcing and campaigns through the TikTok One account the capability says to use
(the brand's verified account, or the platform's internal one when the brand has none)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from ..connect.capability import spark_ads_capability
from ..errors import FlowError, message_for
from ..models import BackgroundJob, Brand, Campaign, Collaboration, TikTokAccount, TikTokOneAccount
from ..tiktok import BusinessClient, Kind, TikTokError, items, iter_pages
from ..tiktok import tokens as tiktok_tokens

logger = logging.getLogger("integrations.sourcing")

PAGE_SIZE = 20
# A second "create" of the same campaign name this soon after the first is a double submit:
# it gets the campaign just created rather than a second one at TikTok.
CAMPAIGN_REPEAT_WINDOW = timedelta(minutes=2)
# A campaign still "creating" after this belonged to a process that died mid-call.
CAMPAIGN_CREATE_STALE_AFTER = timedelta(minutes=10)
# Our sort names -> TikTok's sort_field (tto/tcm/creator/discover/).
SORT_FIELDS = {
    "followers": "FOLLOWERS",
    "views": "MEDIAN_VIEWS",
    "engagement": "ENGAGEMENT_RATE",
    "relevance": "RELEVANCE",
}
BREAKDOWNS = (("countries", "Countries"), ("genders", "Gender"), ("ages", "Age"), ("devices", "Devices"))


def sourcing_account(brand: Brand) -> TikTokOneAccount | None:
    """The TikTok One account whose features the brand uses, with a usable credential."""
    account = spark_ads_capability(brand).tiktok_one_account
    if account is None or account.credential_id is None:
        return None
    return account


def _explain(exc: TikTokError) -> FlowError:
    if exc.kind == Kind.AUTH:
        return FlowError(
            "TikTok no longer accepts the connection to this TikTok One account. Reconnect it on the Integrations page."
        )
    return FlowError(message_for(exc), retryable=exc.kind == Kind.TRANSIENT)


def call_tiktok_one(account: TikTokOneAccount, fn: Callable[[BusinessClient], Any]) -> Any:
    try:
        return tiktok_tokens.call_with_credential(account.credential_id, fn)
    except TikTokError as exc:
        logger.warning("tiktok one call failed account=%s code=%s request_id=%s", account.pk, exc.code, exc.request_id)
        raise _explain(exc) from exc


# --- creator search ------------------------------------------------------------------------


@dataclass
class CreatorResults:
    creators: list[dict[str, Any]]
    page: int
    total_pages: int
    total: int

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.total_pages


def discover_filters(cleaned: dict[str, Any]) -> dict[str, Any]:
    """Form values -> TikTok's query parameters (only those set)."""
    params: dict[str, Any] = {}
    if cleaned.get("country"):
        params["country_codes"] = [cleaned["country"].upper()]
    for ours, theirs in (
        ("min_followers", "min_followers"),
        ("max_followers", "max_followers"),
        ("min_views", "min_median_views"),
    ):
        if cleaned.get(ours) is not None:
            params[theirs] = int(cleaned[ours])
    if cleaned.get("min_engagement") is not None:
        # The form takes a percentage; TikTok a ratio.
        params["min_engagement_rate"] = float(cleaned["min_engagement"]) / 100
    if cleaned.get("keyword"):
        params["keyword_search"] = cleaned["keyword"]
    sort = cleaned.get("sort") or "followers"
    params["sort_field"] = SORT_FIELDS.get(sort, "FOLLOWERS")
    if sort != "relevance":
        params["sort_order"] = "DESC"
    return params


def json_filters(cleaned: dict[str, Any]) -> dict[str, Any]:
    """The search form's values as a job stores them (JSON: decimals as text)."""
    return {
        k: str(v) if isinstance(v, Decimal) else v for k, v in cleaned.items() if k != "page" and v not in (None, "")
    }


def search_job(job: BackgroundJob) -> tuple[str, dict[str, Any]]:
    """integrations.jobs runner: one page of creators for the results area."""
    account = sourcing_account(job.brand) if job.brand is not None else None
    if account is None:
        raise FlowError("Creator sourcing is not available for this brand any more. See Integrations.")
    results = search_creators(account, job.params["filters"], page=job.params["page"])
    return "", {**asdict(results), "has_previous": results.has_previous, "has_next": results.has_next}


def search_creators(account: TikTokOneAccount, cleaned: dict[str, Any], page: int = 1) -> CreatorResults:
    params = discover_filters(cleaned)
    data = call_tiktok_one(
        account,
        lambda c: c.tto_tcm_creator_discover(account.tto_tcm_account_id, page=page, page_size=PAGE_SIZE, **params),
    )
    info = data.get("page_info") or {}
    creators = [with_breakdowns(c) for c in data.get("creators") or []]
    return CreatorResults(
        creators=creators,
        page=int(info.get("page") or page),
        total_pages=int(info.get("total_page") or (1 if creators else 0)),
        total=int(info.get("total_number") or len(creators)),
    )


@dataclass
class Breakdown:
    title: str
    rows: list[tuple[str, float]] = field(default_factory=list)


def with_breakdowns(creator: dict[str, Any]) -> dict[str, Any]:
    """Add ``breakdowns``: audience_{countries,genders,ages,devices} as (label, percent) rows."""
    breakdowns = []
    for key, title in BREAKDOWNS:
        rows = []
        for item in creator.get(f"audience_{key}") or []:
            label = next((str(v) for k, v in item.items() if k != "percentage"), "?")
            rows.append((label, round(float(item.get("percentage") or 0) * 100, 1)))
        if rows:
            breakdowns.append(Breakdown(title, rows))
    engagement = creator.get("engagement_rate")
    return {
        **creator,
        "breakdowns": breakdowns,
        "engagement_percent": round(float(engagement) * 100, 2) if engagement is not None else None,
    }


def creator_profile(account: TikTokOneAccount, handle: str) -> dict[str, Any]:
    creator = call_tiktok_one(account, lambda c: c.tto_tcm_creator_public(account.tto_tcm_account_id, handle))
    return with_breakdowns(creator or {})


def profile_job(job: BackgroundJob) -> tuple[str, dict[str, Any]]:
    """integrations.jobs runner: a creator's public profile and audience for their page."""
    account = sourcing_account(job.brand) if job.brand is not None else None
    if account is None:
        raise FlowError("Creator sourcing is not available for this brand any more. See Integrations.")
    creator = creator_profile(account, job.params["handle"])
    # The job stores JSON: the breakdowns as plain mappings.
    return "", {**creator, "breakdowns": [asdict(b) for b in creator["breakdowns"]]}


# --- campaigns ---------------------------------------------------------------------------


def create_campaign(brand: Brand, account: TikTokOneAccount, cleaned: dict[str, Any]) -> tuple[Campaign, bool]:
    """Create the campaign at TikTok One, then store its id and invite link; returns the
    campaign and whether this call created it (False: a double submit of one just made).

    The campaign row is written and committed first (status creating, unique per brand and
    name), and only its writer calls TikTok.
    """
    name = cleaned["name"]
    recent = Campaign.objects.filter(
        brand=brand, name=name, created_at__gte=timezone.now() - CAMPAIGN_REPEAT_WINDOW
    ).exclude(status=Campaign.Status.CREATING)
    if (done := recent.first()) is not None:
        return done, False
    campaign = _insert_pending_campaign(brand, account, cleaned)
    fields: dict[str, Any] = {
        "campaign_description": cleaned.get("description") or None,
        "default_spark_ads_requested_authorization_days": int(cleaned["spark_ads_default_days"]),
        **_tiktok_one_fields(campaign),
    }
    active_ad = spark_ads_capability(brand).ad_account
    if active_ad is not None:
        fields["advertiser_ids"] = [active_ad.advertiser_id]
    try:
        data = call_tiktok_one(
            account,
            lambda c: c.tto_tcm_campaign_create(
                account.tto_tcm_account_id, campaign_name=name, brand_name=campaign.brand_name, **fields
            ),
        )
    except FlowError:
        campaign.delete()  # TikTok has no campaign: the form may be sent again
        raise
    campaign.campaign_id = str(data.get("campaign_id") or "")
    campaign.invite_link = str(data.get("invite_link") or "")
    campaign.status = Campaign.Status.ACTIVE
    campaign.next_poll_at = timezone.now()
    campaign.save(update_fields=["campaign_id", "invite_link", "status", "next_poll_at"])
    return campaign, True


def _tiktok_one_fields(campaign: Campaign) -> dict[str, Any]:
    """The optional create fields the campaign was given; TikTok gets only those set."""
    fields: dict[str, Any] = {}
    if campaign.brand_profile_id:
        fields["brand_profile_id"] = campaign.brand_profile_id
    if campaign.anchor_id:
        fields["anchor_id"] = campaign.anchor_id
    if campaign.dm_business_account_handle:
        fields["business_account_handle"] = campaign.dm_business_account_handle
    return fields


def _insert_pending_campaign(brand: Brand, account: TikTokOneAccount, cleaned: dict[str, Any]) -> Campaign:
    for _ in range(2):  # the second try follows the take-over of an abandoned row
        try:
            with transaction.atomic():
                return Campaign.objects.create(
                    brand=brand,
                    tiktok_one_account=account,
                    status=Campaign.Status.CREATING,
                    next_poll_at=None,
                    name=cleaned["name"],
                    brand_name=cleaned["brand_name"] or brand.name,
                    spark_ads_default_days=int(cleaned["spark_ads_default_days"]),
                    require_tiktok_authorized=cleaned["require_tiktok_authorized"],
                    require_sponsored_video_tab=cleaned["require_sponsored_video_tab"],
                    require_original_or_promo_sound=cleaned["require_original_or_promo_sound"],
                    dm_business_account_handle=cleaned.get("dm_business_account_handle") or "",
                    brand_profile_id=cleaned.get("brand_profile_id") or "",
                    anchor_id=cleaned.get("anchor_id") or "",
                )
        except IntegrityError:
            # A process that died mid-call leaves its row; past the window it is taken over.
            stale = Campaign.objects.filter(
                brand=brand,
                name=cleaned["name"],
                status=Campaign.Status.CREATING,
                created_at__lt=timezone.now() - CAMPAIGN_CREATE_STALE_AFTER,
            ).delete()[0]
            if not stale:
                raise FlowError(
                    f"Already requested: “{cleaned['name']}” is being created on TikTok One; "
                    "it is listed below and opens in a moment."
                ) from None
    raise FlowError("The campaign changed while you created it; reload the page and try again.")


def add_creator_to_campaign(campaign: Campaign, creator: dict[str, Any]) -> tuple[Collaboration, bool]:
    """Upsert the creator's TikTokAccount by handle and invite them (idempotent)."""
    handle = str(creator.get("handle_name") or creator.get("handle") or "").lstrip("@").strip()
    if not handle:
        raise FlowError("That creator has no handle.")
    updates: dict[str, Any] = {}
    if creator.get("creator_id"):
        updates["creator_id"] = str(creator["creator_id"])
    if creator.get("display_name"):
        updates["display_name"] = str(creator["display_name"])[:200]
    if creator.get("profile_image"):
        updates["avatar_url"] = str(creator["profile_image"])[:1000]
    for ours, theirs in (
        ("follower_count", "followers_count"),
        ("likes_count", "likes_count"),
        ("video_count", "videos_count"),
    ):
        if creator.get(theirs) not in (None, ""):
            updates[ours] = int(creator[theirs])
    for _ in range(2):  # a concurrent insert of the same handle: the second try finds it
        try:
            with transaction.atomic():
                account, created = TikTokAccount.objects.get_or_create(handle=handle, defaults=updates)
                if not created and updates:
                    TikTokAccount.objects.filter(pk=account.pk).update(**updates)
                return Collaboration.objects.get_or_create(
                    campaign=campaign, tiktok_account=account, defaults={"status": Collaboration.Status.INVITED}
                )
        except IntegrityError:
            continue
    raise FlowError("Could not add that creator; please try again.")


# --- campaigns the brand already runs on TikTok One ------------------------------------------

IMPORT_PAGE_SIZE = 50  # tto/tcm/campaign/ pages
IMPORT_MAX_PAGES = 40


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    skipped: int = 0


def import_campaigns(brand: Brand, account: TikTokOneAccount) -> ImportResult:
    """Create or update a Campaign row per campaign of the brand's own TikTok One account,
    keyed by TikTok's campaign_id, so importing again changes nothing it need not.

    The platform's internal account serves many brands: its campaigns are not one brand's.
    """
    if account.is_internal or account.brand_id != brand.pk:
        raise FlowError("Only a brand's own TikTok One account has campaigns to import; connect it on Integrations.")
    result = ImportResult()
    pages = iter_pages(
        lambda page: call_tiktok_one(
            account,
            lambda c: c.tto_tcm_campaign_get(account.tto_tcm_account_id, page=page, page_size=IMPORT_PAGE_SIZE),
        ),
        max_pages=IMPORT_MAX_PAGES,
    )
    for item in items(pages, "campaigns"):
        campaign_id = str(item.get("campaign_id") or "").strip() if isinstance(item, dict) else ""
        if not campaign_id:
            result.skipped += 1
            continue
        values = _imported_values(item, account)
        try:
            with transaction.atomic():
                _, created = Campaign.objects.update_or_create(
                    campaign_id=campaign_id,
                    brand=brand,
                    defaults=values,
                    create_defaults={**values, "status": Campaign.Status.ACTIVE, "next_poll_at": timezone.now()},
                )
        except IntegrityError:
            # Held by another brand's row, or made a moment ago by a concurrent import.
            result.skipped += 1
            continue
        if created:
            result.created += 1
        else:
            result.updated += 1
    return result


def _imported_values(item: dict[str, Any], account: TikTokOneAccount) -> dict[str, Any]:
    dm = item.get("dm_info")
    dm = dm if isinstance(dm, dict) else {}
    countries = item.get("country_codes")
    values: dict[str, Any] = {
        "tiktok_one_account": account,
        "name": str(item.get("campaign_name") or item.get("campaign_id"))[:200],
        "brand_name": str(item.get("brand_name") or "")[:200],
        "invite_link": str(item.get("invite_link") or "")[:1000],
        "country_codes": [str(c) for c in countries] if isinstance(countries, list) else [],
        "brand_profile_id": str(item.get("brand_profile_id") or "")[:64],
        "anchor_id": str(item.get("anchor_id") or "")[:64],
        "dm_business_account_handle": str(dm.get("business_account_handle") or "")[:100],
        "dm_allowed": dm.get("dm_allowed") is True,
    }
    days = item.get("spark_ads_requested_authorization_days")
    if str(days) in {"7", "30", "60", "365"}:
        values["spark_ads_default_days"] = int(str(days))
    return values
