"""Spark Ads pages for the deal around a code: bulk requests for a campaign with live progress,
"Mark paid", the brand's release-after-payment setting, and the ledger as CSV with its terms.

Brand objects come through `get_brand_for_user` (404 for outsiders); every action here is for
the brand's owners and admins (`manage=True`); the CSV is read by the whole brand.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from integrations import csvexport, jobs
from integrations.errors import FlowError, message_for
from integrations.http import HtmxHttpRequest
from integrations.models import BackgroundJob, Brand, Campaign
from integrations.tenancy import get_brand_for_user
from integrations.tiktok import TikTokError, clock

from .. import bulk, terms
from ..forms import BulkRequestForm, ReleaseSettingForm
from ..models import Money, SparkAuthorization
from .ledger import form_errors, ledger_rows


@login_required
@require_POST
def bulk_request(request: HttpRequest, slug: str) -> HttpResponse:
    brand = get_brand_for_user(request.user, slug, manage=True)
    campaign_id = request.POST.get("campaign", "")
    if not campaign_id.isdigit():
        messages.error(request, "Pick the campaign whose posts should get Spark codes.")
        return redirect("sparkads:ledger", slug=brand.slug)
    campaign = get_object_or_404(Campaign, pk=int(campaign_id), brand=brand)
    choices = [(p.pk, p.video_id) for p in bulk.campaign_posts(campaign)]
    form = BulkRequestForm(request.POST, post_choices=choices)
    if not form.is_valid():
        messages.error(request, form_errors(form, "Pick 7, 30, 60 or 365 days."))
        return redirect("sparkads:ledger", slug=brand.slug)
    # The selection button sends the ticked posts; the other asks for every post.
    selected = sorted(form.cleaned_data["posts"]) if request.POST.get("selection") else []
    if request.POST.get("selection") and not selected:
        messages.error(request, "Tick the posts to request codes for, or request for every post in the campaign.")
        return redirect("sparkads:ledger", slug=brand.slug)
    fee = form.cleaned_data.get("fee")
    job = jobs.start_once(
        "spark_bulk_request",
        request.user,
        brand,
        campaign=campaign.pk,
        posts=selected,
        days=form.cleaned_data["days"],
        fee=str(fee) if fee else "",
        currency=form.terms().fee_currency,
    )
    return redirect("sparkads:bulk_progress", slug=brand.slug, pk=job.pk)


@login_required
@require_GET
def bulk_progress(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    brand = get_brand_for_user(request.user, slug, manage=True)
    job = get_object_or_404(BackgroundJob, pk=pk, brand=brand, user=request.user)
    if job.kind != "spark_bulk_request":
        return redirect("integrations:job", pk=job.pk)  # another kind of work: its own progress
    campaign = Campaign.objects.filter(pk=job.params.get("campaign"), brand=brand).first()
    return render(request, "sparkads/bulk.html", {"brand": brand, "job": job, "campaign": campaign})


def _authorization(request: HttpRequest, slug: str, pk: int) -> tuple[Brand, SparkAuthorization]:
    brand = get_brand_for_user(request.user, slug, manage=True)
    auth = get_object_or_404(SparkAuthorization.objects.select_related("brand"), pk=pk, brand=brand)
    return brand, auth


@login_required
@require_POST
def mark_paid(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    brand, auth = _authorization(request, slug, pk)
    try:
        if terms.mark_paid(auth, request.user):
            messages.success(
                request, f"Marked paid. The code for {auth.post_name} was released to ad account {auth.ad_account}."
            )
        else:
            messages.success(request, f"Marked paid: {auth.fee_label} for {auth.post_name}.")
    except FlowError as exc:
        messages.error(request, exc.message)
    except TikTokError as exc:
        # Paid is recorded; the release is retried by the poller.
        messages.warning(request, f"Marked paid. The code is released as soon as TikTok answers: {message_for(exc)}")
    if request.htmx:  # asked with hx-confirm: the page is shown again with the outcome
        response = HttpResponse(status=204)
        response["HX-Redirect"] = reverse("sparkads:ledger", args=[brand.slug])
        return response
    return redirect("sparkads:ledger", slug=brand.slug)


@login_required
@require_POST
def release_setting(request: HttpRequest, slug: str) -> HttpResponse:
    brand = get_brand_for_user(request.user, slug, manage=True)
    form = ReleaseSettingForm(request.POST)
    on = form.is_valid() and form.cleaned_data["release_after_payment"]
    terms.set_release_after_payment(brand, request.user, on)
    messages.success(
        request,
        "Approved codes now wait until their fee is marked paid."
        if on
        else "Approved codes are now applied to the ad account as soon as they arrive.",
    )
    return redirect("sparkads:ledger", slug=brand.slug)


@login_required
@require_GET
def ledger_csv(request: HttpRequest, slug: str) -> StreamingHttpResponse:
    """The rows the ledger page shows with the same query string, every page of them,
    streamed: terms, the ads each code feeds and the spend at risk, per currency."""
    brand = get_brand_for_user(request.user, slug)
    rows = ledger_rows(request, brand)[1]
    header = [
        "video",
        "caption",
        "campaign",
        "creator",
        "source",
        "status",
        "duration (days)",
        "fee",
        "currency",
        "payment",
        "paid at (UTC)",
        "start (UTC)",
        "end (UTC)",
        "extension pending",
        "ad account",
        "requested or pasted",
        "by",
        "at (UTC)",
        "ads",
        "delivering ads",
        "daily spend of ads that stop with the code",
        "spend at risk",
    ]
    return csvexport.streaming_csv(
        f"{brand.slug}-spark-ads-ledger.csv", header, (_csv_row(a) for a in rows.iterator(chunk_size=500))
    )


def _amounts(amounts: list[Money]) -> str:
    # One figure per currency: a sum across currencies would be no amount at all.
    return "; ".join(str(money) for money in amounts)


def _csv_row(a: SparkAuthorization) -> list:
    when = "%Y-%m-%d %H:%M:%S"
    return [
        a.video_id,
        (a.post.caption if a.post else "") or a.caption,
        a.post.campaign.name if a.post else "",
        a.tiktok_account.handle if a.tiktok_account else a.tiktok_name,
        a.get_source_display(),
        a.status_label,
        a.authorization_days,
        a.fee_amount if a.fee_amount is not None else "",
        a.fee_currency,
        a.get_payment_status_display(),
        clock.on_clock(a.paid_at).strftime(when) if a.paid_at else "",
        a.auth_start.strftime(when) if a.auth_start else "",
        a.auth_end.strftime(when) if a.auth_end else "",
        "yes" if a.extension_pending else "",
        a.ad_account or "",
        a.added_as,
        a.requested_by_email or "",
        clock.on_clock(a.requested_at).strftime(when),
        len(a.ledger_ads),
        len([ad for ad in a.ledger_ads if ad.is_live]),
        _amounts(a.stopping_daily_spend),
        _amounts(a.spend_at_risk),
    ]
