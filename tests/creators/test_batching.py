"""Marketplace status is polled 20 creators per `tto/tcm/creator/status/get/` call, as TikTok
allows, through the product's own dispatcher and tasks (TikTok mocked at the HTTP boundary)."""

from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
import responses
from celery.exceptions import Retry
from django.conf import settings
from django.utils import timezone

from creators import marketplace, tasks
from creators.models import MarketplaceOnboarding
from integrations.models import Credential, TikTokAccount, TikTokOneAccount

pytestmark = pytest.mark.django_db
State = MarketplaceOnboarding.State
STATUS_URL = f"{settings.TIKTOK_BUSINESS_API_BASE_URL}/open_api/v1.3/tto/tcm/creator/status/get/"


@pytest.fixture
def internal_account():
    credential = Credential.objects.create(kind=Credential.Kind.BUSINESS, access_token="platform-token")
    return TikTokOneAccount.objects.create(
        tto_tcm_account_id="7200000000000000077", credential=credential, is_internal=True
    )


def _waiting(count: int, prefix: str = "wait.creator") -> list[MarketplaceOnboarding]:
    """Creators whose invite was requested an hour ago and who are due for a status check."""
    now = timezone.now()
    rows = []
    for i in range(count):
        account = TikTokAccount.objects.create(handle=f"{prefix}{i}", open_id=f"open-{prefix}{i}")
        rows.append(
            MarketplaceOnboarding.objects.create(
                tiktok_account=account,
                state=State.WAITING,
                invite_requested_at=now - timedelta(hours=1),
                next_poll_at=now - timedelta(seconds=i + 1),
            )
        )
    return rows


def _handles(request) -> list[str]:
    return json.loads(parse_qs(urlparse(request.url).query)["handle_names"][0])


def _answer(statuses: dict[str, str] | None = None):
    """TikTok's answer for the handles asked: INVITED unless `statuses` says otherwise."""

    def callback(request):
        rows = [{"handle_name": h, "status": (statuses or {}).get(h, "INVITED")} for h in _handles(request)]
        body = {"code": 0, "message": "OK", "request_id": "req", "data": {"onboarding_status": rows}}
        return 200, {}, json.dumps(body)

    return callback


@pytest.fixture
def run_dispatch(monkeypatch, django_capture_on_commit_callbacks):
    """Run the dispatcher; return the batches it enqueued on commit (each one task's argument)."""
    sent: list[list[int]] = []
    monkeypatch.setattr(tasks.poll_onboardings, "delay", lambda ids: sent.append(ids))

    def run() -> list[list[int]]:
        sent.clear()
        with django_capture_on_commit_callbacks(execute=True):
            tasks.dispatch_onboarding_polls()
        return list(sent)

    return run


def test_45_due_creators_are_polled_in_3_calls_of_at_most_20_handles(internal_account, run_dispatch):
    rows = _waiting(45)
    batches = run_dispatch()
    assert [len(b) for b in batches] == [20, 20, 5]
    assert sorted(pk for b in batches for pk in b) == sorted(r.pk for r in rows)

    with responses.RequestsMock() as mocked:
        mocked.add_callback(responses.GET, STATUS_URL, callback=_answer())
        for batch in batches:
            tasks.poll_onboardings(batch)
        asked = [_handles(call.request) for call in mocked.calls]

    assert len(asked) == 3
    assert all(len(handles) <= 20 for handles in asked)
    assert sorted(h for handles in asked for h in handles) == sorted(r.tiktok_account.handle for r in rows)
    for row in MarketplaceOnboarding.objects.all():
        assert row.tiktok_status == "INVITED" and row.status_checked_at is not None
        assert row.next_poll_at > timezone.now() + marketplace.CLAIM_LEASE  # rescheduled by its backoff


def test_the_dispatcher_enqueues_the_longest_waiting_creators_first(internal_account, run_dispatch):
    rows = _waiting(45)  # the later a row was made, the longer it has been due
    batches = run_dispatch()
    assert batches == [[r.pk for r in reversed(rows[25:])], [r.pk for r in reversed(rows[5:25])],
                       [r.pk for r in reversed(rows[:5])]]  # fmt: skip


def test_a_creator_falling_due_within_half_a_dispatch_interval_is_claimed_now_not_a_whole_interval_late(
    internal_account, settings
):
    settings.MARKETPLACE_DISPATCH_SECONDS = 10.0
    soon, later = _waiting(2)
    now = timezone.now()
    MarketplaceOnboarding.objects.filter(pk=soon.pk).update(next_poll_at=now + timedelta(seconds=4))
    MarketplaceOnboarding.objects.filter(pk=later.pk).update(next_poll_at=now + timedelta(seconds=6))

    assert marketplace.claim_due_polls() == [soon.pk]


def test_each_creator_in_a_batch_moves_by_its_own_status(internal_account):
    joined, unknown, waiting = _waiting(3)
    statuses = {joined.tiktok_account.handle: "IN", unknown.tiktok_account.handle: "INVALID"}
    with responses.RequestsMock() as mocked:
        mocked.add_callback(responses.GET, STATUS_URL, callback=_answer(statuses))
        counts = tasks.poll_onboardings([joined.pk, unknown.pk, waiting.pk])
        assert len(mocked.calls) == 1
    assert counts == {State.IN_MARKETPLACE: 1, State.INVALID: 1, State.WAITING: 1}
    states = dict(MarketplaceOnboarding.objects.values_list("pk", "state"))
    assert states == {joined.pk: State.IN_MARKETPLACE, unknown.pk: State.INVALID, waiting.pk: State.WAITING}


def test_a_batch_skips_the_rows_another_executor_holds(internal_account):
    free, held = _waiting(2)
    assert [r.pk for r in marketplace.claim_polls([held.pk])] == [held.pk]  # another worker is polling it
    with responses.RequestsMock() as mocked:
        mocked.add_callback(responses.GET, STATUS_URL, callback=_answer())
        counts = tasks.poll_onboardings([free.pk, held.pk])
        assert _handles(mocked.calls[0].request) == [free.tiktok_account.handle]
    assert counts == {State.WAITING: 1}
    checked = MarketplaceOnboarding.objects.filter(status_checked_at__isnull=False).values_list("pk", flat=True)
    assert list(checked) == [free.pk]


def test_a_batch_the_rate_budget_never_sent_gives_every_row_back_at_once(internal_account, monkeypatch):
    rows = _waiting(20)
    from integrations.tiktok import Kind, TikTokError

    def unsent(*args, **kwargs):
        raise TikTokError("Rate budget exhausted", kind=Kind.TRANSIENT, code=40100, sent=False)

    monkeypatch.setattr("integrations.tiktok.tokens.call_with_credential", unsent)
    with pytest.raises(Retry):
        tasks.poll_onboardings.apply(args=[[r.pk for r in rows]])
    due = MarketplaceOnboarding.objects.filter(next_poll_at__lte=timezone.now())
    assert due.count() == 20
    # The next dispatch finds them all. A claim returns its rows in the order UPDATE … RETURNING
    # meets them on disk, which earlier tests' rolled-back rows change on PostgreSQL: compare sets.
    assert sorted(marketplace.claim_due_polls(50)) == sorted(r.pk for r in rows)


def test_the_dispatcher_tops_the_queue_up_to_its_target_and_no_further(internal_account, settings, run_dispatch):
    settings.TIKTOK_RATE_QPS = 1
    settings.MARKETPLACE_DISPATCH_QUEUE_SECONDS = 2.0  # 1 QPS x 20 handles x 2 s = 40 rows
    assert marketplace.dispatch_target() == 40
    _waiting(45)
    first = run_dispatch()
    assert sum(len(b) for b in first) == 40
    assert run_dispatch() == []  # 40 still wait for a worker
    taken = marketplace.claim_polls(first[0])  # a worker takes one batch of 20
    assert len(taken) == 20
    assert sum(len(b) for b in run_dispatch()) == 5  # all that is left


def test_at_the_basic_tier_the_dispatcher_can_claim_more_than_the_ceiling_between_runs(settings):
    settings.TIKTOK_API_TIER, settings.TIKTOK_RATE_QPS = "basic", None
    ceiling_per_run = 10 * 20 * settings.MARKETPLACE_DISPATCH_SECONDS  # creators TikTok can answer per run
    assert marketplace.dispatch_target() >= 2 * ceiling_per_run
