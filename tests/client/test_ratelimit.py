"""The shared rate budget, against the real Redis: TikTok's windows, tiers, the rule that
any L + 1 grants span the window and the allowance, catching up, the reserved share and the
back-off after a 40100."""

from __future__ import annotations

import multiprocessing
import time
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
import redis
import requests
from celery import shared_task
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from integrations.tiktok import BusinessClient, Kind, TikTokError
from integrations.tiktok.ratelimit import (
    LEARNT_CAP_SECONDS,
    LEARNT_STEP_SECONDS,
    Limits,
    RateBudget,
    Reason,
    Window,
    default_budget,
    limits_for,
    throttled_window,
)

from .budget_worker import hammer
from .conftest import fail, ok

APP = "business:app"


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


def seconds_to_utc_midnight(redis_now_us: int) -> float:
    now = datetime.fromtimestamp(redis_now_us / 1_000_000, UTC)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    return (midnight - now).total_seconds()


@pytest.fixture
def budget(rate_prefix):
    return RateBudget(settings.REDIS_URL, prefix=rate_prefix, max_wait=0, jitter=0.03, reserved_share=0.2)


# The budget fixture's allowance, and its pace at 10 QPS.
JITTER = 0.03
PACE = (1.0 + JITTER) / 10


def redis_now_us(budget) -> int:
    seconds, micros = budget.client.time()
    return seconds * 1_000_000 + micros


def granted_earlier(budget, window: str, *ago_s: float) -> None:
    """Record grants made `ago_s` seconds ago in the budget's list for `window` ("s" or "m")."""
    now = redis_now_us(budget)
    budget.client.lpush(
        f"{budget.prefix}:{APP}:{window}", *(now - round(a * 1_000_000) for a in sorted(ago_s, reverse=True))
    )


@pytest.fixture
def budget_on(settings, rate_prefix):
    settings.TIKTOK_RATE_BUDGET_ENABLED = True
    settings.TIKTOK_RATE_BUDGET_MAX_WAIT = 0
    return settings


# --- configuration ----------------------------------------------------------------------------


def test_it_is_a_no_op_when_disabled(settings):
    settings.TIKTOK_RATE_BUDGET_ENABLED = False

    assert default_budget() is None


@pytest.mark.parametrize(
    ("tier", "expected"),
    [
        ("basic", Limits(10, 600, 864_000)),
        ("advanced", Limits(20, 1_200, 1_728_000)),
        ("premium", Limits(30, 1_800, 2_592_000)),
        ("ultimate", Limits(50, 3_000, 4_320_000)),
        ("sandbox", Limits(1, 30, 1_000)),
    ],
)
def test_each_tier_presets_tiktoks_three_windows(settings, tier, expected):
    settings.TIKTOK_API_TIER = tier

    assert limits_for() == expected


def test_each_window_can_be_overridden_on_its_own(settings):
    settings.TIKTOK_API_TIER = "advanced"
    settings.TIKTOK_RATE_QPM = 900

    assert limits_for() == Limits(20, 900, 1_728_000)

    settings.TIKTOK_RATE_QPS, settings.TIKTOK_RATE_PER_DAY = 5, 0

    assert limits_for() == Limits(5, 900, 0)


def test_an_unknown_tier_is_a_configuration_error(settings):
    settings.TIKTOK_API_TIER = "gold"

    with pytest.raises(ImproperlyConfigured, match="TIKTOK_API_TIER"):
        limits_for()


# --- the windows ------------------------------------------------------------------------------


def test_grants_follow_each_other_no_closer_than_half_the_pace(budget):
    limits = Limits(per_second=10)

    first = budget.try_acquire(APP, limits, background=False)
    wait, _, reason = budget.try_acquire(APP, limits, background=False)

    assert first[2] == Reason.GRANTED
    assert reason == Reason.PACING
    assert PACE / 2 - 0.02 < wait <= PACE / 2


def test_the_eleventh_grant_at_10_qps_waits_until_the_first_is_a_second_and_the_allowance_old(budget):
    limits = Limits(per_second=10)
    granted_earlier(budget, "s", *(0.95 - n * 0.1 for n in range(10)))  # ten grants, the first 0.95 s ago

    wait, _, reason = budget.try_acquire(APP, limits, background=False)

    assert reason == Reason.PACING
    assert 1.0 + JITTER - 0.95 - 0.02 < wait <= 1.0 + JITTER - 0.95


def test_the_minute_window_holds_when_it_is_the_tighter_one(budget):
    limits = Limits(per_second=100, per_minute=3)
    granted_earlier(budget, "m", 30, 20, 10)

    wait, _, reason = budget.try_acquire(APP, limits, background=False)

    assert reason == Reason.PACING
    assert 30 + JITTER - 0.1 < wait <= 30 + JITTER


def test_slots_nobody_took_are_caught_up_at_up_to_twice_the_pace(budget):
    # One grant, then no process was free for half a second. A fixed pace would have lost
    # those five slots: the rule only asks that 11 grants span 1.03 s, so the other nine of
    # this second still go, half a pace apart.
    limits = Limits(per_second=10)
    granted_earlier(budget, "s", 0.5)
    grants = []
    while len(grants) < 9:
        wait, now_us, reason = budget.try_acquire(APP, limits, background=True)
        if reason == Reason.GRANTED:
            grants.append(now_us)
        else:
            time.sleep(wait)

    first = grants[0] - 500_000
    assert (grants[-1] - first) / 1_000_000 < 1.0
    assert min(b - a for a, b in pairwise(grants)) >= PACE / 2 * 1_000_000
    wait, now_us, reason = budget.try_acquire(APP, limits, background=True)
    assert reason == Reason.PACING  # the eleventh waits for the first to be 1.03 s old
    assert (now_us + wait * 1_000_000 - first) / 1_000_000 == pytest.approx(1.0 + JITTER, abs=0.002)


def test_a_grant_given_up_is_handed_back_and_costs_no_slot(budget):
    limits = Limits(per_second=10, per_day=100)
    granted_earlier(budget, "s", *(0.9 - n * 0.1 for n in range(9)))
    last = budget.try_acquire(APP, limits, background=False)
    assert last[2] == Reason.GRANTED and budget.state(APP).used_today == 1

    wait, _, reason = budget.try_acquire(APP, limits, background=False, given_up=last[1])

    # Nine grants left in the second, none of them recent: the tenth may go at once.
    assert reason == Reason.GRANTED and wait == 0
    assert budget.state(APP).used_today == 1


def test_the_daily_quota_stops_grants_until_midnight_utc(budget):
    limits = Limits(per_day=2)

    for _ in range(2):
        assert budget.try_acquire(APP, limits, background=False)[2] == Reason.GRANTED
    wait, now_us, reason = budget.try_acquire(APP, limits, background=False)

    assert reason == Reason.DAILY_QUOTA
    assert wait == pytest.approx(seconds_to_utc_midnight(now_us), abs=0.001)


def test_a_grant_over_budget_raises_a_transient_error_and_is_not_sent(budget):
    limits = Limits(per_day=1)
    budget.acquire(APP, limits, background=False)

    with pytest.raises(TikTokError) as caught:
        budget.acquire(APP, limits, background=False, path="bc/get/")

    assert caught.value.kind == Kind.TRANSIENT
    assert caught.value.code == "local_rate_budget" and caught.value.sent is False
    assert caught.value.retry_after > 0 and caught.value.path == "bc/get/"


def test_each_app_has_its_own_budget(budget):
    limits = Limits(per_day=1)

    budget.acquire("business:one", limits, background=False)
    budget.acquire("business:two", limits, background=False)
    with pytest.raises(TikTokError):
        budget.acquire("business:one", limits, background=False)


def test_every_business_endpoint_draws_on_the_one_app_budget(mocked, biz, budget_on, rate_prefix):
    budget_on.TIKTOK_RATE_PER_DAY = 2
    budget_on.TIKTOK_RATE_QPS = budget_on.TIKTOK_RATE_QPM = 0
    mocked.get(biz("bc/get/"), json=ok({"list": []}))
    mocked.get(biz("bc/asset/get/"), json=ok({"list": []}))
    client = BusinessClient("biz.1")

    client.bc_get()
    client.transport.send(_business_get("bc/asset/get/"))
    with pytest.raises(TikTokError) as caught:
        client.transport.send(_business_get("advertiser/info/"))

    assert caught.value.code == "local_rate_budget"
    assert len(mocked.calls) == 2  # the third was never sent


def test_a_grant_the_process_sat_on_is_handed_back_not_sent_and_the_retry_needs_no_other_slot(
    mocked, biz, budget_on, monkeypatch
):
    budget_on.TIKTOK_RATE_QPS, budget_on.TIKTOK_RATE_QPM, budget_on.TIKTOK_RATE_BUDGET_MAX_WAIT = 1, 0, 5
    mocked.get(biz("bc/get/"), json=ok({"list": []}))
    budget = default_budget()
    grants = []
    real = budget.acquire_to_send

    def descheduled_once(*args, **kwargs):
        granted_at, asked = real(*args, **kwargs)
        grants.append(granted_at)
        # The first time, the process lost the CPU for a second between grant and send.
        return granted_at, asked - (1.0 if len(grants) == 1 else 0.0)

    monkeypatch.setattr(budget, "acquire_to_send", descheduled_once)

    BusinessClient("biz.1").bc_get()

    assert len(grants) == 2 and len(mocked.calls) == 1
    # At 1 QPS a grant that stayed counted would hold the second one back for a second.
    assert grants[1] - grants[0] < 200_000


def test_a_grant_held_past_a_third_of_the_allowance_is_not_fresh_the_rest_is_for_the_send(budget):
    now = time.monotonic()

    assert budget.fresh(now - JITTER / 3 + 0.002)
    assert not budget.fresh(now - JITTER / 3 - 0.002)


def test_the_request_is_built_before_its_grant_so_only_the_send_follows_it(mocked, biz, budget_on, monkeypatch):
    budget_on.TIKTOK_RATE_QPS = 0
    mocked.get(biz("bc/get/"), json=ok({"list": []}))
    budget, events = default_budget(), []

    def noting(event, real):
        def call(*args, **kwargs):
            events.append(event)
            return real(*args, **kwargs)

        return call

    monkeypatch.setattr(budget, "acquire_to_send", noting("granted", budget.acquire_to_send))
    monkeypatch.setattr(requests.Session, "prepare_request", noting("built", requests.Session.prepare_request))
    monkeypatch.setattr(requests.Session, "send", noting("sent", requests.Session.send))

    BusinessClient("biz.1").bc_get()

    assert events == ["built", "granted", "sent"]


def _business_get(path):
    from integrations.tiktok.transport import Request

    return Request("GET", path, access_token="biz.1")


# --- pacing -----------------------------------------------------------------------------------


def test_several_processes_together_never_put_more_than_the_limit_in_any_window(rate_prefix):
    # Four processes race for one app at 5 QPS. Any L + 1 grants must span W + jitter, so a
    # request reaching TikTok up to the jitter late still cannot make TikTok count more than L
    # in any 1 s window; and no two grants are closer than half the pace.
    limit, jitter = 5, 0.03
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        results = pool.starmap(hammer, [(settings.REDIS_URL, rate_prefix, 4, Limits(per_second=limit), jitter)] * 4)
    grants = sorted(t for r in results for t in r)

    assert len(grants) == 16
    assert max_in_window(grants, 1.0 + jitter) == limit
    gaps = [b - a for a, b in pairwise(grants)]
    assert min(gaps) >= (1.0 + jitter) / limit / 2 * 1_000_000


def test_background_and_interactive_processes_together_never_exceed_the_limit_either(rate_prefix):
    limit, jitter = 5, 0.03
    runs = [
        (settings.REDIS_URL, rate_prefix, 4, Limits(per_second=limit), jitter, background)
        for background in (True, False)
    ]
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        results = pool.starmap(hammer, runs * 2)
    grants = sorted(t for r in results for t in r)

    assert len(grants) == 16
    assert max_in_window(grants, 1.0 + jitter) <= limit


# --- the reserved share -----------------------------------------------------------------------


def test_background_calls_cannot_take_the_reserved_share_of_the_daily_quota(budget):
    limits = Limits(per_day=10)

    background = [budget.try_acquire(APP, limits, background=True)[2] for _ in range(9)]
    interactive = [budget.try_acquire(APP, limits, background=False)[2] for _ in range(3)]

    assert background == [Reason.GRANTED] * 8 + [Reason.DAILY_QUOTA]
    assert interactive == [Reason.GRANTED, Reason.GRANTED, Reason.DAILY_QUOTA]


def test_background_calls_alone_are_paced_as_fast_as_a_persons(budget):
    limits = Limits(per_second=10)
    budget.try_acquire(APP, limits, background=True)

    background_wait = budget.try_acquire(APP, limits, background=True)[0]

    interval = PACE
    assert 0 < background_wait <= interval


def test_a_person_waiting_for_a_slot_gets_it_before_any_background_call(budget):
    limits = Limits(per_second=10)
    interval = PACE
    budget.try_acquire(APP, limits, background=True)
    person_wait = budget.try_acquire(APP, limits, background=False)[0]

    background_wait, _, reason = budget.try_acquire(APP, limits, background=True)
    time.sleep(person_wait)
    person = budget.try_acquire(APP, limits, background=False)[2]
    after_person = budget.try_acquire(APP, limits, background=True)[0]

    assert reason == Reason.PACING
    assert background_wait == pytest.approx(person_wait + interval, abs=0.005)
    assert person == Reason.GRANTED
    # The person's grant releases the claim: background pacing carries on from it.
    assert 0 < after_person <= interval


def test_a_person_who_gave_up_holds_background_calls_back_for_one_interval_only(budget):
    limits = Limits(per_second=10)
    interval = PACE
    budget.try_acquire(APP, limits, background=True)
    person_wait = budget.try_acquire(APP, limits, background=False)[0]

    time.sleep(person_wait + interval + 0.01)

    assert budget.try_acquire(APP, limits, background=True)[2] == Reason.GRANTED


@shared_task
def _bc_get_in_a_task():
    return BusinessClient("biz.1").bc_get()


def test_a_call_made_inside_a_celery_task_is_background_and_one_outside_is_interactive(mocked, biz, budget_on):
    budget_on.TIKTOK_RATE_PER_DAY = 5  # background may use 4
    budget_on.TIKTOK_RATE_QPS = budget_on.TIKTOK_RATE_QPM = 0
    for _ in range(5):
        mocked.get(biz("bc/get/"), json=ok({"list": []}))

    for _ in range(4):
        _bc_get_in_a_task.apply().get()
    with pytest.raises(TikTokError) as in_task:
        _bc_get_in_a_task.apply()
    BusinessClient("biz.1").bc_get()  # a person waiting: the reserved share

    assert in_task.value.code == "local_rate_budget"
    assert len(mocked.calls) == 5


# --- back-off after a 40100 -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "window"),
    [
        ("App reaches the QPS limit.", Window.SECOND),
        ("App 7055107885017071618 reaches the QPS limit 10, current QPS is 11.", Window.SECOND),
        ("App 7055107885017071618 reaches the QPM limit 600, current QPM is 601.", Window.MINUTE),
        ("App 7055107885017071618 reaches the QPD limit 864000, current QPD is 864001.", Window.DAY),
        ("Requests per minute exceeded", Window.MINUTE),
        ("Daily request quota used up", Window.DAY),
        ("Due to too many requests, requests from App 1 are temporarily restricted.", Window.SECOND),
    ],
)
def test_a_40100_message_tells_which_window_tiktok_means(message, window):
    assert throttled_window(message) == window


@pytest.mark.parametrize(
    ("message", "window"),
    [
        ("App 1 reaches the QPM limit 600, current QPM is 601.", Window.MINUTE),
        ("App 1 reaches the QPD limit 864000, current QPD is 864001.", Window.DAY),
    ],
)
def test_a_40100_backs_every_process_off_as_long_as_tiktok_says(
    mocked, biz, budget_on, rate_prefix, sleeps, message, window
):
    budget_on.TIKTOK_MAX_RETRIES = 0
    mocked.get(biz("bc/get/"), json=fail(40100, message))
    client = BusinessClient("biz.1")

    with pytest.raises(TikTokError) as caught:
        client.bc_get()
    wait, now_us, reason = default_budget().try_acquire(
        f"business:{settings.TIKTOK_APP_ID}", Limits(), background=False
    )

    expected = {Window.MINUTE: 300.0, Window.DAY: seconds_to_utc_midnight(now_us)}[window]
    assert caught.value.code == 40100
    assert caught.value.retry_after == pytest.approx(expected, abs=0.5)
    assert reason == Reason.BACKING_OFF  # another process asking now is told to wait too
    assert wait == pytest.approx(expected, abs=0.5)


def test_after_a_qpm_40100_no_process_sends_for_five_minutes(mocked, biz, budget_on, rate_prefix, sleeps):
    mocked.get(biz("bc/get/"), json=fail(40100, "App 1 reaches the QPM limit 600, current QPM is 601."))
    client = BusinessClient("biz.1")

    with pytest.raises(TikTokError) as first:
        client.bc_get()  # 300 s is too long to sleep in a worker: the task reschedules
    with pytest.raises(TikTokError) as second:
        BusinessClient("biz.2").bc_get()

    assert first.value.code == 40100 and first.value.retry_after == pytest.approx(300, abs=0.5)
    assert second.value.code == "local_rate_budget" and second.value.sent is False
    assert second.value.retry_after == pytest.approx(300, abs=0.5)
    assert len(mocked.calls) == 1 and sleeps == []


def test_a_back_off_is_never_shortened_by_a_shorter_one(budget):
    budget.back_off(APP, Window.MINUTE)

    budget.back_off(APP, Window.SECOND, Limits(per_second=10))

    assert budget.state(APP).blocked_for == pytest.approx(300, abs=0.5)


def test_a_qps_40100_costs_one_slot_and_widens_the_allowance_for_every_process(budget):
    limits = Limits(per_second=10)
    budget.try_acquire(APP, limits, background=False)

    told = budget.back_off(APP, Window.SECOND, limits)
    wait, _, reason = budget.try_acquire(APP, limits, background=True)

    assert told == pytest.approx(PACE, abs=0.002)  # one slot, not a second
    assert reason == Reason.PACING and wait == pytest.approx(PACE / 2, abs=0.01)  # the throttled call counts again
    # Eleven grants must now span the window, the allowance and the step learnt.
    budget.client.delete(f"{budget.prefix}:{APP}:s")
    granted_earlier(budget, "s", *(1.0 - n * 0.1 for n in range(10)))
    wait, _, _ = budget.try_acquire(APP, limits, background=False)
    assert JITTER + LEARNT_STEP_SECONDS - 0.01 < wait <= JITTER + LEARNT_STEP_SECONDS


def test_the_learnt_allowance_grows_to_a_cap_and_fades_while_tiktok_stays_quiet(budget):
    limits = Limits(per_second=10)
    for _ in range(100):
        budget.back_off(APP, Window.SECOND, limits)
    key = f"{budget.prefix}:{APP}"
    assert int(budget.client.hget(key, "extra")) == round(LEARNT_CAP_SECONDS * 1_000_000)

    # An hour without a 40100 has faded it (by LEARNT_FADE_PER_SECOND) back to nothing.
    budget.client.hset(key, "extra_at", int(budget.client.hget(key, "extra_at")) - 3_600_000_000)
    budget.client.delete(f"{key}:s")
    granted_earlier(budget, "s", *(1.0 - n * 0.1 for n in range(10)))
    wait, _, _ = budget.try_acquire(APP, limits, background=False)
    assert wait <= JITTER


def test_without_the_shared_budget_a_40100_still_waits_as_long_as_tiktok_says(mocked, biz, sleeps, settings):
    mocked.get(biz("bc/get/"), json=fail(40100, "App 1 reaches the QPS limit 10, current QPS is 11."))
    mocked.get(biz("bc/get/"), json=ok({"list": []}))

    assert BusinessClient("biz.1").bc_get() == {"list": []}
    assert len(sleeps) == 1 and sleeps[0] >= 1.0


def test_budget_keys_expire_so_redis_does_not_fill_up(budget, rate_prefix):
    budget.try_acquire(APP, Limits(per_second=10, per_minute=600), background=False)

    client = redis.Redis.from_url(settings.REDIS_URL)

    assert 0 < client.pttl(f"{rate_prefix}:{APP}") <= 2 * 86_400_000
    assert 1_000 < client.pttl(f"{rate_prefix}:{APP}:s") <= 3_000
    assert 60_000 < client.pttl(f"{rate_prefix}:{APP}:m") <= 62_000
