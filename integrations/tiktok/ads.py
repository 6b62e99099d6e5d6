"""Ads: an advertiser's ads (``ad/get/``), the synchronous report of what they spent
(``report/integrated/get/``) and whether a post's music may run in an ad flight
(``identity/music/authorization/``).

Paths and fields: bububa/tiktok-business ``model/ad/ad.go``, ``model/ad/get.go``,
``model/report/integrated_get.go`` and ``model/report/metrics.go``. Only the synchronous report
is used: asynchronous reports are capped at 2 QPS and 4,500 a day at every tier.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, TypedDict

from .base import BusinessBase
from .business import PageInfo

MAX_AD_PAGE_SIZE = 1000
MAX_REPORT_ADVERTISERS = 5  # advertiser_ids per report call
MAX_REPORT_PAGE_SIZE = 1000
MAX_DAILY_REPORT_DAYS = 30  # with stat_time_day; 365 without
MAX_ADGROUP_IDS = 100  # adgroup/get/ filtering.adgroup_ids
# The identities a Spark ad runs under: a code applied to the ad account, a linked TikTok
# account, or an account authorized to a Business Center.
SPARK_IDENTITY_TYPES = ("AUTH_CODE", "TT_USER", "BC_AUTH_TT")
# asset/bind/quota/'s asset_type for an identity's ad quota.
IDENTITY_ASSET = "IDENTITY"


class Ad(TypedDict, total=False):
    advertiser_id: str
    campaign_id: str
    campaign_name: str
    adgroup_id: str
    adgroup_name: str
    ad_id: str
    ad_name: str
    create_time: str  # "YYYY-MM-DD HH:MM:SS" UTC
    modify_time: str
    identity_type: str  # CUSTOMIZED_USER / AUTH_CODE / TT_USER / BC_AUTH_TT
    identity_id: str
    identity_authorized_bc_id: str  # BC_AUTH_TT only
    video_id: str | None  # null for a Spark ad pulled from a post
    tiktok_item_id: str  # the post a Spark ad promotes
    ad_format: str
    operation_status: str  # ENABLE / DISABLE / FROZEN
    secondary_status: str


class AdPage(TypedDict, total=False):
    list: list[Ad]
    page_info: PageInfo


class MusicAuthorizationInfo(TypedDict, total=False):
    music_id: str
    author: str
    title: str
    labels: list[str]
    lyricist: str
    composer: str
    publisher: str
    authorization_type: str  # NOT_AUTHORIZED / AUTHORIZED


class MusicAuthorization(TypedDict, total=False):
    video_id: str
    music_status: str  # WITHOUT_SONG_ID / AUTHORIZATION_MISSING / WITH_FULL_AUTHORIZATION
    authorization_infos: list[MusicAuthorizationInfo]


class MusicAuthorizations(TypedDict, total=False):
    music_authorization: list[MusicAuthorization]  # one per post asked about


class ReportRow(TypedDict, total=False):
    dimensions: dict[str, str]  # ad_id, and stat_time_day "YYYY-MM-DD 00:00:00"
    metrics: dict[str, Any]  # numbers as strings; "-" or absent where TikTok has no data


class ReportPage(TypedDict, total=False):
    list: list[ReportRow]
    page_info: PageInfo
    total_metrics: dict[str, Any]


class AdGroup(TypedDict, total=False):
    advertiser_id: str
    campaign_id: str
    adgroup_id: str
    adgroup_name: str
    schedule_type: str  # SCHEDULE_FROM_NOW / SCHEDULE_START_END
    schedule_start_time: str  # "YYYY-MM-DD HH:MM:SS" UTC
    schedule_end_time: str  # SCHEDULE_START_END only
    operation_status: str


class AdGroupPage(TypedDict, total=False):
    list: list[AdGroup]
    page_info: PageInfo


class IdentityQuota(TypedDict, total=False):
    total_quota: int  # at most 10,000 ads per AUTH_CODE, TT_USER or BC_AUTH_TT identity
    used_quota: int
    available_quota: int


class AdsMixin(BusinessBase):
    """Ads and their reports, named after their paths."""

    def ad_get(
        self,
        advertiser_id: str,
        *,
        fields: list[str] | None = None,
        filtering: dict[str, Any] | None = None,
        page: int = 1,
        page_size: int = MAX_AD_PAGE_SIZE,
    ) -> AdPage:
        """One page of the advertiser's ads. ``filtering``: campaign_ids, adgroup_ids, ad_ids
        (1–100 each), primary_status, secondary_status, modified_after ("YYYY-MM-DD HH:MM:SS"
        UTC). TikTok has no filter by post: a post's ads are found by ``tiktok_item_id``."""
        return self._get(
            "ad/get/",
            {
                "advertiser_id": advertiser_id,
                "fields": fields,
                "filtering": filtering,
                "page": page,
                "page_size": page_size,
            },
        )

    def report_integrated_get(
        self,
        advertiser_ids: list[str],
        *,
        metrics: list[str],
        start_date: date | None = None,
        end_date: date | None = None,
        daily: bool = False,
        page: int = 1,
        page_size: int = MAX_REPORT_PAGE_SIZE,
    ) -> ReportPage:
        """The BASIC report of auction ads by ``ad_id`` for up to five advertisers: per day
        (``daily``, at most 30 days) or summed over the dates, or lifetime without dates."""
        if not 1 <= len(advertiser_ids) <= MAX_REPORT_ADVERTISERS:
            raise ValueError(f"advertiser_ids takes 1 to {MAX_REPORT_ADVERTISERS} advertisers")
        if (start_date is None) != (end_date is None) or (daily and start_date is None):
            raise ValueError("give both dates, or neither for lifetime figures (not daily)")
        if daily and start_date and end_date and (end_date - start_date).days >= MAX_DAILY_REPORT_DAYS:
            raise ValueError(f"a daily report covers at most {MAX_DAILY_REPORT_DAYS} days")
        return self._get(
            "report/integrated/get/",
            {
                "advertiser_ids": advertiser_ids,
                "service_type": "AUCTION",
                "report_type": "BASIC",
                "data_level": "AUCTION_AD",
                "dimensions": ["ad_id", "stat_time_day"] if daily else ["ad_id"],
                "metrics": metrics,
                "start_date": start_date.isoformat() if start_date else None,
                "end_date": end_date.isoformat() if end_date else None,
                "query_lifetime": True if start_date is None else None,
                "page": page,
                "page_size": page_size,
            },
        )

    def identity_music_authorization(
        self,
        advertiser_id: str,
        video_id: str,
        identity_id: str,
        identity_type: str,
        *,
        locations: list[str],
        start_time: datetime,
        end_time: datetime,
        identity_authorized_bc_id: str | None = None,
    ) -> MusicAuthorizations:
        """The music rights of a post for an ad flight: the same ``locations`` the ad targets,
        and its start and end (model/identity/music_authorization.go)."""
        return self._get(
            "identity/music/authorization/",
            {
                "advertiser_id": advertiser_id,
                "video_id": video_id,
                "identity_id": identity_id,
                "identity_type": identity_type,
                "identity_authorized_bc_id": identity_authorized_bc_id,
                "locations": locations,
                "start_time": _utc(start_time),
                "end_time": _utc(end_time),
            },
        )

    def asset_bind_quota(self, advertiser_id: str, identity_id: str) -> IdentityQuota:
        """How many ads the identity (AUTH_CODE, TT_USER or BC_AUTH_TT) is bound to and how
        many more it may take. TikTok's reference (doc 1739659584022529) asks for
        ``advertiser_id``, ``asset_id`` and ``asset_type`` IDENTITY; the Go SDK's older
        request (``bc_id``, asset types of a Business Center) is not what identities use."""
        return self._get(
            "asset/bind/quota/",
            {"advertiser_id": advertiser_id, "asset_id": identity_id, "asset_type": IDENTITY_ASSET},
        )

    def adgroup_get(
        self,
        advertiser_id: str,
        *,
        adgroup_ids: list[str],
        fields: list[str] | None = None,
        page: int = 1,
        page_size: int = MAX_ADGROUP_IDS,
    ) -> AdGroupPage:
        """One page of the advertiser's ad groups among ``adgroup_ids`` (1–100), with their
        schedule: an ad's delivery ends with its ad group's ``schedule_end_time``
        (model/adgroup/adgroup.go, model/adgroup/get.go)."""
        if not 1 <= len(adgroup_ids) <= MAX_ADGROUP_IDS:
            raise ValueError(f"adgroup_ids takes 1 to {MAX_ADGROUP_IDS} ids")
        return self._get(
            "adgroup/get/",
            {
                "advertiser_id": advertiser_id,
                "fields": fields,
                "filtering": {"adgroup_ids": adgroup_ids},
                "page": page,
                "page_size": page_size,
            },
        )


def _utc(moment: datetime) -> str:
    """TikTok's request time format: UTC "YYYY-MM-DD HH:MM:SS"."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
