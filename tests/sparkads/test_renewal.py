"""Renewal with TikTok mocked at the HTTP boundary and time moved by time-machine: the
45/30/14/0-day reminders (each once, to brand and creator), the end of an unrenewed term
(unbound, recorded, brand told), and Extend through the path the code came by."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import responses
import time_machine
from django.urls import reverse

from sparkads import ledger, tasks
from sparkads.models import AuditEvent, SparkAuthorization, SparkReminder
from tests.sparkads.conftest import MUSIC_CLEARED
from tests.sparkads.test_flows import START, _status, info, ok, url

pytestmark = pytest.mark.django_db
Status = SparkAuthorization.Status


@pytest.fixture
def applied(world, user_factory):
    """An applied authorization of a requested code, from START for `days` days."""
    creator = user_factory(email="creator@example.test")
    world["account"].owner = creator
    world["account"].save()
    return lambda days: _applied(world, days)


@pytest.fixture
def sixty_days(applied):
    return applied(60)


def _applied(world, days: int, code: str = "CODE-SIXTY") -> SparkAuthorization:
    auth = SparkAuthorization.objects.create(
        brand=world["bc"].brand,
        post=world["post"],
        video_id=world["post"].video_id,
        status=Status.ACTIVE,
        ad_account=world["ad"],
        tiktok_account=world["account"],
        item_id=world["post"].video_id,
        authorization_days=days,
        auth_start=START,
        auth_end=START + timedelta(days=days),
    )
    auth.set_code(code)
    auth.save()
    return auth


def _check_at(auth, moment, capture):
    with time_machine.travel(moment, tick=False), capture(execute=True):
        tasks.check_spark_authorization(auth.pk)


def test_the_schedule_is_a_setting_read_from_the_environment_in_settings_only(settings):
    assert settings.SPARK_RENEWAL_REMINDER_DAYS == (45, 30, 14, 0)


def test_reminders_go_out_45_30_14_and_0_days_before_the_end_each_once_to_brand_and_creator(
    sixty_days, settings, mailoutbox, django_capture_on_commit_callbacks
):
    end = sixty_days.auth_end
    with responses.RequestsMock() as rsps:
        _status(settings, rsps, end)
        rsps.post(url(settings, "tt_video/unbind/"), json=ok({}))
        for day, expected in [(10, 0), (15, 2), (15, 2), (30, 4), (31, 4), (46, 6), (46, 6)]:
            _check_at(sixty_days, START + timedelta(days=day, hours=1), django_capture_on_commit_callbacks)
            assert len(mailoutbox) == expected, day
        sixty_days.refresh_from_db()
        assert sixty_days.status == Status.EXPIRING
        _check_at(sixty_days, end + timedelta(hours=1), django_capture_on_commit_callbacks)
    subjects = [m.subject for m in mailoutbox]
    assert subjects.count(f"Spark Ads authorization for video {sixty_days.video_id} ends in 45 days") == 2
    assert subjects.count(f"Spark Ads authorization for video {sixty_days.video_id} ends in 30 days") == 2
    assert subjects.count(f"Spark Ads authorization for video {sixty_days.video_id} ends in 14 days") == 2
    assert subjects.count(f"Spark Ads authorization for video {sixty_days.video_id} ends today") == 2
    assert SparkReminder.objects.filter(authorization=sixty_days).count() == 8
    recipients = {tuple(m.to) for m in mailoutbox}
    assert ("creator@example.test",) in recipients and ("alice@example.test",) in recipients
    assert "CODE-SIXTY" not in " ".join(m.body for m in mailoutbox)
    assert AuditEvent.objects.filter(authorization=sixty_days, kind="reminded").count() == 4


def test_marks_that_passed_before_the_window_began_are_recorded_without_a_mail(
    applied, settings, mailoutbox, django_capture_on_commit_callbacks
):
    """A 30-day code starts inside the 45- and 30-day marks: its first reminder is the 14-day one."""
    active = applied(30)
    with responses.RequestsMock() as rsps:
        _status(settings, rsps, active.auth_end)
        _check_at(active, START + timedelta(hours=1), django_capture_on_commit_callbacks)
        assert mailoutbox == []
        _check_at(active, START + timedelta(days=16, hours=1), django_capture_on_commit_callbacks)
    assert [m.subject for m in mailoutbox] == [
        f"Spark Ads authorization for video {active.video_id} ends in 14 days"
    ] * 2


def test_a_late_first_check_sends_each_mark_it_missed_once_oldest_first(
    sixty_days, settings, mailoutbox, django_capture_on_commit_callbacks
):
    with responses.RequestsMock() as rsps:
        _status(settings, rsps, sixty_days.auth_end)
        _check_at(sixty_days, START + timedelta(days=50), django_capture_on_commit_callbacks)
        _check_at(sixty_days, START + timedelta(days=51), django_capture_on_commit_callbacks)
    assert [m.subject for m in mailoutbox] == [
        f"Spark Ads authorization for video {sixty_days.video_id} ends in {days} days"
        for days in (45, 45, 30, 30, 14, 14)
    ]


def test_an_unrenewed_term_ends_with_the_post_unbound_recorded_and_the_brand_told(
    sixty_days, settings, mailoutbox, django_capture_on_commit_callbacks
):
    with responses.RequestsMock() as rsps:
        _status(settings, rsps, sixty_days.auth_end)
        unbind = rsps.post(url(settings, "tt_video/unbind/"), json=ok({}))
        _check_at(sixty_days, sixty_days.auth_end + timedelta(minutes=5), django_capture_on_commit_callbacks)
        _check_at(sixty_days, sixty_days.auth_end + timedelta(days=1), django_capture_on_commit_callbacks)
    assert unbind.call_count == 1
    assert json.loads(unbind.calls[0].request.body) == {
        "advertiser_id": sixty_days.ad_account.advertiser_id,
        "item_id": sixty_days.item_id,
    }
    sixty_days.refresh_from_db()
    assert sixty_days.status == Status.UNBOUND and sixty_days.ended_by is None
    assert "without a renewal" in sixty_days.end_reason
    event = AuditEvent.objects.get(authorization=sixty_days, kind="unbound")
    assert event.actor is None and "without a renewal" in event.summary
    told = [m for m in mailoutbox if "was unbound" in m.subject]
    assert len(told) == 1 and told[0].to == ["alice@example.test"]


def test_an_unbind_tiktok_cannot_take_now_keeps_the_row_and_is_tried_again(
    sixty_days, settings, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr("integrations.tiktok.clock.sleep", lambda seconds: None)  # the client's back-off
    with responses.RequestsMock() as rsps:
        _status(settings, rsps, sixty_days.auth_end)
        rsps.post(url(settings, "tt_video/unbind/"), status=503)
        _check_at(sixty_days, sixty_days.auth_end + timedelta(minutes=5), django_capture_on_commit_callbacks)
    sixty_days.refresh_from_db()
    assert sixty_days.status == Status.ACTIVE and sixty_days.last_error
    assert sixty_days.due_at == sixty_days.auth_end + timedelta(minutes=5) + ledger.UNBIND_RETRY


def test_a_renewal_of_the_rows_code_seen_on_tiktok_before_the_end_keeps_the_post_bound(
    sixty_days, settings, django_capture_on_commit_callbacks
):
    sixty_days.extension_requested_at = START + timedelta(days=40)
    sixty_days.save()
    new_end = sixty_days.auth_end + timedelta(days=30)
    with responses.RequestsMock() as rsps:
        _status(settings, rsps, new_end, code="CODE-SIXTY")  # the creator approved the extension
        _check_at(sixty_days, sixty_days.auth_end + timedelta(minutes=5), django_capture_on_commit_callbacks)
    sixty_days.refresh_from_db()
    assert sixty_days.status == Status.ACTIVE and sixty_days.auth_end == new_end
    assert not sixty_days.extension_pending
    assert AuditEvent.objects.filter(authorization=sixty_days, kind="renewed").exists()


def test_an_approved_extension_that_is_a_new_code_becomes_the_rows_code_and_is_applied_with_its_window(
    sixty_days, settings, django_capture_on_commit_callbacks
):
    """TikTok answers an approved EXTEND request with a new code: the ads run on the old one
    until its own end, so the row takes the new code through the one apply path, and its
    window is the new code's as tt_video/info/ gives it."""
    sixty_days.extension_requested_at = START + timedelta(days=40)
    sixty_days.save()
    new_end = sixty_days.auth_end + timedelta(days=30)
    with responses.RequestsMock() as rsps:
        _status(settings, rsps, new_end, code="CODE-EXTENDED", code_status="NOT_USED")
        rsps.get(url(settings, "tt_video/info/"), json=info(new_end, video_id=sixty_days.item_id))
        rsps.get(url(settings, "identity/music/authorization/"), json=ok(MUSIC_CLEARED))
        authorize = rsps.post(url(settings, "tt_video/authorize/"), json=ok({}))
        _check_at(sixty_days, START + timedelta(days=45), django_capture_on_commit_callbacks)
    assert json.loads(authorize.calls[0].request.body)["auth_code"] == "CODE-EXTENDED"
    sixty_days.refresh_from_db()
    assert sixty_days.auth_code == "CODE-EXTENDED" and sixty_days.status == Status.ACTIVE
    assert (sixty_days.auth_start, sixty_days.auth_end) == (START, new_end)
    assert not sixty_days.extension_pending


def test_a_live_check_never_takes_the_window_of_another_code_of_the_post(
    sixty_days, settings, django_capture_on_commit_callbacks
):
    """The TikTok One status is the post's latest request: after another row's code was made
    and then deleted in TikTok, it names that code and its later end, which are not this row's."""
    window = (sixty_days.auth_start, sixty_days.auth_end)
    with responses.RequestsMock() as rsps:
        _status(settings, rsps, sixty_days.auth_end + timedelta(days=300), code="CODE-OTHER", code_status="DELETED")
        _check_at(sixty_days, START + timedelta(days=10), django_capture_on_commit_callbacks)
    sixty_days.refresh_from_db()
    assert sixty_days.status == Status.ACTIVE and (sixty_days.auth_start, sixty_days.auth_end) == window
    assert sixty_days.auth_code == "CODE-SIXTY"
    assert not AuditEvent.objects.filter(authorization=sixty_days, kind__in=["renewed", "revoked"]).exists()


def test_a_live_code_of_another_row_is_not_taken_as_this_rows_extension(
    sixty_days, world, settings, django_capture_on_commit_callbacks
):
    sixty_days.extension_requested_at = START + timedelta(days=40)
    sixty_days.save()
    other = SparkAuthorization.objects.create(
        brand=sixty_days.brand, post=sixty_days.post, video_id=sixty_days.video_id, status=Status.ACTIVE
    )
    other.set_code("CODE-OTHER")
    other.save()
    window = (sixty_days.auth_start, sixty_days.auth_end)
    with responses.RequestsMock() as rsps:
        _status(settings, rsps, sixty_days.auth_end + timedelta(days=300), code="CODE-OTHER")
        _check_at(sixty_days, START + timedelta(days=45), django_capture_on_commit_callbacks)
    sixty_days.refresh_from_db()
    assert sixty_days.auth_code == "CODE-SIXTY" and (sixty_days.auth_start, sixty_days.auth_end) == window


def test_a_requested_code_is_extended_with_action_extend_and_shows_pending_until_tiktok_confirms(
    sixty_days, world, alice, client, settings
):
    client.force_login(alice)
    with responses.RequestsMock() as rsps:
        apply = rsps.post(url(settings, "tcm/tt_video/apply/"), json=ok({}))
        page = client.post(
            reverse("sparkads:extend", args=[world["bc"].brand.slug, sixty_days.pk]), {"days": 30}, follow=True
        )
    assert json.loads(apply.calls[0].request.body)["action"] == "EXTEND"
    html = page.content.decode()
    assert "Extension requested" in html and "Extension pending" in html
    sixty_days.refresh_from_db()
    assert sixty_days.extension_pending


def test_a_pasted_code_cannot_be_extended_and_the_brand_is_told_to_ask_for_a_new_code(sixty_days, alice, client):
    sixty_days.source = SparkAuthorization.Source.PASTED
    sixty_days.save()
    client.force_login(alice)
    with responses.RequestsMock():  # nothing may reach TikTok
        page = client.post(
            reverse("sparkads:extend", args=[sixty_days.brand.slug, sixty_days.pk]), {"days": 30}, follow=True
        )
    html = page.content.decode()
    assert "cannot be extended from here" in html and "ask @market.star for a new code" in html
    assert "Pasted code: to renew, ask the creator for a new code." in html


def test_a_renewed_window_does_not_repeat_marks_it_starts_inside(
    sixty_days, settings, mailoutbox, django_capture_on_commit_callbacks
):
    new_end = sixty_days.auth_end + timedelta(days=10)  # renewed on day 50: 20 days left
    with responses.RequestsMock() as rsps:
        _status(settings, rsps, new_end, code="CODE-SIXTY")
        _check_at(sixty_days, START + timedelta(days=50), django_capture_on_commit_callbacks)
    sixty_days.refresh_from_db()
    assert sixty_days.auth_end == new_end
    assert mailoutbox == []  # the 45- and 30-day marks of the new window had already passed
    assert set(SparkReminder.objects.filter(authorization=sixty_days).values_list("days_before", flat=True)) == {45, 30}
