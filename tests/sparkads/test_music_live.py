"""The music pre-flight against the live sandbox, over real HTTP: the creator approves, the
poller applies the code, and the post's music (set on TikTok's side) decides whether the code
reaches the ad account. One test per music_status TikTok documents."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.urls import reverse

from integrations.tiktok import clock
from sparkads import flows, tasks
from sparkads.models import SparkAuthorization

pytestmark = [pytest.mark.integration, pytest.mark.django_db]
Status = SparkAuthorization.Status


@pytest.fixture
def on_sandbox_clock(settings, control):
    """A sandbox deployment whose TikTok clock runs three days ahead of real time."""
    settings.TIKTOK_SANDBOX = True
    settings.SANDBOX_URL = control.base
    control("POST", "clock/advance", {"seconds": 3 * 86400})
    clock.forget()
    yield
    clock.forget()


def approve_and_apply(live_world, control, alice, music: dict) -> SparkAuthorization:
    post = live_world["post"]
    control("POST", "helpers/post-music", {"video_id": post.video_id, **music})
    auth = flows.request_permission(post, alice, 30)
    control("POST", "helpers/spark/approve", {"video_id": post.video_id})
    tasks.poll_spark_request(auth.pk)  # sees the approval and applies the code
    auth.refresh_from_db()
    return auth


def sandbox_now(control) -> datetime:
    return datetime.fromisoformat(control("GET", "state")["now"])


def test_a_track_not_licensed_where_the_ad_account_advertises_is_refused_with_the_track_named(
    live_world, control, alice, client_for, on_sandbox_clock
):
    track = {"title": "Midnight Anthem", "author": "The Loud Label", "licensed_in": ["GB", "DE"]}
    auth = approve_and_apply(live_world, control, alice, track)
    sent = control.calls("open_api")
    ledger = client_for(alice).get(reverse("sparkads:ledger", args=[auth.brand.slug])).content.decode()
    assert "“Midnight Anthem” by The Loud Label" in ledger  # the ledger row says so
    assert control.calls("open_api") == sent  # the page asked TikTok nothing

    assert auth.status == Status.APPROVED and auth.applied_at is None
    assert control.calls("tt_video/authorize") == 0  # the code never reached the ad account
    assert auth.music_status == "AUTHORIZATION_MISSING"
    assert "“Midnight Anthem” by The Loud Label" in auth.last_error and "in US" in auth.last_error
    # Kept with the time on TikTok's clock, three days ahead of real time.
    assert abs(auth.music_checked_at - sandbox_now(control)) < timedelta(minutes=2)


def test_a_track_licensed_only_until_before_the_code_ends_is_refused_for_that_window(live_world, control, alice):
    until = (sandbox_now(control) + timedelta(days=10)).date().isoformat()
    track = {"title": "Short Lease", "author": "Rent A Beat", "licensed_until": until}
    auth = approve_and_apply(live_world, control, alice, track)

    assert auth.status == Status.APPROVED and auth.music_status == "AUTHORIZATION_MISSING"
    assert "“Short Lease” by Rent A Beat" in auth.last_error
    assert control.calls("tt_video/authorize") == 0


def test_a_sound_without_a_song_id_is_applied_with_a_warning_on_the_row(live_world, control, alice):
    auth = approve_and_apply(live_world, control, alice, {"song_id": False})

    assert auth.status == Status.ACTIVE and auth.ad_account == live_world["ad"]
    assert control.calls("tt_video/authorize") == 1
    assert auth.music_status == "WITHOUT_SONG_ID" and "no song id" in auth.last_error


def test_a_library_track_cleared_everywhere_is_applied_without_a_warning(live_world, control, alice):
    auth = approve_and_apply(live_world, control, alice, {})

    assert auth.status == Status.ACTIVE and auth.last_error == ""
    assert control.calls("tt_video/authorize") == 1
    assert auth.music_status == "WITH_FULL_AUTHORIZATION" and "cleared for ads in US" in auth.music_note
