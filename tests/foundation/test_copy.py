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
