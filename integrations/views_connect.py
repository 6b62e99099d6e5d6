"""The end of "Add TikTok One and Ad Account": the code exchange and what the brand reads
after it, shared by TikTok's callback and the "Try again" of an exchange TikTok did not
answer (integrations.oauth_retry)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from . import flows_connect, oauth_retry
from .errors import FlowError
from .models import Brand, BrandMembership
from .tenancy import get_brand_for_user

# The state target of the platform's own TikTok One account (staff), not a brand's slug.
INTERNAL = "__platform__"
FLOW = "brand"


def connect_target(request: HttpRequest, target: str) -> tuple[Brand | None, str]:
    """(the brand a connection is for, or None for the platform's own; the page to end on)."""
    if target == INTERNAL:
        if not request.user.is_staff:
            raise Http404
        return None, reverse("admin:integrations_tiktokoneaccount_changelist")
    brand = get_brand_for_user(request.user, target, manage=True)
    return brand, reverse("integrations:tiktok_settings", args=[brand.slug])


def exchange(request: HttpRequest, target: str, auth_code: str) -> HttpResponse:
    """Exchange the code and store the connection; when TikTok did not answer the exchange,
    the page that offers "Try again" with the same code."""
    brand, done = connect_target(request, target)
    try:
        result = flows_connect.connect(brand, auth_code, user=request.user)
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


@login_required
@require_POST
def tiktok_callback_retry(request: HttpRequest) -> HttpResponse:
    """ "Try again": the held code's exchange once more (held again only if TikTok is still down)."""
    held = oauth_retry.take(request, FLOW, request.POST.get("key", ""))
    if held is None:
        messages.error(request, oauth_retry.gone_message("Click “Add TikTok One and Ad Account”"))
        return back_somewhere(request)
    return exchange(request, held["target"], held["code"])


def back_somewhere(request: HttpRequest) -> HttpResponse:
    brand = (
        Brand.objects.for_user(request.user)
        .filter(memberships__user=request.user, memberships__role__in=BrandMembership.MANAGER_ROLES)
        .first()
    )
    if brand is not None:
        return redirect("integrations:tiktok_settings", slug=brand.slug)
    return redirect("home")
