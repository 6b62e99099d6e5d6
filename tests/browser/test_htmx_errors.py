"""htmx swaps nothing for an error answer: static/js/app.js shows the server's message
instead, so an htmx action during a Redis outage (the 503 page) or a lost connection is not
silent."""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from playwright.sync_api import expect

from integrations.models import Campaign

from .steps import sign_in

pytestmark = pytest.mark.browser


def test_an_htmx_filter_that_gets_an_error_shows_the_servers_message(site, new_page, brand, bob):
    campaign = Campaign.objects.create(brand=brand, campaign_id="7900000000000000001", name="Spring Launch")
    page = new_page("insights")
    sign_in(page, site, bob.email, "pw-for-tests-123")
    page.goto(site(reverse("integrations:insights_campaign", args=[brand.slug, campaign.pk])))
    outage = render_to_string("503.html")
    answers = {"mode": "503"}

    def answer(route):
        if route.request.headers.get("hx-request") != "true":
            return route.continue_()
        if answers["mode"] == "503":
            return route.fulfill(status=503, body=outage, content_type="text/html; charset=utf-8")
        if answers["mode"] == "offline":
            return route.abort()
        return route.continue_()

    page.route("**/insights/campaigns/**", answer)
    filter_box = page.get_by_label("Filter posts")
    filter_box.fill("market")
    expect(page.locator(".msg-error")).to_contain_text("Temporarily unavailable")
    expect(page.locator(".msg-error")).to_contain_text("try again")
    answers["mode"] = "offline"
    filter_box.fill("star")
    expect(page.locator(".msg-error")).to_contain_text("could not be reached")
    answers["mode"] = "through"
    filter_box.fill("market.star")
    expect(page.locator(".msg-error")).to_have_count(0)


def test_in_debug_an_htmx_error_on_the_spark_ledger_shows_a_message_not_the_debug_page(
    site, new_page, brand, bob, settings
):
    """`make run` runs with DEBUG: an htmx answer of 404 must not swap Django's debug page,
    inline styles and scripts and all, into the Spark Ads page (the policy refuses them and
    the console fills with violations, which fail this test)."""
    settings.DEBUG = True
    page = new_page("ledger")
    sign_in(page, site, bob.email, "pw-for-tests-123")
    page.goto(site(reverse("sparkads:ledger", args=[brand.slug])))

    def gone(route):
        if route.request.headers.get("hx-request") != "true":
            return route.continue_()
        return route.continue_(url=site("/brands/no-such-brand/spark-ads/"))

    page.route("**/spark-ads/?**", gone)
    page.get_by_label("Status").select_option("active")
    expect(page.locator(".msg-error")).to_be_visible()
    expect(page.get_by_role("heading", name="Authorization ledger")).to_be_visible()
