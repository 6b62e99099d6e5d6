"""What the insights pages read: totals, the post table and its cells."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import F, Q, QuerySet, Sum
from django.http import QueryDict
from django.utils import timezone

from ..models import AdAccount, Brand, Campaign, CampaignPost, PostInsight

TOTAL_FIELDS = [
    "video_views",
    "video_views_organic",
    "video_views_paid",
    "reach",
    "likes",
    "comments",
    "shares",
    "favorites",
    "engagement_count",
    "ad_impressions",
    "ad_clicks",
    "ad_cost",
    "ad_conversions",
]


def _ratio(part: float | int | None, whole: float | int | None, scale: float = 1.0) -> float | None:
    return float(part) / float(whole) * scale if part is not None and whole else None


def with_derived(totals: dict[str, Any]) -> dict[str, Any]:
    """Rates from summed counts (a mean of per-post rates would weigh a 10-view post like a hit)."""
    totals["engagement_rate"] = _ratio(totals.get("engagement_count"), totals.get("video_views"))
    totals["ad_ctr"] = _ratio(totals.get("ad_clicks"), totals.get("ad_impressions"))
    totals["ad_cpm"] = _ratio(totals.get("ad_cost"), totals.get("ad_impressions"), 1000)
    totals["ad_cpc"] = _ratio(totals.get("ad_cost"), totals.get("ad_clicks"))
    return totals


def campaign_totals(campaign: Campaign) -> dict[str, Any]:
    sums = PostInsight.objects.filter(campaign=campaign).aggregate(**{f: Sum(f) for f in TOTAL_FIELDS})
    return with_derived(sums)


def brand_campaigns_with_totals(brand: Brand) -> QuerySet[Campaign]:
    """The brand's campaigns, newest first, each annotated with its totals: a page of them is
    one query."""
    annotations = {f"t_{f}": Sum(f"post_insights__{f}") for f in TOTAL_FIELDS}
    return Campaign.objects.filter(brand=brand).annotate(**annotations).order_by("-created_at", "-pk")


def with_cells(campaigns: Iterable[Campaign], currency: str = "") -> list[Campaign]:
    """Campaigns of `brand_campaigns_with_totals`, each with `cells`, its formatted totals."""
    rows = list(campaigns)
    for c in rows:
        totals = with_derived({f: getattr(c, f"t_{f}") for f in TOTAL_FIELDS})
        # A row attribute for the template only, not a model field.
        c.cells = format_totals(totals, BRAND_TABLE_KEYS, currency)  # type: ignore[attr-defined]
    return rows


BRAND_TABLE_KEYS = [
    "video_views",
    "video_views_organic",
    "video_views_paid",
    "engagement_count",
    "engagement_rate",
    "ad_cost",
]


@dataclass(frozen=True)
class Column:
    key: str  # attribute of the row's PostInsight, or "handle" / "video_id" / "changed_at"
    label: str
    kind: str  # text / int / pct / money / seconds / datetime
    sort: str = ""  # the order_by path, if sortable


COLUMNS = [
    Column("handle", "Creator", "text", "tiktok_account__handle"),
    Column("video_id", "Video", "text", "video_id"),
    Column("video_views", "Views", "int", "insight__video_views"),
    Column("video_views_organic", "Organic views", "int", "insight__video_views_organic"),
    Column("video_views_paid", "Paid views", "int", "insight__video_views_paid"),
    Column("reach", "Reach", "int", "insight__reach"),
    Column("engagement_count", "Engagement", "int", "insight__engagement_count"),
    Column("engagement_rate", "Eng. rate", "pct", "insight__engagement_rate"),
    Column("video_completion_rate", "Completion", "pct", "insight__video_completion_rate"),
    Column("ad_impressions", "Ad impr.", "int", "insight__ad_impressions"),
    Column("ad_cost", "Ad cost", "money", "insight__ad_cost"),
    Column("changed_at", "Figures changed", "datetime", "insight__changed_at"),
]
SORTS = {c.key: c.sort for c in COLUMNS if c.sort}
DEFAULT_SORT = "-video_views"
SHOW = {
    "all": Q(),
    "boosted": Q(insight__video_views_paid__gt=0),
    "organic": ~Q(insight__video_views_paid__gt=0),
    "unreported": Q(insight__isnull=True),
}


def table_params(query: QueryDict) -> dict[str, str]:
    """The table's filters and sort from a QueryDict, cleaned to known values."""
    sort = query.get("sort") or DEFAULT_SORT
    if sort.lstrip("-") not in SORTS:
        sort = DEFAULT_SORT
    show = query.get("show") or "all"
    if show not in SHOW:
        show = "all"
    return {"q": (query.get("q") or "").strip()[:100], "show": show, "sort": sort}


def post_table(campaign: Campaign, params: dict[str, str]) -> QuerySet[CampaignPost]:
    """The posts the table shows, filtered and sorted; the CSV export uses the same query."""
    posts = CampaignPost.objects.filter(campaign=campaign).filter(SHOW[params["show"]])
    if params["q"]:
        q = params["q"].lstrip("@")
        posts = posts.filter(Q(tiktok_account__handle__icontains=q) | Q(video_id__startswith=q))
    key = params["sort"].lstrip("-")
    field = F(SORTS[key])
    order = field.desc(nulls_last=True) if params["sort"].startswith("-") else field.asc(nulls_last=True)
    return posts.select_related("tiktok_account", "insight").order_by(order, "pk")


def row_values(post: CampaignPost) -> list[Any]:
    """The table's cells for one post, raw (the template and the CSV format them)."""
    insight = getattr(post, "insight", None)
    values: list[Any] = []
    for column in COLUMNS:
        if column.key == "handle":
            values.append(post.tiktok_account.handle)
        elif column.key == "video_id":
            values.append(post.video_id)
        else:
            values.append(getattr(insight, column.key, None) if insight else None)
    return values


def format_cell(value: Any, kind: str, *, for_csv: bool = False) -> str:
    """One cell as the table shows it; the CSV drops thousands separators and the dash."""
    if value is None or value == "":
        return "" if for_csv else "–"
    if kind == "int":
        return str(value) if for_csv else f"{value:,}"
    if kind == "pct":
        return f"{value * 100:.2f}%"
    if kind == "money":
        return f"{value:.2f}" if for_csv else f"{value:,.2f}"
    if kind == "datetime":
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    return str(value)


def format_row(values: list[Any], *, for_csv: bool = False) -> list[str]:
    return [format_cell(v, c.kind, for_csv=for_csv) for v, c in zip(values, COLUMNS, strict=True)]


TOTAL_CARDS = [
    ("video_views", "Views", "int"),
    ("video_views_organic", "Organic views", "int"),
    ("video_views_paid", "Paid views", "int"),
    ("reach", "Reach", "int"),
    ("engagement_count", "Engagement", "int"),
    ("engagement_rate", "Engagement rate", "pct"),
    ("likes", "Likes", "int"),
    ("comments", "Comments", "int"),
    ("shares", "Shares", "int"),
    ("favorites", "Favorites", "int"),
    ("ad_impressions", "Ad impressions", "int"),
    ("ad_clicks", "Ad clicks", "int"),
    ("ad_ctr", "CTR", "pct"),
    ("ad_cost", "Ad cost", "money"),
    ("ad_cpm", "CPM", "money"),
    ("ad_cpc", "CPC", "money"),
    ("ad_conversions", "Conversions", "int"),
]


def format_totals(totals: dict[str, Any], keys: list[str] | None = None, currency: str = "") -> list[tuple[str, str]]:
    """(label, shown value) for the totals cards or the brand table; money labels name the
    currency."""
    return [
        (money_label(label, kind, currency), format_cell(totals.get(key), kind))
        for key, label, kind in TOTAL_CARDS
        if not keys or key in keys
    ]


def money_label(label: str, kind: str, currency: str) -> str:
    return f"{label} ({currency})" if kind == "money" and currency else label


def money_currency(brand: Brand) -> str:
    """The currency of the brand's ad cost, CPM and CPC: TikTok reports a campaign's paid
    figures in the ad account's currency, as advertiser/info gives it for the brand's Spark Ads
    ad account. Empty while none is chosen or TikTok gave none."""
    return (
        AdAccount.objects.filter(brand=brand, is_active_for_spark=True).values_list("currency", flat=True).first() or ""
    )
