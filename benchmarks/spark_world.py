"""The Spark benchmark's world on TikTok's side, written into a running sandbox's own database.

Run by benchmarks/spark.py as `python -m benchmarks.spark_world DB_PATH ADVERTISERS CODES ADS
SPENDING` with the sandbox's settings (its models, its SQLite file): the control API makes one
code or ad per request and has no way to make 50 ad accounts, so the world is built in bulk the
way the sandbox's own seed does. It prints what the product needs to mirror it, as JSON.

Demo Brand's business user is given ADVERTISERS ad accounts (UTC, USD). CODES posts, each by
one of CREATORS creators, each with a code applied to ad account n % ADVERTISERS; the first
ADS codes each feed one approved Spark ad (AUTH_CODE) that has delivered for two days. The
ads of the first SPENDING ad accounts keep delivering, so their spend changes every report
window; the others' ads are paused now, so their figures stay still and TikTok names only the
spending accounts in REPORT_DATA_CHANGE.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

CREATORS = 100
PERSONA = "demo-brand"


def advertiser_id(n: int) -> str:
    return f"735{n:016d}"


def seed(advertisers: int, codes: int, ads: int, spending: int) -> dict:
    from tiktok_sandbox import clock
    from tiktok_sandbox.api.spark import identity_id
    from tiktok_sandbox.models import Ad, AdAuthCode, Advertiser, BusinessUser, TikTokUser, Video, VideoAuthorization

    now = clock.now()
    began = now - timedelta(days=2)
    accounts = Advertiser.objects.bulk_create(
        [
            Advertiser(advertiser_id=advertiser_id(n), name=f"Bench account {n}", company="Demo Brand",
                       currency="USD", timezone="Etc/GMT", create_time=began)
            for n in range(advertisers)
        ]
    )  # fmt: skip
    BusinessUser.objects.get(key=PERSONA).advertisers.add(*accounts)
    creators = TikTokUser.objects.bulk_create(
        [
            TikTokUser(creator_id=f"695{n:016d}", open_id=f"open-spark.bench{n}", union_id=f"union-spark.bench{n}",
                       handle=f"spark.bench{n}", display_name=f"Spark bench {n}", follower_count=50_000,
                       account_type="CREATOR")
            for n in range(CREATORS)
        ]
    )  # fmt: skip
    videos = Video.objects.bulk_create(
        [
            Video(video_id=f"755{n:016d}", owner=creators[n % CREATORS], title=f"Bench post {n}",
                  description=f"Bench post {n} #fyp", create_time=began, peak_views=10_000)
            for n in range(codes)
        ],
        batch_size=1000,
    )  # fmt: skip
    auth_codes = AdAuthCode.objects.bulk_create(
        [
            # Ends 20 to 79 days on, so every code is live through the run.
            AdAuthCode(code=f"#bench-spark-code-{n:06d}", video=v, days=60, start_time=began,
                       end_time=now + timedelta(days=20 + n % 60))
            for n, v in enumerate(videos)
        ],
        batch_size=1000,
    )  # fmt: skip
    applied = VideoAuthorization.objects.bulk_create(
        [
            VideoAuthorization(advertiser=accounts[n % advertisers], auth_code=c, authorized_at=began)
            for n, c in enumerate(auth_codes)
        ],
        batch_size=1000,
    )
    Ad.objects.bulk_create(
        [
            Ad(ad_id=f"185{n:016d}", advertiser=accounts[n % advertisers], campaign_id=f"175{n:016d}",
               campaign_name=f"Spark bench {n}", adgroup_id=f"176{n:016d}", adgroup_name="Spark ad group",
               ad_name=f"Spark · Bench post {n}", video=videos[n], identity_type="AUTH_CODE",
               identity_id=identity_id(videos[n].owner, "AUTH_CODE"), authorization=applied[n], seed=n,
               daily_budget=Decimal(50 + n % 100), review="APPROVED", create_time=began, modify_time=began,
               delivering_since=began, paused_at=None if n % advertisers < spending else now)
            for n in range(ads)
        ]
    )  # fmt: skip
    return {
        "now": now.isoformat(),
        "advertisers": [a.advertiser_id for a in accounts],
        "codes": [
            {"video_id": v.video_id, "creator": v.owner.handle, "identity_id": identity_id(v.owner, "AUTH_CODE"),
             "advertiser_id": accounts[n % advertisers].advertiser_id, "start": began.isoformat(),
             "end": auth_codes[n].end_time.isoformat(), "code": auth_codes[n].code}
            for n, v in enumerate(videos)
        ],
        "spending_ads": [f"185{n:016d}" for n in range(ads) if n % advertisers < spending],
    }  # fmt: skip


def main(argv: list[str]) -> int:
    db_path, advertisers, codes, ads, spending = argv[0], *map(int, argv[1:5])
    os.environ["DJANGO_SETTINGS_MODULE"] = "tiktok_sandbox.settings"
    os.environ["SANDBOX_DATABASE_URL"] = f"sqlite:///{Path(db_path).resolve()}"
    import django

    django.setup()
    from django.db import transaction

    with transaction.atomic():
        world = seed(advertisers, codes, ads, spending)
    json.dump(world, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
