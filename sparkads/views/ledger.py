"""Spark Ads pages: the ledger and its actions, and the audit trail.

Brand objects come through `get_brand_for_user` (404 for outsiders). Everyone in the brand
reads the ledger; requesting, pasting, extending and unbinding are for its owners and admins
(`manage=True`: a 404 for anyone else). The audit trail is read by the whole brand, except
Business Center events, which only that Business Center's admins and the brand's owners and
admins see. The deal around a code is in deal.py, the creator's own page in creator.py; the
Business Center and Ads Manager pages are in their own packages.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch, Q, QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.text import capfirst
from django.views.decorators.http import require_GET, require_POST

from integrations import csvexport
from integrations.errors import FlowError
from integrations.http import HtmxHttpRequest, paged, wants_fragment
from integrations.models import BackgroundJob, Brand, BusinessCenterMember, CampaignPost
from integrations.tenancy import get_brand_for_user

from .. import codes, flows, renewal
from ..ads import flows as spark_ads
from ..forms import (
    AuditFilterForm,
    BulkRequestForm,
    CampaignPostsForm,
    ExtendForm,
    LedgerFilterForm,
    PasteCodeForm,
    RequestPermissionForm,
    list_campaigns_once,
)
from ..models import (
    MAX_REQUESTS_PER_VIDEO,
    AuditEvent,
    ExtensionProposal,
    SparkAuthorization,
    SparkAuthorizationQuerySet,
)

# --- Spark Ads ledger ---------------------------------------------------------------------------


def ledger_rows(request: HttpRequest, brand: Brand) -> tuple[LedgerFilterForm, SparkAuthorizationQuerySet]:
    """The ledger's rows as the query string filters and orders them, each with its ads and
    spend at risk and who requested, applied and ended it (``requested_by_email``, …): the
    page and its CSV list the same rows."""
    filters = LedgerFilterForm(request.GET or None, brand=brand)
    rows = filters.apply(
        spark_ads.with_spend_at_risk(
            # The brand is the user's (get_brand_for_user): its rows need no second join through
            # its memberships, and each row gets this brand without a join to the brand table.
            brand.spark_authorizations.select_related(
                "post__campaign",
                "ad_account",
                "tiktok_account",
                # Its refusal of "Mark paid" names who paid; the others are only shown.
                "paid_by",
            )
            .with_emails_of("requested_by", "applied_by", "ended_by")
            .with_other_request_at()
            .prefetch_related(
                Prefetch(
                    "proposals",
                    ExtensionProposal.objects.filter(status__in=ExtensionProposal.OPEN),
                    to_attr="open_proposals",
                )
            )
        )
    )
    return filters, rows


@login_required
@require_GET
def ledger(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """The ledger, a paged and filtered table, and the posts of one campaign to request codes
    for. An htmx request for either list (a filter, a page, the ledger's refresh) gets that
    fragment alone."""
    brand = get_brand_for_user(request.user, slug)
    filters, rows = ledger_rows(request, brand)
    ctx: dict[str, object] = {
        "brand": brand,
        "can_manage": brand.can_manage(request.user),
        "filters": filters,
        "at_risk_days": spark_ads.AT_RISK_DAYS,
    }
    template = "sparkads/ledger.html"
    fragment = request.htmx.target if wants_fragment(request) else None
    if fragment != "campaign-posts":
        ledger_page = paged(request, rows)
        # The rows' one field, rendered once: a select costs milliseconds to render, per row.
        extend_form = {"days": ExtendForm()["days"].as_widget()}
        ctx |= {"paged": ledger_page, "rows": ledger_page.page.object_list, "extend_form": extend_form}
    if fragment != "ledger":
        capability = flows.capability_for(brand)
        ctx["capability"] = capability
        if ctx["can_manage"] and capability.enabled:
            ctx |= _request_context(request, brand)
    if fragment:
        template += "#campaign-posts" if fragment == "campaign-posts" else "#ledger"
    else:
        chooser = ctx.get("chooser")
        list_campaigns_once(
            filters["campaign"], *([chooser["campaign"]] if isinstance(chooser, CampaignPostsForm) else [])
        )
        ctx |= {
            "paste_form": PasteCodeForm(),
            "last_bulk": BackgroundJob.objects.filter(kind="spark_bulk_request", brand=brand, user=request.user.pk)
            .order_by("-created_at")
            .first(),
        }
    return render(request, template, ctx)


def _request_context(request: HttpRequest, brand: Brand) -> dict[str, object]:
    """Requesting codes starts from a campaign: its linked posts, a page at a time."""
    chooser = CampaignPostsForm(request.GET, brand=brand)
    campaign = chooser.chosen_campaign()
    posts = paged(request, chooser.posts(campaign), param="posts-page") if campaign is not None else None
    return {
        "chooser": chooser,
        "campaign": campaign,
        "posts": posts,
        "request_form": RequestPermissionForm(),
        "bulk_form": BulkRequestForm(),
        "max_requests": MAX_REQUESTS_PER_VIDEO,
    }


@login_required
@require_POST
def request_permission(request: HttpRequest, slug: str) -> HttpResponse:
    brand = get_brand_for_user(request.user, slug, manage=True)
    form = RequestPermissionForm(request.POST)
    if form.is_valid():
        post = get_object_or_404(CampaignPost, pk=form.cleaned_data["post"], campaign__brand=brand)
        try:
            flows.request_permission(post, request.user, form.cleaned_data["days"], form.terms())
            messages.success(
                request,
                f"Request sent. @{post.tiktok_account.handle} gets it in TikTok's "
                "notifications; this page updates when they answer.",
            )
        except FlowError as exc:
            messages.error(request, exc.message)
    else:
        messages.error(request, form_errors(form, "Pick a post and 7, 30, 60 or 365 days."))
    return redirect("sparkads:ledger", slug=brand.slug)


def form_errors(form: forms.Form, fallback: str) -> str:
    """The form's own messages in one line (the ledger shows them as a flash message)."""
    errors = [str(e) for field in form.errors.values() for e in field]
    return " ".join(errors) if errors else fallback


@login_required
@require_POST
def paste_code(request: HttpRequest, slug: str) -> HttpResponse:
    brand = get_brand_for_user(request.user, slug, manage=True)
    form = PasteCodeForm(request.POST)
    if form.is_valid():
        post = None
        if form.cleaned_data["post"]:
            post = get_object_or_404(CampaignPost, pk=form.cleaned_data["post"], campaign__brand=brand)
        try:
            auth = codes.accept_pasted_code(brand, request.user, form.cleaned_data["code"], post=post)
            messages.success(
                request, f"Code accepted: {auth.post_name} can run as a Spark Ad until {auth.auth_end:%Y-%m-%d}."
            )
        except FlowError as exc:
            messages.error(request, exc.message)
    else:
        messages.error(request, "Paste the authorization code from TikTok.")
    return redirect("sparkads:ledger", slug=brand.slug)


def _authorization(request: HttpRequest, slug: str, pk: int) -> tuple[Brand, SparkAuthorization]:
    brand = get_brand_for_user(request.user, slug, manage=True)
    auth = get_object_or_404(
        SparkAuthorization.objects.for_user(request.user).select_related("ad_account", "brand"), pk=pk, brand=brand
    )
    return brand, auth


@login_required
@require_POST
def extend(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    brand, auth = _authorization(request, slug, pk)
    form = ExtendForm(request.POST)
    try:
        if not form.is_valid():
            raise FlowError(form_errors(form, "Pick 7, 30, 60 or 365 days."))
        messages.success(request, renewal.extend(auth, request.user, form.cleaned_data["days"], form.terms()))
    except FlowError as exc:
        messages.error(request, exc.message)
    return redirect("sparkads:ledger", slug=brand.slug)


@login_required
@require_POST
def unbind(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    brand, auth = _authorization(request, slug, pk)
    try:
        flows.unbind(auth, request.user)
        messages.success(request, f"{capfirst(auth.post_name)} was removed from {auth.ad_account}.")
    except FlowError as exc:
        messages.error(request, exc.message)
    return redirect("sparkads:ledger", slug=brand.slug)


# --- audit trail --------------------------------------------------------------------------------


@login_required
@require_GET
def audit(request: HtmxHttpRequest, slug: str) -> HttpResponse | StreamingHttpResponse:
    brand = get_brand_for_user(request.user, slug)
    form = AuditFilterForm(request.GET or None)
    events: QuerySet[AuditEvent] = (
        AuditEvent.objects.for_user(request.user)
        .filter(brand=brand)
        .select_related("actor", "ad_account", "tiktok_account", "business_center")
    )
    if not brand.can_manage(request.user):
        # A Business Center's events (who was given which account) are for its admins.
        admin_of = [
            m.business_center_id for m in BusinessCenterMember.objects.filter(user=request.user.pk) if m.is_admin
        ]
        events = events.filter(Q(business_center__isnull=True) | Q(business_center__in=admin_of))
    if form.is_valid():
        events = _filter_events(events, form.cleaned_data)
    if request.GET.get("format") == "csv":
        return _csv(brand, events)
    template = "sparkads/audit.html"
    if wants_fragment(request):
        template += "#events"
    return render(request, template, {"brand": brand, "form": form, "paged": paged(request, events)})


def _filter_events(events: QuerySet[AuditEvent], data: dict) -> QuerySet[AuditEvent]:
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


def _csv(brand: Brand, events: QuerySet[AuditEvent]) -> StreamingHttpResponse:
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
    return csvexport.streaming_csv(f"{brand.slug}-spark-ads-audit.csv", header, rows)
