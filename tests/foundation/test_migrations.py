"""Data migrations keep every row, in the shape the models now expect."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

OLD_LAYOUT = [
    ("contenttypes", "0002_remove_content_type_name"),
    ("integrations", "0003_adaccount_removed_at_brand_spark_capability_case_and_more"),
    ("creators", "0002_marketplaceonboarding"),
    ("sparkads", "0001_initial"),
]
NEW_LAYOUT = [
    ("contenttypes", "0002_remove_content_type_name"),
    ("integrations", "0004_campaign_posts"),
    ("creators", "0003_campaign_posts_move_to_integrations"),
    ("sparkads", "0002_campaign_posts_in_integrations"),
]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def back_to_latest():
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("back_to_latest")
def test_rows_written_in_the_creators_layout_are_found_through_the_shared_model():
    old = _migrate(OLD_LAYOUT)
    Brand = old.get_model("integrations", "Brand")
    Campaign = old.get_model("integrations", "Campaign")
    TikTokAccount = old.get_model("integrations", "TikTokAccount")
    PostSnapshot = old.get_model("integrations", "PostSnapshot")
    Collaboration = old.get_model("creators", "Collaboration")
    CampaignPost = old.get_model("creators", "CampaignPost")
    SparkAuthorization = old.get_model("sparkads", "SparkAuthorization")
    ContentType = old.get_model("contenttypes", "ContentType")
    ContentType.objects.get_or_create(app_label="creators", model="campaignpost")

    brand = Brand.objects.create(name="Old Brand", slug="old-brand")
    campaign = Campaign.objects.create(brand=brand, name="Summer", campaign_id="7001")
    account = TikTokAccount.objects.create(handle="old_creator")
    collab = Collaboration.objects.create(campaign=campaign, tiktok_account=account, status="joined")
    post = CampaignPost.objects.create(
        campaign=campaign, collaboration=collab, tiktok_account=account, video_id="7300000000000000001"
    )
    PostSnapshot.objects.create(post=post, campaign=campaign, date="2026-11-01", video_views=1234)
    SparkAuthorization.objects.create(brand=brand, post=post, tiktok_account=account)

    new = _migrate(NEW_LAYOUT)
    moved_post = new.get_model("integrations", "CampaignPost").objects.get(video_id="7300000000000000001")
    assert moved_post.pk == post.pk
    assert moved_post.collaboration.status == "joined"
    assert moved_post.collaboration.tiktok_account.handle == "old_creator"
    assert [s.video_views for s in moved_post.snapshots.all()] == [1234]
    assert new.get_model("sparkads", "SparkAuthorization").objects.get().post_id == post.pk
    assert not new.get_model("contenttypes", "ContentType").objects.filter(app_label="creators", model="campaignpost")
    assert new.get_model("contenttypes", "ContentType").objects.filter(app_label="integrations", model="campaignpost")


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("back_to_latest")
def test_campaigns_never_polled_are_scheduled_so_a_null_next_poll_is_never_due():
    before = _migrate([("integrations", "0004_campaign_posts")])
    Brand = before.get_model("integrations", "Brand")
    Campaign = before.get_model("integrations", "Campaign")
    brand = Brand.objects.create(name="Old Brand", slug="old-brand")
    never = Campaign.objects.create(brand=brand, name="Never polled", campaign_id="7001")
    stopped = Campaign.objects.create(brand=brand, name="Deleted", campaign_id="7002", status="deleted")
    local = Campaign.objects.create(brand=brand, name="Not on TikTok", campaign_id="")

    after = _migrate([("integrations", "0005_campaign_due_when_created")])
    rows = {c.pk: c.next_poll_at for c in after.get_model("integrations", "Campaign").objects.all()}
    assert rows[never.pk] is not None
    assert rows[stopped.pk] is None and rows[local.pk] is None


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("back_to_latest")
def test_login_kit_grants_become_creator_grants_that_need_reconnecting_and_keep_their_account():
    before = _migrate([("integrations", "0008_background_job")])
    Credential = before.get_model("integrations", "Credential")
    TikTokAccount = before.get_model("integrations", "TikTokAccount")
    old = Credential.objects.create(
        kind="login_kit", open_id="open-lk", access_token="act.lk", refresh_token="rft.lk", status="ok"
    )
    account = TikTokAccount.objects.create(handle="lk_creator", open_id="open-lk", credential=old)
    current = Credential.objects.create(kind="tt_user", open_id="open-tt", access_token="act.tt", status="ok")

    after = _migrate([("integrations", "0009_no_login_kit_credentials")])
    rows = after.get_model("integrations", "Credential").objects
    retired, kept = rows.get(pk=old.pk), rows.get(pk=current.pk)
    assert (retired.kind, retired.status, retired.open_id) == ("tt_user", "needs_reconnect", "open-lk")
    assert (retired.access_token, retired.refresh_token, retired.next_refresh_at) == ("", "", None)
    assert "authorize TikTok again" in retired.last_error
    assert after.get_model("integrations", "TikTokAccount").objects.get(pk=account.pk).credential_id == old.pk
    assert (kept.kind, kept.status, kept.access_token) == ("tt_user", "ok", "act.tt")
    assert not rows.filter(kind="login_kit").exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("back_to_latest")
def test_deadlines_already_running_move_onto_tiktoks_clock(settings):
    from datetime import UTC, datetime, timedelta

    requested, accepted, expires = (datetime(2026, 12, 1, h, tzinfo=UTC) for h in (8, 9, 10))
    before = _migrate(
        [("creators", "0005_onboarding_claimed_until"), ("integrations", "0022_campaignpost_previewed_at")]
    )
    TikTokAccount = before.get_model("integrations", "TikTokAccount")
    Onboarding = before.get_model("creators", "MarketplaceOnboarding")
    Credential = before.get_model("integrations", "Credential")
    waiting, processing, joined = (
        Onboarding.objects.create(tiktok_account=TikTokAccount.objects.create(handle=h), **fields)
        for h, fields in (
            ("waits", {"state": "waiting", "invite_requested_at": requested}),
            ("processes", {"state": "processing", "invite_requested_at": requested, "accepted_at": accepted}),
            ("joined", {"state": "in_marketplace", "invite_requested_at": requested, "accepted_at": accepted}),
        )
    )
    grant = Credential.objects.create(kind="tt_user", status="ok", access_expires_at=expires, next_refresh_at=expires)

    after = _migrate(
        [
            ("creators", "0006_onboarding_deadline_on_tiktok_clock"),
            ("integrations", "0023_token_refresh_due_on_tiktok_clock"),
        ]
    )
    due = dict(after.get_model("creators", "MarketplaceOnboarding").objects.values_list("pk", "due_at"))
    assert due == {
        waiting.pk: requested + timedelta(hours=24),
        processing.pk: accepted + timedelta(hours=2),
        joined.pk: None,
    }
    margin = timedelta(seconds=settings.TIKTOK_REFRESH_MARGIN_SECONDS)
    assert after.get_model("integrations", "Credential").objects.get(pk=grant.pk).refresh_due_at == expires - margin
