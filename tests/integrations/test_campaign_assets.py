"""Brand profiles and anchors on the campaign pages: managers make and delete them at
TikTok One, members read them, the anchors' review status is read from TikTok."""

from __future__ import annotations

import json

import pytest
import responses
from django.urls import reverse

from integrations.models import Anchor, BackgroundJob, BrandProfile

from .conftest import messages_of

pytestmark = pytest.mark.django_db
API = "/open_api/v1.3/"
HTMX = {"HTTP_HX_REQUEST": "true"}
# Session, user, the brand and its role, the navigation's two, the TikTok One account, the
# anchors' review job (is there one running), a count and a page of the profiles and of the anchors.
ASSETS_PAGE_QUERIES = 14


def ok(data: dict) -> dict:
    return {"code": 0, "message": "OK", "request_id": "r", "data": data}


@pytest.fixture
def account(brand, tto_factory):
    return tto_factory(brand=brand)


@pytest.fixture
def url(brand):
    return reverse("integrations:campaign_assets", args=[brand.slug])


def anchor_of(brand, account, anchor_id="7600000000000000001", status="IN_REVIEW") -> Anchor:
    return Anchor.objects.create(
        brand=brand,
        tiktok_one_account=account,
        anchor_id=anchor_id,
        anchor_sub_type="DESTINATION",
        anchor_name=f"Anchor {anchor_id[-3:]}",
        anchor_title="Visit",
        landing_page_url="https://acme.example",
        status=status,
    )


def test_a_manager_makes_a_brand_profile_once_even_when_the_form_is_sent_twice(
    account, url, brand, client_for, alice, settings
):
    client = client_for(alice)
    form = {
        "kind": "profile",
        "profile-brand_name": "Acme",
        "profile-tiktok_account_url": "https://www.tiktok.com/@acme",
    }
    with responses.RequestsMock() as rsps:
        create = rsps.post(
            settings.TIKTOK_BUSINESS_API_BASE_URL + API + "tto/tcm/brand/profile/create/",
            json=ok({"brand_profile_id": "7500000000000000001", "brand_name": "Acme"}),
        )
        client.post(url, form)
        client.post(url, form)
    assert create.call_count == 1
    assert json.loads(create.calls[0].request.body)["tiktok_account_url"] == "https://www.tiktok.com/@acme"
    profile = BrandProfile.objects.get(brand=brand)
    assert (profile.brand_profile_id, profile.tiktok_account_url) == (
        "7500000000000000001",
        "https://www.tiktok.com/@acme",
    )


def test_a_profile_url_tiktok_would_refuse_is_caught_before_sending(account, url, client_for, alice):
    response = client_for(alice).post(
        url, {"kind": "profile", "profile-brand_name": "Acme", "profile-tiktok_account_url": "https://x.com/acme"}
    )
    assert "address, https://www.tiktok.com/@handle." in response.content.decode()
    assert not BrandProfile.objects.exists()


def test_a_manager_makes_an_anchor_that_starts_in_tiktoks_review(account, url, brand, client_for, alice, settings):
    form = {
        "kind": "anchor",
        "anchor-anchor_sub_type": "ECOMMERCE",
        "anchor-anchor_name": "Shop",
        "anchor-anchor_title": "Shop the drop",
        "anchor-landing_page_url": "https://acme.example/shop",
    }
    with responses.RequestsMock() as rsps:
        create = rsps.post(
            settings.TIKTOK_BUSINESS_API_BASE_URL + API + "tto/tcm/anchor/create/",
            json=ok({"anchor_id": "7600000000000000001", "status": "DRAFT"}),
        )
        page = client_for(alice).post(url, form, follow=True)
    body = json.loads(create.calls[0].request.body)
    assert (body["anchor_type"], body["call_to_action"]) == (
        "WEB_ANCHOR",
        {"landing_page_url": "https://acme.example/shop"},
    )
    assert Anchor.objects.get(brand=brand).status == "DRAFT"
    assert "TikTok reviews it before creators see it" in messages_of(page)


def test_the_page_reads_each_anchors_review_and_drops_one_tiktok_no_longer_has(
    account, url, brand, client_for, bob, settings, run_jobs
):
    approved = anchor_of(brand, account, "7600000000000000001")
    gone = anchor_of(brand, account, "7600000000000000002")
    client = client_for(bob)  # a member reads the page
    with responses.RequestsMock() as rsps:
        get = rsps.get(
            settings.TIKTOK_BUSINESS_API_BASE_URL + API + "tto/tcm/anchor/get/",
            json=ok({"anchors": [{"anchor_id": approved.anchor_id, "status": "SOME_NEW_STATE"}]}),
        )
        with run_jobs():
            page = client.get(url)
            assert not get.calls  # the page shows the status last read while a worker asks
        job = BackgroundJob.objects.get(kind="anchor_review")
        checked = client.get(reverse("integrations:job", args=[job.pk]), **HTMX)
    html = page.content.decode()
    assert "Checking TikTok's review of the anchors" in html and 'hx-trigger="every 2s"' in html
    assert json.loads(get.calls[0].request.params["anchor_ids"]) == [approved.anchor_id, gone.anchor_id]
    approved.refresh_from_db()
    assert approved.status == "SOME_NEW_STATE"  # TikTok's value, shown as sent
    assert not Anchor.objects.filter(pk=gone.pk).exists()
    fragment = checked.content.decode()
    assert fragment.lstrip().startswith('<div id="anchors"') and "every 2s" not in fragment
    assert "SOME_NEW_STATE" in fragment and gone.anchor_name not in fragment
    assert "Create anchor" not in html
    assert "Delete" not in html and "Delete" not in fragment


def test_a_managers_checked_anchors_can_still_be_deleted(account, url, brand, client_for, alice, settings, run_jobs):
    anchor_of(brand, account)
    client = client_for(alice)
    with responses.RequestsMock() as rsps:
        rsps.get(
            settings.TIKTOK_BUSINESS_API_BASE_URL + API + "tto/tcm/anchor/get/",
            json=ok({"anchors": [{"anchor_id": "7600000000000000001", "status": "APPROVED"}]}),
        )
        with run_jobs():
            client.get(url)
    job = BackgroundJob.objects.get(kind="anchor_review")
    fragment = client.get(reverse("integrations:job", args=[job.pk]), **HTMX).content.decode()
    assert "Approved" in fragment and "Delete this anchor on TikTok One?" in fragment


def test_when_tiktok_cannot_say_the_page_keeps_the_status_last_read_and_says_so(
    account, url, brand, client_for, alice, settings, run_jobs
):
    anchor_of(brand, account)
    settings.TIKTOK_MAX_RETRIES = 0
    client = client_for(alice)
    with responses.RequestsMock() as rsps:
        rsps.get(
            settings.TIKTOK_BUSINESS_API_BASE_URL + API + "tto/tcm/anchor/get/",
            json={"code": 40100, "message": "Too many requests", "request_id": "r", "data": {}},
        )
        with run_jobs():
            client.get(url)
    job = BackgroundJob.objects.get(kind="anchor_review")
    assert job.state == BackgroundJob.State.FAILED and job.message
    fragment = client.get(reverse("integrations:job", args=[job.pk]), **HTMX).content.decode()
    assert f"Review status not refreshed: {job.message}" in fragment and "In review" in fragment


def test_no_check_starts_without_anchors(account, url, client_for, alice):
    page = client_for(alice).get(url)
    assert page.context["job"] is None and "No anchors yet." in page.content.decode()
    assert not BackgroundJob.objects.exists()


def test_a_member_cannot_make_or_delete_and_another_brands_anchor_is_not_found(
    account, url, brand, other_brand, client_for, bob, charlie
):
    mine = anchor_of(brand, account)
    member = client_for(bob)
    assert member.post(url, {"kind": "profile", "profile-brand_name": "Acme"}).status_code == 404
    delete = reverse("integrations:delete_anchor", args=[brand.slug, mine.pk])
    assert member.post(delete).status_code == 404
    outsider = client_for(charlie)
    assert outsider.post(reverse("integrations:delete_anchor", args=[other_brand.slug, mine.pk])).status_code == 404
    assert Anchor.objects.filter(pk=mine.pk).exists()


def test_deleting_an_anchor_tiktok_already_removed_removes_it_here_too(account, brand, client_for, alice, settings):
    anchor = anchor_of(brand, account)
    with responses.RequestsMock() as rsps:
        rsps.post(
            settings.TIKTOK_BUSINESS_API_BASE_URL + API + "tto/tcm/anchor/delete/",
            json={"code": 40007, "message": "anchor_id doesn't exist.", "request_id": "r", "data": {}},
        )
        client_for(alice).post(reverse("integrations:delete_anchor", args=[brand.slug, anchor.pk]))
    assert not Anchor.objects.filter(pk=anchor.pk).exists()


def test_an_anchor_tiktok_will_not_delete_stays(account, brand, client_for, alice, settings):
    anchor = anchor_of(brand, account)
    with responses.RequestsMock() as rsps:
        rsps.post(
            settings.TIKTOK_BUSINESS_API_BASE_URL + API + "tto/tcm/anchor/delete/",
            json={"code": 40002, "message": "anchor is used by a campaign", "request_id": "r", "data": {}},
        )
        page = client_for(alice).post(reverse("integrations:delete_anchor", args=[brand.slug, anchor.pk]), follow=True)
    assert Anchor.objects.filter(pk=anchor.pk).exists()
    assert "anchor is used by a campaign" in messages_of(page)


def crowd_of_assets(brand, account, n: int) -> None:
    """n brand profiles and n anchors of the brand."""
    BrandProfile.objects.bulk_create(
        BrandProfile(
            brand=brand, tiktok_one_account=account, brand_profile_id=f"77{i:06d}", brand_name=f"Profile {i:05d}"
        )
        for i in range(n)
    )
    Anchor.objects.bulk_create(
        Anchor(brand=brand, tiktok_one_account=account, anchor_id=f"76{i:06d}", anchor_sub_type="DESTINATION",
               anchor_name=f"Anchor {i:05d}", anchor_title="Visit", status="APPROVED")
        for i in range(n)
    )  # fmt: skip


@pytest.mark.parametrize("size", [10, 1000])
def test_the_brand_profiles_and_anchors_are_each_a_page_in_the_same_queries_at_10_and_1000(
    account, url, brand, client_for, bob, size, django_assert_num_queries
):
    crowd_of_assets(brand, account, size)
    client = client_for(bob)
    client.get(url)  # the session's first read, and the anchors' review check started
    with django_assert_num_queries(ASSETS_PAGE_QUERIES):
        html = client.get(url).content.decode()
    profiles, anchors = html.split("<h2>Anchors</h2>", 1)
    assert profiles.count("<td>Profile ") == min(size, 25)
    assert anchors.count("<td>Anchor ") == min(size, 25)
    if size > 25:
        assert "profiles_page=2" in profiles and "anchors_page=2" in anchors


def test_each_asset_list_pages_with_its_own_links(account, url, brand, client_for, bob):
    crowd_of_assets(brand, account, 30)
    html = client_for(bob).get(url, {"profiles_page": "2", "anchors_page": "2"}).content.decode()
    profiles, anchors = html.split("<h2>Anchors</h2>", 1)
    assert profiles.count("<td>Profile ") == 5 and "<td>Profile 00029</td>" in profiles
    assert anchors.count("<td>Anchor ") == 5 and "Page 2 of 2" in anchors
