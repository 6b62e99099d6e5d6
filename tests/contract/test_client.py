"""The client against TikTok's schemas: it calls only endpoints with a schema, sends requests
TikTok accepts, and reads every answer TikTok may send (nulls, "-", unknown enum values,
19-digit ids, empty lists) without error, keeping TikTok's values as sent."""

from __future__ import annotations

import inspect
import json
from urllib.parse import parse_qs, urlparse

import pytest
import responses
from django.conf import settings

from integrations.tiktok import BusinessClient, TokenGrant

from .calls import CALLS, URL_BUILDERS
from .endpoints import ENDPOINTS, check_request
from .schema import EDGE_ID, UNKNOWN_ENUM, edge_answers, validate

PREFIX = "/open_api/v1.3/"


def _url(path: str) -> str:
    return f"{settings.TIKTOK_BUSINESS_API_BASE_URL}{PREFIX}{path}"


def _envelope(data) -> dict:
    return {"code": 0, "message": "OK", "request_id": "2026030112000000ABC", "data": data}


def _sent(call) -> tuple[str, dict]:
    """(path, parameters) of one recorded request: the query for a GET, the JSON body otherwise."""
    url = urlparse(call.request.url)
    path = url.path.removeprefix(PREFIX)
    if call.request.method == "GET":
        return path, {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
    return path, json.loads(call.request.body or "{}")


def _run(path: str, data, client: BusinessClient | None = None):
    endpoint = ENDPOINTS[path]
    with responses.RequestsMock() as mocked:
        mocked.add(endpoint.method, _url(path), json=_envelope(data))
        result = CALLS[path].run(client or BusinessClient("act.token"))
        calls = list(mocked.calls)
    return result, calls


def _client_methods() -> set[str]:
    return {
        name
        for name, member in inspect.getmembers(BusinessClient, inspect.isfunction)
        if not name.startswith("_") and name not in URL_BUILDERS
    } | {
        name
        for name, member in inspect.getmembers(BusinessClient)
        if isinstance(inspect.getattr_static(BusinessClient, name, None), staticmethod) and name not in URL_BUILDERS
    }


def test_every_client_method_has_a_call_and_every_call_a_schema():
    assert _client_methods() == {c.method for c in CALLS.values()}
    assert set(CALLS) == set(ENDPOINTS)


@pytest.mark.parametrize("path", sorted(CALLS))
def test_the_client_sends_a_request_tiktok_accepts(path):
    _, calls = _run(path, ENDPOINTS[path].answer.sample("full"))

    assert len(calls) == 1
    sent_path, params = _sent(calls[0])
    assert (calls[0].request.method, sent_path) == (ENDPOINTS[path].method, path)
    assert check_request(path, params, query=calls[0].request.method == "GET") == []
    assert "Bearer" not in calls[0].request.headers.get("Access-Token", "")


def test_the_request_check_catches_a_missing_required_field():
    problems = check_request("tto/tcm/anchor/delete/", {"tto_tcm_account_id": "72"}, query=False)
    assert problems == ["anchor_id: required, missing"]


def test_the_request_check_catches_bc_auth_tt_without_its_business_center():
    problems = check_request("identity/get/", {"advertiser_id": "73", "identity_type": "BC_AUTH_TT"}, query=True)
    assert problems == ["identity_authorized_bc_id: required when identity_type is BC_AUTH_TT"]


def test_the_request_check_catches_campaign_fields_only_the_returned_campaign_has():
    body = {"tto_tcm_account_id": "72", "campaign_type": "CAMPAIGN", "campaign_name": "Fall"}
    problems = check_request("tto/tcm/campaign/create/", {**body, "country_codes": ["US"], "dm_info": {}}, query=False)
    assert sorted(problems) == [
        "country_codes: not a field TikTok documents here",
        "dm_info: not a field TikTok documents here",
    ]


def test_the_answer_check_catches_a_field_tiktok_never_sent():
    asset = {"asset_id": "7500000000000000006", "tt_account_authorization": {"can_pull_video": True}}
    problems = validate(ENDPOINTS["bc/asset/get/"].answer, {"list": [asset]})
    assert problems == ["list[0].tt_account_authorization: not a field TikTok documents here"]


def test_the_answer_check_catches_an_empty_string_for_a_time_and_a_number_for_a_cursor():
    status = {"auth_status": "WAITING", "auth_code_start_time": "", "auth_code_end_time": ""}
    assert len(validate(ENDPOINTS["tcm/tt_video/status/"].answer, status)) == 2
    assert validate(ENDPOINTS["identity/video/get/"].answer, {"cursor": 1767225600, "video_list": []}) == [
        "cursor: expected a string, got 1767225600"
    ]


def test_the_answer_check_catches_a_dash_for_a_daily_figure_and_an_empty_optional_text():
    video = {"video_id": "7700000000000000101", "daily_stats": [{"date": "2026-03-01", "engagement_rate_paid": "-"}]}
    assert validate(ENDPOINTS["tto/tcm/report/"].answer, {"videos": [video]}) == [
        "videos[0].daily_stats[0].engagement_rate_paid: expected a number, got '-'"
    ]
    profile = {"brand_profile_id": "7500000000000000901", "logo_url": ""}
    assert validate(ENDPOINTS["tto/tcm/brand/profile/create/"].answer, profile) == [
        'logo_url: "" where TikTok leaves the field out'
    ]
    anchor = {"anchor_id": "7600000000000000901", "country_code": "", "thumbnail_url": ""}
    assert len(validate(ENDPOINTS["tto/tcm/anchor/create/"].answer, anchor)) == 2


CASES = [(path, mode) for path in sorted(CALLS) for mode in edge_answers(ENDPOINTS[path].answer)]


@pytest.mark.parametrize(("path", "mode"), CASES, ids=[f"{p}-{m}" for p, m in CASES])
def test_the_client_reads_any_answer_tiktok_may_send(path, mode):
    data = edge_answers(ENDPOINTS[path].answer)[mode]
    assert validate(ENDPOINTS[path].answer, data, tolerant=True) == []  # TikTok may send it

    result, _ = _run(path, data)

    if CALLS[path].returns == "data":
        assert result == data  # TikTok's values as sent, unknown enum values included


def test_an_unknown_enum_value_reaches_the_caller_as_tiktok_sent_it():
    data = ENDPOINTS["tcm/tt_video/status/"].answer.sample("deep")

    result, _ = _run("tcm/tt_video/status/", data)

    assert result["auth_status"] == result["auth_code_status"] == UNKNOWN_ENUM
    assert result["video_id"] == EDGE_ID  # 19 digits, a string, not rounded


def test_token_answers_become_grants_with_the_answers_lifetimes():
    data = {
        "access_token": "act.1",
        "expires_in": 86400,
        "refresh_token": "rft.1",
        "refresh_token_expires_in": 31536000,
    }

    grant, _ = _run("tt_user/oauth2/token/", data)

    assert isinstance(grant, TokenGrant)
    assert (grant.expires_in, grant.refresh_expires_in) == (86400, 31536000)


def test_a_long_term_advertiser_token_has_no_expiry_and_keeps_ids_as_strings():
    grant, _ = _run("oauth2/access_token/", {"access_token": "act.1", "advertiser_ids": [EDGE_ID], "scope": [1, 4]})

    assert grant.expires_in is None and grant.advertiser_ids == [EDGE_ID] and grant.scope == "1,4"


@pytest.mark.parametrize(
    ("data", "invited", "rejected", "reasons"),
    [
        (
            {
                "in_tcm": [],
                "invited": [True, False],
                "rejected": [False, True],
                "reject_reasons": {"small.creator": "x"},
            },
            ["demo.creator"],
            ["small.creator"],
            {"small.creator": ["x"]},
        ),
        (
            {"invited": ["demo.creator"], "rejected": ["small.creator"], "reject_reasons": [["x", "y"]]},
            ["demo.creator"],
            ["small.creator"],
            {"small.creator": ["x", "y"]},
        ),
        ({"in_tcm": None, "invited": None, "rejected": None, "reject_reasons": None}, [], [], {}),
    ],
    ids=["bools per handle and a map of reasons", "handles and a list of reasons", "all null"],
)
def test_an_invite_result_is_read_in_every_shape_tiktoks_sources_allow(data, invited, rejected, reasons):
    result, _ = _run("tcm/creator/invite/", data)

    assert (result["invited"], result["rejected"], result["reject_reasons"]) == (invited, rejected, reasons)


def test_the_creator_public_answer_is_the_creator_itself():
    creator = ENDPOINTS["tto/tcm/creator/public/"].answer.sample("full")

    result, _ = _run("tto/tcm/creator/public/", creator)

    assert result == creator and result["audience_ages"][0]["age"] == "18-24"


@pytest.mark.parametrize("mode", ["minimal", "nulls", "edge", "deep", "full"])
def test_a_creators_audience_breakdowns_survive_any_answer(mode):
    from integrations.sourcing.flows import with_breakdowns

    creator = edge_answers(ENDPOINTS["tto/tcm/creator/public/"].answer)[mode]

    shown = with_breakdowns(creator)

    assert {k: shown[k] for k in creator} == creator
    if mode == "full":
        assert [b.title for b in shown["breakdowns"] if b.rows] == ["Countries", "Gender", "Age", "Devices"]
