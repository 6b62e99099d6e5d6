"""Freshness you can see: the transport's call counters, the staff page and /metrics."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import redis
import requests
import responses
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from aspire_tiktok.pages import freshness
from creators.models import MarketplaceOnboarding
from integrations.models import TikTokAccount
from integrations.polling import POLLERS
from integrations.tiktok import TikTokError, callstats
from integrations.tiktok.ratelimit import RateBudget, Window, limits_for
from integrations.tiktok.transport import Request, Transport, business_budget_key

pytestmark = pytest.mark.django_db
BASE = "https://business-api.test"
PATH = "tto/tcm/creator/status/get/"


@pytest.fixture
def counters(settings):
    """Counters on, under a key prefix of this test's own in the real Redis."""
    settings.TIKTOK_CALL_COUNTERS_ENABLED = True
    settings.TIKTOK_RATE_BUDGET_KEY_PREFIX = f"test:fresh:{uuid.uuid4().hex}"
    settings.TIKTOK_BUSINESS_API_BASE_URL = BASE
    settings.TIKTOK_RATE_BUDGET_ENABLED = False
    return settings


def _envelope(code=0, message="OK"):
    return {"code": code, "message": message, "request_id": "r1", "data": {}}


def _send(transport: Transport) -> TikTokError | None:
    try:
        transport.send(Request("GET", PATH, access_token="t"))
    except TikTokError as exc:
        return exc
    return None


def _onboarding(handle: str, due_in_minutes: float | None) -> MarketplaceOnboarding:
    account = TikTokAccount.objects.create(handle=handle, open_id=f"open-{handle}")
    due = None if due_in_minutes is None else timezone.now() + timedelta(minutes=due_in_minutes)
    return MarketplaceOnboarding.objects.create(
        tiktok_account=account, state=MarketplaceOnboarding.State.WAITING, next_poll_at=due
    )


def _this_minute(source: str) -> dict[str, int]:
    current = callstats.minutes(0)[-1]
    return {outcome: n for (s, outcome), n in current.counts.items() if s == source}


@responses.activate
def test_the_transport_counts_each_sent_call_and_each_throttled_or_failed_one_as_it_happens(counters, monkeypatch):
    monkeypatch.setattr(callstats, "current_source", lambda: "creators.tasks.poll_onboarding")
    url = f"{BASE}/open_api/v1.3/{PATH}"
    responses.get(url, json=_envelope())
    responses.get(url, json=_envelope(40100, "App reaches the QPS limit 10, current QPS is 11."))
    responses.get(url, json=_envelope(40002, "Invalid handle"))
    transport = Transport(max_retries=0, budget=False)

    assert _send(transport) is None
    assert _send(transport).code == 40100
    assert _send(transport).code == 40002

    assert _this_minute("creators.tasks.poll_onboarding") == {"calls": 3, "throttled": 1, "failed": 1}
    newest = callstats.recent_errors()
    assert [(e.code, e.path) for e in newest] == [("40002", PATH), ("40100", PATH)]
    assert newest[0].source == "creators.tasks.poll_onboarding"


@responses.activate
def test_a_call_our_rate_budget_never_sent_is_counted_as_unsent_not_as_a_call(counters):
    counters.TIKTOK_RATE_BUDGET_ENABLED = True
    counters.TIKTOK_RATE_QPS = counters.TIKTOK_RATE_QPM = 0
    counters.TIKTOK_RATE_PER_DAY = 1
    counters.TIKTOK_RATE_BUDGET_MAX_WAIT = 0
    responses.get(f"{BASE}/open_api/v1.3/{PATH}", json=_envelope())
    transport = Transport(max_retries=0)

    assert _send(transport) is None
    assert _send(transport).sent is False

    assert _this_minute(callstats.INTERACTIVE) == {"calls": 1, "unsent": 1}
    assert len(responses.calls) == 1


@pytest.fixture
def budgeted(counters):
    """The counters and the rate budget both on, with room for every call."""
    counters.TIKTOK_RATE_BUDGET_ENABLED = True
    counters.TIKTOK_RATE_QPS = counters.TIKTOK_RATE_QPM = counters.TIKTOK_RATE_PER_DAY = 0
    return counters


@pytest.fixture
def round_trips(monkeypatch):
    """Commands sent to Redis outside a pipeline, each its own round trip."""
    sent: list[str] = []
    real = redis.Redis.execute_command

    def counting(self, *args, **options):
        sent.append(str(args[0]))
        return real(self, *args, **options)

    monkeypatch.setattr(redis.Redis, "execute_command", counting)
    return sent


@responses.activate
def test_with_the_budget_on_a_call_answered_without_error_costs_one_round_trip_to_redis(budgeted, round_trips):
    responses.get(f"{BASE}/open_api/v1.3/{PATH}", json=_envelope())
    transport = Transport(max_retries=0)
    assert _send(transport) is None  # the first call loads the scripts
    round_trips.clear()

    for _ in range(3):
        assert _send(transport) is None

    assert round_trips == ["EVALSHA"] * 3
    assert _this_minute(callstats.INTERACTIVE) == {"calls": 4}


@responses.activate
def test_with_the_budget_on_a_throttled_or_failed_call_is_one_call_and_one_error(budgeted):
    url = f"{BASE}/open_api/v1.3/{PATH}"
    responses.get(url, json=_envelope(40100, "App reaches the QPS limit 10, current QPS is 11."))
    responses.get(url, json=_envelope(40002, "Invalid handle"))
    transport = Transport(max_retries=0)

    assert _send(transport).code == 40100
    assert _send(transport).code == 40002

    assert _this_minute(callstats.INTERACTIVE) == {"calls": 2, "throttled": 1, "failed": 1}


@responses.activate
def test_a_grant_given_up_or_never_sent_is_taken_back_from_the_calls(budgeted, monkeypatch):
    url = f"{BASE}/open_api/v1.3/{PATH}"
    responses.get(url, body=requests.ConnectTimeout("no route"))
    responses.get(url, json=_envelope())
    stale = iter([False, True, True])  # the first grant is held too long (a busy CPU)
    monkeypatch.setattr(RateBudget, "fresh", lambda self, asked: next(stale))
    transport = Transport(max_retries=0)

    assert _send(transport).sent is False
    assert _send(transport) is None

    assert _this_minute(callstats.INTERACTIVE) == {"calls": 1, "unsent": 1}
    assert len(responses.calls) == 2


def test_each_count_sends_the_scripts_sha_not_the_script(counters, monkeypatch):
    sent = []
    monkeypatch.setattr(redis.Redis, "eval", lambda *args, **kwargs: pytest.fail("sent the whole script"))
    real = redis.Redis.evalsha
    monkeypatch.setattr(redis.Redis, "evalsha", lambda self, *args: sent.append(args[0]) or real(self, *args))

    for _ in range(3):
        callstats.record(PATH, None)

    assert len(sent) == 3 and len(set(sent)) == 1
    assert _this_minute(callstats.INTERACTIVE) == {"calls": 3}


def test_counting_is_off_when_the_setting_is_off(counters):
    counters.TIKTOK_CALL_COUNTERS_ENABLED = False
    callstats.record(PATH, None)
    counters.TIKTOK_CALL_COUNTERS_ENABLED = True
    assert _this_minute(callstats.INTERACTIVE) == {}


def test_the_budget_state_reads_todays_grants_and_a_back_off_without_taking_a_slot(counters):
    budget = RateBudget(counters.REDIS_URL, prefix=counters.TIKTOK_RATE_BUDGET_KEY_PREFIX, max_wait=0)
    key = business_budget_key()
    assert budget.state(key).used_today == 0
    budget.acquire(key, limits_for(), background=False)
    assert budget.state(key).used_today == 1
    assert budget.state(key).used_today == 1  # reading took nothing
    budget.back_off(key, Window.MINUTE)
    assert 299 < budget.state(key).blocked_for <= 300


def test_the_snapshot_gives_due_rows_and_the_oldest_overdue_age_per_kind(counters):
    _onboarding("due.one", -30)
    _onboarding("due.two", -5)
    _onboarding("later", 30)
    _onboarding("unscheduled", None)

    snap = freshness.snapshot()

    marketplace = next(k for k in snap.kinds if k.key == "marketplace")
    assert marketplace.due == 2
    assert 29 * 60 < marketplace.oldest_overdue_seconds < 31 * 60
    insights = next(k for k in snap.kinds if k.key == "insights")
    assert (insights.due, insights.oldest_overdue_seconds) == (0, None)


def test_the_snapshot_attributes_calls_to_the_kind_whose_task_made_them(counters, monkeypatch):
    for source in ("sparkads.tasks.poll_spark_request", "creators.tasks.refresh_creator_token", "some.other.task"):
        monkeypatch.setattr(callstats, "current_source", lambda source=source: source)
        callstats.record(PATH, None)
    # Read a minute later, when the minute of these calls is the last whole one.
    recorded = callstats.server_minute()
    monkeypatch.setattr(callstats, "server_minute", lambda: recorded + 1)

    kinds = {k.key: k for k in freshness.snapshot().kinds}

    assert kinds["spark"].traffic.last_minute["calls"] == 1
    assert kinds["token_refresh"].traffic.last_minute["calls"] == 1
    assert kinds["other"].traffic.last_minute["calls"] == 1
    assert kinds["marketplace"].traffic.last_minute["calls"] == 0
    assert kinds["spark"].traffic.average["calls"] == pytest.approx(1 / freshness.AVERAGE_MINUTES)


def test_the_staff_page_shows_every_kind_with_the_same_number_of_queries_at_any_size(counters, client, user_factory):
    client.force_login(user_factory(is_staff=True))
    _onboarding("first", -1)
    with CaptureQueriesContext(connection) as few:
        response = client.get(reverse("staff_freshness"))
    assert response.status_code == 200
    for poller in POLLERS.values():
        assert poller.label in response.text
    for n in range(40):
        _onboarding(f"many{n}", -2)
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("staff_freshness"))
    assert len(many) == len(few)
    assert '<tr id="kind-marketplace">' in response.text and "<td>41</td>" in response.text


def test_the_staff_page_is_for_staff_only_and_linked_only_for_staff(counters, client, user_factory):
    client.force_login(user_factory())
    response = client.get(reverse("staff_freshness"))
    assert response.status_code == 302 and "login" in response["Location"]
    assert reverse("staff_freshness") not in client.get(reverse("home")).text
    client.force_login(user_factory(is_staff=True))
    assert reverse("staff_freshness") in client.get(reverse("home")).text


def _metrics(text: str) -> dict[tuple[str, tuple], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_metrics_answer_a_bearer_token_in_prometheus_format_with_the_pages_figures(counters, client):
    counters.METRICS_TOKEN = "s3cret-token"
    _onboarding("due.one", -10)
    callstats.record(PATH, None)

    response = client.get("/metrics", headers={"Authorization": "Bearer s3cret-token"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    samples = _metrics(response.text)
    assert samples[("aspire_polling_due_rows", (("kind", "marketplace"),))] == 1
    assert samples[("aspire_polling_oldest_overdue_seconds", (("kind", "marketplace"),))] > 9 * 60
    assert samples[("aspire_tiktok_budget_limit", (("window", "second"),))] == 10
    # People's calls go first in the minute window; background may use what they leave.
    assert samples[("aspire_tiktok_budget_background_limit", (("window", "minute"),))] == pytest.approx(600)
    assert samples[("aspire_tiktok_budget_background_limit", (("window", "day"),))] == pytest.approx(864_000 * 0.8)
    assert ("aspire_tiktok_calls_last_minute", (("kind", "interactive"), ("outcome", "calls"))) in samples


def test_metrics_are_hidden_without_credentials_and_refused_with_a_wrong_token(counters, client, user_factory):
    counters.METRICS_TOKEN = "s3cret-token"
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Bearer nope"}).status_code == 403
    client.force_login(user_factory())
    assert client.get("/metrics").status_code == 404


def test_metrics_answer_a_staff_session_and_refuse_every_token_when_none_is_configured(counters, client, user_factory):
    counters.METRICS_TOKEN = ""
    assert client.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 403
    client.force_login(user_factory(is_staff=True))
    assert client.get("/metrics").status_code == 200


def test_the_snapshot_shows_each_window_against_its_limit_with_todays_grants_and_a_back_off(counters):
    counters.TIKTOK_RATE_BUDGET_ENABLED = True
    counters.TIKTOK_API_TIER = "advanced"
    counters.TIKTOK_RATE_QPS = counters.TIKTOK_RATE_QPM = 0  # no pacing, so two grants come at once
    budget = RateBudget(counters.REDIS_URL, prefix=counters.TIKTOK_RATE_BUDGET_KEY_PREFIX, max_wait=0)
    for _ in range(2):
        budget.acquire(business_budget_key(), limits_for(), background=True)
    budget.back_off(business_budget_key(), Window.MINUTE)

    snap = freshness.snapshot()

    windows = {w.window: w for w in snap.windows}
    assert (windows["day"].limit, windows["day"].used) == (1_728_000, 2)
    assert windows["day"].background_limit == pytest.approx(1_728_000 * 0.8)
    assert windows["second"].limit == 0 and windows["minute"].limit == 0
    assert 299 < snap.blocked_for <= 300
