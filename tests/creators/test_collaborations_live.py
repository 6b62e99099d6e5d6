"""Campaign requirements, joining, linking posts and answering link requests (live sandbox)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from creators.tasks import dispatch_post_polls, poll_post_review
from integrations.models import Campaign, CampaignPost, Collaboration
from tiktok_sandbox.testing import link_post, link_statuses

from .conftest import DEMO_TTO_ID

pytestmark = [pytest.mark.integration, pytest.mark.django_db]
SPRING = "7900000000000000001"


@pytest.fixture
def spring_launch(brand, live_sandbox):
    return Campaign.objects.create(
        brand=brand,
        campaign_id=SPRING,
        name="Spring Launch",
        invite_link=f"{live_sandbox}/sandbox/tto/invite/spring-launch",
        require_original_or_promo_sound=False,
    )


@pytest.fixture
def star(client_for, user_factory, authorize_tiktok, spring_launch):
    client = client_for(user_factory())
    _, account = authorize_tiktok(client, "market.star")
    response = client.post(reverse("creators:join_with_link"), {"invite_link": spring_launch.invite_link}, follow=True)
    assert "You joined Spring Launch" in response.content.decode()
    return client, account, Collaboration.objects.get(tiktok_account=account, campaign=spring_launch)


def test_the_checklist_shows_only_the_brands_requirements(star):
    client, _, collab = star
    assert collab.status == Collaboration.Status.JOINED
    html = client.get(reverse("creators:home")).content.decode()
    assert "TikTok authenticated on this platform" in html
    assert "Sponsored Video" in html
    assert "Original Sound" not in html  # this brand does not require it


def test_a_sponsored_video_in_review_is_polled_until_published(
    star, sandbox_api, advance, django_capture_on_commit_callbacks
):
    client, account, collab = star
    video_id = sandbox_api("helpers/sponsored-videos", {"handle": "market.star", "campaign_id": SPRING}).json()[
        "video_id"
    ]
    response = client.post(
        reverse("creators:link_video", args=[collab.pk]),
        {"video": f"https://www.tiktok.com/@market.star/video/{video_id}"},
        follow=True,
    )
    assert "TikTok is reviewing this post; allow extra time" in response.content.decode()
    post = CampaignPost.objects.get(video_id=video_id)
    assert post.publish_status == CampaignPost.PublishStatus.REVIEWING and post.next_poll_at
    # Just linked: TikTok's answer is near, so the next look is seconds away, not minutes.
    assert post.next_poll_at <= timezone.now() + timedelta(seconds=16)

    advance(1.2)
    with django_capture_on_commit_callbacks() as queued:
        assert dispatch_post_polls() == 1
    assert len(queued) == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert poll_post_review(post.pk) == "published"
        assert poll_post_review(post.pk) == "not due or claimed by another worker"
    post.refresh_from_db()
    assert post.publish_status == CampaignPost.PublishStatus.PUBLISHED and post.next_poll_at is None
    assert len([m for m in mail.outbox if "is live" in m.body]) == 1


def test_the_creator_answers_a_brands_link_request(star, sandbox_api, internal_tto, run_jobs):
    client, account, collab = star
    video_id = sandbox_api("personas", method="get").json()["creators"][4]["video_ids"][-1]
    base, token = settings.TIKTOK_BUSINESS_API_BASE_URL, internal_tto.credential.access_token
    assert link_post(base, token, DEMO_TTO_ID, SPRING, video_id)["status"] == "IN_REVIEW"
    with run_jobs():
        waiting = client.get(reverse("creators:link_requests", args=[collab.pk]), headers={"HX-Request": "true"})
    job = waiting.context["job"]
    assert "<html" not in waiting.content.decode() and 'hx-trigger="every 2s"' in waiting.content.decode()
    assert video_id not in waiting.content.decode()
    fragment = client.get(reverse("integrations:job", args=[job.pk]), headers={"HX-Request": "true"})
    assert video_id in fragment.content.decode() and "<html" not in fragment.content.decode()
    # The request names the post by its caption, read from the creator's video list by the worker.
    assert "Spring Launch asks to link “" in fragment.content.decode()
    assert f"asks to link video {video_id}" not in fragment.content.decode()
    assert "every 2s" not in fragment.content.decode()
    infos = link_statuses(base, token, DEMO_TTO_ID, SPRING)
    link_request_id = next(v["link_request_id"] for v in infos if v["video_id"] == video_id)
    client.post(
        reverse("creators:answer_link_request", args=[collab.pk]),
        {"link_request_id": link_request_id, "video_id": video_id, "action": "APPROVE"},
    )
    assert CampaignPost.objects.get(video_id=video_id).link_status == CampaignPost.LinkStatus.APPROVE
    infos = link_statuses(base, token, DEMO_TTO_ID, SPRING)
    assert next(v["status"] for v in infos if v["video_id"] == video_id) == "APPROVE"
