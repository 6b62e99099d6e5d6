"""Marketplace polls in the polling idiom: the dispatcher's claim, the task's own claim (one
executor per row), and what a failed poll does with its row."""

from __future__ import annotations

from datetime import timedelta

import pytest
from celery.exceptions import Retry
from django.utils import timezone

from creators import marketplace, tasks
from creators.models import MarketplaceOnboarding
from integrations.models import TikTokAccount
from integrations.polling import take
from integrations.tiktok import Kind, TikTokError
from integrations.tiktok.errors import RATE_BUDGET

pytestmark = pytest.mark.django_db
State = MarketplaceOnboarding.State


def _onboarding(handle: str, due_in_minutes: float | None = -1) -> MarketplaceOnboarding:
    account = TikTokAccount.objects.create(handle=handle, open_id=f"open-{handle}")
    due = None if due_in_minutes is None else timezone.now() + timedelta(minutes=due_in_minutes)
    return MarketplaceOnboarding.objects.create(tiktok_account=account, state=State.AUTHORIZED, next_poll_at=due)


def test_the_dispatcher_claims_each_due_row_once_and_enqueues_it_on_commit(django_capture_on_commit_callbacks):
    due, _later, _unscheduled = _onboarding("a.one"), _onboarding("b.two", 30), _onboarding("c.three", None)
    with django_capture_on_commit_callbacks() as queued:
        assert tasks.dispatch_onboarding_polls() == 1
    assert len(queued) == 1
    assert tasks.dispatch_onboarding_polls() == 0  # held by the first claim
    due.refresh_from_db()
    assert due.next_poll_at > timezone.now()


def test_after_the_dispatchers_claim_exactly_one_executor_takes_the_row():
    row = _onboarding("a.one")
    assert marketplace.claim_due_polls(10) == [row.pk]
    assert [r.pk for r in marketplace.claim_polls([row.pk])] == [row.pk]
    assert marketplace.claim_polls([row.pk]) == []  # a second delivery of the same message


def test_take_with_a_claim_time_field_frees_unset_and_stale_claims():
    rows = MarketplaceOnboarding.objects.filter(pk=_onboarding("a.one", None).pk)
    stale = timedelta(minutes=10)
    assert take(rows, free_within=-stale, unset_is_free=True) is True  # never claimed
    assert take(rows, free_within=-stale, unset_is_free=True) is False  # claimed a moment ago
    rows.update(next_poll_at=timezone.now() - stale - timedelta(seconds=1))
    assert take(rows, free_within=-stale, unset_is_free=True) is True  # that claim went stale


def _failing_poll(monkeypatch, *, sent: bool) -> None:
    def poll(onboarding_id):
        if not sent:
            raise TikTokError("Rate budget exhausted", kind=Kind.TRANSIENT, code=RATE_BUDGET, sent=False)
        raise TikTokError("HTTP 503", kind=Kind.TRANSIENT, http_status=503)

    monkeypatch.setattr(marketplace, "poll", poll)


def test_a_poll_the_rate_budget_never_sent_gives_its_row_back_at_once(monkeypatch):
    row = _onboarding("a.one")
    _failing_poll(monkeypatch, sent=False)
    with pytest.raises(Retry):
        tasks.poll_onboarding.apply(args=[row.pk])
    row.refresh_from_db()
    assert row.next_poll_at <= timezone.now()
    assert "Rate budget exhausted" in row.last_error


def test_a_poll_that_failed_after_sending_is_left_for_its_retry_not_for_the_whole_lease(monkeypatch):
    row = _onboarding("a.one")
    _failing_poll(monkeypatch, sent=True)
    with pytest.raises(Retry):
        tasks.poll_onboarding.apply(args=[row.pk])
    row.refresh_from_db()
    assert timezone.now() < row.next_poll_at <= timezone.now() + marketplace.DISPATCH_LEASE
    assert [r.pk for r in marketplace.claim_polls([row.pk])] == [row.pk]  # the retry can take it


def test_a_poll_tiktok_throttled_gives_its_row_back_when_tiktoks_wait_ends_not_after_the_lease(monkeypatch):
    row = _onboarding("a.one")

    def throttled(rows):
        raise TikTokError("App 1 reaches the QPS limit 10", kind=Kind.TRANSIENT, code=40100, retry_after=0.1)

    monkeypatch.setattr(marketplace, "poll", throttled)
    with pytest.raises(Retry):
        tasks.poll_onboarding.apply(args=[row.pk])
    row.refresh_from_db()
    assert row.next_poll_at <= timezone.now() + timedelta(seconds=0.1)


def test_a_post_in_review_is_checked_within_seconds_of_linking_then_ever_less_often():
    from datetime import timedelta

    from creators.collaborations import POST_POLL, next_review_poll
    from integrations.models import CampaignPost

    linked = timezone.now()
    post = CampaignPost(linked_at=linked)
    assert next_review_poll(post, linked + timedelta(seconds=5)) == timedelta(seconds=15)
    assert next_review_poll(post, linked + timedelta(minutes=8)) == timedelta(minutes=2)
    assert next_review_poll(post, linked + timedelta(hours=3)) == POST_POLL
