"""The TikTok-side screens work by hand: a persona logs in and clicks through them."""

from __future__ import annotations

import requests


def _as(sandbox, handle: str) -> requests.Session:
    session = requests.Session()
    session.post(f"{sandbox.url}/sandbox/login/", data={"handle": handle}, timeout=10)
    return session


def test_every_creator_screen_renders_for_a_logged_in_persona(sandbox):
    session = _as(sandbox, "demo.creator")
    for path in (
        "inbox/",
        "notifications/",
        "posts/",
        "posts/7700000000000000001/ad-settings/",
        "sponsored/",
        "authorizations/",
        "link-requests/",
        "studio/creator-marketplace/",
    ):
        answer = session.get(f"{sandbox.url}/sandbox/tiktok/{path}", timeout=10)
        assert answer.status_code == 200 and "@demo.creator" in answer.text, path


def test_a_screen_asks_for_a_login_first(sandbox):
    answer = requests.get(f"{sandbox.url}/sandbox/tiktok/inbox/", allow_redirects=False, timeout=10)
    assert answer.status_code == 302 and "/sandbox/login/" in answer.headers["Location"]


def test_the_inbox_accepts_a_delivered_invite(sandbox):
    token = sandbox.advertiser_token()
    sandbox.business(
        "POST",
        "tcm/creator/invite/",
        token=token,
        json={"tcm_account_id": "7200000000000000001", "handle_names": ["demo.creator"]},
    )
    sandbox.advance(hours=3)
    session = _as(sandbox, "demo.creator")
    assert "Accept" in session.get(f"{sandbox.url}/sandbox/tiktok/inbox/", timeout=10).text
    page = session.post(f"{sandbox.url}/sandbox/tiktok/inbox/", timeout=10)
    assert "processing" in page.text


def test_ad_settings_shows_a_generated_code(sandbox):
    session = _as(sandbox, "demo.creator")
    page = session.post(
        f"{sandbox.url}/sandbox/tiktok/posts/7700000000000000001/ad-settings/", data={"days": "60"}, timeout=10
    )
    assert 'id="auth-code">#' in page.text


def test_the_notifications_screen_approves_a_spark_request_for_a_chosen_duration(sandbox):
    brand = sandbox.advertiser_token()
    sandbox.business(
        "POST",
        "tcm/tt_video/apply/",
        token=brand,
        json={"video_id": "7700000000000000401", "tcm_account_id": "7200000000000000001", "authorization_days": 30},
    )
    session = _as(sandbox, "market.star")
    page = session.get(f"{sandbox.url}/sandbox/tiktok/notifications/", timeout=10)
    spark_id = page.text.split('name="spark" value="')[1].split('"')[0]
    session.post(
        f"{sandbox.url}/sandbox/tiktok/notifications/",
        data={"spark": spark_id, "days": "365", "decision": "approve"},
        timeout=10,
    )
    status = sandbox.business(
        "GET",
        "tcm/tt_video/status/",
        token=brand,
        params={"video_id": "7700000000000000401", "tcm_account_id": "7200000000000000001"},
    )
    assert status["data"]["auth_status"] == "ACCEPTED"
    assert status["data"]["auth_code_end_time"][:4] > status["data"]["auth_code_start_time"][:4]


def test_ads_manager_and_link_request_screens_round_trip(sandbox):
    business = requests.Session()
    business.post(f"{sandbox.url}/sandbox/business/login/", data={"key": "demo-brand"}, timeout=10)
    business.post(
        f"{sandbox.url}/sandbox/ads-manager/",
        data={"advertiser_id": "7300000000000000001", "handle": "@demo.creator"},
        timeout=10,
    )
    creator = _as(sandbox, "demo.creator")
    page = creator.get(f"{sandbox.url}/sandbox/tiktok/link-requests/", timeout=10)
    link_id = page.text.split('name="link" value="')[1].split('"')[0]
    creator.post(
        f"{sandbox.url}/sandbox/tiktok/link-requests/", data={"link": link_id, "decision": "approve"}, timeout=10
    )
    assert "APPROVED" in business.get(f"{sandbox.url}/sandbox/ads-manager/", timeout=10).text


def test_the_control_page_advances_the_clock(sandbox):
    before = sandbox.control("GET", "state").json()["offset_seconds"]
    requests.post(
        f"{sandbox.url}/sandbox/control/", data={"action": "advance", "hours": "2", "minutes": "0"}, timeout=10
    )
    assert sandbox.control("GET", "state").json()["offset_seconds"] - before >= 7200


def test_its_cookies_never_take_the_platforms_names(sandbox):
    """Browsers share cookies across ports of one host: the sandbox runs beside the platform."""
    creator = _as(sandbox, "demo.creator")
    business = requests.Session()
    business.post(f"{sandbox.url}/sandbox/business/login/", data={"key": "demo-brand"}, timeout=10)
    business.get(f"{sandbox.url}/sandbox/ads-manager/ads/", timeout=10)  # a form with a CSRF token
    names = {c.name for c in creator.cookies} | {c.name for c in business.cookies}
    assert names, "a persona login sets a session cookie"
    assert not names & {"sessionid", "csrftoken", "messages", "__Secure-sessionid", "__Secure-csrftoken"}


def test_avatars_are_served_by_the_sandbox_itself_not_a_cdn(sandbox):
    """No internet at run time: image links TikTok would put on a CDN point here instead."""
    image = requests.get(f"{sandbox.url}/sandbox/media/demo.creator.jpeg", timeout=10)
    assert image.status_code == 200
    assert image.headers["Content-Type"] == "image/svg+xml"
    assert b"<svg" in image.content


def test_post_covers_are_told_apart_not_all_marked_with_the_ids_first_digit(sandbox):
    def label(video_id: str) -> str:
        svg = requests.get(f"{sandbox.url}/sandbox/media/cover/{video_id}.jpeg", timeout=10).text
        return svg.rsplit("</text>", 1)[0].rsplit(">", 1)[1]

    first, second = label("7700000000000000101"), label("7700000000000000102")
    assert first != second and "7" not in (first, second)
