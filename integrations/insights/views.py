"""Post insights pages: the brand's campaigns, a campaign's posts and charts, one post, the
CSV export, and TikTok's TCM_VIDEOS webhook."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from .. import csvexport
from ..http import HtmxHttpRequest, paged, receive_webhook, wants_fragment
from ..models import Campaign, CampaignPost
from ..polling import enqueue_coalesced
from ..tenancy import get_brand_for_user, get_for_brand_or_404
from ..tiktok import webhooks
from ..tiktok.webhooks import TcmVideoEvent
from . import charts, queries, report, video_events
from .tasks import poll_campaign_report

PER_PAGE = 25


@login_required
@require_GET
def brand_insights(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    brand = get_brand_for_user(request.user, slug)
    campaigns = paged(request, queries.brand_campaigns_with_totals(brand))
    currency = queries.money_currency(brand)
    ctx = {"brand": brand, "paged": campaigns, "campaigns": queries.with_cells(campaigns.page, currency)}
    return render(request, "integrations/insights/brand.html", ctx)


def _campaign(request: HttpRequest, slug: str, pk: int, *, manage: bool = False) -> Campaign:
    brand = get_brand_for_user(request.user, slug, manage=manage)
    return get_for_brand_or_404(Campaign.objects.select_related("brand", "tiktok_one_account"), brand, pk=pk)


@login_required
@require_GET
def campaign_insights(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    campaign = _campaign(request, slug, pk)
    params = queries.table_params(request.GET)
    page = Paginator(queries.post_table(campaign, params), PER_PAGE).get_page(request.GET.get("page"))
    ctx = {
        "brand": campaign.brand,
        "campaign": campaign,
        "params": params,
        "page": page,
        "rows": [(post, queries.format_row(queries.row_values(post))) for post in page.object_list],
        "columns": queries.COLUMNS,
        "currency": queries.money_currency(campaign.brand),
        "can_manage": campaign.brand.can_manage(request.user),
    }
    template_name = "integrations/insights/campaign.html"
    if wants_fragment(request):
        template_name += "#table"
    else:
        ctx["totals_cells"] = queries.format_totals(queries.campaign_totals(campaign), currency=str(ctx["currency"]))
        ctx["charts"] = charts.campaign_charts(campaign)
    return render(request, template_name, ctx)


@login_required
@require_GET
def campaign_export(request: HttpRequest, slug: str, pk: int) -> StreamingHttpResponse:
    """Every row the table's filters and sort give, in the table's columns, streamed."""
    campaign = _campaign(request, slug, pk)
    posts = queries.post_table(campaign, queries.table_params(request.GET)).iterator(chunk_size=1000)
    currency = queries.money_currency(campaign.brand)
    return csvexport.streaming_csv(
        f"insights-{campaign.campaign_id or campaign.pk}.csv",
        [queries.money_label(c.label, c.kind, currency) for c in queries.COLUMNS],
        (queries.format_row(queries.row_values(post), for_csv=True) for post in posts),
    )


@login_required
@require_POST
def campaign_poll(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """A manager asks for fresh figures now instead of at the next scheduled poll."""
    campaign = _campaign(request, slug, pk, manage=True)
    if campaign.status == Campaign.Status.ACTIVE and campaign.campaign_id:
        enqueue_coalesced(poll_campaign_report, report.poll_now([campaign.campaign_id]), ttl=report.CLAIM_LEASE)
        messages.success(request, "Fetching fresh figures from TikTok.")
    else:
        messages.error(request, "This campaign is not polled: it is not active on TikTok.")
    return redirect("integrations:insights_campaign", slug=slug, pk=pk)


@login_required
@require_GET
def post_insights(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    brand = get_brand_for_user(request.user, slug)
    post = get_object_or_404(
        CampaignPost.objects.select_related("campaign", "tiktok_account", "insight"), pk=pk, campaign__brand=brand
    )
    insight = getattr(post, "insight", None)
    snapshots = charts.post_series(post)
    totals = queries.with_derived({f: getattr(insight, f, None) for f in queries.TOTAL_FIELDS})
    ctx = {
        "totals_cells": queries.format_totals(totals, currency=queries.money_currency(brand)),
        "brand": brand,
        "post": post,
        "campaign": post.campaign,
        "insight": insight,
        "snapshots": snapshots,
        "charts": charts.post_charts(snapshots, insight.audience if insight else None),
    }
    return render(request, "integrations/insights/post.html", ctx)


@csrf_exempt
@require_POST
def tcm_videos_webhook(request: HttpRequest) -> HttpResponse:
    """TikTok's TCM_VIDEOS delivery: a video was uploaded to or published in a campaign.
    The review status moves at once; the report poll runs in Celery, and a burst of
    deliveries for one campaign queues one poll."""
    return receive_webhook(request, "tcm_videos", webhooks.parse_tcm_videos, _video_events)


def _video_events(events: list[TcmVideoEvent]) -> None:
    video_events.apply(events)
    campaigns = report.poll_now([e.campaign_id for e in events])
    enqueue_coalesced(poll_campaign_report, campaigns, ttl=report.CLAIM_LEASE)
