"""The creator's Spark Ads page at volume: the requests waiting and the authorizations given
are paged, each with its own plain links, and the page makes the same queries at 10 and 1,000
of each."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from integrations.models import CampaignPost, Credential, TikTokAccount
from sparkads.models import SparkAuthorization

from .test_ledger_volume import bulk_ledger

pytestmark = pytest.mark.django_db
Status = SparkAuthorization.Status
# Session, user, the creator's accounts, each list's count and page (the requests waiting, the
# authorizations given, the posts a pasted code can be for), the page's open extension
# proposals, the navigation's two.
CREATOR_PAGE_QUERIES = 12


@pytest.fixture
def star(user_factory):
    return user_factory(email="volume.star@example.test")


def owned_by(user, world, n: int, prefix: str) -> list[SparkAuthorization]:
    """n authorizations of the creator's posts: requested, active and expired in turn."""
    rows = bulk_ledger(world, n, prefix=prefix)
    credential = Credential.objects.create(kind=Credential.Kind.TT_USER, user=user, open_id=f"{prefix}open")
    TikTokAccount.objects.filter(spark_authorizations__in=rows).update(owner=user, credential=credential)
    SparkAuthorization.objects.filter(pk__in=[r.pk for r in rows]).update(decided_at=timezone.now())
    return rows


@pytest.mark.parametrize("size", [10, 1000])
def test_the_creators_spark_page_makes_the_same_queries_at_10_and_1000_authorizations(
    world, star, client, django_assert_num_queries, size
):
    owned_by(star, world, size, "vol")
    client.force_login(star)
    client.get(reverse("sparkads:creator_codes"))  # the session's first read
    with django_assert_num_queries(CREATOR_PAGE_QUERIES):
        html = client.get(reverse("sparkads:creator_codes")).content.decode()
    waiting = html.split('id="spark-requests"', 1)[1].split('id="spark-given"', 1)[0]
    given = html.split('id="spark-given"', 1)[1].split('id="spark-paste"', 1)[0]
    requested = (size + 1) // 3
    assert waiting.count("Approve for ") == min(requested, 25)
    assert given.count('class="terms"') == min(size - requested, 25)


def test_each_list_on_the_creators_spark_page_has_its_own_plain_page_links(world, star, client):
    owned_by(star, world, 90, "pg")  # 30 waiting, 60 given
    client.force_login(star)
    html = client.get(reverse("sparkads:creator_codes")).content.decode()
    assert 'href="?waiting_page=2"' in html and 'href="?page=2"' in html
    assert "Page 1 of 2" in html and "Page 1 of 3" in html

    html = client.get(reverse("sparkads:creator_codes"), {"page": "3", "waiting_page": "2"}).content.decode()
    waiting = html.split('id="spark-requests"', 1)[1].split('id="spark-given"', 1)[0]
    given = html.split('id="spark-given"', 1)[1].split('id="spark-paste"', 1)[0]
    assert waiting.count("Approve for ") == 5 and "Page 2 of 2" in waiting
    assert given.count('class="terms"') == 10 and "Page 3 of 3" in given
    assert 'href="?page=2&amp;waiting_page=2"' in given


def test_another_creators_authorizations_are_not_on_the_page(world, star, client, user_factory):
    owned_by(user_factory(email="someone.else@example.test"), world, 12, "other")
    client.force_login(star)
    html = client.get(reverse("sparkads:creator_codes")).content.decode()
    assert "No requests waiting." in html and "None yet." in html


def campaign_posts_of(user, world, n: int) -> list[CampaignPost]:
    """n linked posts of one of the creator's TikTok accounts, in the world's campaign."""
    account = TikTokAccount.objects.create(handle="paste.star", owner=user)
    return CampaignPost.objects.bulk_create(
        CampaignPost(
            campaign=world["campaign"],
            tiktok_account=account,
            video_id=f"paste{i:06d}",
            link_status=CampaignPost.LinkStatus.APPROVE,
            caption=f"Paste caption {i}",
        )
        for i in range(n)
    )


def paste_options(html: str) -> list[str]:
    return html.split('id="spark-paste"', 1)[1].split("</select>", 1)[0].split("<option ")[1:]


@pytest.mark.parametrize("size", [10, 1000])
def test_the_paste_a_code_form_offers_a_page_of_the_creators_posts_with_the_same_queries_at_10_and_1000(
    world, star, client, django_assert_num_queries, size
):
    owned_by(star, world, 10, "few")  # every list of the page has rows: 10 more posts
    campaign_posts_of(star, world, size)
    client.force_login(star)
    client.get(reverse("sparkads:creator_codes"))  # the session's first read
    with django_assert_num_queries(CREATOR_PAGE_QUERIES):
        html = client.get(reverse("sparkads:creator_codes")).content.decode()
    assert len(paste_options(html)) == min(size + 10, 25)


def test_a_creator_finds_the_post_to_paste_a_code_for_by_its_caption_or_its_campaign(world, star, client):
    posts = campaign_posts_of(star, world, 1000)
    client.force_login(star)
    url = reverse("sparkads:creator_codes")

    options = paste_options(client.get(url, {"post_q": "caption 987"}).content.decode())
    assert len(options) == 1 and f'value="{posts[987].pk}"' in options[0]

    html = client.get(url, {"post_q": world["campaign"].name, "posts_page": "2"}).content.decode()
    assert len(paste_options(html)) == 25 and "Page 2 of 40" in html

    html = client.get(url, {"post_q": "no such post"}).content.decode()
    assert paste_options(html) == [] and "None of your campaign posts match" in html
