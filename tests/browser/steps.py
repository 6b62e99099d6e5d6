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


def reload_until(page: Page, locator_fn, *, text: str, attempts: int = 60, pause_ms: int = 500, beat=None) -> None:
    """Reload until the locator contains `text` (work done by the Celery worker in between).
    `beat`, when given, is sent before each wait, as beat would keep sending it: a worker that
    read TikTok's clock just before it moved keeps that reading for a moment, so one dispatch
    right after a move may find nothing due yet."""
    for _ in range(attempts):
        if text in locator_fn().inner_text():
            return
        if beat is not None:
            beat()
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


def beat_dispatches_marketplace_deadlines() -> None:
    """What beat does every 15 seconds: the creators whose wait on TikTok's clock ended (an
    invite's 24 hours, TikTok's 2 hours of processing) are polled by the worker at once."""
    from creators.tasks import dispatch_onboarding_deadlines

    dispatch_onboarding_deadlines.delay()


def campaign_with_linked_posts(site, brand, tto_id: str, count: int) -> list:
    """Spring Launch as campaign sync stores it: market.star's seeded linked post and `count - 1`
    more of their videos linked (asked by the brand, approved by the creator)."""
    from django.conf import settings

    from integrations.models import Campaign, CampaignPost, TikTokAccount, TikTokOneAccount
    from tiktok_sandbox.testing import link_post, link_statuses

    spring_launch = "7900000000000000001"
    tto = TikTokOneAccount.objects.get(brand=brand, tto_tcm_account_id=tto_id)
    base, token = settings.TIKTOK_BUSINESS_API_BASE_URL, tto.credential.access_token
    statuses = link_statuses(base, token, tto_id, spring_launch)
    first = next(str(r["video_id"]) for r in statuses if r["status"] == "APPROVE")
    star = next(c for c in site.sandbox.personas()["creators"] if c["handle"] == "market.star")
    videos = [first, *[v for v in star["video_ids"] if v != first][: count - 1]]
    for video_id in videos[1:]:
        link = link_post(base, token, tto_id, spring_launch, video_id)
        site.sandbox.helper("link-requests/confirm", link_request_id=link["link_request_id"], action="APPROVE")
    campaign = Campaign.objects.create(
        brand=brand, tiktok_one_account=tto, campaign_id=spring_launch, name="Spring Launch"
    )
    account, _ = TikTokAccount.objects.get_or_create(handle="market.star")
    return [
        CampaignPost.objects.create(
            campaign=campaign, tiktok_account=account, video_id=v, link_status=CampaignPost.LinkStatus.APPROVE
        )
        for v in videos
    ]


def creator_connects_with_spark_codes(me: Page, site, email: str, password: str) -> None:
    """market.star signs up as a creator and authorizes TikTok, keeping "Spark Ads codes" ticked."""
    sign_in(me, site, email, password)
    me.goto(site("/creator/"))
    me.get_by_role("button", name="Become a creator").click()
    expect(me.locator("#spark-scope-explained")).to_contain_text("does not let us post")
    me.get_by_role("button", name="Authorize TikTok").click()
    consent_as_creator(me, "market.star")
    me.wait_for_url("**/creator/**")


def beat_runs_every_dispatcher() -> None:
    """One beat: every registered poller's dispatcher sent to the worker, as beat sends it (the
    journeys run no beat of their own)."""
    from integrations.polling import POLLERS

    for poller in POLLERS.values():
        poller.dispatcher.delay()


def move_sandbox_clock_to(control: Page, sandbox_url: str, moment) -> None:
    """Advance TikTok's clock to `moment` on the sandbox's control page (its hours field)."""
    from integrations.tiktok import clock

    clock.forget()
    hours = (moment - clock.now()).total_seconds() / 3600
    control.goto(f"{sandbox_url}/sandbox/control/")
    form = control.locator("form:has(input[name=action][value=advance])")
    form.locator("input[name=hours]").fill(f"{hours:.4f}")
    form.locator("input[name=minutes]").fill("0")
    form.get_by_role("button", name="Advance clock").click()
    control.wait_for_load_state()
    clock.forget()


def create_sandbox_ad(page: Page, sandbox_url: str, persona: str, post: str, name: str, budget: str) -> None:
    """Ads Manager (the sandbox's): as business `persona`, make a Spark ad from the post whose
    choice mentions `post` (or whose value is `post`: "advertiser_id:video_id:identity_type:bc_id"),
    and wait until it is listed in review."""
    page.goto(f"{sandbox_url}/sandbox/ads-manager/ads/")
    if "/sandbox/business/login/" in page.url:
        pick_persona(page, persona)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url("**/sandbox/ads-manager/ads/")
    options = page.locator("select[name=source] option")
    by_value = page.locator(f"select[name=source] option[value='{post}']")
    choice = (by_value if by_value.count() else options.filter(has_text=post).first).get_attribute("value")
    page.get_by_label("Post").select_option(choice)
    page.get_by_label("Ad name").fill(name)
    page.get_by_label("Daily budget").fill(budget)
    page.get_by_role("button", name="Create ad").click()
    expect(page.locator("tr", has_text=name)).to_contain_text("In review")
