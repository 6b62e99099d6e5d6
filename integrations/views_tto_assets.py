"""Campaign pages: the brand profiles and anchors a brand's TikTok One campaigns point at
(members read them; managers make and delete them), and importing the campaigns a brand
already runs on TikTok One."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from . import flows_sourcing, flows_tto_assets
from .errors import FlowError
from .forms import AnchorForm, BrandProfileForm
from .models import Anchor, BrandProfile
from .tenancy import get_brand_for_user, get_for_brand_or_404


@login_required
@require_http_methods(["GET", "POST"])
def campaign_assets(request: HttpRequest, slug: str) -> HttpResponse:
    brand = get_brand_for_user(request.user, slug, manage=request.method == "POST")
    account = flows_sourcing.sourcing_account(brand)
    kind = request.POST.get("kind")
    profile_form = BrandProfileForm(request.POST if kind == "profile" else None, prefix="profile")
    anchor_form = AnchorForm(request.POST if kind == "anchor" else None, prefix="anchor")
    if request.method == "POST":
        if account is None:
            messages.error(request, "This needs a TikTok One account; see Integrations.")
        elif kind == "profile" and profile_form.is_valid():
            try:
                profile, created = flows_tto_assets.create_brand_profile(brand, account, profile_form.cleaned_data)
            except FlowError as exc:
                messages.error(request, exc.message)
            else:
                verb = "Created" if created else "Already created"
                messages.success(request, f"{verb}: brand profile “{profile}” on TikTok One.")
                return redirect("integrations:campaign_assets", slug=brand.slug)
        elif kind == "anchor" and anchor_form.is_valid():
            try:
                anchor, created = flows_tto_assets.create_anchor(brand, account, anchor_form.cleaned_data)
            except FlowError as exc:
                messages.error(request, exc.message)
            else:
                verb = "Created" if created else "Already created"
                messages.success(request, f"{verb}: anchor “{anchor}”; TikTok reviews it before creators see it.")
                return redirect("integrations:campaign_assets", slug=brand.slug)
    elif account is not None and Anchor.objects.filter(brand=brand, tiktok_one_account=account).exists():
        try:
            flows_tto_assets.refresh_anchors(brand, account)
        except FlowError as exc:
            messages.warning(request, f"Review status not refreshed: {exc.message}")
    return render(
        request,
        "integrations/campaign_assets.html",
        {
            "brand": brand,
            "account": account,
            "profiles": BrandProfile.objects.filter(brand=brand),
            "anchors": Anchor.objects.filter(brand=brand),
            "profile_form": profile_form,
            "anchor_form": anchor_form,
            "can_manage": brand.can_manage(request.user),
        },
    )


@login_required
@require_POST
def delete_anchor(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    brand = get_brand_for_user(request.user, slug, manage=True)
    anchor = get_for_brand_or_404(Anchor.objects.for_user(request.user), brand, pk=pk)
    try:
        flows_tto_assets.delete_anchor(anchor.tiktok_one_account, anchor)
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
    account = flows_sourcing.sourcing_account(brand)
    if account is None:
        messages.error(request, "Importing campaigns needs the brand's TikTok One account; see Integrations.")
        return redirect("integrations:campaigns", slug=brand.slug)
    try:
        result = flows_sourcing.import_campaigns(brand, account)
    except FlowError as exc:
        messages.error(request, exc.message)
    else:
        text = f"Imported from TikTok One: {result.created} new, {result.updated} already here."
        if result.skipped:
            text += f" {result.skipped} could not be imported (another brand on this platform has them)."
        messages.success(request, text)
    return redirect("integrations:campaigns", slug=brand.slug)
