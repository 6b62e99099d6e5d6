"""A Sponsored Video post is named by its caption: the report gives none, so the insights
poll asks the creator's post list once (when the creator authorized the platform) and keeps
it on the post; the pages only render what is stored."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse

from integrations.insights import report
from integrations.models import CampaignPost, Credential, ReportSubscription, TikTokAccount

from .conftest import report_page

pytestmark = pytest.mark.django_db

VIDEO_ID = "7700000000000000101"
LIST_URL = f"{settings.TIKTOK_BUSINESS_API_BASE_URL}/open_api/v1.3/business/video/list/"


@pytest.fixture
def authorized_creator(user_factory):
    user = user_factory()
    cred = Credential.objects.create(
        kind=Credential.Kind.TT_USER, user=user, open_id="open-1", access_token="tt-user-token", scopes="video.list"
    )
    return TikTokAccount.objects.create(handle="market.star", open_id="open-1", owner=user, credential=cred)


def _listed(caption: str) -> dict:
    video = {"item_id": VIDEO_ID, "caption": caption, "thumbnail_url": "https://p16.tiktokcdn.com/c.jpeg"}
    return {"code": 0, "message": "OK", "request_id": "r", "data": {"videos": [video], "cursor": 0, "has_more": False}}


def test_the_insights_poll_names_a_reported_post_by_its_caption_once(
    campaign, authorized_creator, mocked, report_url, report_row, alice, client
):
    ReportSubscription.objects.create(tiktok_one_account=campaign.tiktok_one_account, subscription_id="s1",
                                      callback_url="http://testserver/webhooks/tiktok/tcm-videos/")  # fmt: skip
    mocked.get(report_url, json=report_page([report_row(video_id=VIDEO_ID)]))
    listed = mocked.get(LIST_URL, json=_listed("Spring haul #ad"))
    report.poll_campaign(campaign.pk)
    mocked.get(report_url, json=report_page([report_row(video_id=VIDEO_ID)]))
    report.poll_campaign(campaign.pk)

    assert listed.call_count == 1 and listed.calls[0].request.headers["Access-Token"] == "tt-user-token"
    post = CampaignPost.objects.get(video_id=VIDEO_ID)
    assert post.caption == "Spring haul #ad" and post.title == "Spring haul #ad"
    client.force_login(alice)
    page = client.get(
        reverse("integrations:insights_campaign", args=[campaign.brand.slug, campaign.pk])
    ).content.decode()
    assert "Spring haul #ad" in page


def test_a_post_tiktok_lists_without_a_caption_is_named_by_its_day_and_not_asked_again(
    campaign, authorized_creator, mocked, report_url, report_row
):
    ReportSubscription.objects.create(tiktok_one_account=campaign.tiktok_one_account, subscription_id="s1",
                                      callback_url="http://testserver/webhooks/tiktok/tcm-videos/")  # fmt: skip
    listed = mocked.get(LIST_URL, json=_listed(""))
    for _ in range(2):
        mocked.get(report_url, json=report_page([report_row(video_id=VIDEO_ID)]))
        report.poll_campaign(campaign.pk)
    assert listed.call_count == 1
    assert CampaignPost.objects.get(video_id=VIDEO_ID).title.startswith("Post of ")
