"""The creator approves a brand's Spark Ads request here in one click, sees every
authorization given, and revokes one; TikTok mocked at the HTTP boundary."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import responses
from django.db import connection
from django.urls import reverse

from integrations.errors import FlowError
from integrations.models import CampaignPost, Credential
from integrations.tiktok import TikTokError, clock
from sparkads import creator_codes, flows, tasks
from sparkads.models import AuditEvent, SparkAuthorization, code_digest

from .conftest import MUSIC_CLEARED
from .test_creator_page_volume import CREATOR_PAGE_QUERIES

pytestmark = pytest.mark.django_db
API = "/open_api/v1.3/"
CODE = "#CreatorMade+/Code1"
OPEN_ID = "open-7500000000000000005"
THUMB = "http://sandbox.test/media/cover/7700000000000000501.jpeg"
FULL = "user.info.basic,user.info.profile,user.info.stats,video.list,biz.spark.auth"
Status = SparkAuthorization.Status


def ok(data):
    return {"code": 0, "message": "OK", "request_id": "req-1", "data": data}


def fail(code: int, message: str):
    return {"code": code, "message": message, "request_id": "req-2", "data": {}}


def url(settings, path: str) -> str:
    return f"{settings.TIKTOK_BUSINESS_API_BASE_URL}{API}{path}"


def made(video_id: str, days: int = 60, status: str = "NOT_USED") -> dict:
    return {
        "item_id": video_id,
        "auth_code": CODE,
        "auth_code_start_time": "2099-03-01 12:00:00",
        "auth_code_end_time": "2099-04-30 12:00:00" if days == 60 else "2099-03-31 12:00:00",
        "authorization_days": days,
        "auth_code_status": status,
    }


def info(video_id: str) -> dict:
    return ok(
        {
            "auth_info": {
                "ad_auth_status": "AUTHORIZED",
                "auth_start_time": "2026-03-01 12:00:00",
                "auth_end_time": "2099-04-30 12:00:00",
            },
            "item_info": {"item_id": video_id},
            "user_info": {"tiktok_name": "market.star", "identity_id": "9"},
        }
    )


@pytest.fixture
def creator(world, user_factory):
    user = user_factory(email="star@example.test")
    account = world["account"]
    account.owner, account.open_id = user, OPEN_ID
    account.credential = Credential.objects.create(
        kind=Credential.Kind.TT_USER, user=user, open_id=OPEN_ID, access_token="tt-user-token", scopes=FULL
    )
    account.save()
    # What business/video/list/ answered on an earlier page view, kept on the post.
    CampaignPost.objects.filter(pk=world["post"].pk).update(
        caption="Spring haul", thumbnail_url=THUMB, previewed_at=datetime.now(UTC)
    )
    return user


@pytest.fixture
def request_row(world, creator, alice):
    return SparkAuthorization.objects.create(
        brand=world["campaign"].brand,
        post=world["post"],
        tiktok_account=world["account"],
        video_id=world["post"].video_id,
        authorization_days=60,
        requested_by=alice,
        ad_account=world["ad"],
        fee_amount=Decimal("250.00"),
        fee_currency="USD",
        payment_status=SparkAuthorization.Payment.UNPAID,
    )


def mock_approval(rsps, settings, video_id: str) -> None:
    rsps.post(url(settings, "business/post/authorize/setting/"), json=ok(made(video_id)))
    rsps.post(url(settings, "tt_video/authorize/"), json=ok({}))
    rsps.get(url(settings, "identity/music/authorization/"), json=ok(MUSIC_CLEARED))
    rsps.get(url(settings, "tt_video/info/"), json=info(video_id))


def test_one_click_makes_the_code_with_the_creators_token_and_a_worker_applies_it_to_the_brands_ad_account(
    request_row, creator, settings, run_jobs
):
    with responses.RequestsMock() as rsps:
        mock_approval(rsps, settings, request_row.video_id)

        with run_jobs():
            clicked = creator_codes.approve(request_row, creator)
            # The click itself makes the code only; the apply is queued for when it commits.
            assert len(rsps.calls) == 1 and clicked.status == Status.APPROVED

        setting = rsps.calls[0].request
        assert setting.headers["Access-Token"] == "tt-user-token"
        assert json.loads(setting.body) == {
            "business_id": OPEN_ID,
            "item_id": request_row.video_id,
            "is_ad_promotable": True,
            "authorization_days": 60,
        }
        applied = next(c.request for c in rsps.calls if c.request.url.endswith("tt_video/authorize/"))
        assert applied.headers["Access-Token"] == "brand-token-for-tests"
        assert CODE.encode() in applied.body
    auth = SparkAuthorization.objects.get(pk=request_row.pk)
    assert auth.status == Status.ACTIVE and auth.source == SparkAuthorization.Source.CREATOR
    assert auth.auth_code == CODE and auth.code_hash == code_digest(CODE)
    assert auth.ad_account.advertiser_id == "7300000000000000001"
    assert auth.pending_write == ""
    with connection.cursor() as cursor:
        cursor.execute("SELECT auth_code FROM sparkads_sparkauthorization WHERE id = %s", [auth.pk])
        assert CODE not in cursor.fetchone()[0]  # encrypted at rest
    kinds = list(AuditEvent.objects.filter(authorization=auth).order_by("pk").values_list("kind", flat=True))
    assert kinds == ["approved", "music", "applied"]
    assert not AuditEvent.objects.filter(summary__contains=CODE).exists()
    assert "here for 60 days" in AuditEvent.objects.get(authorization=auth, kind="approved").summary


def test_a_second_click_after_the_first_sends_nothing_to_tiktok(request_row, creator, settings, run_jobs):
    with responses.RequestsMock() as rsps:
        mock_approval(rsps, settings, request_row.video_id)
        with run_jobs():
            creator_codes.approve(request_row, creator)
        stale = SparkAuthorization.objects.get(pk=request_row.pk)
        stale.status = Status.REQUESTED  # the page the second click came from

        with pytest.raises(FlowError, match="Already answered"):
            creator_codes.approve(stale, creator)

        assert len(rsps.calls) == 4  # setting (the click); info, music and authorize (the worker): once


def test_a_click_while_another_is_in_flight_sends_nothing(request_row, creator):
    assert request_row.claim_write("approve")

    # Any call would fail: no answer is registered.
    with responses.RequestsMock(), pytest.raises(FlowError, match="Already approving"):
        creator_codes.approve(request_row, creator)


def test_without_the_scope_the_creator_is_told_to_authorize_again_and_nothing_is_sent(request_row, creator):
    cred = request_row.post.tiktok_account.credential
    cred.scopes = "user.info.basic,video.list"
    cred.save()

    with responses.RequestsMock(), pytest.raises(FlowError, match="Authorize TikTok again"):
        creator_codes.approve(request_row, creator)

    request_row.refresh_from_db()
    assert request_row.status == Status.REQUESTED and request_row.pending_write == ""


def test_tiktoks_scope_refusal_is_explained_and_the_request_stays_open(request_row, creator, settings):
    with responses.RequestsMock() as rsps:
        rsps.post(url(settings, "business/post/authorize/setting/"), json=fail(40130, "scope not authorized"))
        with pytest.raises(FlowError, match="Authorize TikTok again"):
            creator_codes.approve(request_row, creator)

    request_row.refresh_from_db()
    assert request_row.status == Status.REQUESTED and request_row.pending_write == ""
    assert request_row.post.tiktok_account.credential.status == Credential.Status.OK  # not a lost grant


def test_a_busy_ad_account_leaves_the_code_approved_and_due_for_the_poller(request_row, creator, settings, monkeypatch):
    monkeypatch.setattr("integrations.tiktok.clock.sleep", lambda seconds: None)  # the client's back-off
    with responses.RequestsMock() as rsps:
        rsps.post(url(settings, "business/post/authorize/setting/"), json=ok(made(request_row.video_id)))
        rsps.post(url(settings, "tt_video/authorize/"), json=fail(50002, "system timeout"))
        rsps.get(url(settings, "identity/music/authorization/"), json=ok(MUSIC_CLEARED))
        rsps.get(url(settings, "tt_video/info/"), json=info(request_row.video_id))

        auth = creator_codes.approve(request_row, creator)
        assert auth.status == Status.APPROVED and auth.next_poll_at is not None  # due for the worker
        with pytest.raises(TikTokError):  # the worker's apply: TikTokTask retries it
            flows.apply_approved(auth.pk)

    auth.refresh_from_db()
    assert auth.status == Status.APPROVED and auth.auth_code == CODE
    assert auth.next_poll_at is not None and auth.apply_claimed_at is None


def test_a_code_a_live_row_already_carries_closes_the_request_and_says_so_never_approved_without_a_code(
    request_row, creator, settings, world
):
    pasted = SparkAuthorization(brand=request_row.brand, video_id=request_row.video_id, status=Status.ACTIVE)
    pasted.set_code(CODE)
    pasted.save()
    with responses.RequestsMock() as rsps:
        rsps.post(url(settings, "business/post/authorize/setting/"), json=ok(made(request_row.video_id)))

        with pytest.raises(FlowError, match="already has .active.: no new code was made, so nothing changed"):
            creator_codes.approve(request_row, creator)

    request_row.refresh_from_db()
    assert request_row.status == Status.FAILED and request_row.code_hash == ""
    assert "no new code was made" in request_row.last_error
    assert not SparkAuthorization.objects.filter(status=Status.APPROVED, code_hash="").exists()


def test_an_approval_that_gets_back_an_unbound_live_code_reuses_it_through_the_one_apply_path(
    request_row, creator, settings, world, run_jobs
):
    """Unbinding leaves the code live on TikTok; approving the post again answers that code."""
    unbound = SparkAuthorization.objects.create(
        brand=request_row.brand, post=request_row.post, video_id=request_row.video_id, status=Status.UNBOUND
    )
    unbound.set_code(CODE)
    unbound.save()
    with responses.RequestsMock() as rsps:
        mock_approval(rsps, settings, request_row.video_id)
        with run_jobs():
            auth = creator_codes.approve(request_row, creator)
        authorize = [c for c in rsps.calls if c.request.url.endswith("tt_video/authorize/")]

    auth.refresh_from_db()
    unbound.refresh_from_db()
    assert auth.status == Status.ACTIVE and auth.code_hash == code_digest(CODE)
    assert unbound.code_hash == "" and unbound.status == Status.UNBOUND
    assert [json.loads(c.request.body)["auth_code"] for c in authorize] == [CODE]


@pytest.fixture
def given(request_row, creator, settings, run_jobs):
    with responses.RequestsMock() as rsps:
        mock_approval(rsps, settings, request_row.video_id)
        with run_jobs():
            auth = creator_codes.approve(request_row, creator)
    auth.refresh_from_db()
    return auth


def test_revoking_a_code_made_here_deletes_it_on_tiktok_records_it_and_tells_the_brand(
    given, creator, settings, mailoutbox, django_capture_on_commit_callbacks
):
    with responses.RequestsMock() as rsps, django_capture_on_commit_callbacks(execute=True):
        rsps.post(
            url(settings, "business/post/authorize/delete/"),
            json=ok({**made(given.video_id), "auth_code_status": "DELETED"}),
        )

        creator_codes.revoke(given, creator)

        assert b'"business_id": "open-7500000000000000005"' in rsps.calls[0].request.body
    given.refresh_from_db()
    assert given.status == Status.REVOKED and given.ended_by == creator
    event = AuditEvent.objects.get(authorization=given, kind="revoked")
    assert CODE not in event.summary and event.actor == creator
    assert [m.to for m in mailoutbox] == [["alice@example.test"]]  # the brand's owner; bob only reads
    assert "ads using it stop" in mailoutbox[0].body


def test_a_code_already_deleted_in_the_app_is_recorded_as_revoked(given, creator, settings):
    with responses.RequestsMock() as rsps:
        rsps.post(url(settings, "business/post/authorize/delete/"), json=fail(40007, "no code"))
        creator_codes.revoke(given, creator)

    given.refresh_from_db()
    assert given.status == Status.REVOKED


def test_a_refused_revoke_changes_nothing_and_says_why(given, creator, settings):
    with responses.RequestsMock() as rsps:
        rsps.post(url(settings, "business/post/authorize/delete/"), json=fail(40001, "not allowed"))
        with pytest.raises(FlowError, match="not allowed"):
            creator_codes.revoke(given, creator)

    given.refresh_from_db()
    assert given.status == Status.ACTIVE and given.pending_write == ""


def test_a_code_made_in_the_tiktok_app_is_revoked_there_and_nothing_is_sent(given, creator):
    SparkAuthorization.objects.filter(pk=given.pk).update(source=SparkAuthorization.Source.PASTED)
    given.refresh_from_db()

    with responses.RequestsMock(), pytest.raises(FlowError, match="Ad settings"):
        creator_codes.revoke(given, creator)


# --- the page ------------------------------------------------------------------------------------


def test_the_page_shows_the_request_with_its_days_and_fee_and_one_approve_button(
    request_row, creator, client_for, django_assert_max_num_queries
):
    client = client_for(creator)
    with django_assert_max_num_queries(CREATOR_PAGE_QUERIES):
        page = client.get(reverse("sparkads:creator_codes"))

    body = page.content.decode()
    assert page.status_code == 200
    assert "Approve for 60 days" in body and "250.00 USD" in body
    assert reverse("sparkads:creator_approve", args=[request_row.pk]) in body


def test_the_paste_form_names_each_post_by_its_caption_and_a_post_without_one_by_its_day_and_id(
    request_row, creator, client_for
):
    post = request_row.post
    post.caption = "Spring look with the new linen shirt #ad"
    post.save()
    page = client_for(creator).get(reverse("sparkads:creator_codes")).content.decode()
    assert f'<option value="{post.pk}">“Spring look with the new linen shirt #ad” · ' in page
    post.caption = ""
    post.save()
    page = client_for(creator).get(reverse("sparkads:creator_codes")).content.decode()
    assert f'<option value="{post.pk}">{post.title} ({post.video_id}) · ' in page


def test_the_pages_query_count_does_not_grow_with_the_authorizations(
    request_row, creator, client_for, django_assert_max_num_queries, world
):
    client = client_for(creator)
    for n in range(8):
        row = SparkAuthorization(
            brand=request_row.brand,
            post=world["post"],
            tiktok_account=world["account"],
            video_id=world["post"].video_id,
            status=Status.ACTIVE,
            source=SparkAuthorization.Source.CREATOR,
            ad_account=world["ad"],
            auth_start=datetime(2026, 3, 1, tzinfo=UTC),
        )
        row.set_code(f"#code-{n}")
        row.save()
    with django_assert_max_num_queries(CREATOR_PAGE_QUERIES):
        page = client.get(reverse("sparkads:creator_codes"))

    assert page.content.decode().count("Yes, revoke") == 8


def test_a_creator_without_the_scope_sees_how_to_grant_it(request_row, creator, client_for):
    cred = request_row.post.tiktok_account.credential
    cred.scopes = "user.info.basic,video.list"
    cred.save()

    body = client_for(creator).get(reverse("sparkads:creator_codes")).content.decode()
    home = client_for(creator).get(reverse("creators:home")).content.decode()

    assert "Authorize TikTok again" in body and "disabled" in body
    assert "has not allowed “Spark Ads codes”" in home


def test_the_page_lists_every_authorization_with_brand_window_fee_payment_and_source(given, creator, client_for):
    body = client_for(creator).get(reverse("sparkads:creator_codes")).content.decode()

    assert "Approved by the creator here" in body
    # The brand's ledger words, from the model: duration, fee, payment and window in one line.
    assert given.terms_summary == "60 days · 250.00 USD · unpaid · 2026-03-01 → 2099-04-30"
    assert given.terms_summary in body and "Revoke…" in body and "ads using it stop delivering" in body


def test_another_creators_row_is_a_404_and_nothing_is_sent(request_row, client_for, user_factory):
    stranger = client_for(user_factory(email="other@example.test"))

    with responses.RequestsMock():
        assert stranger.post(reverse("sparkads:creator_approve", args=[request_row.pk])).status_code == 404
        assert stranger.post(reverse("sparkads:creator_revoke", args=[request_row.pk])).status_code == 404


def test_approving_from_the_page_says_what_happened_after_one_tiktok_call(request_row, creator, client_for, settings):
    request_row.payment_status = SparkAuthorization.Payment.NONE
    request_row.save(update_fields=["payment_status"])
    with responses.RequestsMock() as rsps:  # no apply in the click: only the setting call
        rsps.post(url(settings, "business/post/authorize/setting/"), json=ok(made(request_row.video_id)))
        page = client_for(creator).post(reverse("sparkads:creator_approve", args=[request_row.pk]), follow=True)

    assert "reaches their ad account shortly" in page.content.decode()


def test_the_creators_authorize_link_asks_for_the_spark_scope(creator, client_for):
    response = client_for(creator).post(reverse("creators:authorize"))

    assert "biz.spark.auth" in response.url


def test_when_the_poller_recorded_the_answer_first_the_click_records_nothing_more_and_frees_the_row(
    request_row, creator, settings
):
    def poller_wins(request):
        # TikTok answers the click; meanwhile the poller moved the row on with the same code.
        SparkAuthorization.objects.filter(pk=request_row.pk).update(status=Status.APPROVED)
        return 200, {}, json.dumps(ok(made(request_row.video_id)))

    with responses.RequestsMock() as rsps:
        rsps.add_callback(responses.POST, url(settings, "business/post/authorize/setting/"), callback=poller_wins)

        auth = creator_codes.approve(request_row, creator)

    assert auth.status == Status.APPROVED and auth.pending_write == ""
    assert auth.source == SparkAuthorization.Source.REQUEST
    assert not AuditEvent.objects.filter(authorization=auth).exists()


def test_while_the_brand_cannot_use_spark_ads_no_code_is_made(request_row, creator, world):
    world["ad"].is_active_for_spark = False
    world["ad"].save()

    with responses.RequestsMock(), pytest.raises(FlowError, match="nothing was approved"):
        creator_codes.approve(request_row, creator)

    request_row.refresh_from_db()
    assert request_row.status == Status.REQUESTED and request_row.pending_write == ""


# --- the daily check reads a code made here with the creator's token ----------------------------


def test_a_code_the_creator_deleted_in_the_tiktok_app_is_noticed_with_their_token_and_recorded_as_revoked(
    given, settings
):
    from sparkads.tasks import check_spark_authorization

    with responses.RequestsMock() as rsps:
        rsps.get(url(settings, "business/post/authorize/status/"), json=fail(40007, "The post has no code"))

        assert check_spark_authorization(given.pk) == Status.REVOKED

        read = rsps.calls[0].request
        assert read.headers["Access-Token"] == "tt-user-token"
        assert f"business_id={OPEN_ID}" in read.url and f"item_id={given.item_id}" in read.url
    given.refresh_from_db()
    assert given.status == Status.REVOKED and given.next_poll_at is None
    assert "cancelled" in AuditEvent.objects.get(authorization=given, kind="revoked").summary


def test_a_code_replaced_by_a_new_one_in_the_app_means_the_brands_code_was_deleted(given, settings):
    from sparkads import ledger

    with responses.RequestsMock() as rsps:
        rsps.get(
            url(settings, "business/post/authorize/status/"),
            json=ok({**made(given.video_id), "auth_code": "#AnotherCode+/2"}),
        )
        ledger.refresh_from_tiktok(given)

    given.refresh_from_db()
    assert given.status == Status.REVOKED


def test_an_extension_the_creator_made_on_tiktok_is_seen_and_recorded_as_a_renewal(given, settings):
    from sparkads import ledger

    given.auth_end = datetime(2099, 4, 30, 12, tzinfo=UTC)
    given.save(update_fields=["auth_end"])
    with responses.RequestsMock() as rsps:
        rsps.get(
            url(settings, "business/post/authorize/status/"),
            json=ok(
                {**made(given.video_id), "auth_code_end_time": "2099-05-30 12:00:00", "auth_code_status": "IN_USE"}
            ),
        )
        ledger.refresh_from_tiktok(given)

    given.refresh_from_db()
    assert given.auth_end == datetime(2099, 5, 30, 12, tzinfo=UTC) and given.status != Status.REVOKED
    assert AuditEvent.objects.filter(authorization=given, kind="renewed").exists()


def test_a_creator_code_whose_grant_lost_the_scope_is_left_to_its_window_without_failing(given, settings):
    from sparkads import ledger

    with responses.RequestsMock() as rsps:
        rsps.get(url(settings, "business/post/authorize/status/"), json=fail(40130, "scope not authorized"))
        ledger.refresh_from_tiktok(given)

    given.refresh_from_db()
    assert given.status == Status.ACTIVE


def test_a_code_held_for_payment_reads_the_same_on_the_creators_page_as_in_the_brands_ledger(
    request_row, creator, client_for, settings, alice
):
    brand = request_row.brand
    brand.spark_release_after_payment = True
    brand.save()
    with responses.RequestsMock() as rsps:  # held: no tt_video/authorize may be sent
        rsps.post(url(settings, "business/post/authorize/setting/"), json=ok(made(request_row.video_id)))
        creator_codes.approve(request_row, creator)

    mine = client_for(creator).get(reverse("sparkads:creator_codes")).content.decode()
    theirs = client_for(alice).get(reverse("sparkads:ledger", args=[brand.slug])).content.decode()

    for page in (mine, theirs):
        assert "Approved — waiting for payment" in page
        assert "60 days · 250.00 USD · unpaid" in page


def test_a_live_codes_days_left_on_tiktoks_clock_read_the_same_on_the_creators_page_as_in_the_brands_ledger(
    given, creator, client_for, alice, settings, monkeypatch
):
    settings.TIKTOK_SANDBOX = True
    monkeypatch.setattr(clock, "_sandbox_offset", lambda: 10 * 86400.0)  # TikTok's clock is 10 days ahead
    SparkAuthorization.objects.filter(pk=given.pk).update(
        status=Status.EXPIRING, auth_end=clock.now() + timedelta(days=13, hours=2)
    )

    mine = client_for(creator).get(reverse("sparkads:creator_codes")).content.decode()
    theirs = client_for(alice).get(reverse("sparkads:ledger", args=[given.brand.slug])).content.decode()

    for page in (mine, theirs):
        assert "Expiring" in page
        assert "(13 days left)" in page


def test_the_page_asks_tiktok_nothing_and_the_request_poller_fills_each_post_by_caption_and_thumbnail_in_one_call(
    request_row, creator, client_for, settings, world, django_assert_max_num_queries
):
    second = CampaignPost.objects.create(
        campaign=world["campaign"], tiktok_account=world["account"], video_id="7700000000000000502"
    )
    CampaignPost.objects.filter(pk__in=[world["post"].pk, second.pk]).update(
        caption="", thumbnail_url="", previewed_at=None
    )
    client = client_for(creator)
    with responses.RequestsMock(), django_assert_max_num_queries(CREATOR_PAGE_QUERIES):  # no TikTok call in a page view
        before = client.get(reverse("sparkads:creator_codes")).content.decode()
    assert world["post"].video_id in before and "Spring haul #ad" not in before  # shown by its id until filled

    videos = [
        {"item_id": world["post"].video_id, "caption": "Spring haul #ad", "thumbnail_url": THUMB},
        {"item_id": second.video_id, "caption": "Morning routine", "thumbnail_url": THUMB.replace("501", "502")},
    ]
    with responses.RequestsMock() as rsps:
        rsps.get(url(settings, "tcm/tt_video/status/"), json=ok({"auth_status": "WAITING"}))
        listed = rsps.get(
            url(settings, "business/video/list/"), json=ok({"videos": videos, "cursor": 0, "has_more": False})
        )
        assert tasks.poll_spark_request(request_row.pk) == Status.REQUESTED
        tasks.poll_spark_request(request_row.pk)  # filled: the next poll asks only for the status

    assert listed.call_count == 1  # every post of the account in one call
    sent = listed.calls[0].request
    assert sent.headers["Access-Token"] == "tt-user-token" and "caption" in sent.url and "thumbnail_url" in sent.url
    assert world["post"].video_id in sent.url and second.video_id in sent.url
    assert CampaignPost.objects.get(pk=second.pk).caption == "Morning routine"
    with responses.RequestsMock():
        body = client.get(reverse("sparkads:creator_codes")).content.decode()
    assert "Spring haul #ad" in body and f'src="{THUMB}"' in body and "Morning routine" in body


def test_when_tiktok_cannot_list_the_posts_the_poll_goes_on_and_the_page_shows_them_by_id(
    request_row, creator, client_for, settings, world
):
    CampaignPost.objects.filter(pk=world["post"].pk).update(caption="", thumbnail_url="", previewed_at=None)
    with responses.RequestsMock() as rsps:
        rsps.get(url(settings, "business/video/list/"), json=fail(40002, "fields: bad"))
        rsps.get(url(settings, "tcm/tt_video/status/"), json=ok({"auth_status": "WAITING"}))
        assert tasks.poll_spark_request(request_row.pk) == Status.REQUESTED

    page = client_for(creator).get(reverse("sparkads:creator_codes"))
    assert page.status_code == 200 and world["post"].video_id in page.content.decode()
