"""A new user's brand: sign up, create the brand, invite a teammate, who accepts by the
emailed link in their own browser and lands in the brand with the role given."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from integrations.models import Brand, BrandMembership

pytestmark = pytest.mark.browser

PASSWORD = "a-long-pass-phrase-1"


def sign_up(page, site, email: str, start: str = "/accounts/signup/") -> None:
    page.goto(site(start)) if start.startswith("/") else page.goto(start)
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password1]").fill(PASSWORD)
    page.locator("input[name=password2]").fill(PASSWORD)
    page.locator("form:has(input[name=password1]) button[type=submit]").click()
    expect(page.locator("header")).to_contain_text(email)


def test_a_new_user_creates_a_brand_and_brings_in_a_teammate_by_email(site, new_page):
    owner = new_page("owner")
    sign_up(owner, site, "founder@northwind.test")
    expect(owner.locator("main")).not_to_contain_text("Ask your brand's owner")
    owner.get_by_role("link", name="Create your brand").click()
    owner.get_by_label("Brand name").fill("Northwind Tea")
    owner.get_by_role("button", name="Create brand").click()
    expect(owner.get_by_role("heading", level=1)).to_have_text("Northwind Tea")
    expect(owner.locator(".messages")).to_contain_text("you are its owner")
    # A new brand is told what to do first, never that all is well.
    expect(owner.locator("main")).not_to_contain_text("All is well")
    expect(owner.locator("#first-steps .step.todo").first).to_contain_text("Add TikTok One and Ad Account")
    expect(owner.locator("#first-steps .step.done")).to_have_count(0)

    # The same name again is not silently given another address: the owner is told, with
    # the address the second brand would get, and nothing is made until they confirm.
    owner.goto(site("/new-brand/"))
    owner.get_by_label("Brand name").fill("Northwind Tea")
    owner.get_by_role("button", name="Create brand").click()
    expect(owner.locator("#brand-name-check")).to_contain_text("You already have a brand named “Northwind Tea”")
    expect(owner.locator("input[name=slug]")).to_have_value("northwind-tea-2")
    expect(owner.get_by_role("button", name="Create another brand named “Northwind Tea”")).to_be_visible()
    assert Brand.objects.filter(name="Northwind Tea").count() == 1
    owner.locator("#brand-name-check a").click()

    owner.get_by_role("link", name="Team").first.click()
    expect(owner.locator("#members")).to_contain_text("founder@northwind.test")
    owner.get_by_label("Email").fill("sam@northwind.test")
    owner.get_by_label("Role").select_option("admin")
    mail.outbox.clear()
    owner.get_by_role("button", name="Send invitation").click()
    expect(owner.locator(".messages")).to_contain_text("Invitation sent to sam@northwind.test as admin")
    expect(owner.locator("#invitations")).to_contain_text("sam@northwind.test")
    owner.get_by_role("link", name="Northwind Tea").first.click()
    expect(owner.locator("#first-steps .step.done")).to_contain_text("Invite your team")
    owner.go_back()

    [message] = [m for m in mail.outbox if m.to == ["sam@northwind.test"]]
    link = re.search(r"http://\S+/invitations/\S+/", message.body).group(0)

    teammate = new_page("teammate")
    teammate.goto(link)
    expect(teammate.get_by_role("heading", level=1)).to_have_text("Join Northwind Tea")
    teammate.locator("#invitation").get_by_role("link", name="Sign up").click()
    teammate.wait_for_url("**/accounts/signup/**")
    mail.outbox.clear()
    # The sign-up page is filled with the invited address, which cannot be changed there.
    email = teammate.locator("input[name=email]")
    expect(email).to_have_value("sam@northwind.test")
    expect(email).not_to_be_editable()
    teammate.locator("input[name=password1]").fill(PASSWORD)
    teammate.locator("input[name=password2]").fill(PASSWORD)
    teammate.locator("form:has(input[name=password1]) button[type=submit]").click()
    teammate.wait_for_url("**/invitations/**")
    # Signing up as the invited address proves nothing until the address is confirmed: the
    # teammate follows the confirmation mail, then opens the invitation again.
    [confirmation] = [m for m in mail.outbox if m.to == ["sam@northwind.test"]]
    teammate.goto(re.search(r"http://\S+/accounts/confirm-email/\S+/", confirmation.body).group(0))
    teammate.get_by_role("button", name="Confirm").click()
    teammate.goto(link)
    teammate.get_by_role("button", name="Join Northwind Tea").click()
    expect(teammate.get_by_role("heading", level=1)).to_have_text("Northwind Tea")
    expect(teammate.locator(".messages")).to_contain_text("Welcome to Northwind Tea")
    brand = Brand.objects.get(name="Northwind Tea")
    assert brand.memberships.get(user__email="sam@northwind.test").role == BrandMembership.Role.ADMIN

    # The link worked once.
    teammate.goto(link)
    expect(teammate.locator("#invitation")).to_contain_text("already used")
    owner.reload()
    expect(owner.locator("#invitations")).to_contain_text("No invitation is waiting")
    expect(owner.locator("#members")).to_contain_text("sam@northwind.test")
