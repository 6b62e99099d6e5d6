"""Steps a person takes, shared by the journeys: real clicks on both sites."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect


def sign_in(page: Page, site, email: str, password: str) -> None:
    page.goto(site("/accounts/login/"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.locator("form:has(input[name=password]) button[type=submit]").click()
    expect(page.locator("header")).to_contain_text(email)


def pick_persona(page: Page, value: str) -> None:
    """Choose a persona on a sandbox login screen (radio buttons named `key` or `handle`)."""
    page.locator(f"input[type=radio][value='{value}']").check()


def approve_portal_auth(page: Page, persona: str) -> None:
    """TikTok for Business consent (/portal/auth): log in as `persona`, then Confirm."""
    page.wait_for_url("**/portal/auth**")
    if page.get_by_role("button", name="Confirm").count() == 0:  # not logged in on TikTok yet
        pick_persona(page, persona)
        page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Confirm").click()


def consent_as_creator(page: Page, handle: str) -> None:
    """TikTok's authorize screen (/v2/auth/authorize/): log in as `handle`, then Authorize."""
    page.wait_for_url("**/v2/auth/authorize/**")
    if page.get_by_role("button", name="Authorize").count() == 0:
        pick_persona(page, handle)
        page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Authorize").click()


def open_tiktok_app_screen(page: Page, sandbox_url: str, path: str, handle: str) -> None:
    """Open a TikTok app screen of the sandbox as `handle` (logging in if it asks)."""
    page.goto(f"{sandbox_url}{path}")
    if "/sandbox/login/" in page.url:
        pick_persona(page, handle)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"**{path}**")


def answer_next_confirm(page: Page, *, accept: bool) -> list[str]:
    """Accept or cancel the next confirmation dialog; the returned list receives its text."""
    seen: list[str] = []

    def answer(dialog) -> None:
        seen.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", answer)
    return seen


def posts_sent(page: Page) -> list[str]:
    """A list that receives the URL of every POST the page sends from now on."""
    sent: list[str] = []
    page.on("request", lambda request: sent.append(request.url) if request.method == "POST" else None)
    return sent


def reload_until(page: Page, locator_fn, *, text: str, attempts: int = 60, pause_ms: int = 500) -> None:
    """Reload until the locator contains `text` (work done by the Celery worker in between)."""
    for _ in range(attempts):
        if text in locator_fn().inner_text():
            return
        page.wait_for_timeout(pause_ms)
        page.reload()
    expect(locator_fn()).to_contain_text(text)


def connect_tiktok(page: Page, site, brand_slug: str, persona: str) -> None:
    """Settings > Integrations > TikTok: "Add TikTok One and Ad Account", approved as `persona`."""
    page.goto(site(f"/brands/{brand_slug}/integrations/tiktok/"))
    page.get_by_role("button", name="Add TikTok One and Ad Account").click()
    approve_portal_auth(page, persona)
    page.wait_for_url(f"**/brands/{brand_slug}/integrations/tiktok/**")
    expect(page.locator(".messages")).to_contain_text(re.compile("(Connected|Reconnected) to TikTok"))


def beat_dispatches_marketplace_polls() -> None:
    """What beat does every few seconds: a fresh authorization is due at once, and the
    Marketplace dispatcher hands it to the worker (the journeys run no beat of their own)."""
    from creators.tasks import dispatch_onboarding_polls

    dispatch_onboarding_polls.delay()


def create_sandbox_ad(page: Page, sandbox_url: str, persona: str, post: str, name: str, budget: str) -> None:
    """Ads Manager (the sandbox's): as business `persona`, make a Spark ad from the post whose
    choice mentions `post`, and wait until it is listed in review."""
    page.goto(f"{sandbox_url}/sandbox/ads-manager/ads/")
    if "/sandbox/business/login/" in page.url:
        pick_persona(page, persona)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url("**/sandbox/ads-manager/ads/")
    choice = page.locator("select[name=source] option", has_text=post).first.get_attribute("value")
    page.get_by_label("Post").select_option(choice)
    page.get_by_label("Ad name").fill(name)
    page.get_by_label("Daily budget").fill(budget)
    page.get_by_role("button", name="Create ad").click()
    expect(page.locator("tr", has_text=name)).to_contain_text("In review")
