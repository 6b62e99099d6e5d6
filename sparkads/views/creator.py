"""The creator's Spark Ads page (`creator/spark-ads/`): brands' requests to approve in one
click, every authorization given with its terms and a revoke, and pasting a code made in
the TikTok app. Every row is looked up among the signed-in creator's own posts: another
creator's is a 404."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from integrations.errors import FlowError
from integrations.http import paged
from integrations.models import CampaignPost, TikTokAccount

from .. import codes, creator_codes, renewal
from ..forms import AutoRenewalForm, PasteCodeForm
from ..models import ExtensionProposal, SparkAuthorization


def _own_row(request: HttpRequest, pk: int) -> SparkAuthorization:
    owned = Q(tiktok_account__owner=request.user) | Q(post__tiktok_account__owner=request.user)
    rows = SparkAuthorization.objects.filter(owned).select_related(
        "brand", "ad_account", "tiktok_account__credential", "post__tiktok_account__credential"
    )
    return get_object_or_404(rows, pk=pk)


@login_required
@require_http_methods(["GET", "POST"])
def creator_codes_page(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        _paste(request, creator_codes.own_posts(request.user.pk))
        return redirect("sparkads:creator_codes")
    accounts = list(TikTokAccount.objects.filter(owner=request.user.pk).select_related("credential").order_by("handle"))
    # Both lists grow with every brand the creator works with: a page of each.
    waiting_page = paged(request, creator_codes.waiting_requests(request.user), param="waiting_page")
    given_page = paged(request, creator_codes.given(request.user))
    # A creator may have posts in many campaigns: the paste form offers a page of them, found
    # by caption, campaign or brand.
    post_search = request.GET.get("post_q", "").strip()[:100]
    posts_page = paged(request, creator_codes.own_posts(request.user.pk, post_search), param="posts_page")
    # (request, whether the creator's grant lets them approve it here)
    waiting = [(req, creator_codes.has_spark_scope(req.creator_account)) for req in waiting_page.page]
    given = list(given_page.page)
    proposals = {
        p.authorization_id: p
        for p in ExtensionProposal.objects.filter(authorization__in=given, status__in=ExtensionProposal.OPEN)
    }
    # (authorization, revoked here in one click, or turned off in the TikTok app, its open
    # extension proposal)
    rows = [
        (row, creator_codes.can_revoke_here(row), row.status in creator_codes.REVOCABLE, proposals.get(row.pk))
        for row in given
    ]
    return render(
        request,
        "sparkads/creator_codes.html",
        {
            "posts_page": posts_page,
            "post_search": post_search,
            "accounts": [(a, creator_codes.has_spark_scope(a)) for a in accounts],
            "waiting": waiting,
            "waiting_page": waiting_page,
            "rows": rows,
            "given_page": given_page,
            "form": PasteCodeForm(),
            "auto_form": AutoRenewalForm(),
        },
    )


def _paste(request: HttpRequest, posts: QuerySet[CampaignPost]) -> None:
    form = PasteCodeForm(request.POST)
    post = posts.filter(pk=form.cleaned_data["post"]).first() if form.is_valid() and form.cleaned_data["post"] else None
    if post is None:
        messages.error(request, "Pick one of your campaign posts and paste its code.")
        return
    try:
        auth = codes.accept_pasted_code(post.campaign.brand, request.user, form.cleaned_data["code"], post=post)
        messages.success(
            request,
            f"Thanks: {post.campaign.brand} can now promote {auth.post_name} until {auth.auth_end:%Y-%m-%d}.",
        )
    except FlowError as exc:
        messages.error(request, exc.message)


@login_required
@require_POST
def approve(request: HttpRequest, pk: int) -> HttpResponse:
    auth = _own_row(request, pk)
    try:
        auth = creator_codes.approve(auth, request.user)
    except FlowError as exc:
        messages.error(request, exc.message)
        return redirect("sparkads:creator_codes")
    # TikTok's window, as it answered: a post's live code keeps its own window.
    window = f" (TikTok's window: until {auth.auth_end:%Y-%m-%d})" if auth.auth_end else ""
    if auth.awaiting_payment:
        messages.success(
            request,
            f"Approved for {auth.authorization_days} days{window}: the code is in {auth.brand}'s ledger and "
            f"reaches their ad account once they mark your fee ({auth.fee_label}) paid.",
        )
    else:
        messages.success(
            request,
            f"Approved for {auth.authorization_days} days{window}: the code is in {auth.brand}'s ledger and "
            "reaches their ad account shortly.",
        )
    return redirect("sparkads:creator_codes")


@login_required
@require_POST
def revoke(request: HttpRequest, pk: int) -> HttpResponse:
    auth = _own_row(request, pk)
    try:
        creator_codes.revoke(auth, request.user)
        messages.success(
            request,
            f"Revoked: the code for {auth.post_name} is deleted on TikTok, so {auth.brand}'s ads with it "
            "stop. We told the brand.",
        )
    except FlowError as exc:
        messages.error(request, exc.message)
    return redirect("sparkads:creator_codes")


def _own_proposal(request: HttpRequest, pk: int) -> ExtensionProposal:
    owned = Q(authorization__tiktok_account__owner=request.user) | Q(
        authorization__post__tiktok_account__owner=request.user
    )
    return get_object_or_404(ExtensionProposal.objects.filter(owned).select_related("authorization__brand"), pk=pk)


@login_required
@require_POST
def accept_extension(request: HttpRequest, pk: int) -> HttpResponse:
    """The creator accepts a brand's extension proposal: the one write to TikTok it allows."""
    proposal = _own_proposal(request, pk)
    try:
        messages.success(request, renewal.accept(proposal, request.user))
    except FlowError as exc:
        messages.error(request, exc.message)
    return redirect("sparkads:creator_codes")


@login_required
@require_POST
def decline_extension(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = _own_proposal(request, pk)
    try:
        renewal.decline(proposal, request.user)
        messages.success(request, f"Declined. {proposal.authorization.brand} was told; nothing changed.")
    except FlowError as exc:
        messages.error(request, exc.message)
    return redirect("sparkads:creator_codes")


@login_required
@require_POST
def auto_renewal(request: HttpRequest, pk: int) -> HttpResponse:
    """Grant auto-renewal at the given terms up to a cap, or turn it off (``stop``)."""
    auth = _own_row(request, pk)
    try:
        if request.POST.get("stop"):
            renewal.stop_auto_renewal(auth, request.user)
            messages.success(request, "Auto-renewal is off: an extension now needs your acceptance.")
        else:
            form = AutoRenewalForm(request.POST)
            if not form.is_valid():
                errors = [str(e) for field in form.errors.values() for e in field]
                raise FlowError(" ".join(errors) or "Pick the days, the fee and the cap.")
            grant = renewal.grant_auto_renewal(
                auth, request.user, form.cleaned_data["days"], form.terms(), form.cleaned_data["max_total_days"]
            )
            messages.success(
                request,
                f"Auto-renewal on: {auth.brand} is renewed by {grant.days} days at a time, up to "
                f"{grant.max_total_days} days in all.",
            )
    except FlowError as exc:
        messages.error(request, exc.message)
    return redirect("sparkads:creator_codes")
