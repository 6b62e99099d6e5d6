"""The integrations page, its htmx fragments, the ad-account rules and tenant isolation."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from integrations.connect import capability as cap
from integrations.connect.capability import spark_ads_capability
from integrations.models import AdAccount, BrandNotice, Campaign

from .conftest import messages_of

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def settings_url(brand):
    return reverse("integrations:tiktok_settings", args=[brand.slug])


def test_the_page_shows_the_connect_button_to_owners(client_for, alice, brand):
    html = client_for(alice).get(settings_url(brand)).content.decode()
    assert "Add TikTok One and Ad Account" in html
    assert "What is enabled" in html and "Next step" in html
    assert "Why can&#x27;t I access Spark Ads?" in html or "Why can't I access Spark Ads?" in html
    assert "What if I have no TikTok One account?" in html
    assert "How do I remove a TikTok One account?" in html


def test_members_see_the_page_without_the_buttons(client_for, bob, brand, tto_factory, ad_factory):
    account = tto_factory(brand=brand)
    ad_factory(brand, account, is_active_for_spark=True)
    response = client_for(bob).get(settings_url(brand))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Only the brand's owners and admins" in html
    assert 'action="/brands/acme/integrations/tiktok/connect/"' not in html
    assert "Remove</button>" not in html


def test_the_page_lists_accounts_status_and_the_active_spark_ad_account(
    client_for, alice, brand, tto_factory, ad_factory
):
    account = tto_factory(brand=brand, name="Acme One")
    ad_factory(brand, account, name="Acme US", is_active_for_spark=True)
    ad_factory(brand, account, name="Acme EU")
    unverified = tto_factory(brand=brand, name="Acme Draft", verified=False)
    html = client_for(alice).get(settings_url(brand)).content.decode()
    assert "Connected TikTok One Accounts" in html
    assert "Acme One" in html and "Acme Draft" in html
    assert "Active for Spark Ads" in html and "Use for Spark Ads" in html
    assert "Not verified by TikTok" in html and "How to verify" in html
    assert "contact support" in html
    assert unverified.name in html


def test_choosing_the_spark_ad_account_with_htmx(client_for, alice, brand, tto_factory, ad_factory):
    account = tto_factory(brand=brand)
    first = ad_factory(brand, account, is_active_for_spark=True)
    second = ad_factory(brand, account)
    url = reverse("integrations:choose_spark_ad_account", args=[brand.slug, second.pk])
    response = client_for(alice).post(url, **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="tiktok-body">')
    assert f"“{second}” is now the ad account for Spark Ads." in html
    first.refresh_from_db(), second.refresh_from_db()
    assert (first.is_active_for_spark, second.is_active_for_spark) == (False, True)
    assert spark_ads_capability(brand).ad_account == second


def test_an_ad_account_without_access_cannot_be_chosen(client_for, alice, brand, tto_factory, ad_factory):
    account = tto_factory(brand=brand)
    ad_factory(brand, account, is_active_for_spark=True)
    blocked = ad_factory(brand, account, access=False)
    url = reverse("integrations:choose_spark_ad_account", args=[brand.slug, blocked.pk])
    html = client_for(alice).post(url, **HTMX).content.decode()
    assert "cannot access it" in html
    blocked.refresh_from_db()
    assert not blocked.is_active_for_spark


def test_removing_the_last_usable_ad_account_is_refused_with_the_reason(
    client_for, alice, brand, tto_factory, ad_factory
):
    account = tto_factory(brand=brand)
    only = ad_factory(brand, account, is_active_for_spark=True)
    ad_factory(brand, account, access=False)
    url = reverse("integrations:remove_ad_account", args=[brand.slug, only.pk])
    response = client_for(alice).post(url, follow=True)
    assert "only ad account with Spark Ads enabled that your TikTok One account can access" in messages_of(response)
    only.refresh_from_db()
    assert only.removed_at is None and only.is_active_for_spark
    assert spark_ads_capability(brand).enabled


def test_removing_an_ad_account_when_another_usable_one_remains(client_for, alice, brand, tto_factory, ad_factory):
    account = tto_factory(brand=brand)
    active = ad_factory(brand, account, is_active_for_spark=True)
    spare = ad_factory(brand, account)
    url = reverse("integrations:remove_ad_account", args=[brand.slug, active.pk])
    html = client_for(alice).post(url, **HTMX).content.decode()
    assert f"Removed the ad account “{active}”." in html
    active.refresh_from_db(), spare.refresh_from_db()
    assert active.removed_at is not None and not active.is_active_for_spark
    assert spare.is_active_for_spark  # Spark Ads move to the remaining usable ad account
    assert spark_ads_capability(brand).case == cap.ENABLED


def test_removing_an_ad_account_without_access_is_allowed(client_for, alice, brand, tto_factory, ad_factory):
    account = tto_factory(brand=brand)
    ad_factory(brand, account, is_active_for_spark=True)
    blocked = ad_factory(brand, account, access=False)
    client_for(alice).post(reverse("integrations:remove_ad_account", args=[brand.slug, blocked.pk]))
    blocked.refresh_from_db()
    assert blocked.removed_at is not None


def test_a_spark_disabled_ad_account_does_not_count_as_remaining(client_for, alice, brand, tto_factory, ad_factory):
    account = tto_factory(brand=brand)
    only = ad_factory(brand, account, is_active_for_spark=True)
    ad_factory(brand, account, spark_ads_enabled=False)
    client_for(alice).post(reverse("integrations:remove_ad_account", args=[brand.slug, only.pk]))
    only.refresh_from_db()
    assert only.removed_at is None


def test_notices_show_until_dismissed(client_for, alice, brand):
    notice = BrandNotice.objects.create(brand=brand, message="Spark Ads are now off. Because.")
    client = client_for(alice)
    assert "Spark Ads are now off" in client.get(settings_url(brand)).content.decode()
    response = client.post(reverse("integrations:dismiss_notice", args=[brand.slug, notice.pk]), **HTMX)
    assert response.status_code == 200 and response.content == b""
    assert "Spark Ads are now off" not in client.get(settings_url(brand)).content.decode()


def _queries_for(client, brand) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(settings_url(brand)).status_code == 200
    return len(ctx.captured_queries)


def test_the_page_query_count_does_not_grow_with_accounts(client_for, alice, brand, tto_factory, ad_factory):
    client = client_for(alice)
    account = tto_factory(brand=brand)
    ad_factory(brand, account, is_active_for_spark=True)
    BrandNotice.objects.create(brand=brand, message="hello")
    one = _queries_for(client, brand)
    for _ in range(6):
        more = tto_factory(brand=brand, verified=False)
        for _ in range(4):
            ad_factory(brand, more)
        ad_factory(brand, None)
    BrandNotice.objects.create(brand=brand, message="again")
    assert _queries_for(client, brand) == one


# --- tenant isolation: every page and fragment is a 404 for an outsider ------------------------


@pytest.fixture
def acme_objects(brand, tto_factory, ad_factory):
    account = tto_factory(brand=brand)
    ad = ad_factory(brand, account, is_active_for_spark=True)
    ad_factory(brand, account)
    notice = BrandNotice.objects.create(brand=brand, message="secret notice")
    campaign = Campaign.objects.create(brand=brand, name="Acme launch", campaign_id="7999")
    return {"ad": ad, "notice": notice, "campaign": campaign}


def _brand_urls(brand, objs):
    slug = brand.slug
    return [
        ("get", reverse("integrations:tiktok_settings", args=[slug])),
        ("post", reverse("integrations:tiktok_connect", args=[slug])),
        ("post", reverse("integrations:choose_spark_ad_account", args=[slug, objs["ad"].pk])),
        ("post", reverse("integrations:remove_ad_account", args=[slug, objs["ad"].pk])),
        ("post", reverse("integrations:dismiss_notice", args=[slug, objs["notice"].pk])),
        ("get", reverse("integrations:creator_search", args=[slug])),
        ("get", reverse("integrations:creator_profile", args=[slug, "demo.creator"])),
        ("get", reverse("integrations:campaigns", args=[slug])),
        ("post", reverse("integrations:campaigns", args=[slug])),
        ("get", reverse("integrations:campaign_detail", args=[slug, objs["campaign"].pk])),
        ("post", reverse("integrations:campaign_detail", args=[slug, objs["campaign"].pk])),
    ]


def test_an_outsider_gets_404_on_every_page_and_fragment(client_for, charlie, other_brand, brand, acme_objects):
    client = client_for(charlie)
    for method, url in _brand_urls(brand, acme_objects):
        for extra in ({}, HTMX):
            response = getattr(client, method)(url, **extra)
            assert response.status_code == 404, (method, url, extra)
    acme_objects["ad"].refresh_from_db()
    assert acme_objects["ad"].removed_at is None and acme_objects["ad"].is_active_for_spark
    assert BrandNotice.objects.get(pk=acme_objects["notice"].pk).dismissed_at is None


def test_an_outsider_cannot_reach_objects_through_their_own_brand(
    client_for, charlie, other_brand, brand, acme_objects
):
    """Another brand's ids under the outsider's own slug are 404 too."""
    client = client_for(charlie)
    slug = other_brand.slug
    urls = [
        reverse("integrations:choose_spark_ad_account", args=[slug, acme_objects["ad"].pk]),
        reverse("integrations:remove_ad_account", args=[slug, acme_objects["ad"].pk]),
        reverse("integrations:dismiss_notice", args=[slug, acme_objects["notice"].pk]),
        reverse("integrations:campaign_detail", args=[slug, acme_objects["campaign"].pk]),
    ]
    for url in urls:
        assert client.post(url, **HTMX).status_code == 404, url
    assert client.get(urls[-1]).status_code == 404
    assert AdAccount.objects.get(pk=acme_objects["ad"].pk).removed_at is None


def test_a_member_cannot_use_owner_actions(client_for, bob, brand, acme_objects):
    client = client_for(bob)
    for url in (
        reverse("integrations:choose_spark_ad_account", args=[brand.slug, acme_objects["ad"].pk]),
        reverse("integrations:remove_ad_account", args=[brand.slug, acme_objects["ad"].pk]),
        reverse("integrations:tiktok_connect", args=[brand.slug]),
    ):
        assert client.post(url, **HTMX).status_code == 404, url


def test_anonymous_users_are_sent_to_login(client, brand, acme_objects):
    for method, url in _brand_urls(brand, acme_objects):
        response = getattr(client, method)(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
    assert client.get(reverse("integrations:tiktok_callback")).status_code == 302


# --- callback edge cases that never reach TikTok ---------------------------------------------


def _start(client, brand):
    response = client.post(reverse("integrations:tiktok_connect", args=[brand.slug]))
    query = parse_qs(urlparse(response["Location"]).query)
    assert response["Location"].startswith(f"{django_settings.TIKTOK_BUSINESS_API_BASE_URL}/portal/auth?")
    assert query["redirect_uri"] == [f"{django_settings.SITE_URL}{reverse('integrations:tiktok_callback')}"]
    return query["state"][0]


def test_an_expired_state_is_refused(client_for, alice, brand, settings):
    settings.INTEGRATIONS_OAUTH_STATE_SECONDS = -1
    client = client_for(alice)
    state = _start(client, brand)
    page = client.get(reverse("integrations:tiktok_callback"), {"auth_code": "x", "state": state}, follow=True)
    assert "took too long and expired" in messages_of(page)
    assert page.request["PATH_INFO"] == settings_url(brand)


def test_a_reply_without_auth_code_or_with_another_error(client_for, alice, brand):
    client = client_for(alice)
    page = client.get(reverse("integrations:tiktok_callback"), {"state": _start(client, brand)}, follow=True)
    assert "had no authorization code" in messages_of(page)
    page = client.get(
        reverse("integrations:tiktok_callback"), {"state": _start(client, brand), "error": "server_error"}, follow=True
    )
    assert "TikTok did not authorize the connection (server_error)" in messages_of(page)


def test_states_are_single_use_and_bound_to_the_brand(client_for, alice, brand, charlie, other_brand):
    client = client_for(alice)
    first, second = _start(client, brand), _start(client, brand)
    assert first != second
    states = client.session["integrations_tiktok_states"]
    assert states[first]["target"] == brand.slug and set(states) == {first, second}
    client.get(reverse("integrations:tiktok_callback"), {"state": first, "error": "access_denied"})
    assert set(client.session["integrations_tiktok_states"]) == {second}


def test_a_state_for_a_brand_the_user_left_is_a_404(client_for, alice, brand):
    from integrations.models import BrandMembership

    client = client_for(alice)
    state = _start(client, brand)
    BrandMembership.objects.filter(user=alice, brand=brand).update(role=BrandMembership.Role.MEMBER)
    response = client.get(reverse("integrations:tiktok_callback"), {"state": state, "auth_code": "x"})
    assert response.status_code == 404


def test_a_campaigns_posts_show_cover_and_caption_at_a_query_count_that_does_not_grow(client_for, alice, brand):
    from integrations.models import CampaignPost, TikTokAccount

    campaign = Campaign.objects.create(brand=brand, name="Spring")
    url = reverse("integrations:campaign_detail", args=[brand.slug, campaign.pk])
    client = client_for(alice)
    client.get(url)  # signing in writes the session once
    counts = []
    for n in (2, 9):
        for i in range(n):
            account = TikTokAccount.objects.create(handle=f"maker.{n}.{i}")
            CampaignPost.objects.create(
                campaign=campaign,
                tiktok_account=account,
                video_id=f"77{n:02d}{i:015d}",
                caption=f"Look {n}.{i} #spring",
                thumbnail_url=f"https://p16-sign.tiktokcdn.com/cover/{n}{i}.jpeg",
            )
        with CaptureQueriesContext(connection) as captured:
            html = client.get(url).content.decode()
        counts.append(len(captured))
    assert counts[0] == counts[1]
    assert "Look 9.8 #spring" in html and 'src="https://p16-sign.tiktokcdn.com/cover/98.jpeg"' in html


def bulk_campaign(campaign, n: int) -> None:
    """n creators in the campaign, each with a linked post, built in bulk."""
    from integrations.models import CampaignPost, Collaboration, TikTokAccount

    accounts = TikTokAccount.objects.bulk_create([TikTokAccount(handle=f"maker{i:05d}") for i in range(n)])
    collabs = Collaboration.objects.bulk_create(
        [Collaboration(campaign=campaign, tiktok_account=a, status=Collaboration.Status.JOINED) for a in accounts]
    )
    CampaignPost.objects.bulk_create(
        [
            CampaignPost(campaign=campaign, collaboration=c, tiktok_account=c.tiktok_account, video_id=f"78{i:015d}")
            for i, c in enumerate(collabs)
        ]
    )


# Session, user, brand, role, campaign, the navigation's two, each list's count and page.
CAMPAIGN_DETAIL_QUERIES = 11


@pytest.mark.parametrize("size", [10, 1000])
def test_a_campaigns_page_makes_the_same_queries_at_10_and_1000_creators(
    client_for, alice, brand, django_assert_num_queries, size
):
    campaign = Campaign.objects.create(brand=brand, name="Spring")
    bulk_campaign(campaign, size)
    client = client_for(alice)
    with django_assert_num_queries(CAMPAIGN_DETAIL_QUERIES):
        html = client.get(reverse("integrations:campaign_detail", args=[brand.slug, campaign.pk])).content
    assert len(html) < 100_000
    page = html.decode()
    assert page.count("<td>@maker") == 2 * min(size, 25)


def test_a_campaigns_creators_and_posts_page_apart(client_for, alice, brand):
    campaign = Campaign.objects.create(brand=brand, name="Spring")
    bulk_campaign(campaign, 30)
    url = reverse("integrations:campaign_detail", args=[brand.slug, campaign.pk])
    client = client_for(alice)
    html = client.get(url, {"posts-page": "2"}).content.decode()
    assert 'href="?posts-page=2&amp;creators-page=2"' in html  # the creators' next page keeps the posts' page
    fragment = client.get(url, {"creators-page": "2"}, HTTP_HX_TARGET="collaborations", **HTMX).content.decode()
    assert fragment.lstrip().startswith('<div id="collaborations"') and "Posts" not in fragment
    assert "@maker00025" in fragment and "@maker00024" not in fragment and "Page 2 of 2" in fragment


def test_the_campaign_list_comes_a_page_at_a_time(client_for, alice, brand):
    Campaign.objects.bulk_create([Campaign(brand=brand, name=f"Drop {i:04d}") for i in range(1000)])
    client = client_for(alice)
    url = reverse("integrations:campaigns", args=[brand.slug])
    html = client.get(url).content.decode()
    assert "1,000 campaigns" in html and html.count(">Drop ") == 25 and 'href="?page=2"' in html
    assert ">Drop 0999<" in html and ">Drop 0974<" not in html
    html = client.get(url, {"page": "40"}).content.decode()
    assert ">Drop 0000<" in html and "Page 40 of 40" in html
