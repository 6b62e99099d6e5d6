"""The transport: envelopes, the error table, retries, encodings, and what it logs."""

from __future__ import annotations

import logging

import pytest
import requests

from integrations.tiktok import BusinessClient, Kind, TikTokError
from integrations.tiktok.errors import classify
from integrations.tiktok.transport import encode_query

from .conftest import fail, ok

TOKEN = "act.SECRET-token-value-123"


@pytest.mark.parametrize("code", [40100, 40132, 40200, 40201, 40202, 40700, 50000, 50002])
def test_it_classifies_every_retryable_business_code_as_transient(code):
    assert classify(code) == Kind.TRANSIENT


@pytest.mark.parametrize(
    ("code", "status", "kind"),
    [
        (40102, 200, Kind.AUTH),
        (40105, 200, Kind.AUTH),
        (None, 429, Kind.TRANSIENT),
        (None, 503, Kind.TRANSIENT),
        (40104, 200, Kind.AUTH),
        (40103, 200, Kind.AUTH),
        (40107, 200, Kind.AUTH),
        (40001, 200, Kind.PERMANENT),
        (40000, 200, Kind.PERMANENT),
        (40002, 200, Kind.PERMANENT),
        (40110, 200, Kind.PERMANENT),
        (40121, 200, Kind.PERMANENT),
        (40130, 200, Kind.PERMANENT),
        (40400, 200, Kind.PERMANENT),
        (41001, 200, Kind.PERMANENT),
        (40001, 403, Kind.PERMANENT),
    ],
)
def test_it_classifies_codes_and_statuses_from_one_table(code, status, kind):
    assert classify(code, status) == kind


PREDICATES = [
    "is_permission_error",
    "is_param_error",
    "is_auth_code_error",
    "is_not_tcm_creator",
    "is_scope_missing",
    "is_interface_offline",
    "is_endpoint_gone",
    "is_campaign_gone",
]


@pytest.mark.parametrize(
    ("code", "message", "meanings"),
    [
        (40001, "No permission to operate advertiser 73.", {"is_permission_error"}),
        (40000, "Invalid params.", {"is_param_error"}),
        (40002, "handle_names: Missing data for required field.", {"is_param_error"}),
        (40110, "auth_code is invalid: Authorization code has been used.", {"is_auth_code_error"}),
        (40121, "The creator is not a TCM creator.", {"is_not_tcm_creator"}),
        (40122, "TCM creator invalid country.", {"is_not_tcm_creator"}),
        (40130, "The scope video.list is not authorized.", {"is_scope_missing"}),
        (41001, "The interface is offline.", {"is_interface_offline", "is_endpoint_gone"}),
        (41002, "The fields are offline.", {"is_interface_offline", "is_endpoint_gone"}),
        (40400, "Path is not found.", {"is_endpoint_gone"}),
        (40001, "campaign_id doesn't exist.", {"is_permission_error", "is_campaign_gone"}),
        (40007, "Campaign not exist.", {"is_campaign_gone"}),
    ],
)
def test_tiktoks_code_table_gives_each_failure_its_meaning(code, message, meanings):
    exc = TikTokError(message, code=code)
    assert {p for p in PREDICATES if getattr(exc, p)} == meanings


def test_an_http_404_page_without_a_code_says_the_endpoint_is_gone_and_another_status_does_not():
    assert TikTokError("HTTP 404", http_status=404).is_endpoint_gone
    assert not TikTokError("HTTP 403", http_status=403).is_endpoint_gone
    assert not TikTokError("campaign_id doesn't exist.", code=40001, http_status=200).is_endpoint_gone


def test_a_40001_about_something_else_does_not_end_a_campaign():
    assert not TikTokError("No permission to operate advertiser 73.", code=40001).is_campaign_gone
    assert not TikTokError("start_date: Must be YYYY-MM-DD.", code=40002).is_campaign_gone


@pytest.mark.parametrize(("code", "expired"), [(40102, True), (40104, False), (40105, False), (40107, False)])
def test_only_an_expired_access_token_is_worth_a_refresh(code, expired):
    exc = TikTokError("token", code=code)
    assert (exc.is_expired, exc.needs_reconnect) == (expired, not expired)


def test_it_retries_a_40100_after_the_second_tiktok_asks_for_then_returns_the_data(mocked, biz, sleeps):
    mocked.get(biz("tto/oauth2/info/"), json=fail(40100, "App reaches the QPS limit."))
    mocked.get(biz("tto/oauth2/info/"), json=fail(40100, "App reaches the QPS limit."))
    mocked.get(biz("tto/oauth2/info/"), json=ok({"account_name": "Demo"}))

    info = BusinessClient(TOKEN).tto_oauth2_info("7200000000000000001")

    assert info == {"account_name": "Demo"}
    assert len(mocked.calls) == 3
    assert sleeps == [1.0, 1.0]  # TikTok: back off 1 s after the QPS limit


def test_it_retries_a_system_error_with_backoff_then_returns_the_data(mocked, biz, sleeps):
    mocked.get(biz("tto/oauth2/info/"), json=fail(50000, "System error"))
    mocked.get(biz("tto/oauth2/info/"), json=fail(50000, "System error"))
    mocked.get(biz("tto/oauth2/info/"), json=ok({"account_name": "Demo"}))

    info = BusinessClient(TOKEN).tto_oauth2_info("7200000000000000001")

    assert info == {"account_name": "Demo"}
    assert len(sleeps) == 2
    # Base 0.5 s doubling per attempt, with jitter in the upper half of each step.
    assert 0.25 <= sleeps[0] <= 0.5 <= sleeps[1] <= 1.0


def test_it_gives_up_after_max_retries_with_a_transient_error(mocked, biz, sleeps, settings):
    settings.TIKTOK_MAX_RETRIES = 2
    for _ in range(3):
        mocked.get(biz("bc/get/"), json=fail(50000, "System error"), status=500)

    with pytest.raises(TikTokError) as caught:
        BusinessClient(TOKEN).bc_get()

    assert caught.value.kind == Kind.TRANSIENT
    assert caught.value.code == 50000
    assert caught.value.request_id == "req-err"
    assert len(sleeps) == 2


def test_it_honours_retry_after_on_a_429_without_an_envelope(mocked, biz, sleeps):
    # A gateway in front of TikTok can refuse with a bare 429 and say how long to stay away.
    mocked.get(biz("bc/get/"), status=429, headers={"Retry-After": "7"}, body="Too Many Requests")
    mocked.get(biz("bc/get/"), json=ok({"list": [{"bc_info": {"bc_id": "1"}}]}))

    data = BusinessClient(TOKEN).bc_get()

    assert data == {"list": [{"bc_info": {"bc_id": "1"}}]}
    assert sleeps == [7.0]


def test_it_raises_instead_of_sleeping_through_a_long_retry_after(mocked, biz, sleeps):
    mocked.get(biz("bc/get/"), status=429, headers={"Retry-After": "120"}, json=fail(40100))

    with pytest.raises(TikTokError) as caught:
        BusinessClient(TOKEN).bc_get()

    assert caught.value.kind == Kind.TRANSIENT
    assert caught.value.retry_after == 120.0
    assert sleeps == []


def test_it_retries_timeouts_and_connection_resets(mocked, biz, sleeps):
    mocked.get(biz("bc/get/"), body=requests.ReadTimeout("read timed out"))
    mocked.get(biz("bc/get/"), body=requests.ConnectionError("Connection reset by peer"))
    mocked.get(biz("bc/get/"), json=ok({"list": []}))

    assert BusinessClient(TOKEN).bc_get() == {"list": []}
    assert len(sleeps) == 2


def test_it_retries_malformed_json_then_reports_it_as_transient(mocked, biz, sleeps, settings):
    settings.TIKTOK_MAX_RETRIES = 1
    mocked.get(biz("bc/get/"), body='{"code": 0, "data": {"li')
    mocked.get(biz("bc/get/"), body="<html>oops</html>")

    with pytest.raises(TikTokError) as caught:
        BusinessClient(TOKEN).bc_get()

    assert caught.value.kind == Kind.TRANSIENT
    assert caught.value.code == "malformed_json"


def test_it_does_not_retry_a_permanent_error(mocked, biz, sleeps):
    mocked.get(
        biz("advertiser/info/"), json=fail(40001, "advertiser 1 doesn't exist or has been deleted.", request_id="rq-9")
    )

    with pytest.raises(TikTokError) as caught:
        BusinessClient(TOKEN).advertiser_info(["1"])

    assert caught.value.kind == Kind.PERMANENT
    assert caught.value.request_id == "rq-9"
    assert "doesn't exist" in caught.value.message
    assert sleeps == []


def test_it_reports_40105_as_an_auth_error_needing_reconnect(mocked, biz, sleeps):
    mocked.get(biz("bc/get/"), json=fail(40105, "Access token is incorrect or has been revoked."))

    with pytest.raises(TikTokError) as caught:
        BusinessClient(TOKEN).bc_get()

    assert caught.value.kind == Kind.AUTH
    assert caught.value.needs_reconnect and not caught.value.is_expired


def test_it_reports_40102_as_an_expired_token(mocked, biz):
    mocked.get(biz("tto/creator/link/request/get/"), json=fail(40102, "Access token has expired."))

    with pytest.raises(TikTokError) as caught:
        BusinessClient(TOKEN).tto_creator_link_request_get("c1", "https://link")

    assert caught.value.is_expired


def test_it_reads_a_refused_creator_code_from_the_business_envelope(mocked, biz, sleeps):
    mocked.post(
        biz("tt_user/oauth2/token/"),
        json=fail(40110, "auth_code is invalid: Authorization code is expired.", request_id="rq-oauth"),
    )

    with pytest.raises(TikTokError) as caught:
        BusinessClient().tt_user_oauth2_token("code-1", "https://example.test/creators/callback/")

    error = caught.value
    assert (error.kind, error.code, error.request_id) == (Kind.PERMANENT, 40110, "rq-oauth")
    assert error.is_auth_code_error and sleeps == []


def test_it_does_not_resend_a_write_after_a_read_timeout(mocked, biz, sleeps):
    mocked.post(biz("tto/tcm/campaign/create/"), body=requests.ReadTimeout("timed out"))

    with pytest.raises(TikTokError) as caught:
        BusinessClient(TOKEN).tto_tcm_campaign_create("1", campaign_name="C", brand_name="B")

    assert caught.value.kind == Kind.TRANSIENT
    assert len(mocked.calls) == 1 and sleeps == []


def test_it_resends_a_write_that_tiktok_throttled(mocked, biz, sleeps):
    mocked.post(biz("tto/tcm/campaign/create/"), json=fail(40100))
    mocked.post(biz("tto/tcm/campaign/create/"), json=ok({"campaign_id": "79", "invite_link": "https://l"}))

    result = BusinessClient(TOKEN).tto_tcm_campaign_create("1", campaign_name="C", brand_name="B")

    assert result["invite_link"] == "https://l"


def test_it_sends_the_business_token_in_access_token_without_bearer(mocked, biz):
    mocked.get(biz("bc/get/"), json=ok({"list": []}))

    BusinessClient(TOKEN).bc_get()

    headers = mocked.calls[0].request.headers
    assert headers["Access-Token"] == TOKEN
    assert "Authorization" not in headers


def test_it_sets_a_timeout_on_every_call(mocked, biz, settings):
    settings.TIKTOK_HTTP_TIMEOUT = 3.5
    mocked.get(biz("bc/get/"), json=ok({"list": []}))

    BusinessClient(TOKEN).bc_get()

    assert mocked.calls[0].request.req_kwargs["timeout"] == 3.5


def test_it_json_encodes_arrays_and_objects_in_the_query_string():
    assert encode_query({"ids": ["1", "2"], "filtering": {"keyword": "a b"}, "flag": True, "skip": None, "n": 3}) == {
        "ids": '["1","2"]',
        "filtering": '{"keyword":"a b"}',
        "flag": "true",
        "n": "3",
    }


def test_it_keeps_tokens_secrets_and_codes_out_of_logs_and_errors(mocked, biz, sleeps, caplog, settings):
    caplog.set_level(logging.DEBUG)
    settings.TIKTOK_MAX_RETRIES = 1
    mocked.get(
        biz("oauth2/advertiser/get/"), body=requests.ConnectionError(f"url ?secret={settings.TIKTOK_APP_SECRET}")
    )
    mocked.get(biz("oauth2/advertiser/get/"), json=fail(40105, "revoked"))
    mocked.post(biz("oauth2/access_token/"), json=fail(40001, "auth_code is invalid"))
    mocked.post(
        biz("tt_user/oauth2/token/"),
        json=ok({"access_token": TOKEN, "refresh_token": "rft.SECRET", "expires_in": 86400, "open_id": "o"}),
    )

    errors = []
    for call in (
        lambda: BusinessClient(TOKEN).oauth2_advertiser_get(),
        lambda: BusinessClient().oauth2_access_token("AUTHCODE-SECRET"),
    ):
        with pytest.raises(TikTokError) as caught:
            call()
        errors.append(f"{caught.value} {caught.value!r}")
    grant = BusinessClient().tt_user_oauth2_token("AUTHCODE-SECRET", "https://example.test/creators/callback/")

    text = caplog.text + " ".join(errors) + repr(grant)
    assert "outcome=retry" in caplog.text and "request_id=req-err" in caplog.text
    for secret in (TOKEN, "rft.SECRET", "AUTHCODE-SECRET", settings.TIKTOK_APP_SECRET):
        assert secret not in text


def test_it_turns_a_refused_connection_into_a_transient_error(mocked, biz, sleeps, settings):
    settings.TIKTOK_MAX_RETRIES = 0
    with pytest.raises(TikTokError) as caught:
        BusinessClient(TOKEN).bc_get()
    # responses raises ConnectionError for unregistered URLs; the transport turns it into ours.
    assert caught.value.code == "connection_error"
    assert caught.value.kind == Kind.TRANSIENT
    assert isinstance(caught.value.__cause__, requests.ConnectionError)
