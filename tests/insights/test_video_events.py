"""TCM_VIDEOS events move a campaign post's review status as they arrive: `tto_video_uploaded`
(linked, TikTok is reviewing it) and `tto_video_published` (live)."""

from __future__ import annotations

import json
import time

import pytest
import requests
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from integrations.insights import report, video_events
from integrations.insights.tasks import poll_campaign_report
from integrations.models import Campaign, CampaignPost, Collaboration, Credential, TikTokAccount, TikTokOneAccount
from integrations.tiktok import BusinessClient, webhooks

pytestmark = pytest.mark.django_db
Status = CampaignPost.PublishStatus
VIDEO = "7700000000000000999"
# TikTok documents the event time as ISO 8601 (Go SDK model/subscription/webhook/tto_tcm.go).
EVENT_TIME = "2024-11-18T21:57:00.070272Z"


def delivery(event_type: str, video_id: str = VIDEO, **entry) -> dict:
    """A TCM_VIDEOS delivery as TikTok documents it (object 10, one entry)."""
    return {
        "request_id": "202612010000001",
        "object": 10,
        "time": 1764547200,
        "entry": [
            {
                "event_type": "tto_campaign_webhook",
                "tto_campaign_event_type": event_type,
                "video_id": video_id,
                "campaign_id": "7900000000000000001",
                "handle_name": "market.star",
                "tto_tcm_account_id": "7200000000000000001",
                "event_time": EVENT_TIME,
                **entry,
            }
        ],
    }


@pytest.fixture
def deliver(client, monkeypatch, django_capture_on_commit_callbacks):
    """POST a signed delivery to the webhook, as TikTok does; the report poll it schedules is
    recorded, not run."""
    monkeypatch.setattr(poll_campaign_report, "delay", lambda campaign_id: None)

    def send(payload: dict):
        raw = json.dumps(payload).encode()
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                reverse("integrations:insights_webhook"),
                raw,
                content_type="application/json",
                headers={"TikTok-Signature": webhooks.sign(raw, settings.TIKTOK_APP_SECRET)},
            )

    return send


@pytest.fixture
def star(user_factory):
    return TikTokAccount.objects.create(
        handle="market.star", open_id="open-star", owner=user_factory(email="star@example.test")
    )


@pytest.fixture
def reviewing(campaign, star):
    return CampaignPost.objects.create(
        campaign=campaign,
        tiktok_account=star,
        video_id=VIDEO,
        link_status=CampaignPost.LinkStatus.APPROVE,
        publish_status=Status.REVIEWING,
        next_poll_at=timezone.now() + timezone.timedelta(minutes=30),
    )


def test_published_moves_a_reviewing_post_to_published_at_once_and_tells_the_creator_once(reviewing, deliver):
    assert deliver(delivery("tto_video_published")).status_code == 200
    reviewing.refresh_from_db()
    assert reviewing.publish_status == Status.PUBLISHED and reviewing.next_poll_at is None
    assert [m.to for m in mail.outbox] == [["star@example.test"]]
    assert f"Video {VIDEO} for Spring Launch is live on TikTok." in mail.outbox[0].body

    assert deliver(delivery("tto_video_published")).status_code == 200  # delivered again
    assert len(mail.outbox) == 1


@pytest.mark.parametrize("event_time", [EVENT_TIME, "2024-11-18T21:57:00Z", 1731967020])
def test_a_signed_delivery_with_the_event_time_as_tiktok_documents_it_publishes_the_post(
    reviewing, deliver, event_time
):
    assert deliver(delivery("tto_video_published", event_time=event_time)).status_code == 200
    reviewing.refresh_from_db()
    assert reviewing.publish_status == Status.PUBLISHED


def test_uploaded_makes_a_video_the_platform_has_not_seen_a_post_in_review(campaign, star, deliver):
    collab = Collaboration.objects.create(campaign=campaign, tiktok_account=star)

    deliver(delivery("tto_video_uploaded"))

    post = CampaignPost.objects.get(campaign=campaign, video_id=VIDEO)
    assert post.publish_status == Status.REVIEWING and post.tiktok_account == star
    assert post.collaboration == collab and post.link_status == CampaignPost.LinkStatus.APPROVE
    assert post.next_poll_at is not None  # still polled, should `published` never arrive
    assert mail.outbox == []


def test_a_late_uploaded_never_moves_a_published_post_back(reviewing, deliver):
    deliver(delivery("tto_video_published"))
    deliver(delivery("tto_video_uploaded"))
    reviewing.refresh_from_db()
    assert reviewing.publish_status == Status.PUBLISHED and reviewing.next_poll_at is None


def test_published_for_a_video_the_platform_has_not_seen_records_it_published(campaign, deliver):
    deliver(delivery("tto_video_published", handle_name="new.face"))
    post = CampaignPost.objects.get(campaign=campaign, video_id=VIDEO)
    assert post.publish_status == Status.PUBLISHED and post.tiktok_account.handle == "new.face"
    assert post.next_poll_at is None


def test_events_for_another_account_or_an_unknown_campaign_change_nothing(reviewing, deliver):
    deliver(delivery("tto_video_published", tto_tcm_account_id="7200000000000000999"))
    deliver(delivery("tto_video_published", campaign_id="7900000000000000404"))
    reviewing.refresh_from_db()
    assert reviewing.publish_status == Status.REVIEWING
    assert CampaignPost.objects.count() == 1 and mail.outbox == []


def test_event_types_other_than_uploaded_and_published_are_left_alone(reviewing):
    events = webhooks.parse_tcm_videos(delivery("an_event_type_tiktok_may_add"))
    assert video_events.apply(events) == []
    reviewing.refresh_from_db()
    assert reviewing.publish_status == Status.REVIEWING


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_the_sandboxs_tcm_videos_deliveries_move_a_sponsored_post_from_review_to_published(
    live_sandbox, live_server, settings, brand
):
    """End to end: the sandbox signs and sends TikTok's payloads to the platform over HTTP."""
    settings.SITE_URL = live_server.url
    auth = requests.post(
        f"{live_sandbox}/sandbox/api/helpers/portal-auth",
        json={"persona": "demo-brand", "redirect_uri": "http://testserver/cb"},
        timeout=30,
    ).json()
    token = BusinessClient().oauth2_access_token(auth["auth_code"]).access_token
    credential = Credential.objects.create(kind=Credential.Kind.BUSINESS, brand=brand, access_token=token)
    account = TikTokOneAccount.objects.create(
        tto_tcm_account_id="7200000000000000001", brand=brand, credential=credential
    )
    campaign = Campaign.objects.create(
        brand=brand, tiktok_one_account=account, campaign_id="7900000000000000001", name="Spring Launch"
    )
    assert report.subscribe_tcm_videos(account).subscription_id

    def post_status(video_id: str, wanted: str) -> str:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            found = CampaignPost.objects.filter(campaign=campaign, video_id=video_id).first()
            if found is not None and found.publish_status == wanted:
                return wanted
            time.sleep(0.2)
        return found.publish_status if found else "absent"

    video_id = requests.post(
        f"{live_sandbox}/sandbox/api/helpers/sponsored-videos",
        json={"handle": "market.star", "campaign_id": "7900000000000000001"},
        timeout=30,
    ).json()["video_id"]
    assert post_status(video_id, Status.REVIEWING) == Status.REVIEWING  # tto_video_uploaded

    requests.post(f"{live_sandbox}/sandbox/api/clock/advance", json={"hours": 1.2}, timeout=30).raise_for_status()
    assert post_status(video_id, Status.PUBLISHED) == Status.PUBLISHED  # tto_video_published


def test_a_review_poll_that_does_not_see_the_post_yet_never_undoes_tiktoks_published_event(
    reviewing, deliver, star, settings
):
    import responses

    from creators import collaborations

    star.creator_id = "7500000000000000009"
    star.credential = Credential.objects.create(kind=Credential.Kind.TT_USER, access_token="act.star")
    star.save()
    stale = CampaignPost.objects.get(pk=reviewing.pk)  # read before the event, as a running poll would
    deliver(delivery("tto_video_published"))
    with responses.RequestsMock() as rsps:
        rsps.get(
            f"{settings.TIKTOK_BUSINESS_API_BASE_URL}/open_api/v1.3/tto/creator/authorized/video/list/",
            json={"code": 0, "message": "OK", "request_id": "r", "data": {"posts": []}},
        )
        assert collaborations.refresh_publish_status(stale) is True
    reviewing.refresh_from_db()
    assert reviewing.publish_status == Status.PUBLISHED and reviewing.next_poll_at is None
