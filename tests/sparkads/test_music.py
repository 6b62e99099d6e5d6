"""The music pre-flight on the apply and extension paths, with TikTok mocked at the HTTP
boundary: a missing authorization stops the apply or the extension with the track named, a post without a song id goes ahead with a
warning, full authorization passes; each answer is kept on the row with TikTok's time."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlparse

import pytest
import responses
import time_machine

from integrations.errors import FlowError
from integrations.models import AdAccount, Credential
from sparkads import flows, renewal
from sparkads.models import AuditEvent, ExtensionProposal, SparkAuthorization, UsageTerms

pytestmark = pytest.mark.django_db
API = "/open_api/v1.3/"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
END = NOW + timedelta(days=60)
VIDEO = "7700000000000000501"
Status = SparkAuthorization.Status


def ok(data):
    return {"code": 0, "message": "OK", "request_id": "req-1", "data": data}


def url(settings, path: str) -> str:
    return f"{settings.TIKTOK_BUSINESS_API_BASE_URL}{API}{path}"


def info() -> dict:
    return ok(
        {
            "auth_info": {
                "ad_auth_status": "AUTHORIZED",
                "auth_start_time": "2026-02-28 09:00:00",
                "auth_end_time": END.strftime("%Y-%m-%d %H:%M:%S"),
            },
            "item_info": {"item_id": VIDEO},
            "user_info": {"tiktok_name": "market.star", "identity_id": "7100000000000000009"},
        }
    )


def answer(status: str, authorized: bool = True) -> dict:
    infos = [
        {
            "music_id": "7101000000000000007",
            "author": "Nova Keys",
            "title": "City Lights",
            "labels": [],
            "authorization_type": "AUTHORIZED" if authorized else "NOT_AUTHORIZED",
        }
    ]
    return ok({"music_authorization": [{"video_id": VIDEO, "music_status": status, "authorization_infos": infos}]})


@pytest.fixture
def approved(world):
    auth = SparkAuthorization.objects.create(
        brand=world["bc"].brand, post=world["post"], video_id=VIDEO, status=Status.APPROVED
    )
    auth.set_code("CODE-APPROVED")
    auth.save()
    return auth


def apply(settings, auth, music: dict) -> tuple[bool, responses.BaseResponse, responses.BaseResponse]:
    with time_machine.travel(NOW, tick=False), responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.get(url(settings, "tt_video/info/"), json=info())
        asked = rsps.get(url(settings, "identity/music/authorization/"), json=music)
        authorize = rsps.post(url(settings, "tt_video/authorize/"), json=ok({}))
        done = flows.apply_approved(auth.pk)
    auth.refresh_from_db()
    return done, asked, authorize


def test_missing_music_rights_stop_the_apply_and_the_row_names_the_track_and_what_to_do(approved, settings):
    done, asked, authorize = apply(settings, approved, answer("AUTHORIZATION_MISSING", authorized=False))

    assert done is False and authorize.call_count == 0
    assert approved.status == Status.APPROVED and approved.applied_at is None
    assert approved.music_status == "AUTHORIZATION_MISSING" and approved.music_checked_at == NOW
    assert "“City Lights” by Nova Keys" in approved.last_error
    assert "not licensed for ads in US" in approved.last_error
    assert "Commercial Music Library" in approved.last_error  # what to do
    # Not tried again each poll: the deadline poller records it expired at the window's end.
    assert approved.next_poll_at is None and approved.due_at == END and approved.apply_claimed_at is None
    assert AuditEvent.objects.filter(authorization=approved, kind="music").count() == 1


def test_the_check_asks_for_the_ad_accounts_country_and_the_codes_window_with_the_posts_identity(approved, settings):
    _, asked, _ = apply(settings, approved, answer("WITH_FULL_AUTHORIZATION"))

    sent = {k: v[0] for k, v in parse_qs(urlparse(asked.calls[0].request.url).query).items()}
    assert sent == {
        "advertiser_id": "7300000000000000001",
        "video_id": VIDEO,
        "identity_id": "7100000000000000009",
        "identity_type": "AUTH_CODE",
        "locations": '["US"]',
        # The window starts now (its start already passed) and ends with the code.
        "start_time": "2026-03-01 12:00:00",
        "end_time": END.strftime("%Y-%m-%d %H:%M:%S"),
    }


def test_music_without_a_song_id_goes_ahead_with_the_warning_on_the_row(approved, settings):
    done, _, authorize = apply(settings, approved, answer("WITHOUT_SONG_ID"))

    assert done is True and authorize.call_count == 1
    assert approved.status == Status.ACTIVE and approved.music_status == "WITHOUT_SONG_ID"
    assert "no song id" in approved.last_error and approved.music_note == approved.last_error
    assert approved.music_checked_at == NOW


def test_fully_authorized_music_passes_without_a_warning(approved, settings):
    done, _, authorize = apply(settings, approved, answer("WITH_FULL_AUTHORIZATION"))

    assert done is True and authorize.call_count == 1
    assert approved.status == Status.ACTIVE and approved.last_error == ""
    assert approved.music_status == "WITH_FULL_AUTHORIZATION" and "“City Lights” by Nova Keys" in approved.music_note


def test_an_ad_account_without_a_known_country_has_it_read_from_advertiser_info_once(approved, settings, world):
    AdAccount.objects.filter(pk=world["ad"].pk).update(country="")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.get(url(settings, "tt_video/info/"), json=info())
        read = rsps.get(
            url(settings, "advertiser/info/"),
            json=ok({"list": [{"advertiser_id": "7300000000000000001", "country": "DE"}]}),
        )
        asked = rsps.get(url(settings, "identity/music/authorization/"), json=answer("WITH_FULL_AUTHORIZATION"))
        rsps.post(url(settings, "tt_video/authorize/"), json=ok({}))
        assert flows.apply_approved(approved.pk) is True

    sent = parse_qs(urlparse(asked.calls[0].request.url).query)
    assert read.call_count == 1 and json.loads(sent["locations"][0]) == ["DE"]
    world["ad"].refresh_from_db()
    assert world["ad"].country == "DE"


# --- extending a code the creator made here -------------------------------------------------------


@pytest.fixture
def made_here(world, user_factory):
    """An applied 30-day code the creator made here, ten days from its end, with its identity."""
    creator = user_factory(email="star@example.test")
    account = world["account"]
    account.owner, account.open_id = creator, "open-star"
    account.credential = Credential.objects.create(
        kind=Credential.Kind.TT_USER, user=creator, open_id="open-star", access_token="creator-token"
    )
    account.save()
    auth = SparkAuthorization.objects.create(
        brand=world["campaign"].brand,
        post=world["post"],
        tiktok_account=account,
        video_id=VIDEO,
        item_id=VIDEO,
        identity_id="7100000000000000009",
        source=SparkAuthorization.Source.CREATOR,
        status=Status.ACTIVE,
        ad_account=world["ad"],
        authorization_days=30,
        auth_start=NOW - timedelta(days=20),
        auth_end=NOW + timedelta(days=10),
        applied_at=NOW - timedelta(days=20),
    )
    auth.set_code("CODE-MADE-HERE")
    auth.save()
    return auth, creator


def accept(settings, auth, creator, music: dict):
    proposal = renewal.propose(auth, None, 30, UsageTerms())
    extended = {"item_id": VIDEO, "auth_code_end_time": (END + timedelta(days=30)).strftime("%Y-%m-%d %H:%M:%S")}
    with time_machine.travel(NOW, tick=False), responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        asked = rsps.get(url(settings, "identity/music/authorization/"), json=music)
        extend = rsps.post(url(settings, "business/post/authorize/"), json=ok(extended))
        try:
            said = renewal.accept(proposal, creator)
        except FlowError as exc:
            said = exc.message
    auth.refresh_from_db()
    proposal.refresh_from_db()
    return said, asked, extend, proposal


def test_an_extension_whose_music_lacks_rights_for_the_longer_window_is_not_sent(made_here, settings):
    auth, creator = made_here
    said, asked, extend, proposal = accept(settings, auth, creator, answer("AUTHORIZATION_MISSING", authorized=False))

    assert extend.call_count == 0 and auth.authorization_days == 30
    assert said.startswith("Not extended:") and "“City Lights” by Nova Keys" in said
    assert proposal.status == ExtensionProposal.Status.PROPOSED and proposal.last_error == said
    assert auth.music_status == "AUTHORIZATION_MISSING" and auth.music_checked_at == NOW
    sent = parse_qs(urlparse(asked.calls[0].request.url).query)
    # The window asked about runs to the extended end: ten days left plus the thirty proposed.
    assert sent["end_time"] == [(NOW + timedelta(days=40)).strftime("%Y-%m-%d %H:%M:%S")]


def test_an_extension_whose_music_is_cleared_is_sent_once(made_here, settings):
    auth, creator = made_here
    said, _, extend, proposal = accept(settings, auth, creator, answer("WITH_FULL_AUTHORIZATION"))

    assert extend.call_count == 1 and said.startswith("Extended:")
    assert proposal.status == ExtensionProposal.Status.ACCEPTED and auth.authorization_days == 60
    assert auth.music_status == "WITH_FULL_AUTHORIZATION"


def test_a_music_status_tiktok_does_not_document_is_kept_as_sent_and_warns_without_blocking(approved, settings):
    done, _, authorize = apply(settings, approved, answer("SOME_NEW_STATUS"))

    assert done is True and authorize.call_count == 1
    assert approved.music_status == "SOME_NEW_STATUS" and "no known music status" in approved.last_error
