from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from django.utils import timezone

from integrations.insights import report
from integrations.insights.report import CLAIM_LEASE
from integrations.insights.tasks import dispatch_insights_polls, poll_campaign_report
from integrations.models import Campaign, CampaignPost, PostInsight, PostSnapshot, ReportSubscription, TikTokAccount
from integrations.tiktok import TikTokError
from tests.integrations.conftest import exhaust_rate_budget

from .conftest import report_page

pytestmark = pytest.mark.django_db

THROTTLED = {"code": 40100, "message": "App reaches the QPS limit.", "request_id": "r", "data": {}}


def _subscribed(campaign):
    ReportSubscription.objects.create(tiktok_one_account=campaign.tiktok_one_account, subscription_id="s1",
                                      callback_url="http://testserver/webhooks/tiktok/tcm-videos/")  # fmt: skip


def _pages(report_row, n_pages=2):
    return [report_page([report_row(video_id=f"77000000000000{p}{i:04d}", handle=f"c{p}.{i}") for i in range(3)],
                        page=p, total_page=n_pages) for p in range(1, n_pages + 1)]  # fmt: skip


def _counts():
    return (CampaignPost.objects.count(), PostInsight.objects.count(), PostSnapshot.objects.count(),
            TikTokAccount.objects.count())  # fmt: skip


def test_it_polls_every_page_and_upserts_posts_snapshots_and_creators(campaign, mocked, report_url, report_row):
    _subscribed(campaign)
    for page in _pages(report_row):
        mocked.get(report_url, json=page)
    result = report.poll_campaign(campaign.pk)
    assert (result.status, result.pages, result.saved) == ("ok", 2, 6)
    # 6 posts, each with 2 daily snapshots (the latest carries the totals).
    assert _counts() == (6, 6, 12, 6)
    post = CampaignPost.objects.get(video_id="77000000000000" + "10000")
    assert post.link_status == "APPROVE" and post.tiktok_account.handle == "c1.0"
    latest = post.snapshots.order_by("-date").first()
    assert latest.video_views == 12000 and latest.day_views == 5000 and latest.audience["gender"]
    first = post.snapshots.order_by("date").first()
    assert first.video_views is None and first.day_views == 7000
    campaign.refresh_from_db()
    assert campaign.report_resume_page == 1 and campaign.last_polled_at and campaign.last_poll_error == ""
    assert campaign.next_poll_at > timezone.now()
    sent = parse_qs(urlparse(mocked.calls[0].request.url).query)
    assert sent["tto_tcm_account_id"] == ["7200000000000000001"] and sent["campaign_id"] == ["7900000000000000001"]
    assert sent["page"] == ["1"] and "start_date" in sent and "end_date" in sent
    assert mocked.calls[0].request.headers["Access-Token"] == "brand-token"


def test_the_same_page_twice_gives_the_same_rows(campaign, mocked, report_url, report_row):
    _subscribed(campaign)
    pages = _pages(report_row, n_pages=1)
    mocked.get(report_url, json=pages[0])
    mocked.get(report_url, json=pages[0])
    report.poll_campaign(campaign.pk)
    before = _counts()
    Campaign.objects.filter(pk=campaign.pk).update(report_resume_page=1)
    report.poll_campaign(campaign.pk)
    assert _counts() == before == (3, 3, 6, 3)


def test_it_resumes_at_the_page_that_failed_without_duplicates(campaign, mocked, report_url, report_row, no_sleep,
                                                                 settings):  # fmt: skip
    settings.TIKTOK_MAX_RETRIES = 2
    _subscribed(campaign)
    pages = _pages(report_row, n_pages=3)
    mocked.get(report_url, json=pages[0])
    for _ in range(3):  # page 2 throttled beyond the transport's retries
        mocked.get(report_url, json=THROTTLED)
    with pytest.raises(TikTokError):
        report.poll_campaign(campaign.pk)
    campaign.refresh_from_db()
    assert campaign.report_resume_page == 2
    assert "page 2" in campaign.last_poll_error and "40100" in campaign.last_poll_error
    assert _counts()[0] == 3

    mocked.get(report_url, json=pages[1])
    mocked.get(report_url, json=pages[2])
    report.poll_campaign(campaign.pk)
    assert parse_qs(urlparse(mocked.calls[4].request.url).query)["page"] == ["2"]
    assert _counts() == (9, 9, 18, 9)
    campaign.refresh_from_db()
    assert campaign.report_resume_page == 1 and campaign.last_poll_error == ""


def test_the_task_retries_only_transient_errors(campaign, mocked, report_url, no_sleep, settings):
    settings.TIKTOK_MAX_RETRIES = 0
    _subscribed(campaign)
    mocked.get(report_url, json=THROTTLED)
    with pytest.raises(Exception, match="QPS"):
        poll_campaign_report.apply(args=[campaign.pk], throw=True, retries=5).get()


def test_a_campaign_deleted_on_tiktok_is_marked_and_its_data_kept(campaign, mocked, report_url, report_row):
    _subscribed(campaign)
    mocked.get(report_url, json=_pages(report_row, 1)[0])
    mocked.get(report_url, json={"code": 40001, "message": "campaign_id doesn't exist.", "request_id": "x", "data": {}})
    report.poll_campaign(campaign.pk)
    Campaign.objects.filter(pk=campaign.pk).update(report_resume_page=1)
    assert poll_campaign_report(campaign.pk) is None  # recorded on the campaign, not retried
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DELETED and campaign.next_poll_at is None
    assert "no longer exists" in campaign.last_poll_error
    assert PostSnapshot.objects.filter(campaign=campaign).count() == 6


def test_a_malformed_page_is_skipped_and_reported_without_losing_the_rest(campaign, mocked, report_url, report_row):
    _subscribed(campaign)
    bad = report_page([report_row(), {"video_views": "-"}], page=1, total_page=2)
    partial = {"code": 0, "message": "OK", "request_id": "p", "data": {"page_info": {"page": 2, "total_page": 2}}}
    mocked.get(report_url, json=bad)
    mocked.get(report_url, json=partial)
    result = report.poll_campaign(campaign.pk)
    assert result.saved == 1
    campaign.refresh_from_db()
    assert "could not be read" in campaign.last_poll_error and "no list of videos" in campaign.last_poll_error
    assert PostInsight.objects.count() == 1


def test_a_revoked_token_is_reported_on_the_campaign(campaign, mocked, report_url):
    _subscribed(campaign)
    mocked.get(report_url, json={"code": 40105, "message": "Access token is incorrect or has been revoked.",
                                 "request_id": "x", "data": {}})  # fmt: skip
    assert poll_campaign_report(campaign.pk) is None  # recorded on the campaign, not retried
    campaign.refresh_from_db()
    assert "reconnect" in campaign.last_poll_error and campaign.status == Campaign.Status.ACTIVE


def test_figures_unchanged_keep_their_changed_at(campaign, mocked, report_url, report_row):
    _subscribed(campaign)
    page = report_page([report_row()])
    mocked.get(report_url, json=page)
    mocked.get(report_url, json=page)
    report.poll_campaign(campaign.pk)
    first = PostInsight.objects.get().changed_at
    report.poll_campaign(campaign.pk)
    assert PostInsight.objects.get().changed_at == first
    assert PostInsight.objects.get().fetched_at > first


def test_the_first_poll_subscribes_to_tcm_videos(campaign, mocked, report_url, subscribe_url, report_row):
    mocked.post(subscribe_url, json={"code": 0, "message": "OK", "request_id": "s", "data": {"subscription_id": "99"}})
    mocked.get(report_url, json=report_page([report_row()]))
    report.poll_campaign(campaign.pk)
    body = json.loads(mocked.calls[0].request.body)
    assert body["subscribe_entity"] == "TCM_VIDEOS"
    assert body["subscription_detail"] == {"tto_tcm_account_id": "7200000000000000001", "access_token": "brand-token"}
    assert body["callback_url"].endswith("/webhooks/tiktok/tcm-videos/")
    assert ReportSubscription.objects.get().subscription_id == "99"


def test_the_dispatcher_claims_due_campaigns_once(campaign, django_capture_on_commit_callbacks, monkeypatch):
    sent = []
    monkeypatch.setattr(poll_campaign_report, "delay", sent.append)
    Campaign.objects.filter(pk=campaign.pk).update(next_poll_at=timezone.now() - timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert dispatch_insights_polls() == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert dispatch_insights_polls() == 0  # the claim pushed next_poll_at out
    assert sent == [campaign.pk]


def test_a_new_campaign_is_due_at_once_and_one_whose_polling_stopped_never(brand, campaign, monkeypatch):
    monkeypatch.setattr(poll_campaign_report, "delay", lambda pk: None)
    stopped = Campaign.objects.create(brand=brand, campaign_id="7900000000000000002", name="Stopped")
    Campaign.objects.filter(pk=stopped.pk).update(next_poll_at=None)
    assert report.claim_due_campaigns() == [campaign.pk]


def test_a_poll_our_rate_budget_never_sent_gives_the_campaign_back_at_once(campaign, mocked, settings):
    _subscribed(campaign)
    Campaign.objects.filter(pk=campaign.pk).update(report_resume_page=2, next_poll_at=timezone.now() + CLAIM_LEASE)
    exhaust_rate_budget(settings)
    assert poll_campaign_report(campaign.pk) == "deferred:pages=0:posts=0"  # no Celery retry on top
    assert len(mocked.calls) == 0
    campaign.refresh_from_db()
    assert campaign.next_poll_at <= timezone.now() and campaign.report_resume_page == 2
    assert campaign.last_poll_error == ""
    assert report.claim_due_campaigns() == [campaign.pk]


def test_the_dispatcher_skips_deleted_and_not_yet_due_campaigns(campaign, monkeypatch):
    monkeypatch.setattr(poll_campaign_report, "delay", lambda pk: None)
    Campaign.objects.filter(pk=campaign.pk).update(next_poll_at=timezone.now() + timedelta(hours=1))
    assert report.claim_due_campaigns() == []
    Campaign.objects.filter(pk=campaign.pk).update(next_poll_at=timezone.now(), status=Campaign.Status.DELETED)
    assert report.claim_due_campaigns() == []


def test_posts_tiktok_stops_reporting_keep_their_snapshots(campaign, mocked, report_url, report_row):
    _subscribed(campaign)
    mocked.get(report_url, json=report_page([report_row(), report_row(video_id="7700000000000000202", handle="b")]))
    mocked.get(report_url, json=report_page([report_row(video_id="7700000000000000202", handle="b")]))
    report.poll_campaign(campaign.pk)
    stale = PostInsight.objects.get(post__video_id="7700000000000000101")
    report.poll_campaign(campaign.pk)
    kept = PostInsight.objects.get(post__video_id="7700000000000000101")
    assert kept.video_views == 12000 and kept.fetched_at == stale.fetched_at
    assert PostSnapshot.objects.filter(post__video_id="7700000000000000101").count() == 2


def test_in_a_sandbox_demo_the_report_asks_for_days_up_to_the_sandbox_clocks_today(
    campaign, mocked, report_url, report_row, monkeypatch
):
    from integrations.tiktok import clock

    ahead = timezone.now() + timedelta(days=40)
    monkeypatch.setattr(clock, "now", lambda: ahead)
    _subscribed(campaign)
    mocked.get(report_url, json=report_page([report_row()], page=1, total_page=1))

    report.poll_campaign(campaign.pk)

    sent = parse_qs(urlparse(mocked.calls[0].request.url).query)
    assert sent["end_date"] == [str(timezone.localdate(ahead) + timedelta(days=1))]
