"""Ads that run on posts, and what they spend: created from a post (control API), reviewed,
paused, stopped when the code they run on ends.

Spend is a function of the ad and the sandbox clock, never stored: each calendar day (in the
advertiser's time zone) has an amount drawn from the ad's seed (80–120 % of its daily
budget), and the ad spends that amount in proportion to the part of the day it delivered.
So a report read twice at the same clock gives the same cents, and a test can say what the
ledger must show.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from tiktok_sandbox import clock, ids
from tiktok_sandbox.api.spark import identity_id  # ad/get and identity/get name identities alike
from tiktok_sandbox.models import Ad as AdRow
from tiktok_sandbox.models import AdsManagerLink, Advertiser, BCAsset, Video, VideoAuthorization

CENT = Decimal("0.01")
DAY = timedelta(days=1)
# Figures per cent of spend, so every metric follows from the same cents (a $5 CPM).
IMPRESSIONS_PER_CENT = 2


class AdError(Exception):
    """The ad cannot be made or changed that way."""


@dataclass(frozen=True)
class Delivery:
    """The ad's status as ad/get/ reports it, and the moments it delivered between."""

    operation_status: str  # ENABLE / DISABLE
    secondary_status: str
    start: datetime | None
    end: datetime | None  # None: still delivering
    modify_time: datetime


def code_end(ad: AdRow) -> datetime | None:
    """When the code an AUTH_CODE ad runs on stopped it: its end, deletion or unbinding."""
    auth = ad.authorization
    if auth is None:
        return None
    ends = [auth.auth_code.end_time, auth.auth_code.deleted_at, auth.unbound_at]
    return min(moment for moment in ends if moment is not None)


def delivery(ad: AdRow, now: datetime | None = None) -> Delivery:
    now = now or clock.now()
    if ad.review == "AUDIT":
        return Delivery("ENABLE", "AD_STATUS_AUDIT", None, None, ad.modify_time)
    if ad.review == "REJECTED":
        return Delivery("ENABLE", "AD_STATUS_NOT_APPROVE", None, None, ad.modify_time)
    ended = code_end(ad)
    done = ad.schedule_end_time
    if done is not None and done <= now and all(m is None or done < m for m in (ended, ad.paused_at)):
        # The ad group reached its scheduled end first: the ad finished.
        return Delivery("ENABLE", "AD_STATUS_DONE", ad.delivering_since, done, max(done, ad.modify_time))
    if ended is not None and ended <= now and (ad.paused_at is None or ended < ad.paused_at):
        return Delivery("DISABLE", "AD_STATUS_DISABLE", ad.delivering_since, ended, max(ended, ad.modify_time))
    if ad.paused_at is not None:
        return Delivery("DISABLE", "AD_STATUS_DISABLE", ad.delivering_since, ad.paused_at, ad.modify_time)
    return Delivery("ENABLE", "AD_STATUS_DELIVERY_OK", ad.delivering_since, None, ad.modify_time)


def day_amount(ad: AdRow, day: date) -> Decimal:
    """What the ad spends on a whole day of delivery: 80–120 % of its budget, from its seed."""
    share = random.Random(f"{ad.seed}:{day.isoformat()}").randint(80, 120)
    return (ad.daily_budget * share / 100).quantize(CENT, rounding=ROUND_HALF_UP)


def day_bounds(ad: AdRow, day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(), tzinfo=ZoneInfo(ad.advertiser.timezone))
    return start, start + DAY


def spend_on(ad: AdRow, day: date, now: datetime | None = None) -> Decimal:
    """The ad's spend on a day of the advertiser's calendar, as of ``now``."""
    now = now or clock.now()
    state = delivery(ad, now)
    if state.start is None:
        return Decimal("0.00")
    start, end = day_bounds(ad, day)
    stop = min(state.end or now, now)
    seconds = (min(end, stop) - max(start, state.start)).total_seconds()
    if seconds <= 0:
        return Decimal("0.00")
    return (day_amount(ad, day) * Decimal(seconds) / Decimal(DAY.total_seconds())).quantize(
        CENT, rounding=ROUND_HALF_UP
    )


def today(advertiser: Advertiser, now: datetime | None = None) -> date:
    return (now or clock.now()).astimezone(ZoneInfo(advertiser.timezone)).date()


def first_day(ad: AdRow) -> date | None:
    if ad.delivering_since is None:
        return None
    return ad.delivering_since.astimezone(ZoneInfo(ad.advertiser.timezone)).date()


def lifetime_spend(ad: AdRow, now: datetime | None = None) -> Decimal:
    now = now or clock.now()
    first = first_day(ad)
    if first is None:
        return Decimal("0.00")
    last = today(ad.advertiser, now)
    return sum((spend_on(ad, first + timedelta(days=n), now) for n in range((last - first).days + 1)), Decimal("0.00"))


def _identity(advertiser: Advertiser, video: Video, identity_type: str, bc_id: str) -> tuple[str, object]:
    """The identity id an ad of this type uses, and the applied code it runs on (AUTH_CODE)."""
    owner = video.owner
    if identity_type == "AUTH_CODE":
        auth = (
            VideoAuthorization.objects.filter(advertiser=advertiser, auth_code__video=video, unbound_at__isnull=True)
            .select_related("auth_code")
            .order_by("-authorized_at")
            .first()
        )
        if auth is None or auth.auth_code.deleted_at or auth.auth_code.end_time <= clock.now():
            raise AdError("No code for this post is applied to this ad account.")
        return identity_id(owner, "AUTH_CODE"), auth
    if identity_type == "TT_USER":
        if not AdsManagerLink.objects.filter(advertiser=advertiser, tiktok_user=owner, status="APPROVED").exists():
            raise AdError("The post's account is not linked to this ad account.")
        return identity_id(owner, "TT_USER"), None
    if identity_type == "BC_AUTH_TT":
        in_bc = BCAsset.objects.filter(bc__bc_id=bc_id, advertiser=advertiser, relation_status="BOUND").exists()
        pull = BCAsset.objects.filter(
            bc__bc_id=bc_id, tiktok_user=owner, relation_status="BOUND", can_pull=True, asset_type="TT_ACCOUNT"
        ).exists()
        if not (in_bc and pull):
            raise AdError("The post's account has not authorized its posts to this Business Center.")
        return identity_id(owner, "BC_AUTH_TT"), None
    raise AdError(f"identity_type {identity_type!r} is not one a Spark ad uses.")


def create(
    advertiser: Advertiser,
    video: Video,
    *,
    identity_type: str = "AUTH_CODE",
    bc_id: str = "",
    ad_name: str = "",
    daily_budget: Decimal | None = None,
    seed: int | None = None,
    schedule_end_time: datetime | None = None,
) -> AdRow:
    """A Spark ad from a post, waiting for review."""
    identity, auth = _identity(advertiser, video, identity_type, bc_id)
    ad_id = ids.numeric_id("18")
    seed = seed if seed is not None else int(ad_id[-6:])
    rng = random.Random(seed)
    now = clock.now()
    campaign_id = ids.numeric_id("17")
    return AdRow.objects.create(
        ad_id=ad_id,
        advertiser=advertiser,
        campaign_id=campaign_id,
        campaign_name=f"Spark {video.title[:40]}",
        adgroup_id=ids.numeric_id("17"),
        adgroup_name="Spark ad group",
        ad_name=ad_name or f"Spark · {video.title[:60]}",
        video=video,
        identity_type=identity_type,
        identity_id=identity,
        identity_authorized_bc_id=bc_id if identity_type == "BC_AUTH_TT" else "",
        authorization=auth,
        seed=seed,
        daily_budget=daily_budget if daily_budget is not None else Decimal(rng.randint(2000, 20000)) / 100,
        create_time=now,
        modify_time=now,
        schedule_end_time=schedule_end_time,
    )


def decide(ad: AdRow, decision: str) -> AdRow:
    """TikTok's review ("approve" / "reject"), the advertiser pausing the ad ("pause"), or
    TikTok finding its creative fatigued ("fatigue")."""
    now = clock.now()
    if decision in ("approve", "reject"):
        if ad.review != "AUDIT":
            raise AdError("The ad is not in review.")
        ad.review = "APPROVED" if decision == "approve" else "REJECTED"
        ad.delivering_since = now if decision == "approve" else None
    elif decision in ("pause", "fatigue"):
        if delivery(ad, now).operation_status != "ENABLE" or ad.review != "APPROVED":
            raise AdError(f"Only a delivering ad can {'be paused' if decision == 'pause' else 'fatigue'}.")
        if decision == "fatigue" and ad.fatigued_at is not None:
            raise AdError("The ad has fatigued already.")
        ad.paused_at = now if decision == "pause" else ad.paused_at
        ad.fatigued_at = now if decision == "fatigue" else ad.fatigued_at
    else:
        raise AdError(f"Unknown decision {decision!r}.")
    if decision != "fatigue":  # fatigue is TikTok's finding about the creative, not a change to the ad
        ad.modify_time = now
    ad.save(update_fields=["review", "delivering_since", "paused_at", "fatigued_at", "modify_time"])
    _announce(ad, decision)
    return ad


def _announce(ad: AdRow, decision: str) -> None:
    """The webhooks a decision sends: AD when review ends, CREATIVE_FATIGUE when the ad fatigues.
    Spend changes are told by REPORT_DATA_CHANGE when its window closes (events.tick)."""
    from tiktok_sandbox import events  # events reads this module's spend

    if decision in ("approve", "reject"):
        events.ad_review_event(ad)
    elif decision == "fatigue":
        events.creative_fatigue_event(ad)


# --- the Ads Manager screen ---------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """A post an ad account can make a Spark ad from, and the identity it would run under."""

    advertiser: Advertiser
    video: Video
    identity_type: str
    bc_id: str = ""

    @property
    def key(self) -> str:
        return ":".join([self.advertiser.advertiser_id, self.video.video_id, self.identity_type, self.bc_id])

    @property
    def label(self) -> str:
        via = {
            "AUTH_CODE": "its applied code",
            "TT_USER": "the linked account",
            "BC_AUTH_TT": f"Business Center {self.bc_id}",
        }[self.identity_type]
        return f"{self.advertiser.name}: “{self.video.title}” by @{self.video.owner.handle}, through {via}"


def sources(advertisers: list[Advertiser], now: datetime | None = None) -> list[Source]:
    """Every post these ad accounts can promote: an applied live code (AUTH_CODE), an account
    linked to the ad account (TT_USER), or an account authorized to a Business Center the ad
    account belongs to (BC_AUTH_TT)."""
    now = now or clock.now()
    found: list[Source] = []
    for auth in (
        VideoAuthorization.objects.filter(
            advertiser__in=advertisers,
            unbound_at__isnull=True,
            auth_code__deleted_at__isnull=True,
            auth_code__end_time__gt=now,
        )
        .select_related("advertiser", "auth_code__video__owner")
        .order_by("advertiser__advertiser_id", "pk")
    ):
        found.append(Source(auth.advertiser, auth.auth_code.video, "AUTH_CODE"))
    for link in AdsManagerLink.objects.filter(advertiser__in=advertisers, status="APPROVED").select_related(
        "advertiser", "tiktok_user"
    ):
        found += [Source(link.advertiser, v, "TT_USER") for v in link.tiktok_user.videos.order_by("-create_time")]
    for member in BCAsset.objects.filter(
        advertiser__in=advertisers, asset_type="ADVERTISER", relation_status="BOUND"
    ).select_related("bc", "advertiser"):
        for account in BCAsset.objects.filter(
            bc=member.bc, asset_type="TT_ACCOUNT", relation_status="BOUND", can_pull=True
        ).select_related("tiktok_user"):
            if account.tiktok_user is not None:
                found += [
                    Source(member.advertiser, v, "BC_AUTH_TT", member.bc.bc_id)
                    for v in account.tiktok_user.videos.order_by("-create_time")
                ]
    return found


def recent_spend(ad: AdRow, days: int = 7, now: datetime | None = None) -> list[tuple[date, Decimal]]:
    """The ad's spend on each of the last ``days`` days of its advertiser's calendar that it
    delivered on, newest first."""
    now = now or clock.now()
    first = first_day(ad)
    if first is None:
        return []
    last = today(ad.advertiser, now)
    shown = [last - timedelta(days=n) for n in range(days)]
    return [(day, spend_on(ad, day, now)) for day in shown if day >= first]
