"""Spark Ads end to end against the live sandbox: request → creator answers → poll → ledger."""

from __future__ import annotations

import pytest
from django.utils import timezone

from integrations.errors import FlowError
from integrations.tiktok import TikTokError
from sparkads import codes, flows, renewal, tasks
from sparkads.models import AuditEvent, SparkAuthorization

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def test_a_request_approved_on_tiktok_becomes_an_active_ledger_row_with_its_window(live_world, control, alice):
    post = live_world["post"]
    auth = flows.request_permission(post, alice, 60)
    assert auth.status == SparkAuthorization.Status.REQUESTED

    assert tasks.poll_spark_request(auth.pk) == SparkAuthorization.Status.REQUESTED  # creator has not answered
    control("POST", "helpers/spark/approve", {"video_id": post.video_id, "days": 60})
    tasks.poll_spark_request(auth.pk)

    auth.refresh_from_db()
    assert auth.status == SparkAuthorization.Status.ACTIVE
    assert auth.item_id == post.video_id
    assert auth.ad_account == live_world["ad"]
    assert 59 <= (auth.auth_end - timezone.now()).days <= 60
    assert auth.num_remaining_request == 29
    kinds = set(AuditEvent.objects.filter(authorization=auth).values_list("kind", flat=True))
    assert kinds == {"requested", "approved", "music", "applied"}


def test_an_approval_whose_authorize_answer_came_back_garbled_is_applied_once_not_authorized_twice(
    live_world, control, alice
):
    """TikTok applies the code and its answer arrives garbled (the sandbox mangles the body of
    a request it processed): the retry reads the ad account's posts and sends no second
    authorize."""
    post = live_world["post"]
    auth = flows.request_permission(post, alice, 60)
    control("POST", "helpers/spark/approve", {"video_id": post.video_id, "days": 60})
    control("POST", "faults", {"pattern": "*tt_video/authorize/", "malformed_json": 1, "times": 1})

    with pytest.raises(TikTokError) as lost:
        flows.poll_request(auth.pk)
    assert lost.value.is_transient  # the task retries it
    auth.refresh_from_db()
    assert auth.status == SparkAuthorization.Status.APPROVED and auth.auth_code

    assert flows.apply_approved(auth.pk) is True
    auth.refresh_from_db()
    assert auth.status == SparkAuthorization.Status.ACTIVE and auth.last_error == ""
    assert control.calls("/open_api/v1.3/tt_video/authorize/") == 1
    assert control.calls("/open_api/v1.3/tt_video/list/") == 1


def test_a_rejected_request_is_recorded_as_rejected(live_world, control, alice):
    post = live_world["post"]
    auth = flows.request_permission(post, alice, 30)
    control("POST", "helpers/spark/reject", {"video_id": post.video_id})
    tasks.poll_spark_request(auth.pk)
    auth.refresh_from_db()
    assert auth.status == SparkAuthorization.Status.REJECTED
    assert AuditEvent.objects.filter(authorization=auth, kind="rejected").exists()


def test_a_pasted_code_is_checked_with_tiktok_then_applied(live_world, control, alice):
    post = live_world["post"]
    code = control("POST", "helpers/ad-codes", {"video_id": post.video_id, "days": 30})["auth_code"]
    auth = codes.accept_pasted_code(live_world["post"].campaign.brand, alice, code, post=post)
    assert auth.status == SparkAuthorization.Status.ACTIVE
    assert auth.auth_code == code and auth.item_id == post.video_id
    with pytest.raises(FlowError, match="already been used"):
        codes.accept_pasted_code(post.campaign.brand, alice, code, post=post)


def test_a_garbage_code_gets_a_plain_language_error(live_world, alice):
    with pytest.raises(FlowError, match="doesn't recognise this code"):
        codes.accept_pasted_code(live_world["post"].campaign.brand, alice, "not-a-real-code")


def test_a_code_for_another_video_is_refused(live_world, control, alice):
    post = live_world["post"]
    other = next(v for v in _videos(control, "market.star") if v != post.video_id)
    code = control("POST", "helpers/ad-codes", {"video_id": other, "days": 7})["auth_code"]
    with pytest.raises(FlowError, match="another post"):
        codes.accept_pasted_code(post.campaign.brand, alice, code, post=post)


def test_an_expired_code_says_it_expired(live_world, control, alice):
    post = live_world["post"]
    code = control("POST", "helpers/ad-codes", {"video_id": post.video_id, "days": 7})["auth_code"]
    control("POST", "clock/advance", {"hours": 24 * 8})
    with pytest.raises(FlowError, match="expired"):
        codes.accept_pasted_code(post.campaign.brand, alice, code, post=post)


def test_unbind_removes_the_post_from_the_ad_account(live_world, control, alice):
    post = live_world["post"]
    code = control("POST", "helpers/ad-codes", {"video_id": post.video_id, "days": 30})["auth_code"]
    auth = codes.accept_pasted_code(post.campaign.brand, alice, code, post=post)
    flows.unbind(auth, alice)
    auth.refresh_from_db()
    assert auth.status == SparkAuthorization.Status.UNBOUND and auth.ended_by == alice
    assert AuditEvent.objects.filter(authorization=auth, kind="unbound").exists()


def test_extend_sends_an_extend_request_for_a_requested_code(live_world, control, alice):
    post = live_world["post"]
    auth = flows.request_permission(post, alice, 30)
    control("POST", "helpers/spark/approve", {"video_id": post.video_id, "days": 30})
    tasks.poll_spark_request(auth.pk)
    auth.refresh_from_db()
    renewal.extend(auth, alice, 30)
    assert AuditEvent.objects.filter(authorization=auth, kind="extended").exists()
    assert control.calls("/open_api/v1.3/tcm/tt_video/apply/") == 2


def test_a_pasted_code_is_not_extended_the_brand_asks_for_a_new_one(live_world, control, alice):
    post = live_world["post"]
    code = control("POST", "helpers/ad-codes", {"video_id": post.video_id, "days": 30})["auth_code"]
    auth = codes.accept_pasted_code(post.campaign.brand, alice, code, post=post)
    with pytest.raises(FlowError, match="ask @market.star for a new code"):
        renewal.extend(auth, alice, 30)
    assert control.calls("/open_api/v1.3/tcm/tt_video/apply/") == 0


def _videos(control, handle: str) -> list[str]:
    return next(c["video_ids"] for c in control("GET", "personas")["creators"] if c["handle"] == handle)


def test_the_ledger_page_requests_shows_remaining_requests_and_never_the_code(live_world, control, alice, client):
    from django.urls import reverse

    post = live_world["post"]
    client.force_login(alice)
    slug = post.campaign.brand.slug
    response = client.post(
        reverse("sparkads:request_permission", args=[slug]), {"post": post.pk, "days": 30}, follow=True
    )
    assert "Request sent" in response.content.decode()
    auth = SparkAuthorization.objects.get(post=post)
    code = control("POST", "helpers/spark/approve", {"video_id": post.video_id, "days": 30})["auth_code"]
    tasks.poll_spark_request(auth.pk)
    page = client.get(reverse("sparkads:ledger", args=[slug])).content.decode()
    assert "29 of 30" in page and "Active" in page and code not in page
    audit_csv = b"".join(client.get(reverse("sparkads:audit", args=[slug]), {"format": "csv"}).streaming_content)
    assert code.encode() not in audit_csv and live_world["cred"].access_token.encode() not in audit_csv
    assert not AuditEvent.objects.filter(summary__contains=code).exists()


def test_a_post_has_one_open_request_on_tiktok_at_a_time(live_world, control, alice):
    """TikTok's status answers for the post's latest request: a live code's extension waits
    while a request for the post waits, and a new request while an extension waits."""
    post = live_world["post"]
    live = flows.request_permission(post, alice, 30)
    control("POST", "helpers/spark/approve", {"video_id": post.video_id, "days": 30})
    tasks.poll_spark_request(live.pk)
    live.refresh_from_db()
    waiting = flows.request_permission(post, alice, 30)
    with pytest.raises(FlowError, match="is waiting for @market.star's answer"):
        renewal.extend(live, alice, 30)

    control("POST", "helpers/spark/reject", {"video_id": post.video_id})
    assert tasks.poll_spark_request(waiting.pk) == SparkAuthorization.Status.REJECTED
    live.refresh_from_db()
    renewal.extend(live, alice, 30)
    with pytest.raises(FlowError, match="extension of .* is waiting"):
        flows.request_permission(post, alice, 30)
    assert control.calls("/open_api/v1.3/tcm/tt_video/apply/") == 3
