"""Journey 4: a Business Center admin gathers TikTok accounts by QR and hands one to a member."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.steps import connect_tiktok, open_tiktok_app_screen, sign_in

pytestmark = pytest.mark.browser

PASSWORD = "bc-pass-123"
# The sandbox's Demo Brand BC members, matched to platform users by verified email.
ADMIN_EMAIL = "brand@demo.test"
MEMBER_EMAIL = "member@demo.test"


def _approve_qr_on_tiktok(new_page, sandbox_url: str, link: str, handle: str) -> None:
    phone = new_page(f"tiktok-app-{handle}")
    path = link[link.index("/sandbox/bc-auth/") :]
    open_tiktok_app_screen(phone, sandbox_url, path, handle)
    expect(phone.get_by_role("heading", level=1)).to_contain_text("wants to use your account for ads")
    phone.get_by_label("Existing posts").check()
    phone.get_by_role("button", name="Approve").click()
    expect(phone.locator("body")).to_contain_text("can now use your account for ads")


def test_an_admin_gathers_accounts_by_qr_and_a_standard_member_sees_only_the_one_assigned(
    site, new_page, user_factory, brand_factory
):
    from allauth.account.models import EmailAddress

    from integrations.models import BrandMembership
    from sparkads.models import QrAccessRequest

    admin = user_factory(email=ADMIN_EMAIL, password=PASSWORD)
    member = user_factory(email=MEMBER_EMAIL, password=PASSWORD)
    for user in (admin, member):  # BC members are matched by verified addresses only
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    brand = brand_factory(name="Demo Brand Journeys", owner=admin)
    BrandMembership.objects.create(user=member, brand=brand, role=BrandMembership.Role.MEMBER)

    page = new_page("admin")
    sign_in(page, site, ADMIN_EMAIL, PASSWORD)
    connect_tiktok(page, site, brand.slug, "demo-brand")
    page.goto(site(f"/brands/{brand.slug}/business-center/"))
    if "You are a" not in page.locator("main").inner_text():
        page.get_by_role("button", name="Read members and accounts from TikTok").click()
    expect(page.locator("main")).to_contain_text("You are an Admin member")

    page.get_by_role("button", name="Get QR code").click()
    expect(page.locator("#qr .qr svg, #qr .qr img").first).to_be_visible()
    link = QrAccessRequest.objects.get(brand=brand).link  # what the QR code encodes; a phone scans it

    _approve_qr_on_tiktok(new_page, site.sandbox.url, link, "bc.owner")
    _approve_qr_on_tiktok(new_page, site.sandbox.url, link, "demo.creator")

    approvals = page.locator("#approvals")  # htmx re-reads TikTok every few seconds
    expect(approvals.locator("tr").filter(has_text="@bc.owner")).to_contain_text("Approved", timeout=30_000)
    expect(approvals.locator("tr").filter(has_text="@demo.creator")).to_contain_text("Approved", timeout=30_000)
    expect(approvals.locator("h3 .badge")).to_contain_text("2 of")

    page.reload()
    assign = page.locator("#assign form")
    assign.locator("select[name=asset]").select_option(label="@bc.owner")
    assign.locator("label").filter(has_text="member (Standard)").locator("input").check()
    assign.locator("label").filter(has_text="Post").locator("input").first.check()
    assign.get_by_role("button", name="Assign").click()
    expect(page.locator(".messages")).to_contain_text("Assigned to 1 member")
    expect(page.locator("#assign table")).to_contain_text("@bc.owner")

    member_page = new_page("member")
    sign_in(member_page, site, MEMBER_EMAIL, PASSWORD)
    member_page.goto(site(f"/brands/{brand.slug}/business-center/"))
    expect(member_page.locator("main")).to_contain_text("You are a Standard member")
    seen = member_page.locator("#approvals tbody")
    expect(seen).to_contain_text("@bc.owner")
    expect(seen).not_to_contain_text("@demo.creator")
    expect(member_page.get_by_role("button", name="Get QR code")).to_have_count(0)
    expect(member_page.locator("#assign")).to_have_count(0)
