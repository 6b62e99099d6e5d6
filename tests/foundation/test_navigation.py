"""Finding one's way: the brand menu, the settings breadcrumb and whom to ask for help."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.foundation.test_deploy_check import production_env, run_manage

pytestmark = pytest.mark.django_db


def test_the_brand_menu_links_to_ads_manager(client_for, alice, brand):
    html = client_for(alice).get(reverse("brand_home", args=[brand.slug])).content.decode()
    assert f'href="{reverse("sparkads:ads_manager", args=[brand.slug])}">Ads Manager</a>' in html


def test_the_settings_breadcrumb_is_a_link(client_for, alice, brand):
    url = reverse("integrations:tiktok_settings", args=[brand.slug])
    html = client_for(alice).get(url).content.decode()
    assert f'<a href="{url}">Settings</a>' in html


def test_every_page_names_the_support_address_from_the_setting(client, settings):
    settings.SUPPORT_EMAIL = "help@acme-platform.test"
    html = client.get(reverse("account_login")).content.decode()
    assert 'href="mailto:help@acme-platform.test"' in html and "localhost" not in html


def test_production_asks_for_help_at_the_sites_own_host_unless_told_otherwise():
    show = ["shell", "--no-imports", "-c", "from django.conf import settings; print(settings.SUPPORT_EMAIL)"]
    assert run_manage(*show, env=production_env()).stdout.strip() == "support@tiktok.example.com"
    told = production_env(SUPPORT_EMAIL="care@acme.example")
    assert run_manage(*show, env=told).stdout.strip() == "care@acme.example"


def test_staff_land_on_a_page_that_links_admin_freshness_tiktok_status_and_the_outbox(client_for, user_factory):
    staff = user_factory(is_staff=True)
    page = client_for(staff).get(reverse("home")).content.decode()
    assert "Become a creator" not in page
    for name in ("staff_freshness", "integrations:staff_api_status", "staff_outbox", "admin:index"):
        assert f'href="{reverse(name)}"' in page, name


def test_a_person_who_is_not_staff_still_gets_the_welcome_page(client_for, alice):
    page = client_for(alice).get(reverse("home")).content.decode()
    assert "Become a creator" in page and reverse("staff_freshness") not in page
