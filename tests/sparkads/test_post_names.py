"""A post is named by its caption wherever a person reads about it: ledger rows, checkbox
labels, messages, audit lines and every Spark Ads mail; its 19-digit id only while no caption
is known. TikTok is mocked at the HTTP boundary."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import responses
from django.urls import reverse

from integrations.words import clipped, post_name
from sparkads import ledger, renewal
from sparkads.models import AuditEvent, SparkAuthorization, UsageTerms

from .conftest import MUSIC_CLEARED

pytestmark = pytest.mark.django_db
API = "/open_api/v1.3/"
BARE_ID = re.compile(r"\b\d{19}\b")
CAPTION = "Morning run in the new trail shoes, rain or shine #ad #running"
FMT = "%Y-%m-%d %H:%M:%S"


def ok(data):
    return {"code": 0, "message": "OK", "request_id": "req-1", "data": data}


def test_a_caption_is_cut_at_a_whole_word_and_the_id_names_a_post_only_without_one():
    assert clipped("Morning run in the new trail shoes", 20) == "Morning run in the…"
    assert post_name(CAPTION, "7700000000000000501") == "“Morning run in the new trail shoes, rain or shine…”"
    assert post_name("  ", "7700000000000000501") == "video 7700000000000000501"


def test_a_pasted_code_for_a_post_in_no_campaign_is_named_by_the_caption_tiktok_gives_with_it(
    world, alice, client, settings
):
    end = datetime.now(UTC) + timedelta(days=30)
    info = {
        "auth_info": {
            "ad_auth_status": "AUTHORIZED",
            "auth_start_time": datetime.now(UTC).strftime(FMT),
            "auth_end_time": end.strftime(FMT),
        },
        "item_info": {"item_id": "7700000000000000999", "item_type": "VIDEO", "text": CAPTION},
        "user_info": {"tiktok_name": "market.star", "identity_id": "9", "identity_type": "AUTH_CODE"},
    }
    client.force_login(alice)
    base = f"{settings.TIKTOK_BUSINESS_API_BASE_URL}{API}"
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.get(f"{base}tt_video/info/", json=ok(info))
        rsps.post(f"{base}tt_video/authorize/", json=ok({}))
        rsps.get(f"{base}identity/music/authorization/", json=ok(MUSIC_CLEARED))
        answer = client.post(
            reverse("sparkads:paste_code", args=[world["bc"].brand.slug]), {"code": "PASTED-CODE"}, follow=True
        )
    page = answer.content.decode()
    name = "“Morning run in the new trail shoes, rain or shine…”"
    assert f"Code accepted: {name} can run as a Spark Ad" in page
    auth = SparkAuthorization.objects.get(video_id="7700000000000000999")
    assert auth.post is None and auth.caption == CAPTION
    assert f'<span class="post-title">{name}</span>' in page
    audit = list(AuditEvent.objects.filter(authorization=auth).values_list("summary", flat=True))
    assert audit and all(name in line and not BARE_ID.search(line) for line in audit)


def test_the_ledger_names_each_post_in_its_checkbox_label(world, alice, client):
    post = world["post"]
    post.caption = CAPTION
    post.save()
    client.force_login(alice)
    page = client.get(reverse("sparkads:ledger", args=[world["bc"].brand.slug])).content.decode()
    assert 'aria-label="Select “Morning run in the new trail shoes, rain or shine…”"' in page
    assert f'aria-label="Select video {post.video_id}"' not in page


@pytest.fixture
def live(world, user_factory):
    creator = user_factory(email="creator@example.test")
    world["account"].owner = creator
    world["account"].save()
    world["post"].caption = CAPTION
    world["post"].save()
    start = datetime.now(UTC) - timedelta(days=1)
    auth = SparkAuthorization.objects.create(
        brand=world["bc"].brand,
        post=world["post"],
        video_id=world["post"].video_id,
        source=SparkAuthorization.Source.CREATOR,
        status="active",
        ad_account=world["ad"],
        tiktok_account=world["account"],
        item_id=world["post"].video_id,
        auth_start=start,
        auth_end=start + timedelta(days=30),
    )
    auth.set_code("CODE-LIVE")
    auth.save()
    return auth


def test_spark_mails_and_audit_lines_name_the_post_by_its_caption_and_never_by_a_bare_id(
    live, alice, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ledger.send_due_reminders(live, now=live.auth_end - timedelta(days=13))
        renewal.propose(live, alice, 30, UsageTerms())
    assert len(mailoutbox) >= 3  # the reminder to brand and creator, the proposal to the creator
    for message in mailoutbox:
        assert "Morning run in the new trail shoes" in message.subject + message.body
        assert not BARE_ID.search(message.subject), message.subject
        assert not BARE_ID.search(message.body), message.body
    lines = list(AuditEvent.objects.filter(authorization=live).values_list("summary", flat=True))
    assert lines and not any(BARE_ID.search(line) for line in lines)


def test_a_post_without_a_caption_yet_is_named_by_its_id(live, alice, mailoutbox, django_capture_on_commit_callbacks):
    live.post.caption = ""
    live.post.save()
    with django_capture_on_commit_callbacks(execute=True):
        renewal.propose(live, alice, 30, UsageTerms())
    assert f"video {live.video_id}" in mailoutbox[0].body
