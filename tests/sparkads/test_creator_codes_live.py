"""The creator's one-click approval and revoke against the live sandbox, over real HTTP:
Authorize TikTok (asking for biz.spark.auth) → the brand requests → the creator approves here
→ the code is made with their token and applied to the brand's ad account → revoked."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
from django.conf import settings
from django.urls import reverse

from creators import flows as creator_flows
from integrations.errors import FlowError
from integrations.tiktok import BusinessClient, TikTokError
from sparkads import creator_codes, flows, tasks
from sparkads.models import AuditEvent, SparkAuthorization

pytestmark = [pytest.mark.integration, pytest.mark.django_db]
ADVERTISER_ID = "7300000000000000001"
Status = SparkAuthorization.Status


def authorize(control, client, handle: str, *, untick: str = ""):
    """Authorize TikTok as the platform asks for it; `untick` drops one scope on TikTok's screen."""
    start = client.post(reverse("creators:authorize"))
    query = parse_qs(urlparse(start["Location"]).query)
    scopes = [s for s in query["scope"][0].split(",") if s != untick]
    answer = control(
        "POST",
        "helpers/authorize",
        {
            "handle": handle,
            "client_key": settings.TIKTOK_APP_ID,
            "redirect_uri": creator_flows.redirect_uri(),
            "state": query["state"][0],
            "scope": ",".join(scopes),
        },
    )
    client.get(reverse("creators:callback"), {"code": answer["code"], "state": query["state"][0]})
    return query["scope"][0]


@pytest.fixture
def star(live_world, control, client_for, user_factory):
    user = user_factory(email="star@example.test")
    client = client_for(user)
    asked = authorize(control, client, "market.star")
    assert "biz.spark.auth" in asked.split(",")
    return user, client


def test_one_click_approval_puts_a_working_code_in_the_brands_ledger_and_revoke_deletes_it(
    live_world, control, star, alice, run_jobs
):
    user, client = star
    post = live_world["post"]
    auth = flows.request_permission(post, alice, 30)

    page = client.get(reverse("sparkads:creator_codes")).content.decode()
    assert "Approve for 30 days" in page
    assert control.calls("business/video/list") == 0  # a page view asks TikTok nothing
    # The request's poller shows the post as TikTok lists it (business/video/list/), read once and kept.
    tasks.poll_spark_request(auth.pk)
    tasks.poll_spark_request(auth.pk)
    post.refresh_from_db()
    assert post.caption and f"cover/{post.video_id}" in post.thumbnail_url
    assert post.thumbnail_url in client.get(reverse("sparkads:creator_codes")).content.decode()
    assert control.calls("business/video/list") == 1
    with run_jobs():  # the click makes the code; the worker applies it once the click commits
        client.post(reverse("sparkads:creator_approve", args=[auth.pk]))
        assert control.calls("tt_video/authorize") == 0

    auth.refresh_from_db()
    assert auth.status == Status.ACTIVE and auth.source == SparkAuthorization.Source.CREATOR
    assert auth.ad_account == live_world["ad"] and auth.item_id == post.video_id
    assert 29 <= auth.days_left <= 30
    brand_client = BusinessClient(live_world["cred"].access_token)
    info = brand_client.tt_video_info(ADVERTISER_ID, auth.auth_code)
    assert info["item_info"]["item_id"] == post.video_id
    assert control.calls("business/post/authorize/setting") == 1

    client.post(reverse("sparkads:creator_revoke", args=[auth.pk]))

    auth.refresh_from_db()
    assert auth.status == Status.REVOKED
    kinds = list(AuditEvent.objects.filter(authorization=auth).order_by("pk").values_list("kind", flat=True))
    assert kinds == ["requested", "approved", "music", "applied", "revoked"]
    with pytest.raises(TikTokError, match="cancelled"):
        brand_client.tt_video_info(ADVERTISER_ID, auth.auth_code)


def test_a_creator_who_unticked_the_scope_is_told_to_authorize_again_and_tiktok_is_not_called(
    live_world, control, client_for, user_factory, alice
):
    user = user_factory(email="late@example.test")
    client = client_for(user)
    authorize(control, client, "market.star", untick="biz.spark.auth")
    auth = flows.request_permission(live_world["post"], alice, 7)

    with pytest.raises(FlowError, match="Authorize TikTok again"):
        creator_codes.approve(auth, user)

    assert control.calls("business/post/authorize/setting") == 0
    assert "has not allowed “Spark Ads codes”" in client.get(reverse("creators:home")).content.decode()


def _approved_here(live_world, star, alice, run_jobs) -> SparkAuthorization:
    user, client = star
    auth = flows.request_permission(live_world["post"], alice, 30)
    with run_jobs():
        client.post(reverse("sparkads:creator_approve", args=[auth.pk]))
    auth.refresh_from_db()
    assert auth.status == Status.ACTIVE and auth.source == SparkAuthorization.Source.CREATOR
    return auth


def _creators_client(auth: SparkAuthorization) -> BusinessClient:
    account = auth.post.tiktok_account
    return BusinessClient(account.credential.access_token)


def test_the_daily_check_notices_a_code_the_creator_deleted_on_tiktok(live_world, control, star, alice, run_jobs):
    from sparkads.tasks import check_spark_authorization

    auth = _approved_here(live_world, star, alice, run_jobs)
    # The creator deletes the code on TikTok's side, not here.
    _creators_client(auth).business_post_authorize_delete(auth.post.tiktok_account.open_id, auth.video_id)

    assert check_spark_authorization(auth.pk) == Status.REVOKED
    assert control.calls("business/post/authorize/status") == 1
    assert control.calls("tcm/tt_video/status") == 0


def test_the_daily_check_sees_an_extension_made_on_tiktok(live_world, control, star, alice, run_jobs):
    from sparkads.tasks import check_spark_authorization

    auth = _approved_here(live_world, star, alice, run_jobs)
    old_end = auth.auth_end
    _creators_client(auth).business_post_authorize(auth.post.tiktok_account.open_id, auth.video_id, 7)

    check_spark_authorization(auth.pk)

    auth.refresh_from_db()
    assert auth.status == Status.ACTIVE and (auth.auth_end - old_end).days == 7
    assert AuditEvent.objects.filter(authorization=auth, kind="renewed").exists()
