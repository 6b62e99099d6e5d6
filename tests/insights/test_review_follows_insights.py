"""A post's review state follows what TikTok's report proves: a post with insights is live."""

from __future__ import annotations

import pytest
from django.core import mail

from integrations.insights import report
from integrations.models import CampaignPost, TikTokAccount

from .conftest import report_page

pytestmark = pytest.mark.django_db


@pytest.fixture
def reviewing_post(campaign, user_factory):
    creator = user_factory(email="star@example.test")
    account = TikTokAccount.objects.create(handle="market.star", owner=creator)
    return CampaignPost.objects.create(
        campaign=campaign,
        tiktok_account=account,
        video_id="7700000000000000101",
        link_status=CampaignPost.LinkStatus.APPROVE,
        publish_status=CampaignPost.PublishStatus.REVIEWING,
        next_poll_at=None,
    )


def test_a_post_in_review_that_the_report_shows_with_views_is_published(
    campaign, mocked, report_url, report_row, reviewing_post, django_capture_on_commit_callbacks
):
    mocked.get(report_url, json=report_page([report_row()]))
    with django_capture_on_commit_callbacks(execute=True):
        assert report.poll_campaign(campaign.pk).status == "ok"
    reviewing_post.refresh_from_db()
    assert reviewing_post.publish_status == CampaignPost.PublishStatus.PUBLISHED
    assert reviewing_post.next_poll_at is None  # no more review polls
    assert [m.to for m in mail.outbox] == [["star@example.test"]] and "is live" in mail.outbox[0].body


def test_a_second_report_of_the_same_post_tells_the_creator_nothing_more(
    campaign, mocked, report_url, report_row, reviewing_post, django_capture_on_commit_callbacks
):
    mocked.get(report_url, json=report_page([report_row()]))
    mocked.get(report_url, json=report_page([report_row()]))
    with django_capture_on_commit_callbacks(execute=True):
        report.poll_campaign(campaign.pk)
        report.poll_campaign(campaign.pk, country_code=None)
    assert len(mail.outbox) == 1


def test_a_removed_post_is_not_brought_back_to_published_by_old_figures(
    campaign, mocked, report_url, report_row, reviewing_post
):
    CampaignPost.objects.filter(pk=reviewing_post.pk).update(publish_status=CampaignPost.PublishStatus.REMOVED)
    mocked.get(report_url, json=report_page([report_row()]))
    report.poll_campaign(campaign.pk)
    reviewing_post.refresh_from_db()
    assert reviewing_post.publish_status == CampaignPost.PublishStatus.REMOVED
