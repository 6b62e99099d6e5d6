"""The one polling idiom: claim due rows in batches, enqueue on commit, retry only transient errors."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from celery import shared_task
from celery.exceptions import Retry
from django.conf import settings
from django.db import close_old_connections, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from integrations.models import Campaign
from integrations.polling import TikTokTask, claim_due, enqueue_on_commit, give_back, retry_delay
from integrations.tiktok import Kind, TikTokError

LEASE = timedelta(minutes=10)


def _campaigns(brand, *offsets_minutes):
    now = timezone.now()
    return [
        Campaign.objects.create(
            brand=brand, name=f"c{i}", next_poll_at=None if m is None else now + timedelta(minutes=m)
        )
        for i, m in enumerate(offsets_minutes)
    ]


@pytest.mark.django_db
def test_claim_due_takes_only_due_rows_the_most_overdue_first_up_to_the_limit(brand):
    late, later, future, unscheduled, oldest = _campaigns(brand, -5, -1, 30, None, -60)
    claimed = claim_due(Campaign.objects.all(), lease=LEASE, limit=2)
    assert {c.pk for c in claimed} == {oldest.pk, late.pk}
    assert claim_due(Campaign.objects.all(), lease=LEASE, limit=10) == [later]


@pytest.mark.django_db
def test_claim_due_returns_the_claimed_rows_the_most_overdue_first(brand):
    rows = _campaigns(brand, -1, -5, -60, -2, -30)
    claimed = claim_due(Campaign.objects.all(), lease=LEASE, limit=10)
    assert [c.pk for c in claimed] == [rows[i].pk for i in (2, 4, 1, 3, 0)]


@pytest.mark.django_db
def test_claim_due_is_one_statement_that_can_also_mark_the_rows_claimed(brand):
    due, later = _campaigns(brand, -1, 30)
    now = timezone.now()
    with CaptureQueriesContext(connection) as captured:
        (claimed,) = claim_due(Campaign.objects.all(), lease=LEASE, limit=10, now=now, mark="last_polled_at")
    statements = [q["sql"] for q in captured.captured_queries if "SAVEPOINT" not in q["sql"]]
    if connection.vendor == "sqlite":
        # SQLite's RETURNING cannot name the due time read in the same statement: the read and
        # the UPDATE share one transaction, which the project's SQLite opens IMMEDIATE (the
        # write lock first), so no other claimer runs between them.
        assert len(statements) == 2 and statements[0].startswith("SELECT") and "UPDATE" in statements[1]
        assert settings.DATABASES["default"]["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    else:
        assert len(statements) == 1 and "UPDATE" in statements[0]
    assert claimed.pk == due.pk and claimed.next_poll_at == claimed.last_polled_at == now + LEASE
    assert claim_due(Campaign.objects.filter(pk=later.pk), lease=LEASE, limit=0) == []


@pytest.mark.django_db
def test_a_claimed_row_is_not_claimed_again_until_its_lease_runs_out(brand):
    (row,) = _campaigns(brand, -1)
    now = timezone.now()
    assert claim_due(Campaign.objects.all(), lease=LEASE, limit=10, now=now) == [row]
    row.refresh_from_db()
    assert row.next_poll_at == now + LEASE
    assert claim_due(Campaign.objects.all(), lease=LEASE, limit=10, now=now + LEASE / 2) == []
    assert claim_due(Campaign.objects.all(), lease=LEASE, limit=10, now=now + LEASE) == [row]


@pytest.mark.django_db
def test_claim_due_respects_the_callers_filter(brand):
    active, ended = _campaigns(brand, -1, -1)
    Campaign.objects.filter(pk=ended.pk).update(status=Campaign.Status.ENDED)
    assert claim_due(Campaign.objects.filter(status="active"), lease=LEASE, limit=10) == [active]


@pytest.mark.django_db(transaction=True)
def test_concurrent_claimers_split_the_due_rows_without_overlap(brand):
    if connection.vendor != "postgresql":
        pytest.skip("row locks (skip_locked) need PostgreSQL; CI runs this on it")
    rows = _campaigns(brand, *([-1] * 60))
    results: list[list[int]] = []
    barrier = threading.Barrier(6)

    def claimer():
        barrier.wait()
        try:
            results.append([c.pk for c in claim_due(Campaign.objects.all(), lease=LEASE, limit=15)])
        finally:
            close_old_connections()

    threads = [threading.Thread(target=claimer) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    claimed = [pk for batch in results for pk in batch]
    assert len(claimed) == len(set(claimed)) == len(rows)


@pytest.mark.django_db
def test_a_claimed_row_whose_call_was_never_sent_is_due_again_at_once(brand):
    (row,) = _campaigns(brand, -1)
    claim_due(Campaign.objects.all(), lease=LEASE, limit=10)
    unsent = TikTokError("Rate budget exhausted; not sent", kind=Kind.TRANSIENT, sent=False)

    assert give_back(Campaign.objects.filter(pk=row.pk), unsent) is True
    assert claim_due(Campaign.objects.all(), lease=LEASE, limit=10) == [row]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "error",
    [
        TikTokError("TikTok timed out", kind=Kind.TRANSIENT, sent=True),
        TikTokError("invalid params", kind=Kind.PERMANENT, sent=True),
    ],
    ids=["sent-transient", "sent-permanent"],
)
def test_a_call_tiktok_received_keeps_its_row_claimed_for_the_lease(brand, error):
    (row,) = _campaigns(brand, -1)
    claim_due(Campaign.objects.all(), lease=LEASE, limit=10)

    assert give_back(Campaign.objects.filter(pk=row.pk), error) is False
    assert claim_due(Campaign.objects.all(), lease=LEASE, limit=10) == []


@pytest.mark.django_db
def test_enqueue_on_commit_sends_nothing_before_the_commit(monkeypatch, django_capture_on_commit_callbacks):
    sent = []
    monkeypatch.setattr(_flaky, "delay", sent.append)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert enqueue_on_commit(_flaky, [3, 4]) == 2
        assert sent == []
    assert len(callbacks) == 2
    assert sent == [3, 4]


ATTEMPTS: list[int] = []


@shared_task(base=TikTokTask, max_retries=2)
def _flaky(kind: str) -> str:
    ATTEMPTS.append(1)
    raise TikTokError("TikTok said no", kind=kind, code=40100 if kind == Kind.TRANSIENT else 40001)


def test_a_transient_error_is_retried_later_until_the_retries_run_out():
    ATTEMPTS.clear()
    with pytest.raises(Retry) as retry:
        _flaky.apply(args=[Kind.TRANSIENT])
    assert retry.value.when >= 30
    with pytest.raises(TikTokError):
        _flaky.apply(args=[Kind.TRANSIENT], retries=2)
    assert len(ATTEMPTS) == 2


@pytest.mark.parametrize("kind", [Kind.AUTH, Kind.PERMANENT])
def test_auth_and_permanent_errors_are_not_retried(kind):
    ATTEMPTS.clear()
    assert _flaky.apply(args=[kind]).get() is None
    assert len(ATTEMPTS) == 1


def test_a_retry_never_fires_at_once_and_waits_at_least_as_long_as_tiktok_asks():
    zero = TikTokError("throttled", kind=Kind.TRANSIENT, code=40100, retry_after=0)
    assert min(retry_delay(zero, 0) for _ in range(50)) >= 30
    long_wait = TikTokError("throttled", kind=Kind.TRANSIENT, code=40100, retry_after=300)
    assert retry_delay(long_wait, 0) >= 300
    assert retry_delay(zero, 20) <= 30 * 60 * 1.25


def test_a_retry_never_waits_in_the_broker_past_its_visibility_timeout(settings):
    until_midnight = TikTokError("daily quota", kind=Kind.TRANSIENT, code=40100, retry_after=20 * 3600)
    assert retry_delay(until_midnight, 0) < settings.CELERY_VISIBILITY_TIMEOUT
