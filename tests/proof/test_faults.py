"""Faults and concurrency against real Celery workers, Redis and the live sandbox.

Tests act as Celery beat where a schedule would otherwise take minutes: they send the
dispatcher task (what beat sends) to the workers; everything else is the workers' own doing.
"""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from creators.models import MarketplaceOnboarding
from integrations.models import Credential, TikTokAccount, TikTokOneAccount
from integrations.polling import POLLERS
from tests.proof.harness import BlackHole, redeliver_unacked, requires_postgres, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.worker, pytest.mark.django_db(transaction=True)]
State = MarketplaceOnboarding.State

# The sandbox's creator personas (docs/sandbox.md) and where one Marketplace poll leaves each.
PERSONAS = {
    "demo.creator": (52_000, "creator", State.WAITING),
    "young.creator": (25_000, "creator", State.WAITING),
    "bc.owner": (15_000, "creator", State.WAITING),
    "small.creator": (4_200, "personal", State.NOT_ELIGIBLE),
    "brand.business": (80_000, "business", State.NOT_ELIGIBLE),
    "market.star": (310_000, "creator", State.IN_MARKETPLACE),
}
FAST_FAILING_CLIENT = {"TIKTOK_HTTP_TIMEOUT": "1", "TIKTOK_RETRY_BASE_DELAY": "0.1", "TIKTOK_RETRY_MAX_SLEEP": "3"}


def _internal_tiktok_one_account(sandbox) -> TikTokOneAccount:
    from integrations.tiktok import BusinessClient, tokens

    code = sandbox.helper("portal-auth", persona="demo-brand", redirect_uri="http://127.0.0.1:9/cb/")["auth_code"]
    grant = BusinessClient().oauth2_access_token(code)
    return TikTokOneAccount.objects.create(
        tto_tcm_account_id="7200000000000000001",
        name="Platform",
        is_internal=True,
        business_verification_status="VERIFIED",
        credential=tokens.apply_grant(Credential(kind=Credential.Kind.BUSINESS), grant),
    )


def _due_onboardings(handles) -> list[MarketplaceOnboarding]:
    now = timezone.now()
    rows = []
    for handle in handles:
        followers, kind, _ = PERSONAS.get(handle, (50_000, "creator", None))
        account = TikTokAccount.objects.create(handle=handle, follower_count=followers, account_type=kind)
        rows.append(
            MarketplaceOnboarding.objects.create(
                tiktok_account=account,
                state=State.AUTHORIZED,
                authorized_at=now,
                state_changed_at=now,
                next_poll_at=now,
            )
        )
    return rows


def _beat(task, every: float, until, timeout: float, message: str):
    """Send the dispatcher every `every` seconds until `until()` holds."""
    deadline = time.monotonic() + timeout
    while not until():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {message}")
        task.delay()
        time.sleep(every)


def _ok_responses(sandbox, path: str) -> list[dict]:
    return [r for r in sandbox.requests(path=path) if r.get("code") == "0" and r.get("status") == 200]


def test_under_injected_faults_every_due_poll_completes_once_and_auth_errors_are_not_retried(
    sandbox, celery_redis, worker_factory, brand
):
    from creators.tasks import dispatch_onboarding_polls
    from integrations.insights.tasks import dispatch_insights_polls
    from integrations.models import Campaign
    from integrations.tiktok import BusinessClient

    _internal_tiktok_one_account(sandbox)
    _due_onboardings(PERSONAS)

    # A brand whose token was revoked on TikTok: its report poll meets 40105 (auth-terminal).
    code = sandbox.helper("portal-auth", persona="demo-brand", redirect_uri="http://127.0.0.1:9/cb/")["auth_code"]
    from integrations.tiktok import tokens

    revoked = tokens.apply_grant(
        Credential(kind=Credential.Kind.BUSINESS, brand=brand), BusinessClient().oauth2_access_token(code)
    )
    BusinessClient().oauth2_revoke_token(revoked.access_token)
    tto = TikTokOneAccount.objects.create(
        tto_tcm_account_id="7200000000000000042",
        brand=brand,
        credential=revoked,
        business_verification_status="VERIFIED",
    )
    Campaign.objects.create(
        brand=brand,
        tiktok_one_account=tto,
        campaign_id="7900000000000000001",
        name="Spring",
        next_poll_at=timezone.now(),
    )

    sandbox.clear_requests()
    sandbox.add_fault(
        pattern="/open_api/*", error_40100=0.05, http_429=0.05, http_5xx=0.05, hang=0.02, hang_seconds=2,
        malformed_json=0.01,
    )  # fmt: skip
    worker_factory(2, concurrency=4, **FAST_FAILING_CLIENT)

    expected = {handle: end for handle, (_, _, end) in PERSONAS.items()}
    late = []

    def all_polled():
        """Done when every row is where one good poll leaves it. Meanwhile, time passes: a row
        a failed poll pushed back (beyond the 10-min claim lease) is brought due now, after
        checking it was rescheduled within twice the poll interval."""
        from creators.marketplace import CLAIM_LEASE, POLL_BASE

        now = timezone.now()
        pushed = MarketplaceOnboarding.objects.filter(
            state=State.AUTHORIZED, next_poll_at__gt=now + CLAIM_LEASE + timedelta(minutes=1)
        )
        late.extend(
            f"{ob.tiktok_account.handle} rescheduled {ob.next_poll_at - now} ahead"
            for ob in pushed.select_related("tiktok_account")
            if ob.next_poll_at > now + 2 * POLL_BASE
        )
        pushed.update(next_poll_at=now)
        states = dict(MarketplaceOnboarding.objects.values_list("tiktok_account__handle", "state"))
        return states == expected

    _beat(dispatch_onboarding_polls, 1.0, all_polled, 150, "every due onboarding poll")
    assert not late, late
    dispatch_insights_polls.delay()
    wait_until(lambda: Credential.objects.get(pk=revoked.pk).status != Credential.Status.OK, timeout=60,
               message="the revoked grant to be marked")  # fmt: skip

    ends = {ob.tiktok_account.handle: ob.state for ob in MarketplaceOnboarding.objects.select_related("tiktok_account")}
    assert ends == {handle: expected for handle, (_, _, expected) in PERSONAS.items()}
    assert MarketplaceOnboarding.objects.count() == len(PERSONAS)  # one row per account, none duplicated

    invites = sandbox.requests(path="/tcm/creator/invite/")
    accepted = [r for r in invites if r.get("code") == "0"]
    truncated = [r for r in invites if r.get("code") == "malformed"]
    eligible = sum(1 for _, _, end in PERSONAS.values() if end == State.WAITING)
    # Each eligible creator invited; a second invite only where TikTok's reply to the first was cut off.
    assert eligible <= len(accepted) <= eligible + len(truncated)

    assert Credential.objects.get(pk=revoked.pk).status == Credential.Status.NEEDS_RECONNECT
    report_calls = sorted(sandbox.requests(path="/tto/tcm/report/"), key=lambda r: r["at"])
    auth_terminal = [r for r in report_calls if r.get("code") == "40105"]
    assert len(auth_terminal) == 1, report_calls
    assert report_calls[-1] is auth_terminal[0]  # nothing was sent after TikTok said the token is revoked


@requires_postgres("8 concurrent executors claim the same rows and refresh the same grants")
def test_eight_concurrent_workers_with_double_delivery_and_a_killed_worker_duplicate_nothing(
    sandbox, celery_redis, worker_factory
):
    from creators import flows
    from creators.tasks import poll_onboarding, refresh_creator_token

    sandbox.clear_rate_limits()
    _internal_tiktok_one_account(sandbox)
    grants = []
    for handle, email in (("demo.creator", "c1@example.test"), ("young.creator", "c2@example.test")):
        from django.contrib.auth import get_user_model

        user = get_user_model().objects.create_user(username=email, email=email, password="x-pass-123456")
        code = sandbox.helper(
            "authorize", handle=handle, client_key="sandbox-business-app", redirect_uri=flows.redirect_uri()
        )["code"]
        grants.append(flows.complete_authorization(user, code).credential_id)
    extra = _due_onboardings(["bc.owner", "market.star", "small.creator", "brand.business"])
    onboarding_ids = list(MarketplaceOnboarding.objects.values_list("pk", flat=True))
    MarketplaceOnboarding.objects.update(state=State.AUTHORIZED, next_poll_at=timezone.now())
    Credential.objects.filter(pk__in=grants).update(access_expires_at=timezone.now())  # due for refresh
    authorized_at = dict(Credential.objects.filter(pk__in=grants).values_list("pk", "last_refreshed_at"))
    sandbox.clear_requests()
    sandbox.add_fault(pattern="*/tto/tcm/creator/status/get/", latency_ms=1500)  # polls stay in flight a while
    assert len(onboarding_ids) == 6 and extra

    # 8 concurrent executors: one process with 4 threads, four single-thread processes.
    victim, *others = worker_factory(1, concurrency=4) + worker_factory(4, concurrency=1)
    sent = []
    for _ in range(2):  # every batch delivered twice
        sent += [poll_onboarding.delay(pk) for pk in onboarding_ids]
        sent += [refresh_creator_token.delay(pk) for pk in grants for _ in range(4)]

    # The kill waits until both rotations are saved. Killed during a rotation, a worker takes
    # the grant with it, as it would with TikTok: the refresh token it sent is spent once
    # TikTok answers, and the answer dies unsaved (see the test of a kill mid-refresh).
    def rotated():
        now = dict(Credential.objects.filter(pk__in=grants).values_list("pk", "last_refreshed_at"))
        return all(now[pk] != authorized_at[pk] for pk in grants)

    wait_until(rotated, timeout=60, message="both grants to be rotated")
    victim.kill()  # mid-batch: its claimed rows come back when their lease ends, never twice

    def settled():
        busy = MarketplaceOnboarding.objects.filter(state=State.AUTHORIZED, next_poll_at__lte=timezone.now())
        return not busy.exists() and all(w.alive for w in others)

    wait_until(settled, timeout=90, message="the surviving workers to drain the queues")
    # The visibility timeout passes: the dead worker's messages (and any still running) are
    # delivered again. Every message sent is then done by a survivor, none doing anything twice.
    redeliver_unacked(celery_redis)
    wait_until(lambda: all(r.ready() for r in sent), timeout=90, message="every message to be done")

    refreshes = sandbox.requests(path="/tt_user/oauth2/refresh_token/")
    assert len([r for r in refreshes if r.get("code") == "0"]) == len(grants)  # one rotation per grant
    for pk in grants:
        assert Credential.objects.get(pk=pk).status == Credential.Status.OK  # no grant lost to a rotation race
    invites_ok = _ok_responses(sandbox, "/tcm/creator/invite/")
    assert len(invites_ok) <= 3  # demo.creator, young.creator, bc.owner: at most one invite each
    assert MarketplaceOnboarding.objects.count() == 6
    leased = MarketplaceOnboarding.objects.filter(state=State.AUTHORIZED)
    assert all(ob.next_poll_at and ob.next_poll_at > timezone.now() for ob in leased)  # due again, not lost


def test_a_worker_killed_during_a_token_rotation_costs_the_grant_and_the_creator_is_asked_to_reconnect(
    sandbox, celery_redis, worker_factory
):
    """TikTok rotates refresh tokens: the one sent is spent when TikTok acts on the call. A
    worker that dies before saving the answer leaves the platform with a dead refresh token,
    and TikTok offers no way to read the new one. The platform owes an honest state: the
    grant is marked for reconnecting once, the creator is told, nothing keeps calling TikTok."""
    from django.contrib.auth import get_user_model

    from creators import flows
    from creators.tasks import refresh_creator_token

    user = get_user_model().objects.create_user(
        username="c1@example.test", email="c1@example.test", password="x-pass-1"
    )
    code = sandbox.helper(
        "authorize", handle="demo.creator", client_key="sandbox-business-app", redirect_uri=flows.redirect_uri()
    )["code"]
    account = flows.complete_authorization(user, code)
    Credential.objects.filter(pk=account.credential_id).update(access_expires_at=timezone.now())  # due for refresh
    saved = Credential.objects.get(pk=account.credential_id)
    refresh_path = "/tt_user/oauth2/refresh_token/"
    sandbox.clear_requests()
    rule = sandbox.add_fault(pattern=f"*{refresh_path}", latency_ms=3000, times=1)
    victim = worker_factory(1, concurrency=1, queues=["tokens"])[0]

    refresh_creator_token.delay(saved.pk)
    # The one-shot rule is used up when the call reaches TikTok, which acts on it after the latency.
    wait_until(lambda: not any(r["id"] == rule["id"] and r["times"] for r in sandbox.faults()), timeout=60,
               message="the refresh to reach TikTok")  # fmt: skip
    victim.kill()
    wait_until(lambda: sandbox.requests(path=refresh_path), timeout=30, message="TikTok to rotate the grant")
    kept = Credential.objects.get(pk=saved.pk)
    assert (kept.refresh_token, kept.status) == (saved.refresh_token, Credential.Status.OK)  # the new pair is lost

    worker_factory(1, concurrency=1, queues=["tokens"])
    assert refresh_creator_token.delay(saved.pk).get(timeout=60) == "needs reconnect"
    assert [r["code"] for r in sorted(sandbox.requests(path=refresh_path), key=lambda r: r["at"])] == ["0", "40107"]
    lost = Credential.objects.get(pk=saved.pk)
    assert lost.status == Credential.Status.NEEDS_RECONNECT and not lost.refresh_token
    onboarding = MarketplaceOnboarding.objects.get(tiktok_account=account)
    assert onboarding.state == State.DISCONNECTED and "Authorize TikTok again" in onboarding.notice
    # Nothing was retried: the task gives up on a rejected refresh token, and the grant is no longer due.
    assert refresh_creator_token.delay(saved.pk).get(timeout=60) == "gone"
    assert len(sandbox.requests(path=refresh_path)) == 2


def test_the_shared_rate_budget_holds_the_sandbox_window_under_the_limit_with_several_workers(
    sandbox, celery_redis, worker_factory
):
    from creators.tasks import dispatch_onboarding_polls
    from integrations.tiktok.tto import CREATOR_STATUS_BATCH

    limit = 2
    sandbox.clear_rate_limits()  # the sandbox would throttle on its own; here only our budget may hold the rate
    _internal_tiktok_one_account(sandbox)
    # 8 full status calls of 20 creators, for 8 executors at once: the budget must spread them.
    rows = _due_onboardings([f"rate.creator{i}" for i in range(8 * CREATOR_STATUS_BATCH)])
    sandbox.clear_requests()
    worker_factory(
        2, concurrency=4, TIKTOK_RATE_BUDGET_ENABLED="true", TIKTOK_RATE_QPS=str(limit),
        TIKTOK_RATE_BUDGET_MAX_WAIT="10",
    )  # fmt: skip

    ids = [r.pk for r in rows]
    _beat(
        dispatch_onboarding_polls, 2.0,
        lambda: not MarketplaceOnboarding.objects.filter(pk__in=ids, status_checked_at__isnull=True).exists(),
        120, "every poll of the run",
    )  # fmt: skip

    stats = sandbox.stats(window_seconds=1)["endpoints"]
    status_path = next(p for p in stats if p.endswith("/tto/tcm/creator/status/get/"))
    assert stats[status_path]["count"] >= len(rows) // CREATOR_STATUS_BATCH
    times = sorted(r["at"] for r in sandbox.requests(path="/tto/tcm/creator/status/get/"))
    assert stats[status_path]["max_in_window"] <= limit, (
        stats[status_path],
        " ".join(f"{t - times[0]:.3f}" for t in times),
    )


def test_a_worker_killed_whole_mid_poll_has_its_due_work_done_by_another_worker_within_twice_the_poll_interval(
    sandbox, celery_redis, private_redis, worker_factory, settings, request
):
    """kill -9 of the main process and its pool children: nothing acknowledges or hands back
    the messages, so Redis keeps them unacked for the visibility timeout. The rows they
    claimed are due again when the claim's lease ends; beat's dispatcher re-claims them then."""
    import redis as redis_lib
    from django.db.models import F

    from creators.marketplace import CLAIM_LEASE, DISPATCH_LEASE, POLL_BASE
    from creators.tasks import dispatch_onboarding_polls
    from integrations.tiktok.tto import CREATOR_STATUS_BATCH

    _internal_tiktok_one_account(sandbox)
    handles = ["demo.creator", "young.creator", "market.star"]
    ids = [row.pk for row in _due_onboardings(handles)]
    batches = -(-len(ids) // CREATOR_STATUS_BATCH)  # the dispatcher asks TikTok about 20 a call
    sandbox.clear_requests()
    # TikTok hangs for the victim: it dies holding its claims, in the middle of its calls.
    hanging = BlackHole()
    request.addfinalizer(hanging.close)
    victim = worker_factory(1, pool="prefork", concurrency=len(ids), queues=["invites"],
                            TIKTOK_BUSINESS_API_BASE_URL=hanging.url, TIKTOK_HTTP_TIMEOUT="60")[0]  # fmt: skip

    dispatch_onboarding_polls.delay()  # what beat sends
    polling = MarketplaceOnboarding.objects.filter(
        pk__in=ids, state=State.AUTHORIZED, next_poll_at__gt=timezone.now() + DISPATCH_LEASE + timedelta(minutes=1)
    )
    wait_until(lambda: polling.count() == len(ids) and hanging.calls == batches, timeout=180,
               message="the victim's polls to claim every row and call TikTok")  # fmt: skip
    held = victim.unfinished_tasks()
    assert len(held) == batches

    processes = victim.processes()
    assert len(processes) == 1 + len(ids)  # the main process and its pool children
    killed_at = timezone.now()
    victim.kill()
    assert not processes & victim.processes()

    # Nothing hands the messages back: they wait in Redis for the visibility timeout (hours)...
    broker = redis_lib.Redis.from_url(private_redis)
    assert broker.hlen("unacked") == batches
    # ...and while the dead claims hold, the dispatcher sends no second poll.
    assert dispatch_onboarding_polls.apply().get() == 0

    # Each row is due again when its claim ends, at most CLAIM_LEASE after the kill.
    held_until = max(MarketplaceOnboarding.objects.filter(pk__in=ids).values_list("next_poll_at", flat=True))
    assert held_until <= killed_at + CLAIM_LEASE
    # Time passes to the end of the claims (rows are what the clock is read against).
    MarketplaceOnboarding.objects.filter(pk__in=ids).update(next_poll_at=F("next_poll_at") - (held_until - killed_at))

    rescuer = worker_factory(1, concurrency=2)[0]
    started = time.monotonic()
    expected = {handle: PERSONAS[handle][2] for handle in handles}

    def polled():
        return dict(MarketplaceOnboarding.objects.values_list("tiktok_account__handle", "state")) == expected

    _beat(dispatch_onboarding_polls, 1.0, polled, 60, "the rescuer to poll the dead worker's rows")
    work = timedelta(seconds=time.monotonic() - started)
    beat_every = timedelta(seconds=POLLERS["marketplace"].every)
    # Dead claim + the next beat + the work itself: due work is done within twice the poll interval.
    assert (held_until - killed_at) + beat_every + work <= 2 * POLL_BASE

    done = [task for task, event, _ in rescuer.task_events("creators.tasks.poll_onboardings") if event == "succeeded"]
    assert len(done) >= batches
    invited = _ok_responses(sandbox, "/tcm/creator/invite/")
    assert len(invited) == sum(1 for h in handles if expected[h] == State.WAITING)  # once each, never twice

    # Hours later the visibility timeout hands the dead worker's messages out again: they find
    # their rows polled and do nothing.
    assert redeliver_unacked(celery_redis) >= batches

    # Each finds its rows polled by another worker and claims none of them (a poll's result is
    # not stored: the worker's log shows what each returned).
    def finished() -> list[re.Match[str] | None]:
        return [re.search(rf"\[{task}\] succeeded in [\d.]+s: (.*)", rescuer.log()) for task in held]

    wait_until(lambda: all(finished()), timeout=60, message="the redelivered polls to finish")
    assert [match.group(1) for match in finished() if match] == ["{}"] * batches
    assert _ok_responses(sandbox, "/tcm/creator/invite/") == invited
    assert dict(MarketplaceOnboarding.objects.values_list("tiktok_account__handle", "state")) == expected
    assert len(sandbox.requests(path="/tto/tcm/creator/status/get/")) == batches  # the rescuer's, one per batch


def test_under_full_throttling_a_poll_makes_one_call_per_run_and_never_retries_before_the_back_off(
    sandbox, celery_redis, worker_factory
):
    """Every API for Business call answers 40100. A poll's task run sends one call (the
    transport does not retry a throttled call inside a task) and the task retries after
    TikTokTask's back-off (30 s, doubling), at most `max_retries` times: a poll costs at most
    1 + max_retries calls, spread over about a quarter of an hour."""
    from creators.tasks import poll_onboarding
    from integrations.polling import RETRY_BASE_SECONDS, TikTokTask

    status_path = "/tto/tcm/creator/status/get/"
    _internal_tiktok_one_account(sandbox)
    first, last = (row.pk for row in _due_onboardings(["demo.creator", "young.creator"]))
    sandbox.clear_requests()
    since = time.time()  # the sandbox logs a call's arrival by this machine's clock
    sandbox.add_fault(pattern="/open_api/*", error_40100=1.0)
    # The transport's own retries stay at their defaults: a throttled call retried in-process shows here.
    worker = worker_factory(1, concurrency=2, TIKTOK_RATE_BUDGET_ENABLED="true")[0]
    poll = "creators.tasks.poll_onboarding"

    def ends(task_id: str) -> list[tuple[str, float | None]]:
        """How each run of the task ended: (succeeded | retry | raised, retry countdown)."""
        return [(e, countdown) for tid, e, countdown in worker.task_events(poll) if tid == task_id and e != "received"]

    # The first run of a poll.
    chain = poll_onboarding.delay(first).id
    wait_until(lambda: ends(chain), timeout=60, message="the first run to end")
    # The last run a poll may have.
    final = poll_onboarding.apply_async((last,), retries=TikTokTask.max_retries).id
    wait_until(lambda: ends(final), timeout=60, message="the last run to end")

    calls = sorted((r for r in sandbox.requests(path="/open_api/") if r["at"] >= since), key=lambda r: r["at"])
    assert [(r["path"].endswith(status_path), r["code"]) for r in calls] == [(True, "40100")] * 2
    assert [e for e, _ in ends(final)] == ["raised"]  # gives up: no further run
    [(e, first_wait)] = ends(chain)
    assert e == "retry" and first_wait is not None and first_wait >= RETRY_BASE_SECONDS

    # The retry comes after its back-off, not at once; it too sends one call and backs off longer.
    wait_until(lambda: len(ends(chain)) == 2, timeout=RETRY_BASE_SECONDS * 1.25 + 30, message="the retry to run")
    calls = sorted((r for r in sandbox.requests(path="/open_api/") if r["at"] >= since), key=lambda r: r["at"])
    assert len(calls) == 3 and all(r["code"] == "40100" for r in calls)
    assert calls[2]["at"] - calls[0]["at"] >= RETRY_BASE_SECONDS
    [_, (e, second_wait)] = ends(chain)
    assert e == "retry" and second_wait is not None and second_wait >= 2 * RETRY_BASE_SECONDS > first_wait
