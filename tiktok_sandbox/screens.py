"""The TikTok-side screens a person uses: consent, inbox, notifications, ad settings, QR
authorization, link requests, Sponsored Video, Ads Manager (links and ads), and the control
pages.

The persona in use is kept in the (signed-cookie) session: `tt_user` for a TikTok account,
`biz_user` for a TikTok for Business user. No passwords: it is a fake TikTok.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_protect

from tiktok_sandbox import actions, ads, clock, oauth, world
from tiktok_sandbox.models import (
    Ad,
    AdAuthCode,
    AdsManagerLink,
    BCAsset,
    BCQrLink,
    BusinessUser,
    Campaign,
    FaultRule,
    Incident,
    RateLimit,
    SparkRequest,
    TikTokUser,
    VideoLink,
)

SCOPE_LABELS = {
    "user.info.basic": "Read your profile info (avatar, display name)",
    "user.info.profile": "Read your profile details (username, bio, verified)",
    "user.info.stats": "Read your stats (followers, likes, videos)",
    "video.list": "Read your public videos",
    "biz.spark.auth": "Turn on ad authorization for your posts and create, extend or delete their Spark Ads codes",
}


def current_creator(request: HttpRequest) -> TikTokUser | None:
    pk = request.session.get("tt_user")
    return TikTokUser.objects.filter(pk=pk).first() if pk else None


def current_business(request: HttpRequest) -> BusinessUser | None:
    pk = request.session.get("biz_user")
    return BusinessUser.objects.filter(pk=pk).first() if pk else None


def _page(request: HttpRequest, template: str, **context) -> HttpResponse:
    context.setdefault("creator", current_creator(request))
    context.setdefault("business", current_business(request))
    context["now"] = clock.now()
    return render(request, f"sandbox/{template}", context)


def _needs_creator(request: HttpRequest) -> TikTokUser | HttpResponse:
    creator = current_creator(request)
    if creator is None:
        return redirect(f"/sandbox/login/?{urlencode({'next': request.get_full_path()})}")
    return creator


ASSET_TYPES = {"style.css": "text/css", "sandbox.js": "text/javascript"}


def asset(request: HttpRequest, name: str) -> HttpResponse:
    """The sandbox's stylesheet and script, served by itself (it runs without collectstatic)."""
    body = (Path(__file__).parent / "static" / "sandbox" / name).read_text()
    return HttpResponse(body, content_type=ASSET_TYPES[name])


def home(request: HttpRequest) -> HttpResponse:
    return _page(request, "home.html")


def _personas() -> list[TikTokUser]:
    return list(TikTokUser.objects.filter(is_persona=True).order_by("creator_id"))


def creator_login(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        user = get_object_or_404(TikTokUser, handle=request.POST.get("handle", ""))
        request.session["tt_user"] = user.pk
        return redirect(request.POST.get("next") or "/")
    return _page(request, "login.html", personas=_personas(), next=request.GET.get("next", "/"))


def business_login(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        user = get_object_or_404(BusinessUser, key=request.POST.get("key", ""))
        request.session["biz_user"] = user.pk
        return redirect(request.POST.get("next") or "/")
    users = BusinessUser.objects.order_by("user_id")
    return _page(request, "business_login.html", users=users, next=request.GET.get("next", "/"))


# --- OAuth screens ---------------------------------------------------------------------------


def _redirect(uri: str, **params: str) -> HttpResponseRedirect:
    joiner = "&" if "?" in uri else "?"
    return HttpResponseRedirect(f"{uri}{joiner}{urlencode({k: v for k, v in params.items() if v is not None})}")


def authorize(request: HttpRequest) -> HttpResponse:
    params = request.GET if request.method == "GET" else request.POST
    client_key, redirect_uri = params.get("client_key", ""), params.get("redirect_uri", "")
    state = params.get("state", "")
    kind = oauth.code_kind_for(client_key)
    if kind is None or not oauth.redirect_allowed(redirect_uri):
        # Never redirect to an unverified URI: show the error instead, like TikTok.
        return _page(request, "error.html", message="This app (client_key or redirect_uri) is not recognised.")
    if params.get("response_type", "code") != "code":
        return _redirect(
            redirect_uri, error="unsupported_response_type", error_description="response_type must be code", state=state
        )
    requested = [s for s in params.get("scope", "user.info.basic").split(",") if s] or ["user.info.basic"]
    creator = current_creator(request)
    if request.method == "POST" and params.get("handle"):
        creator = get_object_or_404(TikTokUser, handle=params["handle"])
        request.session["tt_user"] = creator.pk
    if request.method == "POST" and params.get("decision"):
        return _decide(request, params, kind, creator, requested)
    app = "Aspire (TikTok account holder)"
    scopes = [(s, SCOPE_LABELS.get(s, s)) for s in requested]
    return _page(
        request, "authorize.html", creator=creator, personas=_personas(), scopes=scopes, app=app, params=params
    )


def _decide(request: HttpRequest, params, kind: str, creator: TikTokUser | None, requested: list[str]) -> HttpResponse:
    redirect_uri, state = params["redirect_uri"], params.get("state", "")
    if params["decision"] != "authorize" or creator is None:
        return _redirect(
            redirect_uri, error="access_denied", error_description="The user denied the request.", state=state
        )
    ticked = [s for s in requested if s == "user.info.basic" or params.get(f"scope_{s}")]
    scope = ",".join(ticked)
    code = oauth.issue_code(kind, params["client_key"], redirect_uri, scope, tiktok_user=creator)
    return _redirect(redirect_uri, code=code.code, scopes=scope, state=state)


def portal_auth(request: HttpRequest) -> HttpResponse:
    params = request.GET if request.method == "GET" else request.POST
    app_id, redirect_uri, state = params.get("app_id", ""), params.get("redirect_uri", ""), params.get("state", "")
    if app_id not in settings.SANDBOX_APPS or not oauth.redirect_allowed(redirect_uri):
        return _page(request, "error.html", message="This app (app_id or redirect_uri) is not recognised.")
    business = current_business(request)
    if request.method == "POST" and params.get("key"):
        business = get_object_or_404(BusinessUser, key=params["key"])
        request.session["biz_user"] = business.pk
    if request.method == "POST" and params.get("decision"):
        if params["decision"] != "confirm" or business is None:
            return _redirect(redirect_uri, error="access_denied", state=state)
        code = oauth.issue_code("portal", app_id, redirect_uri, business_user=business)
        return _redirect(redirect_uri, auth_code=code.code, code=code.code, state=state)
    return _page(
        request,
        "portal.html",
        business=business,
        users=BusinessUser.objects.order_by("user_id"),
        params=params,
        advertisers=business.advertisers.order_by("advertiser_id") if business else [],
    )


# --- creator screens -------------------------------------------------------------------------


def inbox(request: HttpRequest) -> HttpResponse:
    creator = _needs_creator(request)
    if isinstance(creator, HttpResponse):
        return creator
    if request.method == "POST":
        try:
            actions.accept_invite(creator)
            messages.success(request, "Invite accepted. TikTok is processing your application (2+ hours).")
        except actions.ActionError as exc:
            messages.error(request, str(exc))
        return redirect("inbox")
    return _page(
        request,
        "inbox.html",
        invite=actions.delivered_invite(creator),
        latest=world.latest_invite(creator),
        status=world.marketplace_status(creator),
    )


def creator_marketplace(request: HttpRequest) -> HttpResponse:
    """TikTok Studio > Monetization > Creator Marketplace: check eligibility, then Join."""
    creator = _needs_creator(request)
    if isinstance(creator, HttpResponse):
        return creator
    if request.method == "POST":
        try:
            actions.join_marketplace(creator)
            messages.success(request, "Application sent. TikTok is reviewing it; this takes 2+ hours.")
        except actions.ActionError as exc:
            messages.error(request, str(exc))
        return redirect("creator_marketplace")
    return _page(
        request,
        "creator_marketplace.html",
        checks=world.join_checks(creator),
        status=world.marketplace_status(creator),
    )


def notifications(request: HttpRequest) -> HttpResponse:
    creator = _needs_creator(request)
    if isinstance(creator, HttpResponse):
        return creator
    if request.method == "POST":
        _answer_notification(request, creator)
        return redirect("notifications")
    spark = (
        SparkRequest.objects.filter(video__owner=creator)
        .select_related("video", "tto_account", "auth_code")
        .order_by("-requested_at")
    )
    links = VideoLink.objects.filter(video__owner=creator).select_related("video", "campaign").order_by("-created_at")
    return _page(request, "notifications.html", spark=spark, links=links, durations=(7, 30, 60, 365))


def _answer_notification(request: HttpRequest, creator: TikTokUser) -> None:
    from tiktok_sandbox.api.tto import confirm_link

    try:
        if request.POST.get("spark"):
            spark = get_object_or_404(SparkRequest, pk=request.POST["spark"], video__owner=creator, status="WAITING")
            if request.POST.get("decision") == "approve":
                code = actions.approve_spark(spark, int(request.POST.get("days", spark.days)))
                messages.success(request, f"Approved. Authorization code: {code.code}")
            else:
                actions.reject_spark(spark)
                messages.success(request, "Rejected.")
        elif request.POST.get("link"):
            link = get_object_or_404(VideoLink, pk=request.POST["link"], video__owner=creator, status="IN_REVIEW")
            confirm_link(link, "APPROVE" if request.POST.get("decision") == "approve" else "REJECT")
            messages.success(request, f"Link request {link.status.lower()}.")
    except (actions.ActionError, ValueError) as exc:
        messages.error(request, str(exc))


def posts(request: HttpRequest) -> HttpResponse:
    creator = _needs_creator(request)
    if isinstance(creator, HttpResponse):
        return creator
    videos = [(v, world.video_status(v), world.metrics(v)) for v in creator.videos.order_by("-create_time")]
    return _page(request, "posts.html", videos=videos)


def ad_settings(request: HttpRequest, video_id: str) -> HttpResponse:
    creator = _needs_creator(request)
    if isinstance(creator, HttpResponse):
        return creator
    video = get_object_or_404(creator.videos, video_id=video_id)
    code = None
    if request.method == "POST":
        try:
            code = actions.generate_code(video, int(request.POST.get("days", 30)))
        except (actions.ActionError, ValueError) as exc:
            messages.error(request, str(exc))
    return _page(request, "ad_settings.html", video=video, code=code, durations=(7, 30, 60, 365))


def sponsored(request: HttpRequest) -> HttpResponse:
    creator = _needs_creator(request)
    if isinstance(creator, HttpResponse):
        return creator
    campaigns = Campaign.objects.filter(joins__creator=creator).order_by("campaign_name")
    if request.method == "POST":
        campaign = get_object_or_404(campaigns, campaign_id=request.POST.get("campaign_id", ""))
        try:
            video = actions.post_sponsored_video(creator, campaign, request.POST.get("title", ""))
            messages.success(request, f"Posted {video.video_id}. It is in content review for about an hour.")
        except actions.ActionError as exc:
            messages.error(request, str(exc))
        return redirect("sponsored")
    return _page(request, "sponsored.html", campaigns=campaigns)


def campaign_invite(request: HttpRequest, slug: str) -> HttpResponse:
    campaign = get_object_or_404(Campaign, invite_slug=slug)
    creator = current_creator(request)
    if request.method == "POST" and creator:
        try:
            actions.join_campaign_via_link(creator, campaign)
            messages.success(request, "You joined the campaign. Post through the Sponsored Video tab.")
        except actions.ActionError as exc:
            messages.error(request, str(exc))
        return redirect("campaign_invite", slug=slug)
    joined = bool(creator and campaign.joins.filter(creator=creator).exists())
    return _page(request, "campaign_invite.html", campaign=campaign, joined=joined)


def bc_auth(request: HttpRequest, token: str) -> HttpResponse:
    link = get_object_or_404(BCQrLink, token=token)
    creator = _needs_creator(request)
    if isinstance(creator, HttpResponse):
        return creator
    if request.method == "POST":
        try:
            actions.approve_qr(
                link, creator, bool(request.POST.get("existing_posts")), bool(request.POST.get("publish"))
            )
            messages.success(request, f"{link.bc.name} can now use your account for ads.")
        except actions.ActionError as exc:
            messages.error(request, str(exc))
        return redirect("authorizations")
    return _page(request, "bc_auth.html", link=link)


def authorizations(request: HttpRequest) -> HttpResponse:
    creator = _needs_creator(request)
    if isinstance(creator, HttpResponse):
        return creator
    if request.method == "POST":
        if request.POST.get("asset"):
            actions.cancel_bc_authorization(get_object_or_404(BCAsset, pk=request.POST["asset"], tiktok_user=creator))
        elif request.POST.get("code"):
            actions.cancel_code(get_object_or_404(AdAuthCode, pk=request.POST["code"], video__owner=creator))
        elif request.POST.get("am_link"):
            link = get_object_or_404(AdsManagerLink, pk=request.POST["am_link"], tiktok_user=creator)
            actions.decide_ads_manager_link(link, approve=False)
        messages.success(request, "Authorization cancelled.")
        return redirect("authorizations")
    return _page(
        request,
        "authorizations.html",
        assets=BCAsset.objects.filter(tiktok_user=creator, relation_status="BOUND").select_related("bc"),
        codes=AdAuthCode.objects.filter(video__owner=creator, deleted_at__isnull=True).select_related("video"),
        am_links=AdsManagerLink.objects.filter(tiktok_user=creator, status="APPROVED").select_related("advertiser"),
    )


def link_requests(request: HttpRequest) -> HttpResponse:
    creator = _needs_creator(request)
    if isinstance(creator, HttpResponse):
        return creator
    if request.method == "POST":
        link = get_object_or_404(AdsManagerLink, pk=request.POST.get("link"), tiktok_user=creator)
        try:
            actions.decide_ads_manager_link(link, request.POST.get("decision") == "approve")
        except actions.ActionError as exc:
            messages.error(request, str(exc))
        return redirect("link_requests")
    rows = AdsManagerLink.objects.filter(tiktok_user=creator).select_related("advertiser").order_by("-requested_at")
    return _page(request, "link_requests.html", rows=rows)


# --- business screens ------------------------------------------------------------------------


def ads_manager(request: HttpRequest) -> HttpResponse:
    business = current_business(request)
    if business is None:
        return redirect(f"/sandbox/business/login/?{urlencode({'next': request.path})}")
    advertisers = business.advertisers.order_by("advertiser_id")
    if request.method == "POST":
        advertiser = get_object_or_404(advertisers, advertiser_id=request.POST.get("advertiser_id", ""))
        user = TikTokUser.objects.filter(handle=request.POST.get("handle", "").lstrip("@")).first()
        if user is None:
            messages.error(request, "No TikTok account with that username.")
        else:
            actions.request_ads_manager_link(advertiser, user)
            messages.success(request, f"Request sent to @{user.handle}.")
        return redirect("ads_manager")
    rows = AdsManagerLink.objects.filter(advertiser__in=advertisers).select_related("advertiser", "tiktok_user")
    return _page(request, "ads_manager.html", advertisers=advertisers, rows=rows.order_by("-requested_at"))


def control_page(request: HttpRequest) -> HttpResponse:
    from tiktok_sandbox import seed, traffic

    if request.method == "POST":
        _control_action(request.POST, seed, traffic)
        return redirect("control")
    return _page(
        request,
        "control.html",
        faults=FaultRule.objects.order_by("pk"),
        limits=RateLimit.objects.order_by("pk"),
        app_limits=traffic.app_limits(),
        tiers=list(traffic.TIERS),
        stats=sorted(traffic.stats(60).items()),
        offset_hours=round(clock.offset() / 3600, 2),
        open_incidents=Incident.objects.filter(resolved_at__isnull=True).order_by("pk"),
        incident_levels=INCIDENT_LEVEL_NAMES,
        platform_url=settings.SANDBOX_PLATFORM_URL,
    )


# TikTok's API_SERVICE_STATUS levels, as the control page names them.
INCIDENT_LEVEL_NAMES = {"LOW_DISRUPTION": "Low disruption", "MAJOR_DISRUPTION": "Major disruption"}


def _control_action(post, seed, traffic) -> None:
    action = post.get("action")
    if action == "advance":
        from tiktok_sandbox import events

        clock.advance(float(post.get("hours") or 0) * 3600 + float(post.get("minutes") or 0) * 60)
        events.tick()
    elif action == "reset":
        seed.reseed()
        traffic.reset_app_limits()
    elif action == "fault":
        fields = ("error_40100", "http_429", "http_5xx", "hang", "malformed_json")
        FaultRule.objects.create(
            pattern=post.get("pattern") or "*",
            latency_ms=int(post.get("latency_ms") or 0),
            **{f: float(post.get(f) or 0) for f in fields},
        )
    elif action == "clear_faults":
        FaultRule.objects.all().delete()
    elif action == "limit":
        RateLimit.objects.create(
            pattern=post.get("pattern") or "*",
            limit=int(post.get("limit") or 10),
            window_seconds=float(post.get("window_seconds") or 1),
        )
        traffic.reset_windows()
    elif action == "tier" and post.get("tier") in traffic.TIERS:
        traffic.set_app_limits(traffic.AppLimits.of(post["tier"]))
    elif action == "incident_start" and post.get("level") in INCIDENT_LEVEL_NAMES:
        from tiktok_sandbox import control

        control.start_incident(post.get("title", ""), post.get("detail", ""), post["level"], ["TIKTOK_ONE_API"])
    elif action == "incident_resolve":
        from tiktok_sandbox import control

        incident = Incident.objects.filter(incident_id=post.get("incident_id"), resolved_at__isnull=True).first()
        if incident is not None:
            control.resolve_incident(incident)
    elif action == "clear_limits":
        RateLimit.objects.all().delete()
        traffic.set_app_limits(None)


# --- Ads Manager: ads, and their review on the control side -----------------------------------


@csrf_protect
def ads_manager_ads(request: HttpRequest) -> HttpResponse:
    """A brand makes a Spark ad from a post it may promote, sees what each ad spent per day
    of the sandbox clock, and pauses one."""
    business = current_business(request)
    if business is None:
        return redirect(f"/sandbox/business/login/?{urlencode({'next': request.path})}")
    advertisers = list(business.advertisers.order_by("advertiser_id"))
    mine = Ad.objects.filter(advertiser__in=advertisers)
    if request.method == "POST":
        try:
            if request.POST.get("action") == "pause":
                ad = ads.decide(get_object_or_404(mine, ad_id=request.POST.get("ad_id", "")), "pause")
                messages.success(request, f"Paused {ad.ad_name}.")
            else:
                ad = _create_ad(request.POST, ads.sources(advertisers))
                messages.success(request, f"Created {ad.ad_name}; it is in review.")
        except (ads.AdError, ValueError, ArithmeticError) as exc:
            messages.error(request, str(exc))
        return redirect("ads_manager_ads")
    now = clock.now()
    rows = [
        (ad, ads.delivery(ad, now), ads.recent_spend(ad, now=now), ads.lifetime_spend(ad, now))
        for ad in mine.select_related("advertiser", "video__owner", "authorization__auth_code").order_by(
            "-create_time", "ad_id"
        )
    ]
    return _page(request, "ads_manager_ads.html", sources=ads.sources(advertisers, now), rows=rows)


def _create_ad(post: QueryDict, sources: list[ads.Source]) -> Ad:
    source = next((s for s in sources if s.key == post.get("source")), None)
    if source is None:
        raise ads.AdError("Choose a post this ad account can promote.")
    budget = Decimal(post.get("daily_budget") or "50")
    if budget <= 0:
        raise ValueError("The daily budget must be more than zero.")
    return ads.create(
        source.advertiser,
        source.video,
        identity_type=source.identity_type,
        bc_id=source.bc_id,
        ad_name=(post.get("ad_name") or "").strip()[:100],
        daily_budget=budget.quantize(Decimal("0.01")),
    )


@csrf_protect
def control_ads(request: HttpRequest) -> HttpResponse:
    """TikTok's side of an ad: approve or reject its review, mark its creative fatigued."""
    if request.method == "POST":
        ad = get_object_or_404(Ad, ad_id=request.POST.get("ad_id", ""))
        try:
            decision = request.POST.get("decision", "")
            ads.decide(ad, decision)
            done = {"approve": "approved", "reject": "rejected", "fatigue": "marked fatigued"}.get(decision, decision)
            messages.success(request, f"{ad.ad_name}: {done}.")
        except ads.AdError as exc:
            messages.error(request, str(exc))
        return redirect("control_ads")
    now = clock.now()
    rows = [
        (ad, ads.delivery(ad, now))
        for ad in Ad.objects.select_related("advertiser", "video__owner", "authorization__auth_code").order_by(
            "-create_time", "ad_id"
        )
    ]
    return _page(request, "control_ads.html", rows=rows)
