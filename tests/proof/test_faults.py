"""Faults and concurrency against real Celery workers, Redis and the live sandbox.

Tests act as Celery beat where a schedule would otherwise take minutes: they send the
dispatcher task (what beat sends) to the workers; everything else is the workers' own doing.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from creators.models import MarketplaceOnboarding
from integrations.models import Credential, TikTokAccount, TikTokOneAccount
from tests.proof.harness import requires_postgres, wait_until

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
    sandbox.clear_requests()
    assert len(onboarding_ids) == 6 and extra

    # 8 concurrent executors: one process with 4 threads, four single-thread processes.
    victim, *others = worker_factory(1, concurrency=4) + worker_factory(4, concurrency=1)
    for _ in range(2):  # every batch delivered twice
        for pk in onboarding_ids:
            poll_onboarding.delay(pk)
        for pk in grants:
            for _ in range(4):
                refresh_creator_token.delay(pk)
    time.sleep(0.5)
    victim.kill()  # mid-batch: its claimed rows come back when their lease ends, never twice

    def settled():
        busy = MarketplaceOnboarding.objects.filter(state=State.AUTHORIZED, next_poll_at__lte=timezone.now())
        return not busy.exists() and all(w.alive for w in others)

    wait_until(settled, timeout=90, message="the surviving workers to drain the queues")
    time.sleep(2)  # let the last duplicate deliveries finish (they find nothing to do)

    refreshes = sandbox.requests(path="/tt_user/oauth2/refresh_token/")
    assert len([r for r in refreshes if r.get("code") == "0"]) == len(grants)  # one rotation per grant
    for pk in grants:
        assert Credential.objects.get(pk=pk).status == Credential.Status.OK  # no grant lost to a rotation race
    invites_ok = _ok_responses(sandbox, "/tcm/creator/invite/")
    assert len(invites_ok) <= 3  # demo.creator, young.creator, bc.owner: at most one invite each
    assert MarketplaceOnboarding.objects.count() == 6
    leased = MarketplaceOnboarding.objects.filter(state=State.AUTHORIZED)
    assert all(ob.next_poll_at and ob.next_poll_at > timezone.now() for ob in leased)  # due again, not lost


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
