"""Creator sourcing and campaigns: searching TikTok One's creators, a creator's profile,
the brand's campaigns, and the brand profiles and anchors its campaigns point at (members
read them; managers make and delete them), and importing the campaigns a brand already runs
on TikTok One."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .. import jobs
from ..connect.capability import spark_ads_capability
from ..errors import FlowError
from ..forms import AddToCampaignForm, AnchorForm, BrandProfileForm, CampaignForm, CreatorSearchForm, RequirementsForm
from ..http import HtmxHttpRequest, paged, wants_fragment
from ..models import Anchor, BrandProfile, Campaign, CampaignPost, Collaboration, TikTokOneAccount
from ..tenancy import get_brand_for_user, get_for_brand_or_404
from . import assets, flows


@login_required
@require_GET
def creator_search(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """Every page of creators, the first one too, is loaded by a worker while the results area
    shows its progress: a person never waits on TikTok in a request."""
    brand = get_brand_for_user(request.user, slug)
    account = flows.sourcing_account(brand)
    form = CreatorSearchForm(request.GET or None)
    query = _query_without_page(request)
    job = None
    if account is not None and (form.is_valid() if form.is_bound else True):
        cleaned = form.cleaned_data if form.is_bound else {}
        job = jobs.start_once(
            "creator_search",
            request.user,
            brand,
            filters=flows.json_filters(cleaned),
            page=cleaned.get("page") or 1,
            query=query,
        )
    ctx = {
        "brand": brand,
        "form": form,
        "account": account,
        "capability": spark_ads_capability(brand) if account is None else None,
        "job": job,
        "query": query,
    }
    template = "integrations/_creator_results.html" if request.htmx else "integrations/creator_search.html"
    return render(request, template, ctx)


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@login_required
@require_http_methods(["GET", "POST"])
def creator_profile(request: HttpRequest, slug: str, handle: str) -> HttpResponse:
    """The creator's profile is read by a worker while the page shows its progress; only
    adding them to a campaign (a manager's POST) asks TikTok in the request."""
    brand = get_brand_for_user(request.user, slug, manage=request.method == "POST")
    account = flows.sourcing_account(brand)
    if account is None:
        messages.error(request, "Creator sourcing needs a TikTok One account; see Integrations.")
        return redirect("integrations:creator_search", slug=brand.slug)
    form = AddToCampaignForm(request.POST or None, brand=brand)
    if request.method == "POST" and form.is_valid():
        _add_to_campaign(request, account, form.cleaned_data["campaign"], handle)
        return redirect("integrations:creator_profile", slug=brand.slug, handle=handle)
    return render(
        request,
        "integrations/creator_profile.html",
        {
            "brand": brand,
            "job": jobs.start_once("creator_profile", request.user, brand, handle=handle),
            "form": form,
            "handle": handle,
            "can_manage": brand.can_manage(request.user),
        },
    )


def _add_to_campaign(request: HttpRequest, account: TikTokOneAccount, campaign: Campaign, handle: str) -> None:
    try:
        creator = flows.creator_profile(account, handle)
        _, created = flows.add_creator_to_campaign(campaign, creator)
    except FlowError as exc:
        messages.error(request, exc.message)
        return
    who = creator.get("handle_name") or handle
    if created:
        messages.success(request, f"Added @{who} to “{campaign}” (invited).")
    else:
        messages.info(request, f"@{who} is already in “{campaign}”.")


# --- campaigns -----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def campaigns(request: HttpRequest, slug: str) -> HttpResponse:
    # Members read the page; only managers may send its form.
    brand = get_brand_for_user(request.user, slug, manage=request.method == "POST")
    account = flows.sourcing_account(brand)
    form = CampaignForm(request.POST or None, initial={"brand_name": brand.name}, brand=brand)
    if request.method == "POST":
        if account is None:
            messages.error(request, "Creating a campaign needs a TikTok One account; see Integrations.")
        elif form.is_valid():
            try:
                campaign, created = flows.create_campaign(brand, account, form.cleaned_data)
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
    rows = Campaign.objects.filter(brand=brand).select_related("tiktok_one_account").order_by("-created_at", "-pk")
    return render(
        request,
        "integrations/campaigns.html",
        {
            "brand": brand,
            "paged": paged(request, rows),
            "form": form,
            "account": account,
            "capability": spark_ads_capability(brand) if account is None else None,
            "can_manage": brand.can_manage(request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def campaign_detail(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    # Members read the page; only managers may send its form.
    brand = get_brand_for_user(request.user, slug, manage=request.method == "POST")
    campaign = get_for_brand_or_404(Campaign.objects.for_user(request.user), brand, pk=pk)
    form = RequirementsForm(request.POST or None, instance=campaign)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Saved the campaign's requirements.")
        return redirect("integrations:campaign_detail", slug=brand.slug, pk=campaign.pk)
    collaborations = (
        Collaboration.objects.filter(campaign=campaign).select_related("tiktok_account").order_by("created_at", "pk")
    )
    posts = (
        CampaignPost.objects.filter(campaign=campaign).select_related("tiktok_account").order_by("-created_at", "-pk")
    )
    template = "integrations/campaign_detail.html"
    if wants_fragment(request) and request.htmx.target in {"collaborations", "posts"}:
        template += f"#{request.htmx.target}"
    return render(
        request,
        template,
        {
            "brand": brand,
            "campaign": campaign,
            "form": form,
            "collaborations": paged(request, collaborations, param="creators-page"),
            "posts": paged(request, posts, param="posts-page"),
            "can_manage": brand.can_manage(request.user),
        },
    )


# --- brand profiles and anchors; campaigns imported from TikTok One -----------------------


@login_required
@require_http_methods(["GET", "POST"])
def campaign_assets(request: HttpRequest, slug: str) -> HttpResponse:
    brand = get_brand_for_user(request.user, slug, manage=request.method == "POST")
    account = flows.sourcing_account(brand)
    kind = request.POST.get("kind")
    profile_form = BrandProfileForm(request.POST if kind == "profile" else None, prefix="profile")
    anchor_form = AnchorForm(request.POST if kind == "anchor" else None, prefix="anchor")
    can_manage = brand.can_manage(request.user)
    job = None
    if request.method == "POST":
        if account is None:
            messages.error(request, "This needs a TikTok One account; see Integrations.")
        elif kind == "profile" and profile_form.is_valid():
            try:
                profile, created = assets.create_brand_profile(brand, account, profile_form.cleaned_data)
            except FlowError as exc:
                messages.error(request, exc.message)
            else:
                verb = "Created" if created else "Already created"
                messages.success(request, f"{verb}: brand profile “{profile}” on TikTok One.")
                return redirect("integrations:campaign_assets", slug=brand.slug)
        elif kind == "anchor" and anchor_form.is_valid():
            try:
                anchor, created = assets.create_anchor(brand, account, anchor_form.cleaned_data)
            except FlowError as exc:
                messages.error(request, exc.message)
            else:
                verb = "Created" if created else "Already created"
                messages.success(request, f"{verb}: anchor “{anchor}”; TikTok reviews it before creators see it.")
                return redirect("integrations:campaign_assets", slug=brand.slug)
    elif account is not None and Anchor.objects.filter(brand=brand, tiktok_one_account=account).exists():
        # A worker reads TikTok's review while the page shows the status last read; the job
        # keeps the watcher's role so the table it refreshes offers what this page does.
        job = jobs.start_once("anchor_review", request.user, brand, manage=can_manage)
    return render(
        request,
        "integrations/campaign_assets.html",
        {
            "brand": brand,
            "account": account,
            "job": job,
            # Both grow with the brand's campaigns: a page of each.
            "profiles": paged(request, BrandProfile.objects.filter(brand=brand), param="profiles_page"),
            "anchors": paged(
                request, Anchor.objects.filter(brand=brand).order_by("-created_at", "-pk"), param="anchors_page"
            ),
            "profile_form": profile_form,
            "anchor_form": anchor_form,
            "can_manage": can_manage,
        },
    )


@login_required
@require_POST
def delete_anchor(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    brand = get_brand_for_user(request.user, slug, manage=True)
    anchor = get_for_brand_or_404(Anchor.objects.for_user(request.user), brand, pk=pk)
    try:
        assets.delete_anchor(anchor.tiktok_one_account, anchor)
    except FlowError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Deleted the anchor “{anchor}” on TikTok One.")
    return redirect("integrations:campaign_assets", slug=brand.slug)


@login_required
@require_POST
def import_campaigns(request: HttpRequest, slug: str) -> HttpResponse:
    """The campaigns the brand already runs on its TikTok One account, listed here too."""
    brand = get_brand_for_user(request.user, slug, manage=True)
    account = flows.sourcing_account(brand)
    if account is None:
        messages.error(request, "Importing campaigns needs the brand's TikTok One account; see Integrations.")
        return redirect("integrations:campaigns", slug=brand.slug)
    try:
        result = flows.import_campaigns(brand, account)
    except FlowError as exc:
        messages.error(request, exc.message)
    else:
        text = f"Imported from TikTok One: {result.created} new, {result.updated} already here."
        if result.skipped:
            text += f" {result.skipped} could not be imported (another brand on this platform has them)."
        messages.success(request, text)
    return redirect("integrations:campaigns", slug=brand.slug)
