"""Thin views: parse, authorize (brand scoping, then Business Center role), call a flow, render.

Brand objects come through `get_brand_for_user` (404 for outsiders). Business Center pages
then need the signed-in user's BusinessCenterMember row: no row is a 404, a standard member
on an admin action is a 403; neither renders any data.
"""

from __future__ import annotations

import csv
from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from integrations.models import (
    AdAccount,
    BrandMembership,
    BusinessCenter,
    BusinessCenterGrant,
    BusinessCenterMember,
    CampaignPost,
)
from integrations.tenancy import get_brand_for_user
from integrations.tiktok import TikTokError

from . import business_center as bcflows
from . import flows
from .forms import (
    AssignForm,
    AuditFilterForm,
    ExtendForm,
    LinkRequestForm,
    PasteCodeForm,
    PromoteForm,
    QrRequestForm,
    RequestPermissionForm,
)
from .models import AdsManagerLink, AuditEvent, QrAccessRequest, SparkAuthorization

Grant = BusinessCenterGrant


def _can_manage(brand, user) -> bool:
    return brand.role_of(user) in {BrandMembership.Role.OWNER, BrandMembership.Role.ADMIN}


def _fail(request, exc: Exception) -> None:
    text = exc.message if isinstance(exc, TikTokError) else str(exc)
    messages.error(request, text)


# --- Spark Ads ledger ---------------------------------------------------------------------------


@login_required
@require_GET
def ledger(request, slug: str) -> HttpResponse:
    brand = get_brand_for_user(request.user, slug)
    rows = (
        SparkAuthorization.objects.for_user(request.user)
        .filter(brand=brand)
        .select_related("post", "ad_account", "tiktok_account", "requested_by", "applied_by", "ended_by")
    )
    status = request.GET.get("status", "")
    if status in SparkAuthorization.Status.values:
        rows = rows.filter(status=status)
    posts = CampaignPost.objects.filter(campaign__brand=brand, link_status=CampaignPost.LinkStatus.APPROVE)
    remaining = {
        a.post_id: a.num_remaining_request
        for a in SparkAuthorization.objects.filter(brand=brand, num_remaining_request__isnull=False).order_by(
            "requested_at"
        )
    }
    template = "sparkads/ledger.html"
    if request.htmx:
        template += "#ledger"
    return render(
        request,
        template,
        {
            "brand": brand,
            "capability": flows.capability_for(brand),
            "rows": rows,
            "status": status,
            "statuses": SparkAuthorization.Status.choices,
            "can_manage": _can_manage(brand, request.user),
            "posts": [(p, remaining.get(p.pk)) for p in posts.select_related("tiktok_account", "campaign")],
            "request_form": RequestPermissionForm(),
            "paste_form": PasteCodeForm(),
            "extend_form": ExtendForm(),
            "max_requests": flows.MAX_REQUESTS_PER_VIDEO,
        },
    )


@login_required
@require_POST
def request_permission(request, slug: str) -> HttpResponse:
    brand = get_brand_for_user(request.user, slug, manage=True)
    form = RequestPermissionForm(request.POST)
    if form.is_valid():
        post = get_object_or_404(CampaignPost, pk=form.cleaned_data["post"], campaign__brand=brand)
        try:
            flows.request_permission(post, request.user, form.cleaned_data["days"])
            messages.success(
                request,
                f"Request sent. @{post.tiktok_account.handle} gets it in TikTok's "
                "notifications; this page updates when they answer.",
            )
        except flows.SparkError as exc:
            _fail(request, exc)
    else:
        messages.error(request, "Pick a post and 7, 30, 60 or 365 days.")
    return redirect("sparkads:ledger", slug=brand.slug)


@login_required
@require_POST
def paste_code(request, slug: str) -> HttpResponse:
    brand = get_brand_for_user(request.user, slug, manage=True)
    form = PasteCodeForm(request.POST)
    if form.is_valid():
        post = None
        if form.cleaned_data["post"]:
            post = get_object_or_404(CampaignPost, pk=form.cleaned_data["post"], campaign__brand=brand)
        try:
            auth = flows.accept_pasted_code(brand, request.user, form.cleaned_data["code"], post=post)
            messages.success(
                request, f"Code accepted: video {auth.video_id} can run as a Spark Ad until {auth.auth_end:%Y-%m-%d}."
            )
        except flows.SparkError as exc:
            _fail(request, exc)
    else:
        messages.error(request, "Paste the authorization code from TikTok.")
    return redirect("sparkads:ledger", slug=brand.slug)


def _authorization(request, slug: str, pk: int):
    brand = get_brand_for_user(request.user, slug, manage=True)
    auth = get_object_or_404(
        SparkAuthorization.objects.for_user(request.user).select_related("ad_account", "brand"), pk=pk, brand=brand
    )
    return brand, auth


@login_required
@require_POST
def extend(request, slug: str, pk: int) -> HttpResponse:
    brand, auth = _authorization(request, slug, pk)
    form = ExtendForm(request.POST)
    try:
        if not form.is_valid():
            raise flows.SparkError("Pick 7, 30, 60 or 365 days.")
        flows.extend(auth, request.user, form.cleaned_data["days"])
        messages.success(request, "Extension requested: the creator answers in TikTok's notifications.")
    except flows.SparkError as exc:
        _fail(request, exc)
    return redirect("sparkads:ledger", slug=brand.slug)


@login_required
@require_POST
def unbind(request, slug: str, pk: int) -> HttpResponse:
    brand, auth = _authorization(request, slug, pk)
    try:
        flows.unbind(auth, request.user)
        messages.success(request, f"Video {auth.video_id} was removed from {auth.ad_account}.")
    except flows.SparkError as exc:
        _fail(request, exc)
    return redirect("sparkads:ledger", slug=brand.slug)


# --- Ads Manager links ----------------------------------------------------------------------------


@login_required
@require_GET
def ads_manager(request, slug: str) -> HttpResponse:
    brand = get_brand_for_user(request.user, slug)
    links = (
        AdsManagerLink.objects.for_user(request.user)
        .filter(brand=brand)
        .select_related("ad_account", "requested_by", "decided_by")
    )
    return render(
        request,
        "sparkads/ads_manager.html",
        {
            "brand": brand,
            "links": links,
            "form": LinkRequestForm(),
            "can_manage": _can_manage(brand, request.user),
            "ad_accounts": AdAccount.objects.for_user(request.user).filter(brand=brand, removed_at__isnull=True),
        },
    )


@login_required
@require_POST
def link_request(request, slug: str) -> HttpResponse:
    brand = get_brand_for_user(request.user, slug, manage=True)
    form = LinkRequestForm(request.POST)
    if form.is_valid():
        ad_account = get_object_or_404(AdAccount, pk=form.cleaned_data["ad_account"], brand=brand)
        try:
            link = flows.record_link_request(brand, ad_account, form.cleaned_data["username"], request.user)
            messages.success(
                request,
                f"Recorded. In TikTok Ads Manager (Assets > Identities > Link TikTok account) "
                f"send the request to @{link.username}; once they approve it on TikTok, "
                "this page shows Authorized.",
            )
        except flows.SparkError as exc:
            _fail(request, exc)
    else:
        messages.error(request, "Pick an ad account and type a TikTok username.")
    return redirect("sparkads:ads_manager", slug=brand.slug)


@login_required
@require_POST
def link_action(request, slug: str, pk: int, action: str) -> HttpResponse:
    brand = get_brand_for_user(request.user, slug, manage=True)
    link = get_object_or_404(
        AdsManagerLink.objects.for_user(request.user).select_related("ad_account", "brand"), pk=pk, brand=brand
    )
    try:
        if action == "check":
            flows.poll_links(link.ad_account_id)
            messages.info(request, "Checked with TikTok.")
        elif action == "rejected":
            flows.mark_link_rejected(link, request.user)
        elif action == "unlink":
            n = flows.unlink(link, request.user)
            messages.success(request, f"@{link.username} unlinked; {n} Spark Ad(s) using its posts were stopped.")
        else:
            raise Http404
    except (flows.SparkError, TikTokError) as exc:
        _fail(request, exc)
    return redirect("sparkads:ads_manager", slug=brand.slug)


# --- Business Center ----------------------------------------------------------------------------


def _bc_context(request, slug: str, bc_pk: int, *, admin: bool = False):
    """The brand, the BC and the signed-in user's member row; 404 without one, 403 if not admin."""
    brand = get_brand_for_user(request.user, slug)
    bc = get_object_or_404(BusinessCenter.objects.for_user(request.user), pk=bc_pk, brand=brand)
    member = bcflows.member_for(request.user, bc)
    if member is None:
        raise Http404("You are not a member of this Business Center.")
    if admin and member.role != BusinessCenter.Role.ADMIN:
        raise PermissionDenied("Only Business Center admins can do this.")
    return brand, bc, member


@login_required
@require_GET
def business_center(request, slug: str) -> HttpResponse:
    brand = get_brand_for_user(request.user, slug)
    bcs = list(BusinessCenter.objects.for_user(request.user).filter(brand=brand).order_by("name"))
    bc = next((b for b in bcs if str(b.pk) == request.GET.get("bc")), bcs[0] if bcs else None)
    member = bcflows.member_for(request.user, bc) if bc else None
    ctx = {
        "brand": brand,
        "bcs": bcs,
        "bc": bc,
        "member": member,
        "can_manage": _can_manage(brand, request.user),
        "limit": bcflows.tiktok_account_limit(),
    }
    if bc is not None and (member is not None or ctx["can_manage"]):
        ctx["members"] = bc.members.select_related("user").order_by("role", "user_name")
        ctx["brand_users"] = [m.user for m in brand.memberships.select_related("user")]
    if member is not None:
        ctx.update(_bc_member_context(bc, member))
    return render(request, "sparkads/business_center.html", ctx)


def _bc_member_context(bc, member) -> dict:
    ctx = {
        "grants": bcflows.visible_tiktok_grants(bc, member),
        "approved": bcflows.approved_count(bc),
        "is_admin": member.role == BusinessCenter.Role.ADMIN,
        "options": bcflows.promote_options(bc, member),
    }
    if ctx["is_admin"]:
        ctx["qr"] = QrAccessRequest.objects.filter(business_center=bc).first()
        ctx["qr_form"] = QrRequestForm()
        ctx["ad_accounts"] = bcflows.ad_accounts_of(bc)
        ctx["assignments"] = (
            Grant.objects.filter(business_center=bc, member__isnull=False)
            .select_related("member", "tiktok_account", "ad_account")
            .order_by("asset_type", "asset_id")
        )
        ctx["tt_roles"], ctx["adv_roles"] = Grant.TikTokAccountRole.choices, Grant.AdvertiserRole.choices
        if ctx["qr"] is not None:
            ctx["qr_svg"] = bcflows.qr_svg(ctx["qr"].link)
    return ctx


@login_required
@require_POST
def bc_sync(request, slug: str, bc_pk: int) -> HttpResponse:
    brand = get_brand_for_user(request.user, slug)
    bc = get_object_or_404(BusinessCenter.objects.for_user(request.user), pk=bc_pk, brand=brand)
    member = bcflows.member_for(request.user, bc)
    if not _can_manage(brand, request.user) and (member is None or member.role != BusinessCenter.Role.ADMIN):
        raise PermissionDenied
    try:
        n = bcflows.sync_members(bc)
        bcflows.sync_tiktok_accounts(bc)
        messages.success(request, f"{n} member(s) and the authorized TikTok accounts were read from TikTok.")
    except (flows.SparkError, TikTokError) as exc:
        _fail(request, exc)
    return redirect(f"{_bc_url(brand)}?bc={bc.pk}")


def _bc_url(brand) -> str:
    return reverse("sparkads:business_center", args=[brand.slug])


@login_required
@require_POST
def bc_link_member(request, slug: str, bc_pk: int, member_pk: int) -> HttpResponse:
    brand = get_brand_for_user(request.user, slug)
    bc = get_object_or_404(BusinessCenter.objects.for_user(request.user), pk=bc_pk, brand=brand)
    me = bcflows.member_for(request.user, bc)
    if not _can_manage(brand, request.user) and (me is None or me.role != BusinessCenter.Role.ADMIN):
        raise PermissionDenied
    target = get_object_or_404(BusinessCenterMember, pk=member_pk, business_center=bc)
    user_id = request.POST.get("user") or None
    user = None
    if user_id:
        membership = get_object_or_404(brand.memberships.select_related("user"), user_id=user_id)
        user = membership.user
    bcflows.link_member(bc, target, user, request.user)
    messages.success(request, f"{target.user_name or target.email} is now linked to {user or 'nobody'}.")
    return redirect(f"{_bc_url(brand)}?bc={bc.pk}")


@login_required
@require_POST
def bc_request_qr(request, slug: str, bc_pk: int) -> HttpResponse:
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
        except (flows.SparkError, TikTokError) as exc:
            _fail(request, exc)
    return redirect(f"{_bc_url(brand)}?bc={bc.pk}#qr")


@login_required
@require_GET
def bc_qr_png(request, slug: str, bc_pk: int, qr_pk: int) -> HttpResponse:
    _brand, bc, _member = _bc_context(request, slug, bc_pk, admin=True)
    qr = get_object_or_404(QrAccessRequest, pk=qr_pk, business_center=bc)
    response = HttpResponse(bcflows.qr_png(qr.link), content_type="image/png")
    response["Content-Disposition"] = f'attachment; filename="tiktok-access-{bc.bc_id}.png"'
    return response


@login_required
@require_GET
def bc_approvals(request, slug: str, bc_pk: int) -> HttpResponse:
    """The live "N of 200" fragment; reads TikTok at most every 10 seconds per BC."""
    brand, bc, member = _bc_context(request, slug, bc_pk)
    if bc.last_checked_at is None or bc.last_checked_at < timezone.now() - timedelta(seconds=10):
        try:
            bcflows.sync_tiktok_accounts(bc)
        except (flows.SparkError, TikTokError):
            pass  # the fragment shows what is known; the next poll tries again
    ctx = {
        "brand": brand,
        "bc": bc,
        "member": member,
        "limit": bcflows.tiktok_account_limit(),
        **_bc_member_context(bc, member),
    }
    template = "sparkads/business_center.html"
    if request.htmx:
        template += "#approvals"
    return render(request, template, ctx)


@login_required
@require_POST
def bc_assign(request, slug: str, bc_pk: int) -> HttpResponse:
    brand, bc, member = _bc_context(request, slug, bc_pk, admin=True)
    members = {str(m.pk): m for m in bc.members.all()}
    form = AssignForm(request.POST, member_choices=[(k, str(v)) for k, v in members.items()])
    try:
        if not form.is_valid():
            raise flows.SparkError("Pick an asset, at least one member and a role TikTok offers for it.")
        asset_type, asset_id = form.asset_parts()
        if asset_type not in Grant.AssetType.values:
            raise flows.SparkError("Pick a TikTok account or an ad account.")
        chosen = [members[k] for k in form.cleaned_data["members"]]
        n = bcflows.assign(bc, member, chosen, asset_type, asset_id, form.cleaned_data["roles"], request.user)
        messages.success(request, f"Assigned to {n} member(s).")
    except (flows.SparkError, TikTokError) as exc:
        _fail(request, exc)
    return redirect(f"{_bc_url(brand)}?bc={bc.pk}#assign")


@login_required
@require_POST
def bc_unassign(request, slug: str, bc_pk: int, grant_pk: int) -> HttpResponse:
    brand, bc, member = _bc_context(request, slug, bc_pk, admin=True)
    grant = get_object_or_404(
        Grant.objects.select_related("member"), pk=grant_pk, business_center=bc, member__isnull=False
    )
    try:
        bcflows.unassign(bc, member, grant.member, grant.asset_type, grant.asset_id, request.user)
        messages.success(request, "Unassigned.")
    except (flows.SparkError, TikTokError) as exc:
        _fail(request, exc)
    return redirect(f"{_bc_url(brand)}?bc={bc.pk}#assign")


@login_required
@require_http_methods(["GET", "POST"])
def promote(request, slug: str, bc_pk: int) -> HttpResponse:
    brand, bc, member = _bc_context(request, slug, bc_pk)
    options = bcflows.promote_options(bc, member)
    grants = {g.pk: g for g in options["accounts"]}
    ad_accounts = {a.pk: a for a in options["ad_accounts"]}
    ctx = {"brand": brand, "bc": bc, "member": member, "options": options, "posts": [], "reference": None}
    grant, ad_account = grants.get(_int(request.GET.get("grant"))), ad_accounts.get(_int(request.GET.get("ad_account")))
    if request.method == "POST":
        form = PromoteForm(request.POST, request.FILES)
        try:
            if not form.is_valid():
                raise flows.SparkError("Pick an account, an ad account and a post or a video.")
            grant, ad_account = grants.get(form.cleaned_data["grant"]), ad_accounts.get(form.cleaned_data["ad_account"])
            if grant is None or ad_account is None:
                raise flows.SparkError("Pick an account and an ad account you have permission for.")
            ctx["reference"] = bcflows.record_promotion(
                bc,
                member,
                grant,
                ad_account,
                form.cleaned_data["mode"],
                request.user,
                item_id=form.cleaned_data["item_id"],
                video=form.cleaned_data["video"],
            )
        except (flows.SparkError, TikTokError) as exc:
            _fail(request, exc)
    elif grant is not None and ad_account is not None and not options["missing"]:
        try:
            identity = bcflows.bc_identity(bc, ad_account, grant.tiktok_account.handle)
            ctx["posts"] = bcflows.account_posts(bc, ad_account, identity)
        except (flows.SparkError, TikTokError) as exc:
            _fail(request, exc)
    ctx.update(grant=grant, ad_account=ad_account)
    return render(request, "sparkads/promote.html", ctx)


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# --- audit trail --------------------------------------------------------------------------------


@login_required
@require_GET
def audit(request, slug: str) -> HttpResponse | StreamingHttpResponse:
    brand = get_brand_for_user(request.user, slug)
    form = AuditFilterForm(request.GET or None)
    events = (
        AuditEvent.objects.for_user(request.user)
        .filter(brand=brand)
        .select_related("actor", "ad_account", "tiktok_account", "business_center")
    )
    if form.is_valid():
        events = _filter_events(events, form.cleaned_data)
    if request.GET.get("format") == "csv":
        return _csv(brand, events)
    return render(request, "sparkads/audit.html", {"brand": brand, "form": form, "events": events[:500]})


def _filter_events(events, data: dict):
    if data.get("kind"):
        events = events.filter(kind=data["kind"])
    if data.get("actor"):
        events = events.filter(actor__email__icontains=data["actor"])
    if data.get("start"):
        events = events.filter(created_at__date__gte=data["start"])
    if data.get("end"):
        events = events.filter(created_at__date__lte=data["end"])
    if data.get("q"):
        events = events.filter(summary__icontains=data["q"])
    return events


class _Echo:
    def write(self, value):
        return value


def _csv(brand, events) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())
    header = ["time (UTC)", "event", "who", "summary", "ad account", "TikTok account", "Business Center"]
    rows = (
        [
            e.created_at.strftime("%Y-%m-%d %H:%M:%S"),
            e.get_kind_display(),
            e.actor_label,
            e.summary,
            e.ad_account or "",
            e.tiktok_account or "",
            e.business_center or "",
        ]
        for e in events.iterator(chunk_size=500)
    )
    response = StreamingHttpResponse((writer.writerow(r) for r in [header, *rows]), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{brand.slug}-spark-ads-audit.csv"'
    return response


# --- creators paste a code --------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def creator_codes(request) -> HttpResponse:
    posts = CampaignPost.objects.filter(tiktok_account__owner=request.user).select_related("campaign__brand")
    if request.method == "POST":
        form = PasteCodeForm(request.POST)
        post = posts.filter(pk=form.data.get("post") or 0).first()
        if post is None or not form.is_valid():
            messages.error(request, "Pick one of your campaign posts and paste its code.")
        else:
            try:
                auth = flows.accept_pasted_code(post.campaign.brand, request.user, form.cleaned_data["code"], post=post)
                messages.success(
                    request,
                    f"Thanks: {post.campaign.brand} can now promote video {auth.video_id} "
                    f"until {auth.auth_end:%Y-%m-%d}.",
                )
            except flows.SparkError as exc:
                _fail(request, exc)
        return redirect("sparkads:creator_codes")
    ledger_rows = SparkAuthorization.objects.filter(post__in=posts).select_related("post", "brand")
    return render(
        request, "sparkads/creator_codes.html", {"posts": posts, "rows": ledger_rows, "form": PasteCodeForm()}
    )
