"""Settings > Integrations > TikTok, and "Add TikTok One and Ad Account" from the click to
TikTok's consent screen through the callback and the code exchange, including the "Try
again" of an exchange TikTok did not answer (oauth_retry)."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from ..errors import FlowError
from ..http import HtmxHttpRequest
from ..models import AdAccount, Brand, BrandMembership, BrandNotice, BusinessCenter, TikTokOneAccount
from ..tenancy import get_brand_for_user, get_for_brand_or_404
from ..tiktok import BusinessClient
from . import accounts, flows, oauth_retry
from .capability import record_capability, spark_ads_capability

# TikTok's help on business verification, shown with "Not verified by TikTok".
VERIFY_HELP_URL = "https://ads.tiktok.com/help/article/business-verification"
STATE_SESSION_KEY = "integrations_tiktok_states"
USED_STATES_KEY = "integrations_tiktok_used_states"
# The state target of the platform's own TikTok One account (staff), not a brand's slug.
INTERNAL = "__platform__"
FLOW = "brand"


def _settings_context(request: HttpRequest, brand: Brand) -> dict[str, Any]:
    live_ads = (
        AdAccount.objects.filter(brand=brand, removed_at__isnull=True)
        .select_related("owner_bc")
        .order_by("name", "advertiser_id")
    )
    tto_accounts = list(
        TikTokOneAccount.objects.filter(brand=brand, removed_at__isnull=True)
        .select_related("credential")
        .prefetch_related(Prefetch("ad_accounts", queryset=live_ads.order_by("created_at", "pk")))
        .order_by("created_at", "pk")
    )
    unlinked = list(live_ads.filter(tiktok_one_account__isnull=True).order_by("created_at", "pk"))
    needs_reconnect = any(a.standing.label == "Inactive" for a in tto_accounts)
    return {
        "brand": brand,
        "can_manage": brand.can_manage(request.user),
        "capability": spark_ads_capability(brand),
        "accounts": tto_accounts,
        "unlinked_ad_accounts": unlinked,
        "removed_ad_accounts": list(
            AdAccount.objects.filter(brand=brand, removed_at__isnull=False).order_by("-removed_at", "pk")
        ),
        "business_centers": list(BusinessCenter.objects.filter(brand=brand).order_by("name")),
        "notices": list(BrandNotice.objects.filter(brand=brand, dismissed_at__isnull=True)[:5]),
        "connected": bool(tto_accounts or unlinked),
        "needs_reconnect": needs_reconnect,
        "all_active": bool(tto_accounts) and all(a.standing.is_ok for a in tto_accounts),
        "verify_help_url": VERIFY_HELP_URL,
    }


@login_required
@require_GET
def tiktok_settings(request: HttpRequest, slug: str) -> HttpResponse:
    brand = get_brand_for_user(request.user, slug)
    return render(request, "integrations/tiktok_settings.html", _settings_context(request, brand))


def _settings_fragment(request: HtmxHttpRequest, brand: Brand) -> HttpResponse:
    """htmx: the capability panel and the accounts, re-rendered after an action."""
    if request.htmx:
        return render(request, "integrations/_tiktok_body.html", _settings_context(request, brand))
    return redirect("integrations:tiktok_settings", slug=brand.slug)


# --- to TikTok's consent screen and back -------------------------------------------------


def _callback_uri() -> str:
    """The exact redirect URI registered with TikTok: a static path, no query string."""
    return settings.SITE_URL + reverse("integrations:tiktok_callback")


def _new_state(request: HttpRequest, target: str) -> str:
    """A single-use state bound to this session (and to the brand it connects)."""
    now = time.time()
    states = {s: v for s, v in request.session.get(STATE_SESSION_KEY, {}).items() if v.get("exp", 0) > now}
    state = secrets.token_urlsafe(32)
    states[state] = {"target": target, "exp": now + settings.INTEGRATIONS_OAUTH_STATE_SECONDS}
    # A handful of tabs at most; the oldest goes first.
    request.session[STATE_SESSION_KEY] = dict(sorted(states.items(), key=lambda kv: kv[1]["exp"])[-10:])
    return state


def _pop_state(request: HttpRequest, state: str) -> tuple[dict[str, Any] | None, str]:
    """(entry, problem): the state's entry, removed so it cannot be used twice, or why not."""
    if not state:
        return None, "missing"
    states = request.session.get(STATE_SESSION_KEY, {})
    entry = states.pop(state, None)
    request.session[STATE_SESSION_KEY] = states
    used = request.session.get(USED_STATES_KEY, [])
    if entry is None:
        return None, "reused" if state in used else "foreign"
    request.session[USED_STATES_KEY] = (used + [state])[-20:]
    if entry.get("exp", 0) <= time.time():
        return None, "expired"
    return entry, ""


STATE_PROBLEMS = {
    "missing": "TikTok's reply was missing its security token (state), so nothing was connected. "
    "Please click “Add TikTok One and Ad Account” again.",
    "reused": "That authorization reply was already used, so nothing more was connected. "
    "To connect again, click “Add TikTok One and Ad Account”.",
    "foreign": "That authorization reply was not started from this browser session (or has been replaced), "
    "so nothing was connected. Please click “Add TikTok One and Ad Account” again.",
    "expired": "That authorization took too long and expired, so nothing was connected. "
    "Please click “Add TikTok One and Ad Account” again.",
}


@login_required
@require_POST
def tiktok_connect(request: HttpRequest, slug: str) -> HttpResponse:
    """ "Add TikTok One and Ad Account" (and "Reconnect"): off to TikTok's consent screen."""
    brand = get_brand_for_user(request.user, slug, manage=True)
    state = _new_state(request, brand.slug)
    return redirect(BusinessClient.portal_auth_url(state, _callback_uri()))


@require_POST
def connect_platform_account(request: HttpRequest) -> HttpResponse:
    """Staff (from Django admin): connect the platform's internal TikTok One account, on the
    same consent screen."""
    if not request.user.is_staff:
        raise Http404
    state = _new_state(request, INTERNAL)
    return redirect(BusinessClient.portal_auth_url(state, _callback_uri()))


@login_required
@require_GET
def tiktok_callback(request: HttpRequest) -> HttpResponse:
    """TikTok sends the brand back here with ``auth_code`` and ``state`` (or ``error``)."""
    entry, problem = _pop_state(request, request.GET.get("state", ""))
    if entry is None:
        messages.error(request, STATE_PROBLEMS[problem])
        return _back_somewhere(request)
    brand, done = _connect_target(request, entry["target"])
    error = request.GET.get("error", "")
    if error:
        if error == "access_denied":
            messages.warning(
                request,
                "You cancelled on TikTok's screen, so nothing was connected. "
                "Click “Add TikTok One and Ad Account” whenever you are ready.",
            )
        else:
            messages.error(request, f"TikTok did not authorize the connection ({error[:60]}); nothing was connected.")
        return redirect(done)
    auth_code = request.GET.get("auth_code") or request.GET.get("code") or ""
    if not auth_code:
        messages.error(request, "TikTok's reply had no authorization code, so nothing was connected. Please try again.")
        return redirect(done)
    return _exchange(request, entry["target"], auth_code)


@login_required
@require_POST
def tiktok_callback_retry(request: HttpRequest) -> HttpResponse:
    """ "Try again": the held code's exchange once more (held again only if TikTok is still down)."""
    held = oauth_retry.take(request, FLOW, request.POST.get("key", ""))
    if held is None:
        messages.error(request, oauth_retry.gone_message("Click “Add TikTok One and Ad Account”"))
        return _back_somewhere(request)
    return _exchange(request, held["target"], held["code"])


def _connect_target(request: HttpRequest, target: str) -> tuple[Brand | None, str]:
    """(the brand a connection is for, or None for the platform's own; the page to end on)."""
    if target == INTERNAL:
        if not request.user.is_staff:
            raise Http404
        return None, reverse("admin:integrations_tiktokoneaccount_changelist")
    brand = get_brand_for_user(request.user, target, manage=True)
    return brand, reverse("integrations:tiktok_settings", args=[brand.slug])


def _exchange(request: HttpRequest, target: str, auth_code: str) -> HttpResponse:
    """Exchange the code and store the connection; when TikTok did not answer the exchange,
    the page that offers "Try again" with the same code."""
    brand, done = _connect_target(request, target)
    try:
        result = flows.connect(brand, auth_code, user=request.user)
    except FlowError as exc:
        if exc.retryable:
            key = oauth_retry.hold(
                request, flow=FLOW, code=auth_code, target=target, valid_for=oauth_retry.BRAND_CODE_VALID
            )
            retry_url = reverse("integrations:tiktok_callback_retry")
            return oauth_retry.offer(request, key=key, message=exc.message, retry_url=retry_url, back_url=done)
        messages.error(request, exc.message)
        return redirect(done)
    n_accounts, n_ads = len(result.accounts), len(result.ad_accounts)
    parts = [f"{n_accounts} TikTok One account{'s' if n_accounts != 1 else ''}"]
    if brand is not None:
        parts.append(f"{n_ads} ad account{'s' if n_ads != 1 else ''}")
    verb = "Reconnected" if result.reused else "Connected"
    messages.success(request, f"{verb} to TikTok: {' and '.join(parts)}.")
    if result.removed:
        names = ", ".join(f"“{a}”" for a in result.removed)
        messages.warning(
            request,
            f"{names} was removed from this brand by support, so this connection left it out. "
            "To use it again, contact support and ask them to restore it.",
        )
    return redirect(done)


def _back_somewhere(request: HttpRequest) -> HttpResponse:
    brand = (
        Brand.objects.for_user(request.user)
        .filter(memberships__user=request.user.pk, memberships__role__in=BrandMembership.MANAGER_ROLES)
        .first()
    )
    if brand is not None:
        return redirect("integrations:tiktok_settings", slug=brand.slug)
    return redirect("home")


# --- the brand's ad accounts and notices --------------------------------------------------


def _ad_account_action(
    request: HtmxHttpRequest, slug: str, pk: int, action: Callable[[AdAccount], None], success: str
) -> HttpResponse:
    """Run `action` on one of the brand's live ad accounts; refusals become page messages."""
    brand = get_brand_for_user(request.user, slug, manage=True)
    ad = get_for_brand_or_404(AdAccount.objects.for_user(request.user), brand, pk=pk, removed_at__isnull=True)
    try:
        action(ad)
    except FlowError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, success.format(ad=ad))
        record_capability(brand, notify=False)
    return _settings_fragment(request, brand)


@login_required
@require_POST
def choose_spark_ad_account(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    return _ad_account_action(
        request, slug, pk, accounts.set_spark_ad_account, "“{ad}” is now the ad account for Spark Ads."
    )


@login_required
@require_POST
def remove_ad_account(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    return _ad_account_action(request, slug, pk, accounts.remove_ad_account, "Removed the ad account “{ad}”.")


@login_required
@require_POST
def restore_ad_account(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """“Add back” a removed ad account (one already back, e.g. after a double click, is said so)."""
    brand = get_brand_for_user(request.user, slug, manage=True)
    ad = get_for_brand_or_404(AdAccount.objects.for_user(request.user), brand, pk=pk)
    try:
        accounts.restore_ad_account(ad)
    except FlowError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"“{ad}” is back among this brand's ad accounts.")
        record_capability(brand, notify=False)
    return _settings_fragment(request, brand)


@login_required
@require_POST
def dismiss_notice(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    brand = get_brand_for_user(request.user, slug, manage=True)
    notice = get_for_brand_or_404(BrandNotice.objects.for_user(request.user), brand, pk=pk)
    BrandNotice.objects.filter(pk=notice.pk).update(dismissed_at=timezone.now())
    if request.htmx:
        return HttpResponse("")
    return redirect("integrations:tiktok_settings", slug=brand.slug)
