"""A Marketplace status poll costs little: a dispatcher that always finds the overdue rows,
and a 20-creator batch that claims, reads and records in a handful of queries (TikTok mocked
at the HTTP boundary)."""

from __future__ import annotations

import statistics
import time
import uuid
from datetime import timedelta

import pytest
import responses
from django.utils import timezone

from creators import marketplace, tasks
from creators.models import MarketplaceOnboarding
from integrations.models import Credential, TikTokAccount, TikTokOneAccount

from .test_batching import STATUS_URL, _answer, _waiting

pytestmark = pytest.mark.django_db
State = MarketplaceOnboarding.State


@pytest.fixture
def internal_account():
    credential = Credential.objects.create(kind=Credential.Kind.BUSINESS, access_token="platform-token")
    return TikTokOneAccount.objects.create(
        tto_tcm_account_id="7200000000000000077", credential=credential, is_internal=True
    )


def _scheduled(count: int, *, within: timedelta, prefix: str) -> list[MarketplaceOnboarding]:
    """Creators the back-off scheduled to be polled over the next `within` (from a minute on,
    so that none falls due while the test runs)."""
    now = timezone.now() + timedelta(minutes=1)
    within -= timedelta(minutes=1)
    accounts = TikTokAccount.objects.bulk_create(TikTokAccount(handle=f"{prefix}{i}") for i in range(count))
    return MarketplaceOnboarding.objects.bulk_create(
        MarketplaceOnboarding(
            tiktok_account=account,
            state=State.WAITING,
            next_poll_at=now + within * (i + 1) / (count + 1),
        )
        for i, account in enumerate(accounts)
    )


def test_the_dispatcher_claims_overdue_rows_while_10000_rows_are_due_within_five_minutes(settings):
    settings.TIKTOK_API_TIER, settings.TIKTOK_RATE_QPS = "basic", None
    soon = {row.pk: row.next_poll_at for row in _scheduled(10_000, within=timedelta(minutes=5), prefix="soon.")}
    overdue = _waiting(50, prefix="late.")

    claimed = marketplace.claim_due_polls()
    claimed_at = timezone.now()

    assert set(claimed) >= {row.pk for row in overdue}
    # On a loaded machine seeding 10,000 rows can outlast the minute's margin: a "soon" row
    # claimed too must really have been due, never one merely scheduled within five minutes.
    assert all(soon[pk] <= claimed_at for pk in claimed if pk in soon)


def test_what_the_dispatcher_queued_counts_against_its_target_until_a_task_takes_it(settings):
    settings.TIKTOK_API_TIER, settings.TIKTOK_RATE_QPS = "sandbox", 1  # a target of 1 x 20 x 30 = 600
    settings.MARKETPLACE_DISPATCH_QUEUE_SECONDS = 2  # ... of 40
    rows = _waiting(60)
    first = marketplace.claim_due_polls()
    assert len(first) == 40
    assert marketplace.claim_due_polls() == []
    assert len(marketplace.claim_polls(first[:20])) == 20
    assert len(marketplace.claim_due_polls()) == 20
    assert len(rows) == 60


def test_the_most_overdue_rows_are_claimed_first():
    newer = _waiting(5, prefix="newer.")
    MarketplaceOnboarding.objects.filter(pk__in=[r.pk for r in newer]).update(
        next_poll_at=timezone.now() - timedelta(seconds=1)
    )
    older = _waiting(5, prefix="older.")
    MarketplaceOnboarding.objects.filter(pk__in=[r.pk for r in older]).update(
        next_poll_at=timezone.now() - timedelta(hours=1)
    )
    assert sorted(marketplace.claim_due_polls(5)) == sorted(r.pk for r in older)


def _poll_batch(rows: list[MarketplaceOnboarding]) -> None:
    with responses.RequestsMock() as mocked:
        mocked.add_callback(responses.GET, STATUS_URL, callback=_answer())
        tasks.poll_onboardings([row.pk for row in rows])
        assert len(mocked.calls) == 1


def test_a_20_creator_batch_takes_at_most_5_queries(internal_account, django_assert_max_num_queries):
    _poll_batch(_waiting(20, prefix="warm."))  # the worker's first poll reads the platform account
    rows = _waiting(20)
    with django_assert_max_num_queries(5):
        _poll_batch(rows)
    for row in MarketplaceOnboarding.objects.filter(pk__in=[r.pk for r in rows]):
        assert row.tiktok_status == "INVITED" and row.poll_attempts == 1
        assert row.next_poll_at > timezone.now() + marketplace.CLAIM_LEASE


def test_a_batch_records_each_rows_own_back_off(internal_account):
    rows = _waiting(3)
    MarketplaceOnboarding.objects.filter(pk=rows[0].pk).update(poll_attempts=4)
    before = timezone.now()
    _poll_batch(rows)
    fresh = {row.pk: row for row in MarketplaceOnboarding.objects.filter(pk__in=[r.pk for r in rows])}
    assert fresh[rows[0].pk].poll_attempts == 5 and fresh[rows[1].pk].poll_attempts == 1
    assert fresh[rows[0].pk].next_poll_at >= before + marketplace.POLL_MAX
    assert before + marketplace.POLL_BASE * 2 <= fresh[rows[1].pk].next_poll_at < before + marketplace.POLL_MAX


def test_a_new_platform_token_is_used_from_the_next_poll(internal_account):
    _poll_batch(_waiting(2, prefix="before."))
    internal_account.credential.access_token = "rotated-token"
    internal_account.credential.save()
    with responses.RequestsMock() as mocked:
        mocked.add_callback(responses.GET, STATUS_URL, callback=_answer())
        tasks.poll_onboardings([row.pk for row in _waiting(2, prefix="after.")])
        assert mocked.calls[0].request.headers["Access-Token"] == "rotated-token"


def test_a_20_creator_status_call_costs_the_worker_under_10_ms_of_cpu_with_the_budget_and_counters_on(
    internal_account, settings
):
    """The probe of worker CPU per call: the task run as a worker runs it (Celery's task
    context, so the call is background work), the rate budget and the call counters in the
    real Redis, TikTok answering at the HTTP boundary. The median of 30 batches, so a moment
    of a busy machine does not decide it. The goal is 5 ms; this guards twice that, which a
    second Redis round trip per call or a query per row would break on PostgreSQL."""
    settings.TIKTOK_RATE_BUDGET_ENABLED = settings.TIKTOK_CALL_COUNTERS_ENABLED = True
    settings.TIKTOK_RATE_BUDGET_KEY_PREFIX = f"test:cheap:{uuid.uuid4().hex}"
    settings.TIKTOK_RATE_QPS = settings.TIKTOK_RATE_QPM = settings.TIKTOK_RATE_PER_DAY = 0
    batches = [[row.pk for row in _waiting(20, prefix=f"cpu{b}.")] for b in range(31)]
    spent = []
    with responses.RequestsMock() as mocked:
        mocked.add_callback(responses.GET, STATUS_URL, callback=_answer())
        for ids in batches:
            started = time.thread_time()
            tasks.poll_onboardings.apply(args=[ids])
            spent.append(time.thread_time() - started)
        assert len(mocked.calls) == len(batches)
    median_ms = statistics.median(spent[1:]) * 1000  # the first loads the scripts and the account
    print(f"worker CPU per 20-creator status call: median {median_ms:.2f} ms, min {min(spent[1:]) * 1000:.2f} ms")
    assert median_ms <= 10
