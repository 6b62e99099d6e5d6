"""Staff land on their own page and read dev mail on the Outbox; the sandbox's control page
starts and resolves a TikTok incident with a form."""

from __future__ import annotations

import pytest
from django.core.mail import EmailMessage
from playwright.sync_api import expect

from integrations.mail import OutboxBackend
from tests.browser.steps import sign_in

pytestmark = pytest.mark.browser

PASSWORD = "a-long-pass-phrase-1"


def test_staff_land_on_links_to_their_pages_and_follow_a_link_in_a_mail_on_the_outbox(site, new_page, user_factory):
    staff = user_factory(email="staff.walk@acme.test", password=PASSWORD, is_staff=True, is_superuser=True)
    link = site("/staff/freshness/")
    OutboxBackend().send_messages([EmailMessage("Join Northwind Tea", f"Accept here: {link}\n", to=["sam@x.test"])])

    page = new_page("staff")
    favicon = []
    page.on("response", lambda r: favicon.append(r.status) if r.url.endswith("/favicon.ico") else None)
    sign_in(page, site, staff.email, PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Staff")
    for name in ("Django admin", "Freshness", "TikTok status", "Outbox"):
        expect(page.locator("main").get_by_role("link", name=name)).to_be_visible()
    page.locator("main").get_by_role("link", name="Outbox").click()
    mail = page.locator(".sent-mail").first
    expect(mail).to_contain_text("Join Northwind Tea")
    expect(mail).to_contain_text("sam@x.test")
    mail.get_by_role("link", name=link).click()
    page.wait_for_url("**/staff/freshness/")
    assert 404 not in favicon


def test_the_sandbox_control_page_starts_and_resolves_an_incident(site, new_page):
    page = new_page("sandbox")
    page.goto(f"{site.sandbox.url}/sandbox/control/")
    page.locator("input[name=title]").first.fill("Slow creator search")
    page.locator("select[name=level]").select_option(label="Low disruption")
    page.get_by_role("button", name="Start incident").click()
    row = page.locator("tr", has_text="Slow creator search")
    expect(row).to_contain_text("Low disruption")
    row.get_by_role("button", name="Resolve").click()
    expect(page.locator("body")).to_contain_text("No open incident")
