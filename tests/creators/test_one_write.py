"""The creator's TikTok writes (join a campaign, link a video, answer a brand's link request)
go to TikTok once per intent: a double submit finds the first one and lands on the same page."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
import responses
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from integrations.models import Campaign, CampaignPost, Collaboration, Credential, TikTokAccount
from tests.races import submit_together

pytestmark = pytest.mark.django_db
API = "/open_api/v1.3/"
VIDEO = "7700000000000000999"


def ok(data=None):
    return {"code": 0, "message": "OK", "request_id": "r", "data": data or {}}


def url(settings, path: str) -> str:
    return f"{settings.TIKTOK_BUSINESS_API_BASE_URL}{API}{path}"


@pytest.fixture
def creator(user_factory, brand, client_for):
    user = user_factory(email="creator@example.test")
    cred = Credential.objects.create(kind=Credential.Kind.TT_USER, user=user, access_token="creator-token")
    account = TikTokAccount.objects.create(
        handle="creator.one", open_id="open-1", creator_id="7500000000000000001", owner=user, credential=cred
    )
    campaign = Campaign.objects.create(brand=brand, name="Spring", invite_link="https://www.tiktok.com/tto/invite/x")
    return {"client": client_for(user), "account": account, "campaign": campaign}


def published(settings, rsps):
    rsps.get(url(settings, "tto/creator/authorized/video/list/"), json=ok({"posts": [{"video_id": VIDEO}]}))


def test_a_double_submitted_join_by_link_joins_once(creator, settings):
    client, campaign = creator["client"], creator["campaign"]
    with responses.RequestsMock() as rsps:
        join = rsps.post(url(settings, "tto/creator/campaign/join/"), json=ok())
        first = client.post(reverse("creators:join_with_link"), {"invite_link": campaign.invite_link}, follow=True)
        second = client.post(reverse("creators:join_with_link"), {"invite_link": campaign.invite_link}, follow=True)
    assert join.call_count == 1
    assert first.redirect_chain[-1][0] == second.redirect_chain[-1][0] == reverse("creators:home")
    assert "You joined Spring." in first.content.decode()
    assert "Already joined: you are in Spring since" in second.content.decode()
    collab = Collaboration.objects.get()
    assert (collab.status, collab.pending_write) == ("joined", "")


def test_a_join_tiktok_refuses_leaves_no_collaboration_and_can_be_retried(creator, settings):
    client, campaign = creator["client"], creator["campaign"]
    target = reverse("creators:join_with_link")
    with responses.RequestsMock() as rsps:
        rsps.post(url(settings, "tto/creator/campaign/join/"), status=503)
        refused = client.post(target, {"invite_link": campaign.invite_link}, follow=True)
        assert not Collaboration.objects.exists()
        rsps.replace(responses.POST, url(settings, "tto/creator/campaign/join/"), json=ok())
        client.post(target, {"invite_link": campaign.invite_link})
        sent = len(rsps.calls)
    assert sent == 2
    assert "try again in a minute" in refused.content.decode()  # a 503 is TikTok being down: say so
    assert Collaboration.objects.get().status == "joined"


def test_a_join_already_on_its_way_is_not_sent_again(creator, settings):
    collab = Collaboration.objects.create(
        campaign=creator["campaign"],
        tiktok_account=creator["account"],
        pending_write="join",
        pending_since=timezone.now(),
    )
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        join = rsps.post(url(settings, "tto/creator/campaign/join/"), json=ok())
        page = creator["client"].post(reverse("creators:join", args=[collab.pk]), follow=True)
    assert join.call_count == 0
    assert "Already requested: your last step on Spring is being sent to TikTok" in page.content.decode()


def test_a_claim_left_by_a_dead_process_is_taken_over(creator, settings):
    collab = Collaboration.objects.create(
        campaign=creator["campaign"],
        tiktok_account=creator["account"],
        pending_write="join",
        pending_since=timezone.now() - timedelta(hours=1),
    )
    with responses.RequestsMock() as rsps:
        join = rsps.post(url(settings, "tto/creator/campaign/join/"), json=ok())
        creator["client"].post(reverse("creators:join", args=[collab.pk]))
    assert join.call_count == 1
    collab.refresh_from_db()
    assert (collab.status, collab.pending_write) == ("joined", "")


def test_a_double_submitted_video_link_links_once(creator, settings):
    collab = Collaboration.objects.create(
        campaign=creator["campaign"], tiktok_account=creator["account"], status="joined"
    )
    target = reverse("creators:link_video", args=[collab.pk])
    with responses.RequestsMock() as rsps:
        link = rsps.post(url(settings, "tto/creator/campaign/video/link/"), json=ok())
        published(settings, rsps)
        first = creator["client"].post(target, {"video": VIDEO}, follow=True)
        second = creator["client"].post(target, {"video": VIDEO}, follow=True)
    assert link.call_count == 1
    assert first.redirect_chain[-1][0] == second.redirect_chain[-1][0] == reverse("creators:home")
    assert "Linked: the post counts for the campaign." in first.content.decode()
    assert f"Already linked: video {VIDEO} counts for Spring." in second.content.decode()
    assert CampaignPost.objects.get().link_status == "APPROVE"


def test_a_double_submitted_answer_to_a_link_request_is_sent_once(creator, settings):
    collab = Collaboration.objects.create(
        campaign=creator["campaign"], tiktok_account=creator["account"], status="joined"
    )
    target = reverse("creators:answer_link_request", args=[collab.pk])
    form = {"link_request_id": "lr-1", "video_id": VIDEO, "action": "APPROVE"}
    with responses.RequestsMock() as rsps:
        confirm = rsps.post(url(settings, "tto/creator/link/request/confirm/"), json=ok())
        published(settings, rsps)
        first = creator["client"].post(target, form, follow=True)
        second = creator["client"].post(target, form, follow=True)
    assert confirm.call_count == 1
    assert first.redirect_chain[-1][0] == second.redirect_chain[-1][0] == reverse("creators:home")
    assert "Approved: the post is linked to the campaign." in first.content.decode()
    assert escape(f"Already answered: you approved the brand's request for video {VIDEO}.") in second.content.decode()
    post = CampaignPost.objects.get()
    assert (post.link_status, post.link_request_id) == ("APPROVE", "lr-1")


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent claims need PostgreSQL")
def test_ten_concurrent_joins_send_one_join_and_no_500(creator, settings):
    user, campaign = creator["account"].owner, creator["campaign"]

    def slow_ok(_request):
        time.sleep(0.3)  # TikTok answering after a moment, so the submits overlap the call
        return 200, {}, json.dumps(ok())

    with responses.RequestsMock() as rsps:
        join = rsps.add_callback(responses.POST, url(settings, "tto/creator/campaign/join/"), callback=slow_ok)
        results = submit_together(user, 10, reverse("creators:join_with_link"), {"invite_link": campaign.invite_link})
    assert not [r for r in results if isinstance(r, Exception)], results
    assert join.call_count == 1
    assert {r.redirect_chain[-1][0] for r in results} == {reverse("creators:home")}
    pages = [r.content.decode() for r in results]
    assert sum("You joined Spring." in p for p in pages) == 1
    assert sum("Already" in p for p in pages) == 9
    assert Collaboration.objects.get().status == "joined"
