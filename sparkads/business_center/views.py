"""Business Center pages: members, TikTok-account access by QR code, assignments, promotion.

Brand objects come through `get_brand_for_user` (404 for outsiders). Then the signed-in
user's BusinessCenterMember row decides: no row is a 404, and so is an admin action for a
standard member; neither renders any data.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Model, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from integrations import jobs
from integrations.errors import FlowError, message_for
from integrations.http import HtmxHttpRequest, paged, wants_fragment
from integrations.models import BackgroundJob, Brand, BusinessCenter, BusinessCenterGrant, BusinessCenterMember
from integrations.tenancy import get_brand_for_user
from integrations.tiktok import TikTokError

from ..forms import AssignForm, LinkMemberForm, PromoteForm, QrRequestForm
from ..models import QrAccessRequest
from . import flows as bcflows
from . import promote as promotion

Grant = BusinessCenterGrant
# How old the approvals count may be before the live fragment asks a worker to read TikTok.
APPROVALS_FRESH = timedelta(seconds=10)


def _bc_context(
    request: HttpRequest, slug: str, bc_pk: int, *, admin: bool = False
) -> tuple[Brand, BusinessCenter, BusinessCenterMember]:
    """The brand, the BC and the signed-in user's member row; 404 without one, and 404 for a
    standard member where `admin` is required."""
    brand = get_brand_for_user(request.user, slug)
    bc = get_object_or_404(BusinessCenter.objects.for_user(request.user), pk=bc_pk, brand=brand)
    member = bcflows.member_for(request.user, bc)
    if member is None:
        raise Http404("You are not a member of this Business Center.")
    if admin and not member.is_admin:
        raise Http404("Only Business Center admins can do this.")
    return brand, bc, member


@login_required
@require_GET
def business_center(request: HttpRequest, slug: str) -> HttpResponse:
    brand = get_brand_for_user(request.user, slug)
    bcs = list(BusinessCenter.objects.for_user(request.user).filter(brand=brand).order_by("name"))
    bc = next((b for b in bcs if str(b.pk) == request.GET.get("bc")), bcs[0] if bcs else None)
    member = bcflows.member_for(request.user, bc) if bc else None
    ctx = {
        "brand": brand,
        "bcs": bcs,
        "bc": bc,
        "member": member,
        "can_manage": brand.can_manage(request.user),
        "limit": bcflows.tiktok_account_limit(),
        "job": _own_job(request, brand),
    }
    if bc is not None and (member is not None or ctx["can_manage"]):
        ctx["members"] = paged(
            request, bc.members.select_related("user").order_by("role", "user_name", "pk"), param="members_page"
        )
        ctx["brand_users"] = [m.user for m in brand.memberships.select_related("user")]
    if bc is not None and member is not None:
        ctx.update(_bc_member_context(request, bc, member))
    return render(request, "sparkads/business_center.html", ctx)


def _bc_member_context(request: HttpRequest, bc: BusinessCenter, member: BusinessCenterMember) -> dict[str, Any]:
    # The accounts, the assignments and the members grow with the BC: a page of each.
    ctx: dict[str, Any] = {
        "grants": paged(request, bcflows.visible_tiktok_grants(bc, member), param="accounts_page"),
        "approved": bcflows.approved_count(bc),
        "is_admin": member.is_admin,
        "options": promotion.promote_options(bc, member),
    }
    if ctx["is_admin"]:
        ctx["qr"] = QrAccessRequest.objects.filter(business_center=bc).exclude(link="").first()
        ctx["qr_form"] = QrRequestForm()
        ctx["assignments"] = paged(
            request,
            Grant.objects.filter(business_center=bc, member__isnull=False)
            .select_related("member", "tiktok_account", "ad_account")
            .order_by("asset_type", "asset_id", "pk"),
            param="assignments_page",
        )
        # The assign form picks from a page of each: the approved accounts, the ad accounts and
        # the members, found by name.
        ctx["assign_q"] = request.GET.get("assign_q", "").strip()[:100]
        accounts, ad_accounts, members = bcflows.assign_choices(bc, member, ctx["assign_q"])
        ctx["assignable"] = paged(request, accounts, param="assign_accounts_page")
        ctx["ad_accounts"] = paged(request, ad_accounts, param="assign_ad_accounts_page")
        ctx["bc_members"] = paged(request, members, param="assign_members_page")
        ctx["tt_roles"], ctx["adv_roles"] = Grant.TikTokAccountRole.choices, Grant.AdvertiserRole.choices
        if ctx["qr"] is not None:
            ctx["qr_svg"] = bcflows.qr_svg(ctx["qr"].link)
    return ctx


def _bc_for_managers(request: HttpRequest, slug: str, bc_pk: int) -> tuple[Brand, BusinessCenter]:
    """Reading members from TikTok and linking them to users: the brand's owners and admins,
    or the BC's admins; a 404 for anyone else."""
    brand = get_brand_for_user(request.user, slug)
    bc = get_object_or_404(BusinessCenter.objects.for_user(request.user), pk=bc_pk, brand=brand)
    if not brand.can_manage(request.user):
        member = bcflows.member_for(request.user, bc)
        if member is None or not member.is_admin:
            raise Http404("Only brand or Business Center admins can do this.")
    return brand, bc


def _own_job(request: HttpRequest, brand: Brand) -> BackgroundJob | None:
    """The job named in ?job=, started by the signed-in user for this brand; anyone else's is a 404."""
    pk = _int(request.GET.get("job"))
    return get_object_or_404(BackgroundJob, pk=pk, user=request.user, brand=brand) if pk else None


@login_required
@require_POST
def bc_sync(request: HttpRequest, slug: str, bc_pk: int) -> HttpResponse:
    """Reading every member and account page from TikTok is slow: a worker does it while the
    page shows its progress."""
    brand, bc = _bc_for_managers(request, slug, bc_pk)
    job = jobs.start_once("bc_sync", request.user, brand, bc=bc.pk)
    return redirect(f"{_bc_url(brand)}?bc={bc.pk}&job={job.pk}")


def _bc_url(brand: Brand) -> str:
    return reverse("sparkads:business_center", args=[brand.slug])


@login_required
@require_POST
def bc_link_member(request: HttpRequest, slug: str, bc_pk: int, member_pk: int) -> HttpResponse:
    brand, bc = _bc_for_managers(request, slug, bc_pk)
    target = get_object_or_404(BusinessCenterMember, pk=member_pk, business_center=bc)
    form = LinkMemberForm(request.POST, brand=brand)
    if form.is_valid():
        user = form.cleaned_data["user"]
        bcflows.link_member(bc, target, user, request.user)
        messages.success(request, f"{target.user_name or target.email} is now linked to {user or 'nobody'}.")
    else:
        messages.error(request, "Pick one of this brand's users.")
    return redirect(f"{_bc_url(brand)}?bc={bc.pk}")


@login_required
@require_POST
def bc_request_qr(request: HttpRequest, slug: str, bc_pk: int) -> HttpResponse:
    brand, bc, member = _bc_context(request, slug, bc_pk, admin=True)
    form = QrRequestForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Pick at least one: existing posts, or publishing ad videos as posts.")
    else:
        try:
            bcflows.request_access_qr(bc, member, form.cleaned_data["scopes"], request.user)
            messages.success(
                request,
                "Share this QR code with the TikTok account owners. Each one scans it and "
                "approves on TikTok; approvals appear below as they come in.",
            )
        except (FlowError, TikTokError) as exc:
            messages.error(request, message_for(exc))
    return redirect(f"{_bc_url(brand)}?bc={bc.pk}#qr")


@login_required
@require_GET
def bc_qr_png(request: HttpRequest, slug: str, bc_pk: int, qr_pk: int) -> HttpResponse:
    _brand, bc, _member = _bc_context(request, slug, bc_pk, admin=True)
    qr = get_object_or_404(QrAccessRequest.objects.exclude(link=""), pk=qr_pk, business_center=bc)
    response = HttpResponse(bcflows.qr_png(qr.link), content_type="image/png")
    response["Content-Disposition"] = f'attachment; filename="tiktok-access-{bc.bc_id}.png"'
    return response


@login_required
@require_GET
def bc_approvals(request: HtmxHttpRequest, slug: str, bc_pk: int) -> HttpResponse:
    """The live "N of 200" fragment; reads TikTok at most every 10 seconds per BC."""
    brand, bc, member = _bc_context(request, slug, bc_pk)
    refresh = _approvals_refresh(request.user, brand, bc)
    ctx = {
        "brand": brand,
        "bc": bc,
        "member": member,
        "limit": bcflows.tiktok_account_limit(),
        "refresh": refresh,
        **_bc_member_context(request, bc, member),
    }
    template = "sparkads/business_center.html"
    if wants_fragment(request):
        template += "#approvals"
    return render(request, template, ctx)


def _approvals_refresh(user: Any, brand: Brand, bc: BusinessCenter) -> BackgroundJob | None:
    """The latest refresh of the BC's accounts; a new one is queued when what we know is
    older than APPROVALS_FRESH and none was asked for in that time (so a page open in many
    tabs, or a TikTok that keeps failing, costs one call per interval, not one per poll)."""
    latest = BackgroundJob.objects.filter(kind="bc_approvals", brand=brand, params__bc=bc.pk).order_by("-pk").first()
    since = timezone.now() - APPROVALS_FRESH
    stale = bc.last_checked_at is None or bc.last_checked_at < since
    if stale and (latest is None or (not latest.in_progress and latest.created_at < since)):
        latest = jobs.start("bc_approvals", user, brand, bc=bc.pk)
    return latest


@login_required
@require_POST
def bc_assign(request: HttpRequest, slug: str, bc_pk: int) -> HttpResponse:
    brand, bc, member = _bc_context(request, slug, bc_pk, admin=True)
    # The members picked, not every member of the BC: any other id is not a choice, so refused.
    picked = [pk for pk in request.POST.getlist("members") if pk.isdigit()]
    members = {str(m.pk): m for m in bc.members.filter(pk__in=picked)}
    form = AssignForm(request.POST, member_choices=[(k, str(v)) for k, v in members.items()])
    try:
        if not form.is_valid():
            raise FlowError("Pick an asset, at least one member and a role TikTok offers for it.")
        asset_type, asset_id = form.asset_parts()
        if asset_type not in Grant.AssetType.values:
            raise FlowError("Pick a TikTok account or an ad account.")
        chosen = [members[k] for k in form.cleaned_data["members"]]
        n = bcflows.assign(bc, member, chosen, asset_type, asset_id, form.cleaned_data["roles"], request.user)
        messages.success(request, f"Assigned to {n} member{pluralize(n)}.")
    except (FlowError, TikTokError) as exc:
        messages.error(request, message_for(exc))
    return redirect(f"{_bc_url(brand)}?bc={bc.pk}#assign")


@login_required
@require_POST
def bc_unassign(request: HttpRequest, slug: str, bc_pk: int, grant_pk: int) -> HttpResponse:
    brand, bc, member = _bc_context(request, slug, bc_pk, admin=True)
    grant = Grant.objects.select_related("member").filter(pk=grant_pk, business_center=bc, member__isnull=False).first()
    try:
        if grant is None or grant.member is None:  # a double submit: the first one removed it
            raise FlowError("Already unassigned.")
        bcflows.unassign(bc, member, grant.member, grant.asset_type, grant.asset_id, request.user)
        messages.success(request, "Unassigned.")
    except (FlowError, TikTokError) as exc:
        messages.error(request, message_for(exc))
    return redirect(f"{_bc_url(brand)}?bc={bc.pk}#assign")


@login_required
@require_http_methods(["GET", "POST"])
def promote(request: HttpRequest, slug: str, bc_pk: int) -> HttpResponse:
    brand, bc, member = _bc_context(request, slug, bc_pk)
    options = promotion.promote_options(bc, member)
    grants, ad_accounts = options["accounts"], options["ad_accounts"]
    ctx = {"brand": brand, "bc": bc, "member": member, "options": options, "reference": None}
    grant, ad_account = _one(grants, request.GET.get("grant")), _one(ad_accounts, request.GET.get("ad_account"))
    if request.method == "POST":
        form = PromoteForm(request.POST, request.FILES)
        try:
            if not form.is_valid():
                raise FlowError("Pick an account, an ad account and a post or a video.")
            grant, ad_account = (
                _one(grants, form.cleaned_data["grant"]),
                _one(ad_accounts, form.cleaned_data["ad_account"]),
            )
            if grant is None or ad_account is None:
                raise FlowError("Pick an account and an ad account you have permission for.")
            ctx["reference"] = promotion.record_promotion(
                bc,
                member,
                grant,
                ad_account,
                form.cleaned_data["mode"],
                request.user,
                item_id=form.cleaned_data["item_id"],
                video=form.cleaned_data["video"],
            )
        except (FlowError, TikTokError) as exc:
            messages.error(request, message_for(exc))
    elif grant is not None and ad_account is not None and not options["missing"] and "pull" in grant.scopes:
        # Reading the account's posts takes two TikTok calls: a worker makes them while the
        # page shows its progress.
        params = {"bc": bc.pk, "grant": grant.pk, "ad_account": ad_account.pk}
        ctx["job"] = jobs.start_once("promote_posts", request.user, brand, **params)
    # Both lists grow with what the BC was given: a page of each, found by name.
    search = request.GET.get("q", "").strip()[:100]
    if search:
        grants = grants.filter(tiktok_account__handle__icontains=search.lstrip("@"))
        ad_accounts = ad_accounts.filter(Q(name__icontains=search) | Q(advertiser_id=search))
    ctx.update(
        grant=grant,
        ad_account=ad_account,
        search=search,
        accounts_page=paged(request, grants, param="accounts_page"),
        ad_accounts_page=paged(request, ad_accounts, param="ad_accounts_page"),
    )
    return render(request, "sparkads/promote.html", ctx)


def _one[M: Model](rows: QuerySet[M], pk: Any) -> M | None:
    """The row of `rows` whose id `pk` is, if any (nothing is read for a missing or bad id)."""
    number = _int(pk)
    return rows.filter(pk=number).first() if number is not None else None


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
