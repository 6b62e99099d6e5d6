"""The words people read: plurals, articles, punctuation and times that read as a person writes."""

from __future__ import annotations

import re
import tokenize
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

ROOT = Path(__file__).resolve().parents[2]
APPS = ("aspire_tiktok", "integrations", "creators", "sparkads", "templates")
# "row(s)", "Spark Ad(s)": Django's pluralize says it properly.
PARENTHESISED_PLURAL = re.compile(r"[A-Za-z]\(s\)")


def _texts():
    """(where, text) of every template line and every Python string literal of the apps."""
    for app in APPS:
        for path in (ROOT / app).rglob("*"):
            if "migrations" in path.parts:
                continue
            where = path.relative_to(ROOT)
            if path.suffix == ".html":
                for n, line in enumerate(path.read_text().splitlines(), 1):
                    yield f"{where}:{n}", line
            elif path.suffix == ".py":
                with path.open("rb") as source:
                    for token in tokenize.tokenize(source.readline):
                        if token.type in (tokenize.STRING, tokenize.FSTRING_MIDDLE):
                            yield f"{where}:{token.start[0]}", token.string


def test_no_message_or_page_says_things_like_row_s():
    found = [f"{where}: {text.strip()}" for where, text in _texts() if PARENTHESISED_PLURAL.search(text)]
    assert not found, "\n".join(found)


@pytest.mark.django_db
def test_a_tiktok_one_account_checked_a_moment_ago_reads_now_not_0_minutes(client_for, alice, brand):
    from integrations.models import TikTokOneAccount

    TikTokOneAccount.objects.create(
        tto_tcm_account_id="7200000000000000077", name="Acme One", brand=brand, last_checked_at=timezone.now()
    )
    html = client_for(alice).get(reverse("integrations:tiktok_settings", args=[brand.slug])).content.decode()
    assert "checked now" in html and "0 minutes" not in html


@pytest.mark.django_db
def test_a_reason_tiktok_ends_with_a_full_stop_is_not_followed_by_another(client_for, user_factory):
    from creators.models import CreatorProfile, MarketplaceOnboarding
    from integrations.models import Credential, TikTokAccount

    user = user_factory(email="maker@example.test")
    CreatorProfile.objects.create(user=user, display_name="Maker")
    cred = Credential.objects.create(kind=Credential.Kind.TT_USER, user=user, access_token="t")
    account = TikTokAccount.objects.create(handle="maker", open_id="o-1", owner=user, credential=cred)
    MarketplaceOnboarding.objects.create(
        tiktok_account=account,
        state=MarketplaceOnboarding.State.NOT_ELIGIBLE,
        ineligible_reasons=[{"label": "Age verified", "reason": "The creator must be 18 or older.", "fix": "Verify"}],
    )
    html = client_for(user).get(reverse("creators:home")).content.decode()
    assert "older.”" in html and "”." not in html


def test_prices_read_with_thousands_separators_and_their_currency(rf, brand):
    from django.template.loader import render_to_string

    results = {
        "total": 1204,
        "page": 1,
        "total_pages": 1,
        "creators": [
            {"handle_name": "market.star", "creator_price": 1500.0, "currency": "USD", "followers_count": 48210}
        ],
    }
    html = render_to_string(
        "integrations/_creator_results.html", {"results": results, "brand": brand, "request": rf.get("/")}
    )
    assert "1,500 USD" in html and "48,210" in html and "1,204 creators" in html


def test_a_campaign_due_for_its_next_fetch_says_so_not_in_0_minutes(client_for, bob, brand):
    from integrations.models import Campaign

    campaign = Campaign.objects.create(
        brand=brand, name="Spring", campaign_id="7900000000000000009", next_poll_at=timezone.now()
    )
    page = client_for(bob).get(reverse("integrations:insights_campaign", args=[brand.slug, campaign.pk]))
    text = page.content.decode()
    assert "0 minutes" not in text and "Next fetch: due now" in text


def test_tiktoks_incident_level_reads_as_words(client_for, bob, brand, user_factory):
    from integrations.models import ApiIncident
    from integrations.service_status import incidents

    ApiIncident.objects.create(incident_id="inc-9", title="Search degraded", level="MAJOR_DISRUPTION")
    incidents.refresh_cache()
    pages = [
        client_for(bob).get(reverse("integrations:campaigns", args=[brand.slug])).content.decode(),
        client_for(user_factory(is_staff=True)).get(reverse("integrations:staff_api_status")).content.decode(),
    ]
    for page in pages:
        assert "MAJOR_DISRUPTION" not in page and "Major disruption" in page


def test_a_creator_who_disconnected_is_not_told_tiktok_refused_our_access(client_for, user_factory):
    from creators import flows
    from creators.models import CreatorProfile
    from integrations.models import Credential, TikTokAccount

    creator = user_factory()
    CreatorProfile.objects.create(user=creator)
    cred = Credential.objects.create(kind=Credential.Kind.TT_USER, user=creator, access_token="t")
    account = TikTokAccount.objects.create(handle="left.on.purpose", open_id="o-1", owner=creator, credential=cred)
    flows.mark_disconnected(account, "You disconnected TikTok.")
    page = client_for(creator).get(reverse("creators:home")).content.decode()
    assert "no longer accepts our access" not in page
    assert "You disconnected TikTok." in page


def test_a_creator_mail_subject_is_cut_at_a_word_not_mid_word(user_factory, django_capture_on_commit_callbacks):
    from django.core import mail

    from creators.notify import notify
    from integrations.models import TikTokAccount

    owner = user_factory(email="maker@example.test")
    account = TikTokAccount.objects.create(handle="maker", open_id="o-2", owner=owner)
    text = "Northwind Tea asked to use your post about the autumn harvest in Spark Ads for thirty days."
    with django_capture_on_commit_callbacks(execute=True):
        notify(account, text)
    subject = mail.outbox[-1].subject
    assert subject.endswith("…") and subject[:-1] == subject[:-1].rstrip()
    words = text.split(" ")
    assert all(word in words for word in subject.removeprefix("TikTok @maker: ").removesuffix("…").split(" "))


def test_the_favicon_is_served_and_every_page_links_it(client):
    from django.contrib.staticfiles import finders
    from django.templatetags.static import static

    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"] == static("favicon.svg")
    assert finders.find("favicon.svg")
    assert f'rel="icon" href="{static("favicon.svg")}"' in client.get(reverse("account_login")).content.decode()
