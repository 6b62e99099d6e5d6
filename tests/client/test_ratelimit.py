"""The shared rate budget, against the real Redis."""

from __future__ import annotations

import multiprocessing
import time

import pytest
from django.conf import settings

from integrations.tiktok import BusinessClient, Kind, TikTokError
from integrations.tiktok.ratelimit import Limit, RateBudget, default_budget

from .budget_worker import hammer
from .conftest import ok


def max_in_window(grants_us: list[int], window_s: float) -> int:
    """The most grants inside any half-open window (t - window, t]."""
    grants = sorted(grants_us)
    window_us = int(window_s * 1_000_000)
    best, lo = 0, 0
    for hi, t in enumerate(grants):
        while grants[lo] <= t - window_us:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


def test_it_is_a_no_op_when_disabled(settings):
    settings.TIKTOK_RATE_BUDGET_ENABLED = False

    assert default_budget() is None


def test_it_grants_up_to_the_limit_then_raises_a_transient_error_with_retry_after(rate_prefix):
    budget = RateBudget(settings.REDIS_URL, prefix=rate_prefix, max_wait=0)
    limit = Limit(3, 1.0)

    for _ in range(3):
        budget.acquire("business:app", "bc/get/", limit)
    with pytest.raises(TikTokError) as caught:
        budget.acquire("business:app", "bc/get/", limit)

    assert caught.value.kind == Kind.TRANSIENT
    assert caught.value.code == "local_rate_budget" and caught.value.sent is False
    assert 0 < caught.value.retry_after <= 1.0


def test_it_counts_each_endpoint_and_app_separately(rate_prefix):
    budget = RateBudget(settings.REDIS_URL, prefix=rate_prefix, max_wait=0)
    limit = Limit(1, 5.0)

    budget.acquire("business:app", "bc/get/", limit)
    budget.acquire("business:app", "bc/asset/get/", limit)
    budget.acquire("login_kit:key", "bc/get/", limit)
    with pytest.raises(TikTokError):
        budget.acquire("business:app", "bc/get/", limit)


def test_a_call_over_budget_waits_for_the_window_to_slide(rate_prefix):
    budget = RateBudget(settings.REDIS_URL, prefix=rate_prefix, max_wait=2.0)
    limit = Limit(2, 0.3)

    started = time.monotonic()
    grants = [budget.acquire("business:app", "bc/get/", limit) for _ in range(3)]

    assert time.monotonic() - started >= 0.25
    assert grants[2] - grants[0] >= 300_000


def test_the_transport_never_sends_a_call_over_budget(mocked, biz, rate_prefix, settings, sleeps):
    settings.TIKTOK_RATE_BUDGET_ENABLED = True
    settings.TIKTOK_BUSINESS_QPS = 2
    settings.TIKTOK_RATE_BUDGET_MAX_WAIT = 0
    mocked.get(biz("bc/get/"), json=ok({"list": []}))
    mocked.get(biz("bc/get/"), json=ok({"list": []}))
    client = BusinessClient("biz.1")

    client.bc_get()
    client.bc_get()
    with pytest.raises(TikTokError) as caught:
        client.bc_get()

    assert caught.value.retry_after > 0
    assert len(mocked.calls) == 2  # the third was never sent
    assert sleeps == []  # and not retried in-process: the Celery task reschedules


def test_several_processes_together_stay_under_the_limit(rate_prefix):
    limit, window = 5, 0.5
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(4) as pool:
        results = pool.starmap(hammer, [(settings.REDIS_URL, rate_prefix, 6, limit, window)] * 4)
    grants = [t for r in results for t in r]

    assert len(grants) == 24
    assert max_in_window(grants, window) == limit
