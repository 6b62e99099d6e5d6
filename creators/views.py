"""Creator pages: Social Accounts (authorize TikTok, Marketplace steps, collaborations and
posts), the TikTok callback and webhook, and the brand's view of its campaign creators."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from integrations import jobs
from integrations.connect import oauth_retry
from integrations.errors import FlowError, message_for
from integrations.http import HtmxHttpRequest, paged, wants_fragment
from integrations.models import BackgroundJob, Campaign, CampaignPost, Collaboration, TikTokAccount, WebhookDelivery
from integrations.tenancy import get_brand_for_user, get_for_brand_or_404
from integrations.tiktok import TikTokError, webhooks
from integrations.tiktok.spark import SPARK_AUTH_SCOPE

from . import collaborations, flows, marketplace
from .forms import InviteLinkForm, VideoLinkForm
from .models import MarketplaceOnboarding

logger = logging.getLogger(__name__)
# The "Try again" of a creator's code exchange TikTok did not answer (integrations.connect.oauth_retry).
RETRY_FLOW = "creator"


def _accounts(user: Any) -> list[TikTokAccount]:
    accounts = list(
        TikTokAccount.objects.filter(owner=user).select_related("credential", "onboarding").order_by("handle")
    )
    for account in accounts:
        # Older grants lack it: the page shows how to grant it (authorize again).
        account.spark_allowed = bool(  # type: ignore[attr-defined]
            account.credential and account.credential.has_scope(SPARK_AUTH_SCOPE)
        )
        account.unticked = flows.unticked(account.credential)  # type: ignore[attr-defined]
    return accounts


def _collaborations(user: Any) -> QuerySet[Collaboration]:
    posts = Prefetch("posts", queryset=CampaignPost.objects.order_by("-created_at"))
    return (
        Collaboration.objects.filter(tiktok_account__owner=user)
        .select_related("campaign__brand", "tiktok_account__credential")
        .prefetch_related(posts)
        .order_by("-created_at", "-pk")
    )


@login_required
@require_GET
def home(request: HtmxHttpRequest) -> HttpResponse:
    """Social Accounts."""
    accounts = _accounts(request.user)
    # A creator's campaigns grow with every brand they work with: a page of them.
    collabs_page = paged(request, _collaborations(request.user), param="collaborations_page")
    collabs: list[Collaboration] = list(collabs_page.page)
    for collab in collabs:
        collab.checklist = collaborations.requirements(collab.campaign, collab.tiktok_account)  # type: ignore[attr-defined]
    ctx = {
        "is_creator": hasattr(request.user, "creator_profile"),
        "accounts": accounts,
        "collaborations": collabs,
        "collaborations_page": collabs_page,
        "polling": any(
            getattr(a, "onboarding", None) and a.onboarding.state in MarketplaceOnboarding.POLLED_STATES
            for a in accounts
        ),
        "invite_form": InviteLinkForm(),
        "job": _own_job(request),
    }
    template_name = "creators/home.html"
    if wants_fragment(request):
        template_name += "#accounts"
    return render(request, template_name, ctx)


def _own_job(request: HttpRequest) -> BackgroundJob | None:
    """The job named in ?job=; anyone else's is a 404."""
    pk = request.GET.get("job", "")
    return get_object_or_404(BackgroundJob, pk=pk, user=request.user, brand=None) if pk.isdecimal() else None


@login_required
@require_POST
def become_creator(request: HttpRequest) -> HttpResponse:
    flows.ensure_profile(request.user)
    messages.success(request, "You are a creator now. Authorize TikTok to connect your account.")
    return redirect("creators:home")


@login_required
@require_POST
def authorize(request: HttpRequest) -> HttpResponse:
    return redirect(flows.start_authorization(request, another_account=request.POST.get("another") == "1"))


@login_required
@require_GET
def callback(request: HttpRequest) -> HttpResponse:
    """TikTok sends the creator back here with `code` + `state`, or `error`."""
    try:
        flows.check_state(request, request.GET.get("state", ""))
    except FlowError as exc:
        messages.error(request, exc.message)
        return redirect("creators:home")
    if request.GET.get("error"):
        messages.warning(
            request,
            "You did not authorize TikTok, so nothing was connected. Click Authorize TikTok when you are ready.",
        )
        return redirect("creators:home")
    return _exchange(request, request.GET.get("code", ""))


def _exchange(request: HttpRequest, code: str) -> HttpResponse:
    """Exchange the code; when TikTok did not answer the exchange, offer "Try again" with it."""
    try:
        account = flows.complete_authorization(request.user, code)
    except FlowError as exc:
        if exc.retryable:
            key = oauth_retry.hold(request, flow=RETRY_FLOW, code=code, valid_for=oauth_retry.CREATOR_CODE_VALID)
            return oauth_retry.offer(
                request,
                key=key,
                message=exc.message,
                retry_url=reverse("creators:callback_retry"),
                back_url=reverse("creators:home"),
            )
        messages.error(request, exc.message)
    else:
        messages.success(request, f"@{account.handle} is connected. We are checking your Creator Marketplace status.")
        for line, what in flows.unticked(account.credential):
            messages.warning(
                request,
                f"You unticked “{line}” on TikTok: {what}. To allow it, click Authorize again and keep it ticked.",
            )
    return redirect("creators:home")


@login_required
@require_POST
def callback_retry(request: HttpRequest) -> HttpResponse:
    """ "Try again": the held code's exchange once more (held again only if TikTok is still down)."""
    held = oauth_retry.take(request, RETRY_FLOW, request.POST.get("key", ""))
    if held is None:
        messages.error(request, oauth_retry.gone_message("Click Authorize TikTok"))
        return redirect("creators:home")
    return _exchange(request, held["code"])


def _own_account(request: HttpRequest, pk: int) -> TikTokAccount:
    return get_object_or_404(TikTokAccount.objects.select_related("credential"), pk=pk, owner=request.user)


@login_required
@require_POST
def accepted(request: HttpRequest, pk: int) -> HttpResponse:
    account = _own_account(request, pk)
    onboarding = get_object_or_404(MarketplaceOnboarding, tiktok_account=account)
    if marketplace.mark_accepted(onboarding):
        messages.success(
            request,
            "Thanks. TikTok takes 2+ hours to process an accepted invite; "
            "come back and reconnect then. We will email you when you are in.",
        )
    else:
        messages.info(request, "There is no invite waiting for this account.")
    return redirect("creators:home")


@login_required
@require_POST
def check_status(request: HttpRequest, pk: int) -> HttpResponse:
    """A worker asks TikTok while the page shows its progress (integrations.jobs)."""
    account = _own_account(request, pk)
    onboarding = get_object_or_404(MarketplaceOnboarding, tiktok_account=account)
    job = jobs.start_once("onboarding_check", request.user, onboarding=onboarding.pk)
    return redirect(f"{reverse('creators:home')}?job={job.pk}")


@login_required
@require_POST
def disconnect(request: HttpRequest, pk: int) -> HttpResponse:
    account = _own_account(request, pk)
    try:
        said = flows.disconnect(account)
    except FlowError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, said)
    return redirect("creators:home")


def _own_collab(request: HttpRequest, pk: int) -> Collaboration:
    qs = Collaboration.objects.select_related("campaign", "tiktok_account__credential")
    return get_object_or_404(qs, pk=pk, tiktok_account__owner=request.user)


@login_required
@require_POST
def join(request: HttpRequest, pk: int) -> HttpResponse:
    collab = _own_collab(request, pk)
    _run(
        request,
        lambda: collaborations.join_campaign(collab.tiktok_account, collab.campaign),
        f"You joined {collab.campaign.name}.",
    )
    return redirect("creators:home")


@login_required
@require_POST
def join_with_link(request: HttpRequest) -> HttpResponse:
    form = InviteLinkForm(request.POST, user=request.user)
    if not form.is_valid():
        for error in form.errors.values():
            messages.error(request, " ".join(map(str, error)))
        return redirect("creators:home")
    account, campaign = form.cleaned_data["account"], form.cleaned_data["campaign"]
    _run(request, lambda: collaborations.join_campaign(account, campaign), f"You joined {campaign.name}.")
    return redirect("creators:home")


@login_required
@require_POST
def link_video(request: HttpRequest, pk: int) -> HttpResponse:
    collab = _own_collab(request, pk)
    form = VideoLinkForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Enter the video's id or its TikTok link.")
        return redirect("creators:home")
    post = _run(request, lambda: collaborations.link_video(collab, form.cleaned_data["video_id"]), "")
    if post is not None:
        if post.publish_status == CampaignPost.PublishStatus.REVIEWING:
            messages.warning(
                request,
                "Linked. TikTok is reviewing this post; allow extra time. We will tell you when it is published.",
            )
        else:
            messages.success(request, "Linked: the post counts for the campaign.")
    return redirect("creators:home")


@login_required
@require_GET
def link_requests(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """A worker reads them from TikTok while the page or fragment shows its progress."""
    collab = _own_collab(request, pk)
    job = jobs.start_once("link_requests", request.user, collab=collab.pk)
    template_name = "creators/home.html#link-requests" if wants_fragment(request) else "creators/link_requests.html"
    return render(request, template_name, {"collab": collab, "job": job})


@login_required
@require_POST
def answer_link_request(request: HttpRequest, pk: int) -> HttpResponse:
    collab = _own_collab(request, pk)
    approve = request.POST.get("action") == "APPROVE"
    link_request_id, video_id = request.POST.get("link_request_id", ""), request.POST.get("video_id", "")
    if not link_request_id or not video_id:
        return HttpResponseBadRequest("link_request_id and video_id are required")
    done = "Approved: the post is linked to the campaign." if approve else "Rejected the brand's link request."
    _run(request, lambda: collaborations.answer_link_request(collab, link_request_id, video_id, approve), done)
    return redirect("creators:home")


def _run(request: HttpRequest, action: Callable[[], Any], success: str) -> Any:
    """Run a flow step; turn its failure into a message for the creator."""
    try:
        result = action()
    except FlowError as exc:
        messages.error(request, exc.message)
        return None
    except TikTokError as exc:
        messages.error(request, message_for(exc))
        return None
    if success:
        messages.success(request, success)
    return result


@csrf_exempt
@require_POST
def webhook(request: HttpRequest) -> HttpResponse:
    """TikTok's `authorization.removed`: verified by TikTok-Signature, answered at once; a
    delivery seen before is answered without work."""
    raw = request.body
    try:
        webhooks.verify_either_app_signature(raw, request.headers.get(webhooks.SIGNATURE_HEADER))
        payload = webhooks.load_payload(raw)
        event, open_id = webhooks.text_field(payload, "event"), webhooks.text_field(payload, "user_openid")
    except (webhooks.WebhookSignatureError, webhooks.WebhookPayloadError) as exc:
        logger.warning("creator webhook rejected: %s", exc)
        return HttpResponseBadRequest("invalid signature or body")
    with transaction.atomic():
        if WebhookDelivery.first_time("creator_events", raw) and event == "authorization.removed" and open_id:
            flows.handle_authorization_removed(open_id)
    return HttpResponse("ok")


@login_required
@require_GET
def campaign_creators(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """A brand's campaign creators: each one's Marketplace state and where it is stuck, a page
    at a time, found by handle."""
    brand = get_brand_for_user(request.user, slug)
    campaign = get_for_brand_or_404(Campaign.objects.for_user(request.user), brand, pk=pk)
    collabs = (
        Collaboration.objects.filter(campaign=campaign)
        .select_related("tiktok_account__onboarding", "tiktok_account__credential")
        .order_by("tiktok_account__handle", "pk")
    )
    handle = request.GET.get("q", "").strip().lstrip("@")
    if handle:
        collabs = collabs.filter(tiktok_account__handle__icontains=handle)
    template = "creators/campaign_creators.html"
    if wants_fragment(request):
        template += "#creators"
    ctx = {"brand": brand, "campaign": campaign, "paged": paged(request, collabs), "q": handle}
    return render(request, template, ctx)
    return render(
        request, "creators/campaign_creators.html", {"brand": brand, "campaign": campaign, "collaborations": collabs}
    )
