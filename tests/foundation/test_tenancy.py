from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_it_shows_a_brand_page_to_its_owner(client_for, alice, brand):
    response = client_for(alice).get(reverse("brand_home", args=[brand.slug]))
    assert response.status_code == 200
    assert b"Acme" in response.content


def test_it_shows_a_brand_page_to_a_member(client_for, bob, brand):
    assert client_for(bob).get(reverse("brand_home", args=[brand.slug])).status_code == 200


def test_it_returns_404_not_403_to_an_outsider(client_for, charlie, brand, other_brand):
    response = client_for(charlie).get(reverse("brand_home", args=[brand.slug]))
    assert response.status_code == 404


def test_it_sends_anonymous_users_to_login(client, brand):
    response = client.get(reverse("brand_home", args=[brand.slug]))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_for_user_keeps_only_the_users_brands(alice, charlie, brand, other_brand):
    from integrations.models import Brand

    assert list(Brand.objects.for_user(alice)) == [brand]
    assert list(Brand.objects.for_user(charlie)) == [other_brand]


def test_home_sends_a_brand_user_to_their_brand(client_for, alice, brand):
    response = client_for(alice).get("/")
    assert response["Location"] == reverse("brand_home", args=[brand.slug])


def test_navigation_lists_only_the_users_brands(client_for, charlie, brand, other_brand):
    content = client_for(charlie).get(reverse("brand_home", args=[other_brand.slug])).content.decode()
    assert "Globex" in content
    assert "Acme" not in content
