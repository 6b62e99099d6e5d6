"""Every page of every role on a 390 px phone and a 1280 px laptop: nothing scrolls sideways.

A brand owner connects TikTok and fills every brand page with TikTok's own data (campaign,
report, Spark request, Business Center, an Ads Manager link); an admin and a member of the
brand, a creator and staff then open each page they can reach. Each page is screenshotted into
``test-artifacts/layout/`` for a person to look at.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.urls import get_resolver
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.browser.steps import connect_tiktok, consent_as_creator, sign_in
from tests.browser.test_spark_ads import _campaign_post
from tests.proof.harness import ARTIFACTS

pytestmark = pytest.mark.browser

PASSWORD = "layout-pass-123"
PHONE, LAPTOP = 390, 1280
INVITATION_TOKEN = "layout-invitation-token"
# Copy a person would stumble on: "(s)" plurals, "a Admin", an empty or doubly-closed quote,
# "0 minutes ago".
CLUMSY = [r"\w\(s\)", r"\ba [AEIOU][a-z]+ member", r"“”", r"[.!?]”\.", r"\b0 minutes ago"]
# URL names that are not pages a person opens: POST actions, OAuth callbacks, webhooks, files,
# Django admin (its own stylesheet) and allauth's token links.
NOT_PAGES = {
    "healthz", "metrics", "job", "tiktok_connect", "choose_spark_ad_account", "remove_ad_account",
    "dismiss_notice", "tiktok_callback", "import_campaigns", "delete_anchor", "insights_export",
    "insights_poll", "insights_webhook", "api_status_webhook", "staff_api_status_subscribe",
    "become", "authorize", "callback", "webhook", "accepted", "check_status", "disconnect",
    "join_with_link", "join", "link_video", "answer_link_request", "request_permission", "paste_code",
    "extend", "unbind", "link_request", "link_action", "bc_sync", "bc_link_member", "bc_request_qr",
    "bc_qr_png", "bc_approvals", "bc_assign", "bc_unassign", "account_logout", "account_confirm_email",
    "account_reset_password_from_key", "account_reset_password_from_key_done", "account_confirm_login_code",
    "account_reauthenticate", "account_set_password", "account_inactive", "account_email_verification_sent",
    "cancel_invitation", "resend_invitation", "restore_ad_account", "tiktok_callback_retry", "callback_retry",
    "bulk_request", "creator_approve", "creator_revoke", "ledger_csv", "mark_paid", "release_setting",
    "creator_accept_extension", "creator_decline_extension", "creator_auto_renewal",
}  # fmt: skip


def _page_names() -> set[str]:
    """Every named URL of the project's own apps and accounts, admin and sandbox aside."""
    names: set[str] = set()

    def walk(patterns, namespace=""):
        for p in patterns:
            if hasattr(p, "url_patterns"):
                if p.namespace in {"admin", "sandbox"}:
                    continue
                walk(p.url_patterns, f"{p.namespace}:" if p.namespace else namespace)
            elif p.name:
                names.add(f"{namespace}{p.name}")

    walk(get_resolver().url_patterns)
    return {n for n in names if n.split(":")[-1] not in NOT_PAGES}


def _fits(page: Page, label: str, width: int) -> list[str]:
    """Problems with the page at this width: sideways scroll, or a card whose content spills out."""
    page.set_viewport_size({"width": width, "height": 900})
    page.wait_for_load_state("networkidle")
    (ARTIFACTS / "layout").mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "layout" / f"{label}-{width}.png"), full_page=True)
    problems = []
    scroll, inner = page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
    if scroll > inner:
        problems.append(f"{label} at {width} px is {scroll} px wide")
    spills = page.evaluate(
        """() => [...document.querySelectorAll('.card')]
              .filter(c => c.getBoundingClientRect().right > window.innerWidth + 1
                        || (getComputedStyle(c).overflowX === 'visible' && c.scrollWidth > c.clientWidth + 1))
              .map(c => (c.querySelector('h2, h3') || c).textContent.trim().slice(0, 40))"""
    )
    problems += [f"{label} at {width} px: card {title!r} is clipped" for title in spills]
    if width == PHONE:
        text = page.locator("body").inner_text()
        problems += [f"{label} reads {bad!r}" for bad in CLUMSY if re.search(bad, text)]
    return problems


def _visit_all(page: Page, site, pages: dict[str, str], role: str, seen: set[str]) -> list[str]:
    problems = []
    for name, path in pages.items():
        response = page.goto(site(path))
        if response is None or response.status != 200:
            problems.append(f"{role} {name} {path}: HTTP {response and response.status}")
            continue
        seen.add(name)
        for width in (PHONE, LAPTOP):
            problems += _fits(page, f"{role}-{name.split(':')[-1]}", width)
    return problems


def _brand_pages(slug: str, campaign_pk: int, post_pk: int, bc_pk: int) -> dict[str, str]:
    return {
        "brand_home": f"/brands/{slug}/",
        "integrations:tiktok_settings": f"/brands/{slug}/integrations/tiktok/",
        "integrations:creator_search": f"/brands/{slug}/creators/",
        "integrations:creator_profile": f"/brands/{slug}/creators/@market.star/",
        "integrations:campaigns": f"/brands/{slug}/campaigns/",
        "integrations:campaign_detail": f"/brands/{slug}/campaigns/{campaign_pk}/",
        "integrations:campaign_assets": f"/brands/{slug}/campaigns/assets/",
        "integrations:insights": f"/brands/{slug}/insights/",
        "integrations:insights_campaign": f"/brands/{slug}/insights/campaigns/{campaign_pk}/",
        "integrations:insights_post": f"/brands/{slug}/insights/posts/{post_pk}/",
        "sparkads:ledger": f"/brands/{slug}/spark-ads/",
        "sparkads:ads_manager": f"/brands/{slug}/spark-ads/ads-manager/",
        "sparkads:business_center": f"/brands/{slug}/business-center/",
        "sparkads:promote": f"/brands/{slug}/business-center/{bc_pk}/promote/",
        "sparkads:audit": f"/brands/{slug}/audit/",
        "integrations:team": f"/brands/{slug}/team/",
        "creators:campaign_creators": f"/creator/brands/{slug}/campaigns/{campaign_pk}/creators/",
    }


def _signed_in(new_page: Callable[[str], Page], site, label: str, email: str) -> Page:
    page = new_page(label)
    sign_in(page, site, email, PASSWORD)
    return page


def test_every_page_of_every_role_fits_a_phone_and_a_laptop_without_sideways_scroll(
    site, new_page, user_factory, brand_factory
):
    from allauth.account.models import EmailAddress

    from integrations.insights import report
    from integrations.models import BrandInvitation, BrandMembership, Collaboration, TikTokAccount
    from integrations.models.brands import hash_invitation_token
    from sparkads.models import BusinessCenter, QrAccessRequest

    owner = user_factory(email="brand@demo.test", password=PASSWORD)  # the sandbox BC's admin, by email
    admin = user_factory(email="admin.layout@acme.test", password=PASSWORD)
    member = user_factory(email="member@demo.test", password=PASSWORD)  # the BC's standard member
    creator = user_factory(email="creator.layout@acme.test", password=PASSWORD)
    staff = user_factory(email="staff.layout@acme.test", password=PASSWORD, is_staff=True, is_superuser=True)
    for user in (owner, member):
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    brand = brand_factory(name="Acme Layout Company With A Long Name", owner=owner)
    BrandMembership.objects.create(user=admin, brand=brand, role=BrandMembership.Role.ADMIN)
    BrandMembership.objects.create(user=member, brand=brand, role=BrandMembership.Role.MEMBER)

    page = _signed_in(new_page, site, "owner", owner.email)
    connect_tiktok(page, site, brand.slug, "demo-brand")
    post = _campaign_post(brand)
    report.poll_campaign(post.campaign_id)
    page.goto(site(f"/brands/{brand.slug}/spark-ads/"))
    row = page.locator("tr").filter(has_text=post.video_id).filter(has=page.get_by_role("button", name="Request"))
    row.get_by_role("button", name="Request").click()
    expect(page.locator(".messages")).to_contain_text("Request sent")
    page.get_by_role("button", name="Request Spark codes for every post in this campaign").click()
    page.wait_for_url("**/spark-ads/bulk/*/")
    bulk_progress = page.url.removeprefix(site.url)
    page.goto(site(f"/brands/{brand.slug}/business-center/"))
    if "You are a" not in page.locator("main").inner_text():
        page.get_by_role("button", name="Read members and accounts from TikTok").click()
        expect(page.locator("main")).to_contain_text("You are a", timeout=30_000)
    bc = BusinessCenter.objects.filter(brand=brand).first()
    assert bc is not None
    # The QR code's link is printed beside it, with a button that copies it.
    page.get_by_role("button", name="Get QR code").click()
    link = QrAccessRequest.objects.get(brand=brand).link
    expect(page.get_by_label("The QR code's link")).to_have_value(link)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site.url)
    page.get_by_role("button", name="Copy link").click()
    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == link

    pages = _brand_pages(brand.slug, post.campaign_id, post.pk, bc.pk)
    seen: set[str] = set()
    problems = _visit_all(page, site, pages, "owner", seen)
    # A bulk request's progress is its starter's own page.
    problems += _visit_all(page, site, {"sparkads:bulk_progress": bulk_progress}, "owner", seen)
    # The brand's admin is no member of the Business Center on TikTok: no promote page for them.
    not_in_bc = {k: v for k, v in pages.items() if k != "sparkads:promote"}
    problems += _visit_all(_signed_in(new_page, site, "admin", admin.email), site, not_in_bc, "admin", seen)
    problems += _visit_all(_signed_in(new_page, site, "member", member.email), site, pages, "member", seen)

    maker = _signed_in(new_page, site, "creator", creator.email)
    maker.goto(site("/creator/"))
    maker.get_by_role("button", name="Become a creator").click()
    maker.get_by_role("button", name="Authorize TikTok").click()
    consent_as_creator(maker, "demo.creator")
    maker.wait_for_url("**/creator/**")
    # The brand adds the creator to its campaign, as sourcing does.
    account = TikTokAccount.objects.get(handle="demo.creator", owner=creator)
    collab = Collaboration.objects.create(
        campaign=post.campaign, tiktok_account=account, status=Collaboration.Status.JOINED
    )
    creator_pages = {
        "creators:home": "/creator/",
        "sparkads:creator_codes": "/creator/spark-ads/",
        "creators:link_requests": f"/creator/collaborations/{collab.pk}/link-requests/",
    }
    problems += _visit_all(maker, site, creator_pages, "creator", seen)

    support = _signed_in(new_page, site, "staff", staff.email)
    staff_pages = {
        "home": "/",
        "staff_freshness": "/staff/freshness/",
        "staff_outbox": "/staff/outbox/",
        "integrations:staff_api_status": "/staff/tiktok-status/",
        "integrations:brand_create": "/new-brand/",
    }
    problems += _visit_all(support, site, staff_pages, "staff", seen)

    # A teammate's invitation link, as the email carries it, opened before signing in.
    BrandInvitation.objects.create(
        brand=brand,
        email="new.teammate@acme.test",
        role=BrandMembership.Role.ADMIN,
        invited_by=owner,
        token_hash=hash_invitation_token(INVITATION_TOKEN),
        sent_at=timezone.now(),
        expires_at=timezone.now() + timedelta(days=7),
    )
    visitor = new_page("visitor")
    public = {
        "account_login": "/accounts/login/",
        "account_signup": "/accounts/signup/",
        "account_reset_password": "/accounts/password/reset/",
        "account_reset_password_done": "/accounts/password/reset/done/",
        "accept_invitation": f"/invitations/{INVITATION_TOKEN}/",
    }
    problems += _visit_all(visitor, site, public, "visitor", seen)
    account = {"account_email": "/accounts/email/", "account_change_password": "/accounts/password/change/"}
    problems += _visit_all(support, site, account, "staff", seen)

    # The Spark request card at 1280 px: every cell, the Request button too, is in view.
    page.set_viewport_size({"width": LAPTOP, "height": 900})
    page.goto(site(f"/brands/{brand.slug}/spark-ads/"))
    card = page.locator(".card").filter(
        has=page.get_by_role("heading", name="Request permission from a campaign's posts")
    )
    card_box = card.bounding_box()
    for control in card.locator("td select, td button").all():
        box = control.bounding_box()
        assert box and box["x"] + box["width"] <= card_box["x"] + card_box["width"], "the Spark card cuts off its form"
    assert card.evaluate("c => [...c.querySelectorAll('table')].every(t => t.scrollWidth <= t.clientWidth)")

    assert not problems, "\n".join(problems)
    missing = _page_names() - seen
    assert not missing, f"pages no role visited (add them here): {sorted(missing)}"
