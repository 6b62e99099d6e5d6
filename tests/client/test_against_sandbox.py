"""The client over real HTTP against a live sandbox (docs/sandbox.md is the contract)."""

from __future__ import annotations

import json
import multiprocessing
import threading
import time
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from integrations.models import Credential
from integrations.tiktok import BusinessClient, Kind, TikTokError, items, iter_pages
from integrations.tiktok.tokens import apply_grant, refresh_credential

from .sandbox_worker import call_bc_get

pytestmark = pytest.mark.integration

REDIRECT = "https://platform.example/tiktok/callback/"
TTO = "7200000000000000001"
ADVERTISERS = ["7300000000000000001", "7300000000000000002"]
BC = "7400000000000000001"
CAMPAIGN = "7900000000000000001"


class Control:
    """The sandbox's JSON control API (stdlib HTTP: only integrations.tiktok uses requests)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def __call__(self, method: str, path: str, body: dict | None = None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(
            f"{self.base_url}/sandbox/api/{path}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=30) as resp:
            return json.loads(resp.read() or b"null")

    def stats(self, path: str, window_seconds: float = 1) -> dict:
        data = self("GET", f"requests/stats?window_seconds={window_seconds}")
        return (data.get("endpoints") or {}).get(path) or {}

    def fault(self, **rule) -> None:
        self("POST", "faults", rule)

    def no_business_qps_limit(self) -> None:
        self("DELETE", "rate-limits/app")


@pytest.fixture
def control(live_sandbox):
    return Control(live_sandbox)


@pytest.fixture
def brand_token(control):
    code = control("POST", "helpers/portal-auth", {"persona": "demo-brand", "redirect_uri": REDIRECT})["auth_code"]
    return BusinessClient().oauth2_access_token(code).access_token


@pytest.fixture
def unthrottled(control):
    """Fault tests count retries exactly, so the sandbox's own QPS limit must not add any."""
    control.no_business_qps_limit()
    return control


def creator_code(control, client_key: str, handle: str = "demo.creator") -> str:
    return control("POST", "helpers/authorize", {"handle": handle, "client_key": client_key, "redirect_uri": REDIRECT})[
        "code"
    ]


# --- OAuth flows ---------------------------------------------------------------------------


def test_the_brand_connect_flow_reaches_accounts_and_a_revoked_token_needs_reconnect(control, settings):
    code = control("POST", "helpers/portal-auth", {"persona": "demo-brand", "redirect_uri": REDIRECT})["auth_code"]
    grant = BusinessClient().oauth2_access_token(code)
    client = BusinessClient(grant.access_token)

    assert sorted(grant.advertiser_ids) == ADVERTISERS
    assert client.tto_oauth2_tcm() == [TTO]
    assert client.tto_oauth2_info(TTO)["business_verification_status"] == "VERIFIED"
    assert {a["advertiser_id"] for a in client.advertiser_info(grant.advertiser_ids)} == set(ADVERTISERS)
    assert BC in {b["bc_info"]["bc_id"] for b in items(iter_pages(lambda p: client.bc_get(page=p)))}
    assets = client.bc_asset_get(BC, "ADVERTISER")["list"]
    assert {a["asset_id"]: a["relation_status"] for a in assets} == dict.fromkeys(ADVERTISERS, "BOUND")

    BusinessClient().oauth2_revoke_token(grant.access_token)
    with pytest.raises(TikTokError) as caught:
        client.bc_get()
    assert caught.value.needs_reconnect and caught.value.code == 40105


def test_an_auth_code_is_single_use(control):
    code = control("POST", "helpers/portal-auth", {"persona": "demo-brand", "redirect_uri": REDIRECT})["auth_code"]
    BusinessClient().oauth2_access_token(code)

    with pytest.raises(TikTokError) as caught:
        BusinessClient().oauth2_access_token(code)
    assert caught.value.kind == Kind.PERMANENT and caught.value.request_id


def test_the_creator_flow_through_the_business_app_yields_a_creator_id(control, settings):
    grant = BusinessClient().tt_user_oauth2_token(creator_code(control, settings.TIKTOK_APP_ID), REDIRECT)

    info = BusinessClient().tt_user_token_info_get(grant.access_token)
    renewed = BusinessClient().tt_user_oauth2_refresh_token(grant.refresh_token)

    assert grant.expires_in == 86400 and grant.refresh_expires_in
    assert info["creator_id"] == "7500000000000000001"
    assert renewed.access_token != grant.access_token
    with pytest.raises(TikTokError):
        BusinessClient().tt_user_oauth2_refresh_token(grant.refresh_token)


# --- Endpoint shapes -----------------------------------------------------------------------


def test_tiktok_one_endpoints_answer_in_tiktoks_shape(control, brand_token):
    client = BusinessClient(brand_token)

    statuses = client.tto_tcm_creator_status_get(TTO, ["demo.creator", "market.star"])
    found = client.tto_tcm_creator_discover(TTO, min_followers=10000, page_size=5)
    public = client.tto_tcm_creator_public(TTO, "market.star")
    campaigns = client.tto_tcm_campaign_get(TTO)
    report = client.tto_tcm_report(TTO, CAMPAIGN, page=1, page_size=10)

    assert {s["handle_name"]: s["status"] for s in statuses} == {"demo.creator": "NOT_IN", "market.star": "IN"}
    assert found["creators"] and found["page_info"]["total_page"] >= 1
    assert public["handle_name"] == "market.star"
    assert CAMPAIGN in {c["campaign_id"] for c in campaigns["campaigns"]}
    assert report["videos"] and "page_info" in report


def test_a_campaign_can_be_created_and_creators_invited(control, brand_token):
    client = BusinessClient(brand_token)

    campaign = client.tto_tcm_campaign_create(
        TTO, campaign_name="Summer", brand_name="Demo Brand", advertiser_ids=[ADVERTISERS[0]]
    )
    invite = client.tcm_creator_invite(TTO, ["demo.creator", "small.creator"])

    assert campaign["campaign_id"] and campaign["invite_link"]
    assert "demo.creator" in invite["invited"] and "small.creator" in invite["rejected"]
    assert client.tto_tcm_creator_status_get(TTO, ["demo.creator"])[0]["status"] == "INVITED"


def test_business_center_and_spark_endpoints_answer_in_tiktoks_shape(control, brand_token):
    client = BusinessClient(brand_token)

    members = client.bc_member_get(BC)
    link = client.bc_asset_account_authorization(BC)
    identities = client.identity_get(ADVERTISERS[0], identity_type="BC_AUTH_TT", identity_authorized_bc_id=BC)

    assert {m["user_role"] for m in members["list"]} == {"ADMIN", "STANDARD"}
    assert link.startswith("http")
    assert identities["identity_list"] == [] and identities["page_info"]["total_number"] == 0


# --- Faults --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fault",
    [{"error_40100": 1}, {"http_429": 1}, {"http_5xx": 1, "status_5xx": 503}, {"malformed_json": 1}],
    ids=["40100", "http429", "http503", "malformed_json"],
)
def test_injected_faults_are_classified_transient_and_retried(control, unthrottled, brand_token, sleeps, fault):
    control.fault(pattern="/open_api/v1.3/bc/get/", times=2, **fault)

    data = BusinessClient(brand_token).bc_get()

    assert data["list"]
    assert len(sleeps) == 2  # two failures, two backoffs, then success


def test_a_hang_times_out_and_is_retried(control, unthrottled, brand_token, sleeps, settings):
    settings.TIKTOK_HTTP_TIMEOUT = 1
    control.fault(pattern="/open_api/v1.3/tto/oauth2/info/", times=1, hang=1, hang_seconds=2)

    assert BusinessClient(brand_token).tto_oauth2_info(TTO)["account_name"]
    assert len(sleeps) == 1
    time.sleep(1.5)  # let the hung request finish here, not inside the next test


def test_persistent_faults_end_in_a_transient_error(control, unthrottled, brand_token, sleeps, settings):
    settings.TIKTOK_MAX_RETRIES = 2
    control.fault(pattern="/open_api/v1.3/bc/get/", http_5xx=1)

    with pytest.raises(TikTokError) as caught:
        BusinessClient(brand_token).bc_get()

    assert caught.value.kind == Kind.TRANSIENT
    # Only 500s count: a hang from an earlier test may still finish (504) inside this one.
    assert control.stats("/open_api/v1.3/bc/get/")["statuses"]["500"] == 3


# --- The refresh race ----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_eight_concurrent_refreshes_reach_the_sandbox_once(control, settings):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite has no row locks (set DATABASE_URL=postgres://...)")
    grant = BusinessClient().tt_user_oauth2_token(creator_code(control, settings.TIKTOK_APP_ID), REDIRECT)
    cred = apply_grant(Credential(kind=Credential.Kind.TT_USER), grant)
    Credential.objects.filter(pk=cred.pk).update(access_expires_at=timezone.now() - timedelta(minutes=1))
    control("DELETE", "requests")
    barrier = threading.Barrier(8)

    def caller(_):
        try:
            barrier.wait()
            return refresh_credential(cred.pk).access_token
        finally:
            connection.close()

    with ThreadPoolExecutor(8) as pool:
        tokens = set(pool.map(caller, range(8)))

    cred.refresh_from_db()
    assert control.stats("/open_api/v1.3/tt_user/oauth2/refresh_token/")["count"] == 1
    assert tokens == {cred.access_token} and cred.access_token != grant.access_token
    assert cred.status == Credential.Status.OK
    assert BusinessClient().tt_user_token_info_get(cred.access_token)["creator_id"] == "7500000000000000001"


# --- The rate budget across processes ------------------------------------------------------


def test_the_sandboxs_counters_never_exceed_the_tier_under_the_clients_budget(
    control, brand_token, live_sandbox, settings
):
    # Both sides at the Basic tier: the sandbox counts every API for Business call of the app
    # on arrival, in sliding windows; three platform processes share one paced budget.
    env = _basic_tier_process_env(live_sandbox, settings)
    assert control("POST", "rate-limits/app", {"tier": "basic"})["qps"] == 10
    control("DELETE", "requests")

    with multiprocessing.get_context("spawn").Pool(3) as pool:
        outcomes = pool.starmap(call_bc_get, [(env, brand_token, 12)] * 3)

    per_second = control("GET", "requests/stats?window_seconds=1")["app"]
    per_minute = control("GET", "requests/stats?window_seconds=60")["app"]
    assert [o for run in outcomes for o in run] == ["ok"] * 36  # nothing throttled, nothing failed
    assert per_second["count"] == 36 and per_second["throttled"] == 0
    assert per_second["max_in_window"] <= 10
    assert per_minute["max_in_window"] <= 600


def _basic_tier_process_env(live_sandbox: str, settings) -> dict[str, str]:
    """A platform process at the Basic tier with its own rate budget, pointed at the sandbox."""
    return {
        "DJANGO_SETTINGS_MODULE": "aspire_tiktok.settings",
        "DJANGO_ENV": "test",
        "TIKTOK_BUSINESS_API_BASE_URL": live_sandbox,
        "TIKTOK_AUTH_BASE_URL": live_sandbox,
        "TIKTOK_RATE_BUDGET_ENABLED": "true",
        "TIKTOK_API_TIER": "basic",
        "TIKTOK_RATE_BUDGET_KEY_PREFIX": f"test:tiktok:{uuid.uuid4().hex}",
        "TIKTOK_RATE_BUDGET_MAX_WAIT": "60",
        "TIKTOK_MAX_RETRIES": "0",
        "REDIS_URL": settings.REDIS_URL,
    }


def _burn(seconds: float) -> None:
    """Keep one core busy: the platform's processes then lose the CPU between grant and send."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


def test_on_a_loaded_cpu_the_sandbox_counts_no_call_over_the_tier(control, brand_token, live_sandbox, settings):
    env = _basic_tier_process_env(live_sandbox, settings)
    assert control("POST", "rate-limits/app", {"tier": "basic"})["qps"] == 10
    control("DELETE", "requests")
    spawn = multiprocessing.get_context("spawn")
    burners = [spawn.Process(target=_burn, args=(30.0,)) for _ in range(4)]
    for burner in burners:
        burner.start()
    try:
        with spawn.Pool(6) as pool:
            outcomes = pool.starmap(call_bc_get, [(env, brand_token, 10)] * 6)
    finally:
        for burner in burners:
            burner.terminate()
            burner.join()

    per_second = control("GET", "requests/stats?window_seconds=1")["app"]
    assert per_second["throttled"] == 0 and per_second["max_in_window"] <= 10
    assert [o for run in outcomes for o in run] == ["ok"] * 60


@pytest.mark.parametrize(
    ("limits", "told"),
    [
        ({"qps": 1}, lambda: 1.0),
        ({"qps": 100, "qpm": 1}, lambda: 300.0),
        ({"qps": 100, "qpm": 100, "per_day": 1}, lambda: _seconds_to_utc_midnight()),
    ],
    ids=["qps", "qpm", "daily"],
)
def test_the_client_reads_each_window_from_the_sandboxs_40100_and_backs_off_as_tiktok_says(
    control, brand_token, settings, sleeps, limits, told
):
    settings.TIKTOK_MAX_RETRIES = 0
    control("POST", "rate-limits/app", {"tier": "basic", **limits})
    client = BusinessClient(brand_token)
    client.bc_get()

    with pytest.raises(TikTokError) as caught:
        client.bc_get()

    assert caught.value.code == 40100
    assert caught.value.retry_after == pytest.approx(told(), abs=1.0)


def test_after_the_daily_quota_no_process_calls_tiktok_again_today(control, brand_token, settings, rate_prefix, sleeps):
    settings.TIKTOK_RATE_BUDGET_ENABLED = True
    settings.TIKTOK_RATE_QPS = settings.TIKTOK_RATE_QPM = 0  # our budget knows no daily quota this low
    control("POST", "rate-limits/app", {"tier": "basic", "per_day": 1})
    BusinessClient(brand_token).bc_get()
    with pytest.raises(TikTokError) as told:
        BusinessClient(brand_token).bc_get()
    sent = control.stats("/open_api/v1.3/bc/get/")["count"]

    with pytest.raises(TikTokError) as held:
        BusinessClient(brand_token).bc_get()

    assert told.value.code == 40100
    assert held.value.code == "local_rate_budget" and held.value.sent is False
    assert held.value.retry_after == pytest.approx(_seconds_to_utc_midnight(), abs=2.0)
    assert control.stats("/open_api/v1.3/bc/get/")["count"] == sent


def _seconds_to_utc_midnight() -> float:
    now = timezone.now()
    return (now.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1) - now).total_seconds()
