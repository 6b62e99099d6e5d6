"""Ads Manager links: the brand's list, recording a request, and acting on a link.

Everyone in the brand reads the list; recording, checking, marking rejected, sending again
and unlinking are for the brand's owners and admins (`manage=True`: a 404 for anyone else).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.views.decorators.http import require_GET, require_POST

from integrations.errors import FlowError, message_for
from integrations.http import HtmxHttpRequest, paged, wants_fragment
from integrations.models import AdAccount
from integrations.tenancy import get_brand_for_user
from integrations.tiktok import TikTokError

from ..forms import LinkRequestForm
from ..models import AdsManagerLink
from . import flows as links


@login_required
@require_GET
def page(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    brand = get_brand_for_user(request.user, slug)
    rows = links.with_open_successor(
        AdsManagerLink.objects.for_user(request.user)
        .filter(brand=brand)
        .select_related("ad_account", "requested_by", "decided_by")
    )
    status = request.GET.get("status", "")
    if status in AdsManagerLink.Status.values:
        rows = rows.filter(status=status)
    ctx = {
        "brand": brand,
        "paged": paged(request, rows),
        "status": status,
        "statuses": AdsManagerLink.Status.choices,
        "can_manage": brand.can_manage(request.user),
    }
    template = "sparkads/ads_manager.html"
    if wants_fragment(request):
        template += "#links"
    else:
        ctx |= {
            "form": LinkRequestForm(),
            # The Spark Ads ad account first (the form's default), then by name: one order on every database.
            "ad_accounts": AdAccount.objects.for_user(request.user)
            .filter(brand=brand, removed_at__isnull=True)
            .order_by("-is_active_for_spark", "name", "advertiser_id"),
        }
    return render(request, template, ctx)


@login_required
@require_POST
def request_link(request: HttpRequest, slug: str) -> HttpResponse:
    brand = get_brand_for_user(request.user, slug, manage=True)
    form = LinkRequestForm(request.POST)
    if form.is_valid():
        ad_account = get_object_or_404(AdAccount, pk=form.cleaned_data["ad_account"], brand=brand)
        try:
            link = links.record_link_request(brand, ad_account, form.cleaned_data["username"], request.user)
            messages.success(
                request,
                f"Recorded. In TikTok Ads Manager (Assets > Identities > Link TikTok account) "
                f"send the request to @{link.username}; once they approve it on TikTok, "
                "this page shows Authorized.",
            )
        except (FlowError, TikTokError) as exc:
            messages.error(request, message_for(exc))
    else:
        messages.error(request, "Pick an ad account and type a TikTok username.")
    return redirect("sparkads:ads_manager", slug=brand.slug)


@login_required
@require_POST
def act(request: HttpRequest, slug: str, pk: int, action: str) -> HttpResponse:
    brand = get_brand_for_user(request.user, slug, manage=True)
    link = get_object_or_404(
        AdsManagerLink.objects.for_user(request.user).select_related("ad_account", "brand"), pk=pk, brand=brand
    )
    try:
        if action == "check":
            links.poll_links(link.ad_account_id, sent=[link.pk])
            messages.info(request, "Checked with TikTok.")
        elif action == "rejected":
            links.mark_link_rejected(link, request.user)
            messages.success(request, f"Recorded: @{link.username} rejected the link. {AdsManagerLink.REJECTED_ADVICE}")
        elif action == "again":
            again = links.send_again(link, request.user)
            messages.success(
                request,
                f"Recorded again. In TikTok Ads Manager (Assets > Identities > Link TikTok account) send the "
                f"request to @{again.username} once more; once they approve it on TikTok, this page shows Authorized.",
            )
        elif action == "unlink":
            n = links.unlink(link, request.user)
            messages.success(
                request,
                f"@{link.username} unlinked; {n} Spark Ad{pluralize(n)} using its posts {pluralize(n, 'was,were')} stopped.",
            )
        else:
            raise Http404
    except (FlowError, TikTokError) as exc:
        messages.error(request, message_for(exc))
    return redirect("sparkads:ads_manager", slug=brand.slug)
