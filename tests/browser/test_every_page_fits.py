"""Every page of every role on a 390 px phone and a 1280 px laptop: the screenshot test.

A brand owner (who is also the sandbox Business Center's admin) connects TikTok and fills
every brand page with TikTok's own data (campaign, report, Spark request, Business Center, an
Ads Manager link); an admin and a member of the brand (the Business Center's standard member),
a creator and staff then open each page they can reach, in one browser against one server.
Each page fails on sideways scroll, on content spilling out of a card, on clipped text and on
any console error (a Content-Security-Policy violation included), and is screenshotted into
``test-artifacts/layout/<role>/`` for a person to look at.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from weakref import WeakKeyDictionary

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
    "insights_poll", "insights_webhook", "ads_webhook", "api_status_webhook", "staff_api_status_subscribe",
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


# Text a person cannot read whole: a box narrower than its text that neither wraps nor
# scrolls (inputs and selects scroll their own text; a table or chart meant to scroll says so
# with overflow auto). A hidden table header (phones: rows are cards) is not shown, so it is
# not clipped.
CLIPPED = """() => [...document.querySelectorAll(
        'main :is(h1, h2, h3, h4, p, li, td, th, dt, dd, label, a, button, .badge, .figure, .figure-label, .post-title)')]
    .filter(el => {
        if (el.clientWidth === 0 || el.scrollWidth <= el.clientWidth + 1) return false;
        const head = el.closest('thead');
        if (head && getComputedStyle(head).position === 'absolute') return false;
        for (let box = el; box && box !== document.body; box = box.parentElement) {
            if (['auto', 'scroll'].includes(getComputedStyle(box).overflowX)) return false;
        }
        return true;
    })
    .map(el => `${el.tagName.toLowerCase()} ${JSON.stringify(el.textContent.trim().slice(0, 40))}`
               + ` (${el.scrollWidth} px in ${el.clientWidth})`)"""

# Chart text as drawn on screen (what is not displayed aside): at least this many pixels
# high, and inside its chart.
CHART_TEXT_PX = 9
CHART_TEXT = """(least) => [...document.querySelectorAll('svg.chart')].flatMap(svg => {
    const box = svg.getBoundingClientRect();
    const scale = box.width / svg.viewBox.baseVal.width;
    return [...svg.querySelectorAll('text')].filter(text => text.getClientRects().length).flatMap(text => {
        const name = JSON.stringify(text.textContent.trim().slice(0, 30));
        const size = parseFloat(getComputedStyle(text).fontSize) * scale;
        const r = text.getBoundingClientRect();
        return [
            ...(size < least ? [`chart text ${name} is ${size.toFixed(1)} px high`] : []),
            ...(r.left < box.left - 1 || r.right > box.right + 1 || r.top < box.top - 1 || r.bottom > box.bottom + 1
                ? [`chart text ${name} is cut at the chart's edge`] : []),
        ];
    });
})"""


def _fits(page: Page, label: str, width: int) -> list[str]:
    """Problems with the page at this width: sideways scroll, a card whose content spills
    out, text cut off, or an error in the browser's console."""
    role = label.split("-", 1)[0]
    page.set_viewport_size({"width": width, "height": 900})
    page.wait_for_load_state("networkidle")
    (ARTIFACTS / "layout" / role).mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "layout" / role / f"{label}-{width}.png"), full_page=True)
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
    problems += [f"{label} at {width} px: {what} is clipped" for what in page.evaluate(CLIPPED)]
    problems += [f"{label} at {width} px: {what}" for what in page.evaluate(CHART_TEXT, CHART_TEXT_PX)]
    problems += [f"{label} at {width} px: console error: {text}" for text in _console(page).drain()]
    if width == PHONE:
        text = page.locator("body").inner_text()
        problems += [f"{label} reads {bad!r}" for bad in CLUMSY if re.search(bad, text)]
    return problems


class _Console:
    """The errors a page's console printed since they were last read: console.error (the
    browser's own CSP and failed-load messages) and uncaught exceptions."""

    def __init__(self, page: Page) -> None:
        self.errors: list[str] = []
        page.on("console", lambda message: self.errors.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def drain(self) -> list[str]:
        errors, self.errors = self.errors, []
        return errors


_watchers: WeakKeyDictionary[Page, _Console] = WeakKeyDictionary()


def _console(page: Page) -> _Console:
    """The page's console watcher, made once per page (its listeners live as long as it)."""
    if page not in _watchers:
        _watchers[page] = _Console(page)
    return _watchers[page]


def _visit_all(page: Page, site, pages: dict[str, str], role: str, seen: set[str]) -> list[str]:
    problems = []
    console = _console(page)
    for name, path in pages.items():
        console.drain()  # what earlier steps printed belongs to them
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

    # On a phone the ledger's rows are cards: after an htmx filter swaps the ledger in, each
    # cell still names its column, and the status comes first in its card.
    page.set_viewport_size({"width": PHONE, "height": 900})
    page.get_by_label("Status").select_option("requested")
    expect(page).to_have_url(re.compile("status=requested"))
    card = page.locator("#ledger tbody tr").first
    expect(card.locator("td").first).to_have_attribute("data-label", "Post")
    boxes = {td.get_attribute("data-label"): td.bounding_box() for td in card.locator("td").all()}
    tops = {label: box["y"] for label, box in boxes.items() if box}
    assert min(tops, key=lambda label: tops[label]) == "Status", tops
    assert page.locator("#ledger thead").bounding_box()["height"] <= 1

    assert not problems, "\n".join(problems)
    missing = _page_names() - seen
    assert not missing, f"pages no role visited (add them here): {sorted(missing)}"


PROBE = """<!doctype html><html><head><style>
  body { margin:0; } .card { width:120px; } .cut { width:100px; overflow:hidden; white-space:nowrap; }
</style></head><body><main>
  <div class="card"><h2>Card</h2><span class="wide">a_very_long_unbreakable_identifier_that_spills_out</span></div>
  <p class="cut">A sentence too long for its box that neither wraps nor scrolls</p>
  <svg class="chart" viewBox="0 0 640 100" width="100%" xmlns="http://www.w3.org/2000/svg">
    <text x="10" y="50" font-size="11">Tiny at 390</text><text x="600" y="50" font-size="11">Cut at the edge</text>
  </svg>
  <script>console.error("something broke")</script>
</main></body></html>"""


def test_the_screenshot_checks_catch_spills_clipped_text_small_or_cut_chart_text_and_console_errors(new_page):
    page = new_page("probe")
    _console(page)  # listening before the page prints anything
    page.set_viewport_size({"width": PHONE, "height": 900})
    page.set_content(PROBE)
    phone = "\n".join(_fits(page, "probe-page", PHONE))
    assert "card 'Card' is clipped" in phone
    assert 'p "A sentence too long' in phone
    assert 'chart text "Tiny at 390" is' in phone and "px high" in phone
    assert 'chart text "Cut at the edge" is cut' in phone
    assert "console error: something broke" in phone
    laptop = "\n".join(_fits(page, "probe-page", LAPTOP))
    assert "Tiny at 390" not in laptop  # 11 units drawn twice as large: readable
    assert "console error" not in laptop  # each error is reported once
