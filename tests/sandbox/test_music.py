"""identity/music/authorization/ in the sandbox: a post's music answers the three states TikTok
documents, by the flight's locations and dates; the control API sets it."""

from __future__ import annotations

import json

from .test_ads import ADV, VIDEO, applied_code, decide, new_ad


def ask(sandbox, token: str, identity: str, locations: list[str], **extra) -> dict:
    params = {
        "advertiser_id": ADV,
        "video_id": VIDEO,
        "identity_id": identity,
        "identity_type": "AUTH_CODE",
        "locations": json.dumps(locations),
        "start_time": "2026-03-01 00:00:00",
        "end_time": "2026-04-30 00:00:00",
    } | extra
    return sandbox.business("GET", "identity/music/authorization/", token, params=params)


def code_identity(sandbox, token: str) -> str:
    code = applied_code(sandbox, token)
    info = sandbox.business("GET", "tt_video/info/", token, params={"advertiser_id": ADV, "auth_code": code})
    return info["data"]["user_info"]["identity_id"]


def set_music(sandbox, **music) -> dict:
    response = sandbox.control("POST", "helpers/post-music", json={"video_id": VIDEO, **music})
    assert response.status_code == 200, response.text
    return response.json()


def test_a_track_answers_full_authorization_where_licensed_and_missing_elsewhere(sandbox):
    token = sandbox.advertiser_token()
    identity = code_identity(sandbox, token)
    set_music(sandbox, title="Midnight Anthem", author="The Loud Label", licensed_in=["US", "GB"])

    here = ask(sandbox, token, identity, ["US", "GB"])["data"]["music_authorization"][0]
    abroad = ask(sandbox, token, identity, ["US", "DE"])["data"]["music_authorization"][0]

    assert here["music_status"] == "WITH_FULL_AUTHORIZATION"
    assert here["authorization_infos"][0]["authorization_type"] == "AUTHORIZED"
    assert abroad["music_status"] == "AUTHORIZATION_MISSING" and abroad["video_id"] == VIDEO
    info = abroad["authorization_infos"][0]
    assert (info["title"], info["author"], info["authorization_type"]) == (
        "Midnight Anthem",
        "The Loud Label",
        "NOT_AUTHORIZED",
    )


def test_a_flight_ending_after_the_licence_lacks_authorization(sandbox):
    token = sandbox.advertiser_token()
    identity = code_identity(sandbox, token)
    set_music(sandbox, title="Short Lease", author="Rent A Beat", licensed_until="2026-04-01")

    status = ask(sandbox, token, identity, ["US"])["data"]["music_authorization"][0]["music_status"]
    shorter = ask(sandbox, token, identity, ["US"], end_time="2026-03-31 23:00:00")

    assert status == "AUTHORIZATION_MISSING"
    assert shorter["data"]["music_authorization"][0]["music_status"] == "WITH_FULL_AUTHORIZATION"


def test_a_sound_without_a_song_id_answers_without_song_id_and_no_tracks(sandbox):
    token = sandbox.advertiser_token()
    identity = code_identity(sandbox, token)
    assert set_music(sandbox, song_id=False)["song_id"] is False

    entry = ask(sandbox, token, identity, ["US"])["data"]["music_authorization"][0]

    assert entry == {"video_id": VIDEO, "music_status": "WITHOUT_SONG_ID", "authorization_infos": []}


def test_a_posts_own_music_is_a_library_track_chosen_from_its_id_and_cleared_everywhere(sandbox):
    token = sandbox.advertiser_token()
    identity = code_identity(sandbox, token)
    first = ask(sandbox, token, identity, ["US", "BR", "JP"])["data"]["music_authorization"][0]
    set_music(sandbox, song_id=False)
    set_music(sandbox)  # back to the post's own track

    again = ask(sandbox, token, identity, ["US", "BR", "JP"])["data"]["music_authorization"][0]

    assert first == again and first["music_status"] == "WITH_FULL_AUTHORIZATION"
    assert first["authorization_infos"][0]["labels"] == ["Commercial Music Library"]


def test_the_request_needs_locations_a_window_and_the_posts_own_identity(sandbox):
    token = sandbox.advertiser_token()
    identity = code_identity(sandbox, token)

    assert ask(sandbox, token, identity, [])["code"] == 40002
    assert ask(sandbox, token, identity, ["US"], end_time="2026-02-01 00:00:00")["code"] == 40002
    assert ask(sandbox, token, "7199999999999999999", ["US"])["code"] == 40001
    assert ask(sandbox, token, identity, ["US"], identity_type="BC_AUTH_TT")["code"] == 40002
    assert ask(sandbox, token, identity, ["US"], identity_type="CUSTOMIZED_USER")["code"] == 40002


def test_the_control_api_refuses_an_unknown_music_field(sandbox):
    response = sandbox.control("POST", "helpers/post-music", json={"video_id": VIDEO, "genre": "pop"})

    assert response.status_code == 400 and "genre" in response.json()["error"]


def test_an_approved_ad_can_fatigue_and_keeps_delivering_but_one_in_review_cannot(sandbox):
    applied_code(sandbox, sandbox.advertiser_token())
    ad = new_ad(sandbox)
    assert sandbox.control("POST", f"helpers/ads/{ad['ad_id']}/fatigue").status_code == 409
    decide(sandbox, ad["ad_id"], "approve")

    tired = decide(sandbox, ad["ad_id"], "fatigue")

    assert tired["fatigued"] is True and tired["secondary_status"] == "AD_STATUS_DELIVERY_OK"
