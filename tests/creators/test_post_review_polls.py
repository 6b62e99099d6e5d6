"""Post-review polls in the polling idiom: a transient TikTok error reaches the task's retries,
and a call the rate budget never sent gives the post back at once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from celery.exceptions import Retry
from django.utils import timezone

from creators import collaborations, tasks
from integrations.models import Campaign, CampaignPost, Credential, TikTokAccount
from integrations.tiktok import Kind, TikTokError

pytestmark = pytest.mark.django_db


@pytest.fixture
def post(brand) -> CampaignPost:
    credential = Credential.objects.create(kind=Credential.Kind.TT_USER, access_token="creator-token", open_id="o-1")
    account = TikTokAccount.objects.create(handle="in.review", open_id="o-1", credential=credential)
    campaign = Campaign.objects.create(brand=brand, campaign_id="7900000000000000001", name="Spring Launch")
    return CampaignPost.objects.create(
        campaign=campaign, tiktok_account=account, video_id="v-1", next_poll_at=timezone.now() - timedelta(minutes=1)
    )


def _tiktok_fails(monkeypatch, *, sent: bool) -> None:
    def call(credential_id, call):
        raise TikTokError("TikTok is throttling", kind=Kind.TRANSIENT, code=40100, sent=sent)

    monkeypatch.setattr(collaborations.tokens, "call_with_credential", call)


def test_a_transient_error_is_retried_by_the_task_not_recorded_as_a_failure(monkeypatch, post):
    _tiktok_fails(monkeypatch, sent=True)
    with pytest.raises(Retry):
        tasks.poll_post_review.apply(args=[post.pk])
    post.refresh_from_db()
    # Sent and failed: the retry comes back for it; the dispatcher leaves it alone meanwhile.
    assert post.publish_status == CampaignPost.PublishStatus.REVIEWING
    assert post.next_poll_at > timezone.now() + collaborations.DISPATCH_LEASE


def test_a_call_the_rate_budget_never_sent_gives_the_post_back_at_once(monkeypatch, post):
    _tiktok_fails(monkeypatch, sent=False)
    with pytest.raises(Retry):
        tasks.poll_post_review.apply(args=[post.pk])
    post.refresh_from_db()
    assert post.next_poll_at <= timezone.now()
    assert collaborations.claim_due_post_polls(10) == [post.pk]


def test_a_refused_access_still_ends_the_poll_with_the_flows_message(monkeypatch, post):
    def call(credential_id, call):
        raise TikTokError("Scope not granted", kind=Kind.PERMANENT, code=40001, sent=True)

    monkeypatch.setattr(collaborations.tokens, "call_with_credential", call)
    assert tasks.poll_post_review.apply(args=[post.pk]).get().startswith("failed: ")
