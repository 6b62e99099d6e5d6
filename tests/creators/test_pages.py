"""Creator pages and the brand's campaign-creators page: access, CSRF, query counts."""

from __future__ import annotations

import itertools

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from creators.models import CreatorProfile, MarketplaceOnboarding
from integrations.models import Campaign, CampaignPost, Collaboration, Credential, TikTokAccount

pytestmark = pytest.mark.django_db
_n = itertools.count(1)


def make_account(owner, campaign=None, state=MarketplaceOnboarding.State.WAITING, posts=2):
    n = next(_n)
    cred = Credential.objects.create(kind=Credential.Kind.TT_USER, user=owner, access_token=f"t{n}")
    account = TikTokAccount.objects.create(
        handle=f"creator.{n}", open_id=f"open-{n}", owner=owner, credential=cred, follower_count=20000
    )
    MarketplaceOnboarding.objects.create(
        tiktok_account=account,
        state=state,
        authorized_at=timezone.now(),
        ineligible_reasons=[{"label": "10,000+ followers", "fix": "Grow"}],
    )
    if campaign is not None:
        collab = Collaboration.objects.create(
            campaign=campaign, tiktok_account=account, status=Collaboration.Status.JOINED
        )
        for i in range(posts):
            CampaignPost.objects.create(
                campaign=campaign, collaboration=collab, tiktok_account=account, video_id=f"77{n}{i}"
            )
    return account


@pytest.fixture
def campaign(brand):
    return Campaign.objects.create(brand=brand, name="Spring", invite_link="https://example.test/invite/x")


def test_a_user_without_a_profile_is_offered_to_become_a_creator(client_for, user_factory):
    user = user_factory()
    client = client_for(user)
    assert "Become a creator" in client.get(reverse("creators:home")).content.decode()
    client.post(reverse("creators:become"))
    assert CreatorProfile.objects.filter(user=user).exists()
    assert "Become a creator" not in client.get(reverse("creators:home")).content.decode()


def test_the_social_accounts_page_query_count_does_not_grow(
    client_for, user_factory, campaign, django_assert_max_num_queries
):
    user = user_factory()
    CreatorProfile.objects.create(user=user)
    for state in ("waiting", "not_eligible", "in_marketplace"):
        make_account(user, campaign, state=state)
    client = client_for(user)
    with django_assert_max_num_queries(9):
        html = client.get(reverse("creators:home")).content.decode()
    assert html.count('<ol class="steps">') == 3 and "TikTok is reviewing this post" in html
    assert 'hx-trigger="every 30s"' in html  # a waiting account keeps the page polling
    fragment = client.get(reverse("creators:home"), headers={"HX-Request": "true"}).content.decode()
    assert fragment.lstrip().startswith('<div id="accounts"')


def collaborations_of(account, brand, n: int) -> None:
    """n campaigns of one brand, each with the account in it, in bulk."""
    campaigns = Campaign.objects.bulk_create(Campaign(brand=brand, name=f"Bulk campaign {i:05d}") for i in range(n))
    Collaboration.objects.bulk_create(
        Collaboration(campaign=c, tiktok_account=account, status=Collaboration.Status.INVITED) for c in campaigns
    )


# Session, user, the accounts (with their onboarding), the collaborations' count, page and
# posts, the creator profile, the navigation's brands.
SOCIAL_ACCOUNTS_QUERIES = 8


@pytest.mark.parametrize("size", [10, 1000])
def test_the_social_accounts_page_makes_the_same_queries_at_10_and_1000_collaborations(
    client_for, user_factory, brand, django_assert_num_queries, size
):
    user = user_factory()
    CreatorProfile.objects.create(user=user)
    collaborations_of(make_account(user), brand, size)
    client = client_for(user)
    with django_assert_num_queries(SOCIAL_ACCOUNTS_QUERIES):
        html = client.get(reverse("creators:home")).content.decode()
    assert html.count('<article class="collab">') == min(size, 25)
    assert len(html) < 100_000


def test_a_creators_collaborations_come_a_page_at_a_time_newest_first(client_for, user_factory, brand):
    user = user_factory()
    CreatorProfile.objects.create(user=user)
    collaborations_of(make_account(user), brand, 30)
    client = client_for(user)
    html = client.get(reverse("creators:home"), {"collaborations_page": "2"}).content.decode()
    assert html.count('<article class="collab">') == 5 and "Page 2 of 2" in html
    assert "Bulk campaign 00000" in html and 'href="?collaborations_page=1"' in html


def test_brands_see_their_campaign_creators_states(
    client_for, alice, campaign, user_factory, django_assert_max_num_queries
):
    for state in ("waiting", "overdue", "not_eligible", "in_marketplace"):
        make_account(user_factory(), campaign, state=state)
    client = client_for(alice)
    with django_assert_max_num_queries(8):
        html = client.get(reverse("creators:campaign_creators", args=[campaign.brand.slug, campaign.pk])).content
    html = html.decode()
    assert "Invite not arrived after 24 hours" in html and "Not eligible: 10,000+ followers" in html
    assert "In the Creator Marketplace" in html


def bulk_creators(campaign, n: int) -> list[TikTokAccount]:
    """n creators in the campaign, each with a credential and a Marketplace state, in bulk."""
    creds = Credential.objects.bulk_create(
        [Credential(kind=Credential.Kind.TT_USER, access_token=f"bulk{i}") for i in range(n)]
    )
    accounts = TikTokAccount.objects.bulk_create(
        [
            TikTokAccount(handle=f"bulk.creator{i:05d}", open_id=f"bulk-open-{i}", credential=c, follower_count=20000)
            for i, c in enumerate(creds)
        ]
    )
    MarketplaceOnboarding.objects.bulk_create(
        [MarketplaceOnboarding(tiktok_account=a, state=MarketplaceOnboarding.State.WAITING) for a in accounts]
    )
    Collaboration.objects.bulk_create(
        [Collaboration(campaign=campaign, tiktok_account=a, status=Collaboration.Status.JOINED) for a in accounts]
    )
    return accounts


# Session, user, brand, campaign, the navigation's two, the count and the page.
CAMPAIGN_CREATORS_QUERIES = 8


@pytest.mark.parametrize("size", [10, 1000])
def test_the_campaign_creators_page_makes_the_same_queries_at_10_and_1000_creators(
    client_for, alice, campaign, django_assert_num_queries, size
):
    bulk_creators(campaign, size)
    client = client_for(alice)
    with django_assert_num_queries(CAMPAIGN_CREATORS_QUERIES):
        html = client.get(reverse("creators:campaign_creators", args=[campaign.brand.slug, campaign.pk])).content
    assert html.decode().count("@bulk.creator") == min(size, 25)
    assert len(html) < 100_000


def test_the_campaign_creators_are_found_by_handle_and_paged_with_plain_links(client_for, alice, campaign):
    bulk_creators(campaign, 60)
    client = client_for(alice)
    url = reverse("creators:campaign_creators", args=[campaign.brand.slug, campaign.pk])
    html = client.get(url, {"q": "@creator0004"}).content.decode()
    assert "10 creators" in html and "@bulk.creator00049" in html and "@bulk.creator00050" not in html
    html = client.get(url, {"page": "3"}, headers={"HX-Request": "true", "HX-Target": "creators"}).content.decode()
    assert html.lstrip().startswith('<section class="card" id="creators"')
    assert "@bulk.creator00050" in html and "@bulk.creator00049" not in html and "Page 3 of 3" in html
    assert 'href="?page=2"' in html


def test_an_outsider_gets_a_404_on_the_brand_page(client_for, charlie, other_brand, campaign):
    client = client_for(charlie)
    assert client.get(reverse("creators:campaign_creators", args=[campaign.brand.slug, campaign.pk])).status_code == 404
    # Their own brand's slug with our campaign's pk: still not theirs.
    assert client.get(reverse("creators:campaign_creators", args=[other_brand.slug, campaign.pk])).status_code == 404


def test_another_creators_account_is_a_404(client_for, user_factory):
    account = make_account(user_factory())
    client = client_for(user_factory())
    assert client.post(reverse("creators:disconnect", args=[account.pk])).status_code == 404
    assert client.post(reverse("creators:accepted", args=[account.pk])).status_code == 404


def test_a_post_without_csrf_is_refused(user_factory):
    user = user_factory()
    account = make_account(user)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.post(reverse("creators:disconnect", args=[account.pk])).status_code == 403
    assert client.post(reverse("creators:authorize")).status_code == 403


def test_pages_need_a_login(client):
    assert client.get(reverse("creators:home")).status_code == 302


def test_use_another_tiktok_account_asks_tiktok_to_show_its_consent_screen(client_for, user_factory):
    user = user_factory()
    make_account(user)
    CreatorProfile.objects.create(user=user)
    client = client_for(user)
    assert "Use another TikTok account" in client.get(reverse("creators:home")).content.decode()

    again = client.post(reverse("creators:authorize"))["Location"]
    another = client.post(reverse("creators:authorize"), {"another": "1"})["Location"]

    assert "disable_auto_auth" not in again
    assert "disable_auto_auth=1" in another and "/v2/auth/authorize/" in another


@pytest.mark.parametrize(
    ("code", "says"),
    [(40121, "not in the Creator Marketplace"), (40130, "Authorize TikTok again and leave every permission ticked")],
)
def test_tiktoks_creator_refusals_are_explained(user_factory, campaign, settings, code, says):
    import responses

    from creators import collaborations
    from integrations.errors import FlowError

    account = make_account(user_factory())
    account.creator_id = "7500000000000000001"
    account.save()
    with responses.RequestsMock() as rsps:
        rsps.post(
            f"{settings.TIKTOK_BUSINESS_API_BASE_URL}/open_api/v1.3/tto/creator/campaign/join/",
            json={"code": code, "message": "refused", "request_id": "r", "data": {}},
        )
        with pytest.raises(FlowError, match=says):
            collaborations.join_campaign(account, campaign)


def test_a_boosted_form_lands_on_the_whole_page_with_its_message_while_a_poll_gets_the_fragment(
    client_for, user_factory
):
    user = user_factory()
    CreatorProfile.objects.create(user=user)
    make_account(user)
    client = client_for(user)
    boosted = {"HX-Request": "true", "HX-Boosted": "true"}

    # A form with hx-boost follows its redirect as a boosted request: the whole page comes back.
    landed = client.post(reverse("creators:join_with_link"), {"link": "not a link"}, headers=boosted, follow=True)
    poll = client.get(reverse("creators:home"), headers={"HX-Request": "true"}).content.decode()

    page = landed.content.decode()
    assert landed.redirect_chain and 'class="messages"' in page and "<nav" in page
    assert "<nav" not in poll
