"""Read a brand's Spark ads (``ad/get/``), match each to the ledger row it runs on, and read what
they spent (``report/integrated/get/``, one call for up to five ad accounts of one grant).

TikTok has no filter by post: every ad of the account is read and the Spark ones kept, matched
by ``tiktok_item_id`` and identity. An AUTH_CODE ad matches the row whose code made that
identity; a TT_USER or BC_AUTH_TT ad runs on the account itself and matches the post's row.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import (
    Case,
    DecimalField,
    F,
    Func,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest, Least
from django.utils import timezone

from integrations.models import AdAccount
from integrations.polling import claim_due
from integrations.tiktok import BusinessClient, Kind, TikTokError, clock, iter_pages
from integrations.tiktok.ads import (
    MAX_ADGROUP_IDS,
    MAX_REPORT_ADVERTISERS,
    SPARK_IDENTITY_TYPES,
    AdGroupPage,
    IdentityQuota,
)
from integrations.tiktok.tokens import call_with_credential
from sparkads.models import Money, SparkAd, SparkAdDay, SparkAuthorization, by_currency

from . import subscriptions

# The days each read covers, so a late correction by TikTok is picked up (≤ 30 per query).
SPEND_DAYS = 7
# Each ad account with a live code is swept this often (its ads, then its spend).
SWEEP_EVERY = timedelta(days=1)
# A claimed account is not claimed again for this long; the sweep sets the real next time.
CLAIM_LEASE = timedelta(minutes=30)
# Spend at risk counts what the code's live ads would spend in at most this many days after its
# end: until their ad group's scheduled end, or all of them for an ad group with no end.
AT_RISK_DAYS = 30
# What the sweep asks adgroup/get/ for: when each ad group stops.
SCHEDULE_FIELDS = ["adgroup_id", "schedule_type", "schedule_end_time"]


def _utc(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.strptime(value[:19], "%Y-%m-%d %H:%M:%S").replace(tzinfo=ZoneInfo("UTC"))


def _rows_by_post(ad_account: AdAccount, item_ids: set[str]) -> dict[str, list[SparkAuthorization]]:
    rows: dict[str, list[SparkAuthorization]] = {}
    for row in SparkAuthorization.objects.filter(brand_id=ad_account.brand_id, item_id__in=item_ids).order_by(
        "-applied_at", "-pk"
    ):
        rows.setdefault(row.item_id, []).append(row)
    return rows


def matched_row(ad: dict, rows: Sequence[SparkAuthorization]) -> SparkAuthorization | None:
    """The ledger row an ad runs on: for AUTH_CODE, the row whose code gave that identity."""
    if ad.get("identity_type") == SparkAd.STOPS_WITH_CODE:
        return next((r for r in rows if r.identity_id and r.identity_id == ad.get("identity_id")), None)
    return rows[0] if rows else None


def read_ads(ad_account: AdAccount) -> int:
    """Upsert the account's Spark ads; returns how many there are."""
    pages = iter_pages(
        lambda page: call_with_credential(
            ad_account.credential_id, lambda client: client.ad_get(ad_account.advertiser_id, page=page)
        )
    )
    spark = [
        ad
        for page in pages
        for ad in page.get("list") or []
        if ad.get("identity_type") in SPARK_IDENTITY_TYPES and ad.get("tiktok_item_id")
    ]
    rows = _rows_by_post(ad_account, {str(ad["tiktok_item_id"]) for ad in spark})
    with transaction.atomic():
        for ad in spark:
            item = str(ad["tiktok_item_id"])
            status = ad.get("secondary_status") or ""
            # The catch-all for a missed AD webhook: an ad TikTok now runs is no longer rejected.
            cleared = {"rejected_at": None, "reject_reason": ""} if status not in SparkAd.NOT_LIVE else {}
            SparkAd.objects.update_or_create(
                ad_account=ad_account,
                ad_id=str(ad["ad_id"]),
                defaults=cleared
                | {
                    "brand_id": ad_account.brand_id,
                    "authorization": matched_row(ad, rows.get(item, [])),
                    "ad_name": ad.get("ad_name") or "",
                    "tiktok_item_id": item,
                    "adgroup_id": str(ad.get("adgroup_id") or ""),
                    "identity_type": ad.get("identity_type") or "",
                    "identity_id": str(ad.get("identity_id") or ""),
                    "operation_status": ad.get("operation_status") or "",
                    "secondary_status": status,
                    "currency": ad_account.currency,
                    "modify_time": _utc(ad.get("modify_time")),
                    "read_at": timezone.now(),
                },
            )
    return len(spark)


def read_schedules(ad_account: AdAccount) -> int:
    """When each of the account's Spark ads stops on its own: its ad group's scheduled end
    (adgroup/get/, up to 100 ad groups a call). Returns the ad groups read."""
    groups = sorted(
        set(SparkAd.objects.filter(ad_account=ad_account).exclude(adgroup_id="").values_list("adgroup_id", flat=True))
    )
    ends: dict[str, datetime | None] = {}
    for start in range(0, len(groups), MAX_ADGROUP_IDS):
        for page in iter_pages(partial(_schedules, ad_account, groups[start : start + MAX_ADGROUP_IDS])):
            for group in page.get("list") or []:
                scheduled = group.get("schedule_type") == "SCHEDULE_START_END"
                ends[str(group.get("adgroup_id"))] = _utc(group.get("schedule_end_time")) if scheduled else None
    with transaction.atomic():
        for group_id, end in ends.items():
            SparkAd.objects.filter(ad_account=ad_account, adgroup_id=group_id).update(runs_until=end)
    return len(ends)


def _schedules(ad_account: AdAccount, group_ids: list[str], page: int) -> AdGroupPage:
    return call_with_credential(
        ad_account.credential_id,
        lambda client: client.adgroup_get(
            ad_account.advertiser_id, adgroup_ids=group_ids, fields=SCHEDULE_FIELDS, page=page
        ),
    )


def read_quotas(ad_account: AdAccount) -> int:
    """Each identity's ad quota (asset/bind/quota/), once per identity the account's Spark
    ads use, kept on those ads. A quota TikTok will not tell (a permission it withholds) keeps
    the last one read: it is shown, never needed for the spend. Returns the identities read."""
    identities = sorted(
        set(SparkAd.objects.filter(ad_account=ad_account).exclude(identity_id="").values_list("identity_id", flat=True))
    )
    for identity in identities:
        try:
            quota = call_with_credential(
                ad_account.credential_id, partial(_quota, advertiser_id=ad_account.advertiser_id, identity=identity)
            )
        except TikTokError as exc:
            if exc.is_transient or exc.kind == Kind.AUTH:
                raise
            continue
        SparkAd.objects.filter(ad_account=ad_account, identity_id=identity).update(
            identity_ads_used=quota.get("used_quota"), identity_ads_total=quota.get("total_quota")
        )
    return len(identities)


def _quota(client: BusinessClient, *, advertiser_id: str, identity: str) -> IdentityQuota:
    return client.asset_bind_quota(advertiser_id, identity)


def _money(value: object) -> Decimal | None:
    """A report figure as an exact amount; "-" or nothing is no figure."""
    if value in (None, "", "-"):
        return None
    return Decimal(str(value)).quantize(Decimal("0.01"))


def read_spend(ad_accounts: Sequence[AdAccount], now: datetime | None = None) -> int:
    """One daily report for up to five ad accounts of one grant: each ad's spend per day over
    the last SPEND_DAYS days of its account's calendar. Returns the report rows stored."""
    if not 1 <= len(ad_accounts) <= MAX_REPORT_ADVERTISERS:
        raise ValueError(f"1 to {MAX_REPORT_ADVERTISERS} ad accounts per report")
    now = now or clock.now()
    # One window for all: the latest calendar day among the accounts' time zones.
    today = max(now.astimezone(ZoneInfo(a.timezone or "UTC")).date() for a in ad_accounts)
    start = today - timedelta(days=SPEND_DAYS - 1)
    advertisers = [a.advertiser_id for a in ad_accounts]
    pages = iter_pages(
        lambda page: call_with_credential(
            ad_accounts[0].credential_id,
            lambda client: client.report_integrated_get(
                advertisers, metrics=["spend"], start_date=start, end_date=today, daily=True, page=page
            ),
        )
    )
    ads = {
        (ad.ad_account.advertiser_id, ad.ad_id): ad
        for ad in SparkAd.objects.filter(ad_account__in=ad_accounts).select_related("ad_account")
    }
    by_ad = {ad_id: ad for (_, ad_id), ad in ads.items()}
    stored = 0
    with transaction.atomic():
        for page in pages:
            for row in page.get("list") or []:
                dims, metrics = row.get("dimensions") or {}, row.get("metrics") or {}
                ad = by_ad.get(str(dims.get("ad_id")))
                spend = _money(metrics.get("spend"))
                if ad is None or spend is None or not dims.get("stat_time_day"):
                    continue
                day = date.fromisoformat(str(dims["stat_time_day"])[:10])
                SparkAdDay.objects.update_or_create(ad=ad, day=day, defaults={"spend": spend})
                stored += 1
        for ad in by_ad.values():
            yesterday = now.astimezone(ZoneInfo(ad.ad_account.timezone or "UTC")).date() - timedelta(days=1)
            days = SparkAdDay.objects.filter(ad=ad)
            ad.daily_spend = days.filter(day=yesterday).values_list("spend", flat=True).first() or Decimal("0.00")
            ad.lifetime_spend = days.aggregate(total=Sum("spend"))["total"] or Decimal("0.00")
            recent = days.filter(day__gte=start, day__lte=today)
            ad.spend_last_7_days = recent.aggregate(total=Sum("spend"))["total"] or Decimal("0.00")
            ad.currency = ad.ad_account.currency
            ad.save(update_fields=["daily_spend", "lifetime_spend", "spend_last_7_days", "currency"])
    return stored


def swept_ad_accounts() -> QuerySet[AdAccount]:
    """The ad accounts the Spark ads poller looks after (next_spend_read_at)."""
    return AdAccount.objects.filter(removed_at__isnull=True, credential__isnull=False)


def _feeds_live_code() -> QuerySet[AdAccount]:
    """Every ad account of a brand holding a live code: the platform applies a code to one of
    them, and the brand (or its agency) may apply the same code to its others in Ads Manager, so
    their ads may run on it too."""
    return swept_ad_accounts().filter(brand_id__in=SparkAuthorization.objects.live().values("brand_id"))


def claim_due_batches(limit: int, now: datetime | None = None) -> list[list[int]]:
    """The dispatcher's claim: an account whose brand just got a live code is due now; the due ones
    are claimed and grouped by grant, at most five to a batch (one report call each)."""
    now = now or clock.now()
    _feeds_live_code().filter(next_spend_read_at__isnull=True).update(next_spend_read_at=now)
    claimed = claim_due(swept_ad_accounts(), lease=CLAIM_LEASE, limit=limit, now=now, field="next_spend_read_at")
    by_grant: dict[int | None, list[int]] = {}
    for account in sorted(claimed, key=lambda a: a.pk):
        by_grant.setdefault(account.credential_id, []).append(account.pk)
    return [
        ids[start : start + MAX_REPORT_ADVERTISERS]
        for ids in by_grant.values()
        for start in range(0, len(ids), MAX_REPORT_ADVERTISERS)
    ]


def sweep(ad_account_ids: Sequence[int]) -> int:
    """Read the ads of up to five ad accounts of one grant, their ad groups' schedules and
    their identities' ad quotas, then their spend in one report; keep the accounts' webhook
    subscriptions as their brand's live codes say; the next sweep is a day on while the account's
    brand holds a live code (or the account still holds a subscription to end). Returns report rows stored."""
    accounts = list(swept_ad_accounts().filter(pk__in=ad_account_ids).order_by("pk"))
    if not accounts:
        return 0
    if len({a.credential_id for a in accounts}) != 1:
        raise ValueError("one report call reads the ad accounts of one grant")
    # As the claim left them: a REPORT_DATA_CHANGE told during the sweep moves an account's
    # read to now, and the day-on schedule below must not write over it.
    claimed_until = {a.pk: a.next_spend_read_at for a in accounts}
    # The next sweep is a day after what this one reads: taken before the reads, so a clock that
    # jumps while they run leaves the account due again, not scheduled as if it read the new day.
    now = clock.now()
    for account in accounts:
        read_ads(account)
        read_schedules(account)
        read_quotas(account)
    stored = read_spend(accounts)
    ids = [a.pk for a in accounts]
    live = set(_feeds_live_code().filter(pk__in=ids).values_list("pk", flat=True))
    subscriptions.keep(accounts, live)
    swept_again = live | subscriptions.still_subscribed(ids)
    for pk in ids:
        AdAccount.objects.filter(pk=pk, next_spend_read_at=claimed_until[pk]).update(
            next_spend_read_at=now + SWEEP_EVERY if pk in swept_again else None
        )
    return stored


MONEY = DecimalField(max_digits=16, decimal_places=2)
ZERO = Value(Decimal("0.00"), output_field=MONEY)


class DaysPast(Func):
    """Whole days, rounded up, from the second moment to the first (negative before it)."""

    output_field = IntegerField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # julianday() is in days; rounded to the second first, so float noise never adds a day.
        return self.as_sql(
            compiler,
            connection,
            template="CAST(CEILING(ROUND((julianday(%(expressions)s)) * 86400) / 86400.0) AS INTEGER)",
            arg_joiner=") - julianday(",
            **extra,
        )

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template="CAST(CEIL(EXTRACT(EPOCH FROM (%(expressions)s)) / 86400.0) AS INTEGER)",
            arg_joiner=" - ",
            **extra,
        )


# The days an ad would run past its code's end: to its ad group's scheduled end (adgroup/get/),
# at most AT_RISK_DAYS, the horizon the ledger states; an ad group with no end runs them all.
DAYS_PAST_CODE_END = Case(
    When(runs_until__isnull=True, then=Value(AT_RISK_DAYS)),
    default=Coalesce(
        Least(Greatest(DaysPast(F("runs_until"), F("authorization__auth_end")), Value(0)), Value(AT_RISK_DAYS)),
        Value(AT_RISK_DAYS),
    ),
    output_field=IntegerField(),
)
# One ad's part of its code's spend at risk: its daily spend × the days it would run past the
# code's end. An ad that does not stop with the code or is not delivering puts nothing at
# risk, nor does a code that already ended: its ads stopped.
AD_AT_RISK = Case(
    When(
        Q(identity_type=SparkAd.STOPS_WITH_CODE, operation_status="ENABLE")
        & ~Q(secondary_status__in=SparkAd.NOT_LIVE)
        & Q(authorization__status__in=[SparkAuthorization.Status.ACTIVE, SparkAuthorization.Status.EXPIRING]),
        then=F("daily_spend") * DAYS_PAST_CODE_END,
    ),
    default=ZERO,
    output_field=MONEY,
)


def ledger_ads() -> Prefetch:
    """Each row's ads as ``ledger_ads``, each with ``at_risk``, its part of the spend at risk."""
    # SparkAd declares ``at_risk`` so that its readers are typed; the stubs see a clash.
    ads = SparkAd.objects.select_related("ad_account").annotate(at_risk=AD_AT_RISK)  # type: ignore[no-redef]
    return Prefetch("ads", ads.order_by(F("at_risk").desc(), "ad_id"), to_attr="ledger_ads")


def with_spend_at_risk[R: QuerySet[SparkAuthorization]](rows: R) -> R:
    """The rows with their ads (``ledger_ads``; ``spend_at_risk`` per currency is read from
    them): one more query."""
    return rows.prefetch_related(ledger_ads())


def with_at_risk_rank[R: QuerySet[SparkAuthorization]](rows: R) -> R:
    """The rows with ``at_risk_rank``, the largest of their per-currency amounts at risk, to
    order and filter by: amounts in different currencies are never added or converted. A
    correlated subquery, right beside any other join on the rows; only a query that orders or
    filters by it asks for it (building and running it is a good part of the ledger page's cost)."""
    largest = (
        SparkAd.objects.filter(authorization=OuterRef("pk"))
        .order_by()
        .values("currency")
        .annotate(total=Sum(AD_AT_RISK))
        .order_by("-total")
        .values("total")[:1]
    )
    return rows.annotate(at_risk_rank=Coalesce(Subquery(largest, output_field=MONEY), ZERO))


def spend_at_risk_total(rows: QuerySet[SparkAuthorization]) -> list[Money]:
    """What stops if these codes end, one amount per currency, largest first: one query."""
    totals = (
        SparkAd.objects.filter(authorization__in=rows)
        .values("currency")
        .annotate(total=Sum(AD_AT_RISK))
        .order_by("currency")
    )
    return by_currency([Money(t["total"], t["currency"]) for t in totals if t["total"]])


def spend_at_risk_of(auth: SparkAuthorization) -> list[Money]:
    """One row's spend at risk, per currency (for a message about that row)."""
    return with_spend_at_risk(SparkAuthorization.objects.filter(pk=auth.pk)).get().spend_at_risk


def biggest_at_risk_first(ids: Sequence[int]) -> list[int]:
    """The rows `ids`, the one with the most spend at risk first, then the soonest end: the
    order a renewal queue is worked in."""
    rows = with_at_risk_rank(SparkAuthorization.objects.filter(pk__in=ids))
    order = (F("at_risk_rank").desc(), F("auth_end").asc(), F("pk").asc())
    return list(rows.order_by(*order).values_list("pk", flat=True))
