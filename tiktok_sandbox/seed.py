"""Builds the sandbox world. Everything documented in docs/sandbox.md is fixed here; the
generated creators come from `random.Random(SANDBOX_SEED)` so a seed reproduces them."""

from __future__ import annotations

import random
from datetime import timedelta

from django.conf import settings
from django.db import transaction

from tiktok_sandbox import clock, events, ids, traffic
from tiktok_sandbox.models import (
    Advertiser,
    BCAsset,
    BCMember,
    BusinessCenter,
    BusinessUser,
    Campaign,
    CampaignJoin,
    MarketplaceInvite,
    TikTokUser,
    TTOAccount,
    Video,
    VideoLink,
)

BUSINESS_USERS = [
    # key, user_id, name, email
    ("demo-brand", "7100000000000000001", "Demo Brand", "brand@demo.test"),
    ("demo-member", "7100000000000000002", "member", "member@demo.test"),
    ("unverified-brand", "7100000000000000003", "Unverified Brand", "brand@unverified.example"),
    ("no-access-brand", "7100000000000000004", "No Access Brand", "brand@no-access.example"),
    ("no-tto-brand", "7100000000000000005", "No TikTok One Brand", "brand@no-tto.example"),
    # The platform's own TikTok One account (the "internal" one brands without one fall back to).
    ("platform", "7100000000000000006", "aspire_tiktok platform", "platform@demo.test"),
    # A verified TikTok One account and no ad account at all (the "no ad account linked" case).
    ("tto-only-brand", "7100000000000000007", "TikTok One Only Brand", "brand@tto-only.example"),
]
TTO_ACCOUNTS = [
    ("demo-brand", "7200000000000000001", "Demo Brand TikTok One", "VERIFIED"),
    ("unverified-brand", "7200000000000000003", "Unverified Brand TikTok One", "REVIEWING"),
    ("no-access-brand", "7200000000000000004", "No Access Brand TikTok One", "VERIFIED"),
    ("platform", "7200000000000000006", "aspire_tiktok platform TikTok One", "VERIFIED"),
    ("tto-only-brand", "7200000000000000007", "TikTok One Only Brand TikTok One", "VERIFIED"),
]
BUSINESS_CENTERS = [
    # owner key, bc_id, name
    ("demo-brand", "7400000000000000001", "Demo Brand BC"),
    ("unverified-brand", "7400000000000000003", "Unverified Brand BC"),
    ("no-access-brand", "7400000000000000004", "No Access Brand BC"),
]
ADVERTISERS = [
    # owner key, advertiser_id, name, currency, timezone, bc_id, relation_status in that BC
    (
        "demo-brand",
        "7300000000000000001",
        "Demo Brand US",
        "USD",
        "America/Los_Angeles",
        "7400000000000000001",
        "BOUND",
    ),
    ("demo-brand", "7300000000000000002", "Demo Brand EU", "EUR", "Europe/Berlin", "7400000000000000001", "BOUND"),
    (
        "unverified-brand",
        "7300000000000000003",
        "Unverified Brand Ads",
        "USD",
        "America/New_York",
        "7400000000000000003",
        "BOUND",
    ),
    (
        "no-access-brand",
        "7300000000000000004",
        "No Access Brand Ads",
        "USD",
        "America/Chicago",
        "7400000000000000004",
        "PENDING",
    ),
    ("no-tto-brand", "7300000000000000005", "No TikTok One Brand Ads", "USD", "America/Denver", None, None),
]
CREATORS = [
    # handle, creator_id, followers, account type, age verified, marketplace, invite delay (min)
    ("demo.creator", "7500000000000000001", 52_000, "CREATOR", True, "NOT_IN", 180),
    ("small.creator", "7500000000000000002", 4_200, "PERSONAL", True, "NOT_IN", 240),
    ("young.creator", "7500000000000000003", 25_000, "CREATOR", False, "NOT_IN", 300),
    ("brand.business", "7500000000000000004", 80_000, "BUSINESS", True, "NOT_IN", 300),
    ("market.star", "7500000000000000005", 310_000, "CREATOR", True, "IN", 120),
    ("bc.owner", "7500000000000000006", 15_000, "CREATOR", True, "NOT_IN", 360),
]
COUNTRIES = ["US", "US", "US", "GB", "CA", "AU", "DE", "FR", "BR", "MX", "ID", "JP"]
WORDS = [
    "sunny",
    "pixel",
    "urban",
    "cozy",
    "wild",
    "lunar",
    "retro",
    "zen",
    "bold",
    "mellow",
    "chef",
    "glow",
    "trail",
    "beat",
    "style",
    "craft",
    "gamer",
    "fit",
    "travel",
    "bloom",
]
TOPICS = ["recipe", "outfit", "workout", "vlog", "tutorial", "review", "dance", "haul", "tips", "day in my life"]
SEEDED_CAMPAIGN_ID = "7900000000000000001"


def seed_world(seed: int | None = None) -> None:
    rng = random.Random(settings.SANDBOX_SEED if seed is None else seed)
    with transaction.atomic():
        users = _business_side()
        _personas(rng)
        _generated_creators(rng)
        _seeded_campaign(users)


def is_seeded() -> bool:
    return BusinessUser.objects.exists()


def wipe_world() -> None:
    from django.apps import apps
    from django.db import connection

    # Raw deletes with constraint checks off: the ORM's cascade collection is slow, and
    # everything goes anyway.
    with transaction.atomic(), connection.constraint_checks_disabled():
        for model in apps.get_app_config("tiktok_sandbox").get_models():
            model.objects.all()._raw_delete(connection.alias)
            for field in model._meta.local_many_to_many:
                field.remote_field.through.objects.all()._raw_delete(connection.alias)
    clock.forget()
    traffic.forget_rules()
    events.forget()


def _business_side() -> dict[str, BusinessUser]:
    users = {
        key: BusinessUser.objects.create(key=key, user_id=uid, display_name=name, email=email)
        for key, uid, name, email in BUSINESS_USERS
    }
    for key, tto_id, name, status in TTO_ACCOUNTS:
        TTOAccount.objects.create(
            tto_tcm_account_id=tto_id, owner=users[key], account_name=name, business_verification_status=status
        )
    bcs = {}
    for key, bc_id, name in BUSINESS_CENTERS:
        bc = BusinessCenter.objects.create(bc_id=bc_id, name=name, company=users[key].display_name)
        _member(bc, users[key], "ADMIN")
        bcs[bc_id] = bc
    _member(bcs["7400000000000000001"], users["demo-member"], "STANDARD")
    created = clock.now() - timedelta(days=400)
    for key, adv_id, name, currency, tz, bc_id, relation in ADVERTISERS:
        bc = bcs.get(bc_id)
        adv = Advertiser.objects.create(
            advertiser_id=adv_id,
            name=name,
            currency=currency,
            timezone=tz,
            company=users[key].display_name,
            owner_bc=bc if relation == "BOUND" else None,
            balance=1000,
            create_time=created,
        )
        adv.authorized_users.add(users[key])
        if bc:
            BCAsset.objects.create(
                bc=bc,
                asset_type="ADVERTISER",
                asset_id=adv_id,
                asset_name=name,
                advertiser=adv,
                relation_status=relation,
                authorized_at=created,
            )
    return users


def _member(bc: BusinessCenter, user: BusinessUser, role: str) -> BCMember:
    return BCMember.objects.create(
        bc=bc,
        business_user=user,
        user_id=user.user_id,
        user_name=user.display_name,
        user_email=user.email,
        user_role=role,
    )


def _audience(rng: random.Random, home: str) -> dict:
    female = round(rng.uniform(0.3, 0.75), 2)
    young = round(rng.uniform(0.3, 0.6), 2)
    mid = round(rng.uniform(0.2, 1 - young - 0.05), 2)
    other = rng.choice([c for c in COUNTRIES if c != home])
    home_share = round(rng.uniform(0.5, 0.85), 2)
    ios = round(rng.uniform(0.35, 0.7), 2)
    # TikTok's age buckets (TTOAudienceAge): 18-24, 25-34, 35-44, 45-54, 55+. The older
    # share is split by fixed ratios so the seeded random sequence stays the same.
    older = 1 - young - mid
    a35, a45 = round(older * 0.5, 2), round(older * 0.3, 2)
    return {
        "genders": [{"gender": "FEMALE", "percentage": female}, {"gender": "MALE", "percentage": round(1 - female, 2)}],
        "ages": [
            {"age": "18-24", "percentage": young},
            {"age": "25-34", "percentage": mid},
            {"age": "35-44", "percentage": a35},
            {"age": "45-54", "percentage": a45},
            {"age": "55+", "percentage": round(older - a35 - a45, 2)},
        ],
        "countries": [
            {"country": home, "percentage": home_share},
            {"country": other, "percentage": round(1 - home_share, 2)},
        ],
        "devices": [{"device": "ios", "percentage": ios}, {"device": "android", "percentage": round(1 - ios, 2)}],
    }


def _creator(rng: random.Random, handle: str, creator_id: str, followers: int, **extra) -> TikTokUser:
    country = extra.pop("country", "US")
    engagement = round(rng.uniform(0.02, 0.12), 4)
    return TikTokUser.objects.create(
        creator_id=creator_id,
        open_id=f"open-{creator_id}",
        union_id=f"union-{creator_id}",
        handle=handle,
        display_name=extra.pop("display_name", handle.replace(".", " ").title()),
        bio=f"{handle} on TikTok",
        follower_count=followers,
        following_count=rng.randint(50, 900),
        country=country,
        engagement_rate=engagement,
        median_views=int(followers * rng.uniform(0.2, 0.9)),
        creator_price=round(followers / 100 * rng.uniform(0.5, 2.0), 2),
        audience=_audience(rng, country),
        **extra,
    )


def invited_creators(prefix: str, count: int) -> int:
    """`count` more creators, handles `<prefix><n>`, each waiting for a Marketplace invite that
    has not arrived yet (status INVITED): the load a platform's status polls meet."""
    start = TikTokUser.objects.filter(handle__startswith=prefix).count()
    users = TikTokUser.objects.bulk_create(
        [
            TikTokUser(
                creator_id=ids.numeric_id("69"),
                open_id=f"open-{prefix}{n}",
                union_id=f"union-{prefix}{n}",
                handle=f"{prefix}{n}",
                display_name=f"{prefix}{n}",
                follower_count=20_000,
                account_type="CREATOR",
            )
            for n in range(start, start + count)
        ],
        batch_size=2000,
    )
    now = clock.now()
    MarketplaceInvite.objects.bulk_create(
        [MarketplaceInvite(creator=user, requested_at=now) for user in users], batch_size=2000
    )
    return len(users)


def _posts(rng: random.Random, user: TikTokUser, first_id: int, count: int) -> None:
    now = clock.now()
    videos = []
    for i in range(count):
        video = Video(
            video_id=str(first_id + i),
            owner=user,
            title=f"{rng.choice(TOPICS).title()} #{i + 1}",
            description=f"My {rng.choice(TOPICS)} #fyp",
            duration=rng.randint(9, 90),
            create_time=now - timedelta(hours=rng.randint(6, 24 * 45)),
            peak_views=max(500, int(user.median_views * rng.uniform(0.5, 2.5))),
            like_ratio=round(user.engagement_rate * 0.85, 4),
            comment_ratio=round(user.engagement_rate * 0.05, 4),
            share_ratio=round(user.engagement_rate * 0.04, 4),
            favorite_ratio=round(user.engagement_rate * 0.1, 4),
            paid_peak_views=max(1000, int(user.median_views * rng.uniform(1, 4))),
        )
        videos.append(video)
    Video.objects.bulk_create(videos)
    user.likes_count = sum(int(v.peak_views * v.like_ratio) for v in videos)
    user.save(update_fields=["likes_count"])


def _personas(rng: random.Random) -> None:
    for n, (handle, creator_id, followers, kind, age_ok, market, delay) in enumerate(CREATORS):
        user = _creator(
            rng,
            handle,
            creator_id,
            followers,
            account_type=kind,
            age_verified=age_ok,
            marketplace_status=market,
            invite_delay_minutes=delay,
            is_persona=True,
            is_verified=handle == "market.star",
        )
        _posts(rng, user, 7700000000000000001 + n * 100, 6)


def _generated_creators(rng: random.Random) -> None:
    for n in range(1, 201):
        handle = f"{rng.choice(WORDS)}.{rng.choice(WORDS)}{n}"
        followers = int(10 ** rng.uniform(3, 6.3))
        user = _creator(
            rng,
            handle,
            f"76{n:017d}",
            followers,
            country=rng.choice(COUNTRIES),
            account_type=rng.choice(["CREATOR", "CREATOR", "PERSONAL", "BUSINESS"]),
            age_verified=rng.random() > 0.1,
            marketplace_status="IN" if followers >= 10_000 and rng.random() < 0.6 else "NOT_IN",
            invite_delay_minutes=rng.randint(120, 1200),
        )
        _posts(rng, user, 7800000000000000000 + n * 100, rng.randint(3, 6))


def _seeded_campaign(users: dict[str, BusinessUser]) -> None:
    now = clock.now()
    tto = TTOAccount.objects.get(tto_tcm_account_id="7200000000000000001")
    campaign = Campaign.objects.create(
        campaign_id=SEEDED_CAMPAIGN_ID,
        tto_account=tto,
        brand_name="Demo Brand",
        campaign_name="Spring Launch",
        advertiser_ids=["7300000000000000001"],
        handle_names=["market.star"],
        invite_slug="spring-launch",
        create_time=now - timedelta(days=10),
        update_time=now - timedelta(days=10),
    )
    star = TikTokUser.objects.get(handle="market.star")
    CampaignJoin.objects.create(campaign=campaign, creator=star, joined_at=now - timedelta(days=9))
    video = star.videos.order_by("video_id").first()
    video.campaign = campaign
    video.save(update_fields=["campaign"])
    VideoLink.objects.create(
        link_request_id="7910000000000000001", campaign=campaign, video=video, status="APPROVE", created_at=now
    )


def reseed(seed: int | None = None) -> None:
    wipe_world()
    seed_world(seed)
    events.forget()  # the seed's bulk-created videos send no signal
