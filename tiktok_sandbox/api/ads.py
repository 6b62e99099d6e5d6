"""The endpoints `integrations.tiktok.ads` calls: an advertiser's ads (`ad/get/`), the
synchronous report of what they spent (`report/integrated/get/`) and whether a post's music
may run in an ad flight (`identity/music/authorization/`).

Shapes: bububa/tiktok-business `model/ad/ad.go`, `model/ad/get.go`,
`model/report/integrated_get.go`, `model/report/metrics.go`. The report serves what the
product reads (BASIC, AUCTION_AD, dimensions ``ad_id`` with or without ``stat_time_day``);
anything else TikTok offers answers 40002 here, and docs/sandbox.md says so.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from django.db.models import QuerySet

from tiktok_sandbox import ads, clock, music
from tiktok_sandbox.api import Call, endpoint
from tiktok_sandbox.api.business import advertiser_for, visible_advertisers
from tiktok_sandbox.api.spark import identity_id
from tiktok_sandbox.envelopes import BusinessError
from tiktok_sandbox.models import Ad, Advertiser, Video

MAX_ADVERTISERS = 5  # advertiser_ids, model/report/integrated_get.go
MAX_DAILY_RANGE = 30  # days, with stat_time_day
MAX_RANGE = 365  # days, without
COUNT_METRICS = (
    "impressions",
    "clicks",
    "video_play_actions",
    "paid_engaged_view",
    "likes",
    "comments",
    "shares",
    "follows",
    "profile_visits",
)
RATIO_METRICS = ("ctr", "cpm", "cpc")
ATTRIBUTE_METRICS = ("ad_name", "campaign_id", "campaign_name", "adgroup_id", "adgroup_name", "currency")
METRICS = ("spend", *COUNT_METRICS, *RATIO_METRICS, *ATTRIBUTE_METRICS)
# Each count per 1,000 impressions, so every figure follows from the spend.
PER_MILLE = {
    "impressions": 1000,
    "clicks": 12,
    "video_play_actions": 640,
    "paid_engaged_view": 110,
    "likes": 30,
    "comments": 2,
    "shares": 3,
    "follows": 1,
    "profile_visits": 5,
}


# --- ad/get/ --------------------------------------------------------------------------------

# The fields of model/ad/ad.go the sandbox fills; ``fields`` may name any of them.
AD_FIELDS = frozenset(
    [
        "advertiser_id",
        "campaign_id",
        "campaign_name",
        "adgroup_id",
        "adgroup_name",
        "ad_id",
        "ad_name",
        "create_time",
        "modify_time",
        "identity_type",
        "identity_id",
        "identity_authorized_bc_id",
        "video_id",
        "tiktok_item_id",
        "ad_format",
        "operation_status",
        "secondary_status",
    ]
)


def ad_fields(ad: Ad) -> dict:
    state = ads.delivery(ad)
    out = {
        "advertiser_id": ad.advertiser.advertiser_id,
        "campaign_id": ad.campaign_id,
        "campaign_name": ad.campaign_name,
        "adgroup_id": ad.adgroup_id,
        "adgroup_name": ad.adgroup_name,
        "ad_id": ad.ad_id,
        "ad_name": ad.ad_name,
        "create_time": clock.fmt(ad.create_time),
        "modify_time": clock.fmt(state.modify_time),
        "identity_type": ad.identity_type,
        "identity_id": ad.identity_id,
        # A pulled Spark ad has no video_id: the post is tiktok_item_id (model/ad/ad.go).
        "video_id": None,
        "tiktok_item_id": ad.video.video_id,
        "ad_format": "SINGLE_VIDEO",
        "operation_status": state.operation_status,
        "secondary_status": state.secondary_status,
    }
    if ad.identity_type == "BC_AUTH_TT":
        out["identity_authorized_bc_id"] = ad.identity_authorized_bc_id
    return out


# The id lists ad/get/ and adgroup/get/ filter by, and the column each names.
ID_FILTERS = {"campaign_ids": "campaign_id", "adgroup_ids": "adgroup_id", "ad_ids": "ad_id"}


def _asked_ads(call: Call, allowed: frozenset[str], id_filters: tuple[str, ...]) -> tuple[QuerySet[Ad], list, dict]:
    """The advertiser's ads narrowed by ``filtering``'s id lists (1 to 100 ids each), the
    ``fields`` asked (each one of ``allowed``), and the ``filtering`` for what else it says."""
    advertiser = advertiser_for(call)
    fields = call.list("fields")
    if unknown := [f for f in fields if f not in allowed]:
        raise BusinessError(40002, f"fields: {unknown[0]} is not a valid field.")
    filtering = call.dict("filtering")
    rows = Ad.objects.filter(advertiser=advertiser).select_related("advertiser")
    for key in id_filters:
        wanted = filtering.get(key)
        if wanted is not None:
            if not isinstance(wanted, list) or not 1 <= len(wanted) <= 100:
                raise BusinessError(40002, f"filtering.{key}: between 1 and 100 ids.")
            rows = rows.filter(**{f"{ID_FILTERS[key]}__in": [str(v) for v in wanted]})
    return rows, fields, filtering


def _page_of(call: Call, listed: list[dict], fields: list) -> dict:
    if fields:
        listed = [{k: v for k, v in a.items() if k in fields} for a in listed]
    page, info = call.page(listed, default_size=10, max_size=1000)
    return {"list": page, "page_info": info}


@endpoint("ad/get/", "GET")
def ad_get(call: Call) -> dict:
    rows, fields, filtering = _asked_ads(call, AD_FIELDS, ("campaign_ids", "adgroup_ids", "ad_ids"))
    rows = rows.select_related("video", "authorization__auth_code")
    if filtering.get("primary_status", "STATUS_NOT_DELETE") not in ("STATUS_NOT_DELETE", "STATUS_ALL"):
        raise BusinessError(40002, "filtering.primary_status: the sandbox serves STATUS_NOT_DELETE and STATUS_ALL.")
    listed = [ad_fields(ad) for ad in rows.order_by("-create_time", "ad_id")]
    if after := filtering.get("modified_after"):
        listed = [a for a in listed if a["modify_time"] > after]
    if status := filtering.get("secondary_status"):
        listed = [a for a in listed if a["secondary_status"] == status]
    return _page_of(call, listed, fields)


# --- report/integrated/get/ -----------------------------------------------------------------


def _date(call: Call, name: str) -> date:
    try:
        return date.fromisoformat(call.str(name))
    except ValueError as exc:
        raise BusinessError(40002, f"{name}: Not a valid date (YYYY-MM-DD).") from exc


def _advertisers(call: Call) -> list[Advertiser]:
    wanted = call.list("advertiser_ids")
    if not wanted:
        return [advertiser_for(call)]
    if len(wanted) > MAX_ADVERTISERS:
        raise BusinessError(40002, f"advertiser_ids: at most {MAX_ADVERTISERS} advertisers.")
    visible = {adv.advertiser_id: adv for adv in visible_advertisers(call.user)}
    if missing := [a for a in wanted if a not in visible]:
        raise BusinessError(40001, f"advertiser {missing[0]} doesn't exist or has been deleted.")
    return [visible[a] for a in wanted]


def figures(ad: Ad, spend: Decimal, wanted: list[str], many: bool) -> dict:
    """The metrics asked for, as TikTok sends them: numbers as strings, money to the cent;
    a ratio with nothing to divide by is left out."""
    cents = int(spend * 100)
    impressions = cents * ads.IMPRESSIONS_PER_CENT
    counts = {name: impressions * PER_MILLE[name] // 1000 for name in COUNT_METRICS}
    out: dict[str, str] = {}
    for name in wanted:
        if name == "spend":
            out[name] = f"{spend:.2f}"
        elif name in COUNT_METRICS:
            out[name] = str(counts[name])
        elif name == "ctr" and counts["impressions"]:
            out[name] = f"{100 * counts['clicks'] / counts['impressions']:.2f}"
        elif name == "cpm" and counts["impressions"]:
            out[name] = f"{1000 * spend / counts['impressions']:.2f}"
        elif name == "cpc" and counts["clicks"]:
            out[name] = f"{spend / counts['clicks']:.2f}"
        elif name == "currency":
            out[name] = ad.advertiser.currency
        elif name in ATTRIBUTE_METRICS:
            out[name] = getattr(ad, name)
    if many:
        # With advertiser_ids, TikTok adds each row's currency, timezone and advertiser.
        out |= {
            "currency": ad.advertiser.currency,
            "timezone": ad.advertiser.timezone,
            "advertiser_id": ad.advertiser.advertiser_id,
        }
    return out


@endpoint("report/integrated/get/", "GET")
def report_integrated_get(call: Call) -> dict:
    if call.str("report_type") != "BASIC":
        raise BusinessError(40002, "report_type: the sandbox serves BASIC.")
    if call.str("service_type", required=False, default="AUCTION") != "AUCTION":
        raise BusinessError(40002, "service_type: Not a valid choice.")
    if call.str("data_level") != "AUCTION_AD":
        raise BusinessError(40002, "data_level: the sandbox serves AUCTION_AD.")
    dimensions = call.list("dimensions", required=True)
    daily = "stat_time_day" in dimensions
    if sorted(dimensions) not in (["ad_id"], ["ad_id", "stat_time_day"]):
        raise BusinessError(40002, "dimensions: the sandbox serves [ad_id] and [ad_id, stat_time_day].")
    metrics = call.list("metrics") or ["spend", "impressions"]
    if unknown := [m for m in metrics if m not in METRICS]:
        raise BusinessError(40002, f"metrics: {unknown[0]} is not a valid metric.")
    if call.params.get("filtering"):
        raise BusinessError(40002, "filtering: the sandbox serves reports without filters.")
    advertisers = _advertisers(call)
    lifetime = str(call.params.get("query_lifetime", "false")).lower() == "true"
    if lifetime and daily:
        raise BusinessError(40002, "query_lifetime: lifetime metrics have no time dimension.")
    if not lifetime:
        start, end = _date(call, "start_date"), _date(call, "end_date")
        longest = MAX_DAILY_RANGE if daily else MAX_RANGE
        if end < start or (end - start).days + 1 > longest:
            raise BusinessError(40002, f"start_date, end_date: the range must be 1 to {longest} days.")
    rows = []
    many = bool(call.list("advertiser_ids"))
    now = clock.now()
    for ad in (
        Ad.objects.filter(advertiser__in=advertisers)
        .select_related("advertiser", "video", "authorization__auth_code")
        .order_by("advertiser__advertiser_id", "ad_id")
    ):
        if lifetime:
            rows.append(({"ad_id": ad.ad_id}, figures(ad, ads.lifetime_spend(ad, now), metrics, many)))
            continue
        days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
        if not daily:
            total = sum((ads.spend_on(ad, d, now) for d in days), Decimal("0.00"))
            rows.append(({"ad_id": ad.ad_id}, figures(ad, total, metrics, many)))
            continue
        for day in days:
            spend = ads.spend_on(ad, day, now)
            if spend:  # with a time dimension, days without data are not listed
                dims = {"ad_id": ad.ad_id, "stat_time_day": f"{day.isoformat()} 00:00:00"}
                rows.append((dims, figures(ad, spend, metrics, many)))
    listed = [{"dimensions": dims, "metrics": values} for dims, values in rows]
    page, info = call.page(listed, default_size=10, max_size=1000)
    return {"list": page, "page_info": info}


# --- identity/music/authorization/ ------------------------------------------------------------


def _flight_time(call: Call, name: str) -> datetime:
    try:
        return datetime.strptime(call.str(name), "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    except ValueError as exc:
        raise BusinessError(40002, f'{name}: Not a valid time ("YYYY-MM-DD HH:MM:SS", UTC).') from exc


@endpoint("identity/music/authorization/", "GET")
def identity_music_authorization(call: Call) -> dict:
    """Whether the post's music may be used in an ad flight (model/identity/music_authorization.go)."""
    advertiser_for(call)
    identity_type = call.str("identity_type")
    if identity_type not in ("AUTH_CODE", "TT_USER", "BC_AUTH_TT"):
        # CUSTOMIZED_USER is a valid identity type, but it has no TikTok posts to ask about.
        raise BusinessError(40002, "identity_type: the sandbox serves AUTH_CODE, TT_USER and BC_AUTH_TT.")
    if identity_type == "BC_AUTH_TT":
        call.str("identity_authorized_bc_id")  # required for BC_AUTH_TT
    video = Video.objects.select_related("owner").filter(video_id=call.str("video_id")).first()
    if video is None or identity_id(video.owner, identity_type) != call.str("identity_id"):
        raise BusinessError(40001, "video_id: the post does not belong to this identity.")
    locations = call.list("locations", required=True)
    start, end = _flight_time(call, "start_time"), _flight_time(call, "end_time")
    if end <= start:
        raise BusinessError(40002, "end_time: must be later than start_time.")
    return {"music_authorization": [music.authorization(video, [str(loc) for loc in locations], end)]}


# --- asset/bind/quota/ ----------------------------------------------------------------------

# Ads one AUTH_CODE, TT_USER or BC_AUTH_TT identity may be bound to (model/ad/ad.go).
IDENTITY_AD_QUOTA = 10_000


@endpoint("asset/bind/quota/", "GET")
def asset_bind_quota(call: Call) -> dict:
    """An identity's ad quota: every ad made with it counts, in any ad account."""
    advertiser_for(call)
    if call.str("asset_type") != "IDENTITY":
        raise BusinessError(40002, "asset_type: the sandbox serves IDENTITY.")
    used = Ad.objects.filter(identity_id=call.str("asset_id")).count()
    return {"total_quota": IDENTITY_AD_QUOTA, "used_quota": used, "available_quota": IDENTITY_AD_QUOTA - used}


# --- adgroup/get/ ---------------------------------------------------------------------------

# The fields of model/adgroup/adgroup.go the sandbox fills; ``fields`` may name any of them.
ADGROUP_FIELDS = frozenset(
    [
        "advertiser_id",
        "campaign_id",
        "campaign_name",
        "adgroup_id",
        "adgroup_name",
        "create_time",
        "modify_time",
        "schedule_type",
        "schedule_start_time",
        "schedule_end_time",
        "budget_mode",
        "budget",
        "operation_status",
    ]
)


def adgroup_fields(ad: Ad) -> dict:
    """The ad group of a sandbox ad (one ad per ad group): its schedule and budget."""
    out = {
        "advertiser_id": ad.advertiser.advertiser_id,
        "campaign_id": ad.campaign_id,
        "campaign_name": ad.campaign_name,
        "adgroup_id": ad.adgroup_id,
        "adgroup_name": ad.adgroup_name,
        "create_time": clock.fmt(ad.create_time),
        "modify_time": clock.fmt(ad.modify_time),
        "schedule_type": "SCHEDULE_START_END" if ad.schedule_end_time else "SCHEDULE_FROM_NOW",
        "schedule_start_time": clock.fmt(ad.create_time),
        "budget_mode": "BUDGET_MODE_DAY",
        "budget": float(ad.daily_budget),
        "operation_status": "DISABLE" if ad.paused_at else "ENABLE",
    }
    if ad.schedule_end_time:
        out["schedule_end_time"] = clock.fmt(ad.schedule_end_time)
    return out


@endpoint("adgroup/get/", "GET")
def adgroup_get(call: Call) -> dict:
    rows, fields, _ = _asked_ads(call, ADGROUP_FIELDS, ("campaign_ids", "adgroup_ids"))
    return _page_of(call, [adgroup_fields(ad) for ad in rows.order_by("-create_time", "adgroup_id")], fields)
