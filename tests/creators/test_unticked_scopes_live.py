"""A creator who unticks scopes on TikTok's consent screen (the sandbox's, over real HTTP) is
told, where they land and on their account card, what will not work, and offered to authorize
again."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
import requests
from django.urls import reverse
from django.utils.html import escape

from integrations.models import TikTokAccount

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def consent(client, live_sandbox: str, handle: str, *, keep: set[str]) -> tuple[str, str]:
    """Click Authorize TikTok, log in on TikTok's screen and authorize with only `keep` ticked
    (user.info.basic cannot be unticked); TikTok's redirect's code and state."""
    start = client.post(reverse("creators:authorize"))
    params = {k: v[0] for k, v in parse_qs(urlparse(start["Location"]).query).items()}
    tiktok = requests.Session()
    screen = tiktok.post(f"{live_sandbox}/v2/auth/authorize/", data={**params, "handle": handle}, timeout=30)
    assert "Read your public videos" in screen.text and "Read your stats" in screen.text
    ticks = {f"scope_{scope}": "1" for scope in keep}
    answer = tiktok.post(
        f"{live_sandbox}/v2/auth/authorize/",
        data={**params, **ticks, "decision": "authorize"},
        allow_redirects=False,
        timeout=30,
    )
    back = parse_qs(urlparse(answer.headers["Location"]).query)
    return back["code"][0], back["state"][0]


def test_a_creator_who_unticks_video_list_and_stats_is_told_what_will_not_work_and_offered_to_authorize_again(
    client_for, user_factory, live_sandbox, internal_tto
):
    client = client_for(user_factory(email="dana@example.test"))
    code, state = consent(client, live_sandbox, "demo.creator", keep={"user.info.profile", "biz.spark.auth"})
    landed = client.get(reverse("creators:callback"), {"code": code, "state": state}, follow=True).content.decode()

    cred = TikTokAccount.objects.get(handle="demo.creator").credential
    assert not cred.has_scope("video.list") and not cred.has_scope("user.info.stats")
    assert escape("You unticked “Read your public videos” on TikTok") in landed
    assert escape("You unticked “Read your stats” on TikTok") in landed
    card = client.get(reverse("creators:home")).content.decode()
    assert 'class="msg msg-warning scope-unticked"' in card
    assert escape("you and your brands see those posts by their ids only") in card
    assert ">Authorize again</button>" in card

    code, state = consent(
        client,
        live_sandbox,
        "demo.creator",
        keep={"user.info.profile", "user.info.stats", "video.list", "biz.spark.auth"},
    )
    again = client.get(reverse("creators:callback"), {"code": code, "state": state}, follow=True).content.decode()
    assert "You unticked" not in again and "scope-unticked" not in again
