from __future__ import annotations

import logging
import secrets
import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import flows_accounts, flows_sourcing, jobs
from .capability import record_capability, spark_ads_capability
from .errors import FlowError
from .forms import AddToCampaignForm, CampaignForm, CreatorSearchForm, RequirementsForm
from .http import HtmxHttpRequest
from .models import (
    AdAccount,
    BackgroundJob,
    BrandNotice,
    BusinessCenter,
    Campaign,
    CampaignPost,
    Collaboration,
    TikTokOneAccount,
)
from .outage import database_answers, redis_answers
from .tenancy import get_brand_for_user, get_for_brand_or_404
from .tiktok import BusinessClient
from .views_connect import INTERNAL, back_somewhere, connect_target, exchange


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """For load balancers and people: each dependency separately; 503 when one is down."""
    checks = {"database": database_answers(), "redis": redis_answers(settings.REDIS_URL)}
    healthy = all(checks.values())
    body = {"ok": healthy} | {name: "ok" if up else "down" for name, up in checks.items()}
    return JsonResponse(body, status=200 if healthy else 503)


# --- Settings > Integrations > TikTok ---------------------------------------------------
logger = logging.getLogger("integrations.views")

# TikTok's help on business verification, shown with "Not verified by TikTok".
VERIFY_HELP_URL = "https://ads.tiktok.com/help/article/business-verification"
STATE_SESSION_KEY = "integrations_tiktok_states"
USED_STATES_KEY = "integrations_tiktok_used_states"


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


def _pop_state(request: HttpRequest, state: str) -> tuple[dict | None, str]:
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


def _settings_context(request: HttpRequest, brand) -> dict:
    live_ads = (
        AdAccount.objects.filter(brand=brand, removed_at__isnull=True)
        .select_related("owner_bc")
        .order_by("name", "advertiser_id")
    )
    accounts = list(
        TikTokOneAccount.objects.filter(brand=brand, removed_at__isnull=True)
        .select_related("credential")
        .prefetch_related(Prefetch("ad_accounts", queryset=live_ads.order_by("created_at", "pk")))
        .order_by("created_at", "pk")
    )
    unlinked = list(live_ads.filter(tiktok_one_account__isnull=True).order_by("created_at", "pk"))
    needs_reconnect = any(a.standing.label == "Inactive" for a in accounts)
    return {
        "brand": brand,
        "can_manage": brand.can_manage(request.user),
        "capability": spark_ads_capability(brand),
        "accounts": accounts,
        "unlinked_ad_accounts": unlinked,
        "removed_ad_accounts": list(
            AdAccount.objects.filter(brand=brand, removed_at__isnull=False).order_by("-removed_at", "pk")
        ),
        "business_centers": list(BusinessCenter.objects.filter(brand=brand).order_by("name")),
        "notices": list(BrandNotice.objects.filter(brand=brand, dismissed_at__isnull=True)[:5]),
        "connected": bool(accounts or unlinked),
        "needs_reconnect": needs_reconnect,
        "all_active": bool(accounts) and all(a.standing.is_ok for a in accounts),
        "verify_help_url": VERIFY_HELP_URL,
    }


@login_required
@require_GET
def tiktok_settings(request: HttpRequest, slug: str) -> HttpResponse:
    brand = get_brand_for_user(request.user, slug)
    return render(request, "integrations/tiktok_settings.html", _settings_context(request, brand))


def _settings_fragment(request: HtmxHttpRequest, brand) -> HttpResponse:
    """htmx: the capability panel and the accounts, re-rendered after an action."""
    if request.htmx:
        return render(request, "integrations/_tiktok_body.html", _settings_context(request, brand))
    return redirect("integrations:tiktok_settings", slug=brand.slug)


@login_required
@require_POST
def tiktok_connect(request: HttpRequest, slug: str) -> HttpResponse:
    """ "Add TikTok One and Ad Account" (and "Reconnect"): off to TikTok's consent screen."""
    brand = get_brand_for_user(request.user, slug, manage=True)
    state = _new_state(request, brand.slug)
    return redirect(BusinessClient.portal_auth_url(state, _callback_uri()))


def _connect_platform_account(request: HttpRequest) -> HttpResponse:
    """Staff: connect the platform's internal TikTok One account (same consent screen)."""
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
        return back_somewhere(request)
    brand, done = connect_target(request, entry["target"])
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
    return exchange(request, entry["target"], auth_code)


def _ad_account_action(request: HtmxHttpRequest, slug: str, pk: int, action, success: str) -> HttpResponse:
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
        request, slug, pk, flows_accounts.set_spark_ad_account, "“{ad}” is now the ad account for Spark Ads."
    )


@login_required
@require_POST
def remove_ad_account(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    return _ad_account_action(request, slug, pk, flows_accounts.remove_ad_account, "Removed the ad account “{ad}”.")


@login_required
@require_POST
def restore_ad_account(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """“Add back” a removed ad account (one already back, e.g. after a double click, is said so)."""
    brand = get_brand_for_user(request.user, slug, manage=True)
    ad = get_for_brand_or_404(AdAccount.objects.for_user(request.user), brand, pk=pk)
    try:
        flows_accounts.restore_ad_account(ad)
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


# --- creator sourcing ----------------------------------------------------------------------


@login_required
@require_GET
def creator_search(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """The first page asks TikTok inside the request (under the deadline); later pages are
    loaded by a worker while the results area shows its progress."""
    brand = get_brand_for_user(request.user, slug)
    account = flows_sourcing.sourcing_account(brand)
    form = CreatorSearchForm(request.GET or None)
    results, error, job = None, "", None
    if account is not None and (form.is_valid() if form.is_bound else True):
        cleaned = form.cleaned_data if form.is_bound else {}
        page = cleaned.get("page") or 1
        if page > 1:
            filters = flows_sourcing.json_filters(cleaned)
            job = jobs.start_once(
                "creator_search", request.user, brand, filters=filters, page=page, query=_query_without_page(request)
            )
        else:
            try:
                results = flows_sourcing.search_creators(account, cleaned, page=page)
            except FlowError as exc:
                error = exc.message
    ctx = {
        "brand": brand,
        "form": form,
        "account": account,
        "capability": spark_ads_capability(brand) if account is None else None,
        "results": results,
        "error": error,
        "job": job,
        "query": _query_without_page(request),
    }
    template = "integrations/_creator_results.html" if request.htmx else "integrations/creator_search.html"
    return render(request, template, ctx)


@login_required
@require_GET
def job(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The progress fragment of a job the signed-in user started; its brand's members only."""
    found = get_object_or_404(BackgroundJob.objects.select_related("brand"), pk=pk, user=request.user)
    if found.brand is not None:
        get_brand_for_user(request.user, found.brand.slug)
    done = found.state == BackgroundJob.State.DONE
    ctx = {
        "job": found,
        "brand": found.brand,
        "results": found.result if done else None,
        "query": found.params.get("query", ""),
    }
    kind = jobs.KINDS[found.kind]
    response = render(request, kind.template, ctx)
    if request.htmx and done and kind.reload_when_done:
        response["HX-Refresh"] = "true"  # the whole page changed: show it as it is now
    return response


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@login_required
@require_http_methods(["GET", "POST"])
def creator_profile(request: HttpRequest, slug: str, handle: str) -> HttpResponse:
    # Members read the page; only managers may send its form.
    brand = get_brand_for_user(request.user, slug, manage=request.method == "POST")
    account = flows_sourcing.sourcing_account(brand)
    if account is None:
        messages.error(request, "Creator sourcing needs a TikTok One account; see Integrations.")
        return redirect("integrations:creator_search", slug=brand.slug)
    form = AddToCampaignForm(request.POST or None, brand=brand)
    try:
        creator = flows_sourcing.creator_profile(account, handle)
    except FlowError as exc:
        messages.error(request, exc.message)
        return redirect("integrations:creator_search", slug=brand.slug)
    if request.method == "POST" and form.is_valid():
        campaign = form.cleaned_data["campaign"]
        try:
            _, created = flows_sourcing.add_creator_to_campaign(campaign, creator)
        except FlowError as exc:
            messages.error(request, exc.message)
        else:
            who = creator.get("handle_name") or handle
            if created:
                messages.success(request, f"Added @{who} to “{campaign}” (invited).")
            else:
                messages.info(request, f"@{who} is already in “{campaign}”.")
        return redirect("integrations:creator_profile", slug=brand.slug, handle=handle)
    return render(
        request,
        "integrations/creator_profile.html",
        {
            "brand": brand,
            "creator": creator,
            "form": form,
            "handle": handle,
            "can_manage": brand.can_manage(request.user),
        },
    )


# --- campaigns -----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def campaigns(request: HttpRequest, slug: str) -> HttpResponse:
    # Members read the page; only managers may send its form.
    brand = get_brand_for_user(request.user, slug, manage=request.method == "POST")
    account = flows_sourcing.sourcing_account(brand)
    form = CampaignForm(request.POST or None, initial={"brand_name": brand.name}, brand=brand)
    if request.method == "POST":
        if account is None:
            messages.error(request, "Creating a campaign needs a TikTok One account; see Integrations.")
        elif form.is_valid():
            try:
                campaign, created = flows_sourcing.create_campaign(brand, account, form.cleaned_data)
            except FlowError as exc:
                messages.error(request, exc.message)
            else:
                if created:
                    messages.success(
                        request, f"Created “{campaign}” on TikTok One. Share its invite link with creators."
                    )
                else:
                    messages.info(request, f"Already created: “{campaign}” was made on TikTok One a moment ago.")
                return redirect("integrations:campaign_detail", slug=brand.slug, pk=campaign.pk)
    rows = Campaign.objects.filter(brand=brand).select_related("tiktok_one_account").order_by("-created_at")
    return render(
        request,
        "integrations/campaigns.html",
        {
            "brand": brand,
            "campaigns": rows,
            "form": form,
            "account": account,
            "capability": spark_ads_capability(brand) if account is None else None,
            "can_manage": brand.can_manage(request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def campaign_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    # Members read the page; only managers may send its form.
    brand = get_brand_for_user(request.user, slug, manage=request.method == "POST")
    campaign = get_for_brand_or_404(Campaign.objects.for_user(request.user), brand, pk=pk)
    form = RequirementsForm(request.POST or None, instance=campaign)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Saved the campaign's requirements.")
        return redirect("integrations:campaign_detail", slug=brand.slug, pk=campaign.pk)
    collaborations = (
        Collaboration.objects.filter(campaign=campaign).select_related("tiktok_account").order_by("created_at")
    )
    posts = CampaignPost.objects.filter(campaign=campaign).select_related("tiktok_account").order_by("-created_at")
    return render(
        request,
        "integrations/campaign_detail.html",
        {
            "brand": brand,
            "campaign": campaign,
            "form": form,
            "collaborations": collaborations,
            "posts": posts,
            "can_manage": brand.can_manage(request.user),
        },
    )
