"""The sandbox-only control API under /sandbox/api/: clock, reset, faults, rate limits,
request stats, and helpers that do what a person would do on a TikTok-side screen."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.forms.models import model_to_dict
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from tiktok_sandbox import actions, ads, clock, events, ids, music, oauth, seed, traffic
from tiktok_sandbox.api.business import API_PRODUCTS
from tiktok_sandbox.models import (
    Ad,
    AdsManagerLink,
    Advertiser,
    BCAsset,
    BCQrLink,
    BusinessUser,
    Campaign,
    FaultRule,
    Incident,
    RateLimit,
    RequestLog,
    TikTokUser,
    Video,
    VideoLink,
)


class Problem(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def control(*methods: str) -> Callable:
    """JSON in, JSON out; `Problem` and ActionError become error answers."""

    def wrap(view: Callable) -> Callable:
        @csrf_exempt
        @wraps(view)
        def inner(request: HttpRequest, *args, **kwargs) -> JsonResponse:
            if request.method not in methods:
                return JsonResponse({"error": f"use {', '.join(methods)}"}, status=405)
            try:
                body = json.loads(request.body or b"{}") if request.method != "GET" else {}
                return JsonResponse(view(request, body if isinstance(body, dict) else {}, *args, **kwargs), safe=False)
            except ValueError as exc:
                return JsonResponse({"error": f"bad JSON: {exc}"}, status=400)
            except Problem as exc:
                return JsonResponse({"error": str(exc)}, status=exc.status)
            except (actions.ActionError, ads.AdError) as exc:
                return JsonResponse({"error": str(exc)}, status=409)

        return inner

    return wrap


def _get(model, message: str, **lookup):
    found = model.objects.filter(**lookup).first()
    if found is None:
        raise Problem(message, 404)
    return found


def _user(handle: str) -> TikTokUser:
    return _get(TikTokUser, f"no TikTok user @{handle}", handle=handle)


def _video(video_id: str) -> Video:
    return _get(Video, f"no video {video_id}", video_id=str(video_id))


# --- clock, reset, state ------------------------------------------------------------------


@control("GET")
def state(request, body) -> dict:
    return {
        "now": clock.now().isoformat(),
        "offset_seconds": clock.offset(),
        "counts": {
            "tiktok_users": TikTokUser.objects.count(),
            "videos": Video.objects.count(),
            "campaigns": Campaign.objects.count(),
        },
    }


@control("POST")
def clock_advance(request, body) -> dict:
    seconds = float(body.get("hours", 0)) * 3600 + float(body.get("minutes", 0)) * 60 + float(body.get("seconds", 0))
    if seconds < 0:
        raise Problem("the sandbox clock only moves forward")
    now = clock.advance(seconds)
    events.tick()
    return {"now": now.isoformat(), "offset_seconds": clock.offset()}


@control("POST")
def clock_reset(request, body) -> dict:
    clock.reset()
    return {"now": clock.now().isoformat(), "offset_seconds": 0.0}


@control("POST")
def reset(request, body) -> dict:
    seed.reseed(body.get("seed"))
    traffic.reset_app_limits()
    return {"ok": True, "now": clock.now().isoformat()}


@control("GET")
def personas(request, body) -> dict:
    creators = [
        {
            "handle": u.handle,
            "creator_id": u.creator_id,
            "open_id": u.open_id,
            "followers": u.follower_count,
            "account_type": u.account_type,
            "age_verified": u.age_verified,
            "video_ids": list(u.videos.order_by("video_id").values_list("video_id", flat=True)),
        }
        for u in TikTokUser.objects.filter(is_persona=True).order_by("creator_id")
    ]
    business = [
        {
            "key": b.key,
            "user_id": b.user_id,
            "name": b.display_name,
            "email": b.email,
            "tto_tcm_account_ids": list(b.tto_accounts.values_list("tto_tcm_account_id", flat=True)),
            "advertiser_ids": list(b.advertisers.values_list("advertiser_id", flat=True)),
        }
        for b in BusinessUser.objects.order_by("user_id")
    ]
    return {"creators": creators, "business_users": business}


# --- faults, rate limits, request log --------------------------------------------------------

FAULT_FIELDS = [
    "error_40100",
    "http_429",
    "http_5xx",
    "status_5xx",
    "hang",
    "hang_seconds",
    "malformed_json",
    "latency_ms",
    "times",
]


@control("GET", "POST", "DELETE")
def faults(request, body) -> dict | list:
    if request.method == "POST":
        if not body.get("pattern"):
            raise Problem("pattern is required")
        rule = FaultRule.objects.create(pattern=body["pattern"], **{k: body[k] for k in FAULT_FIELDS if k in body})
        return model_to_dict(rule)
    if request.method == "DELETE":
        FaultRule.objects.all().delete()
    return [model_to_dict(r) for r in FaultRule.objects.order_by("pk")]


@control("DELETE")
def fault_detail(request, body, pk: int) -> dict:
    FaultRule.objects.filter(pk=pk).delete()
    return {"deleted": pk}


@control("GET", "POST", "DELETE")
def rate_limits(request, body) -> dict | list:
    if request.method == "POST":
        if not body.get("pattern") or not body.get("limit"):
            raise Problem("pattern and limit are required")
        rule = RateLimit.objects.create(
            pattern=body["pattern"],
            limit=int(body["limit"]),
            window_seconds=float(body.get("window_seconds", 1)),
            per=body.get("per", "endpoint"),
        )
        traffic.reset_windows()
        return model_to_dict(rule)
    if request.method == "DELETE":
        RateLimit.objects.all().delete()
        traffic.set_app_limits(None)  # every limit, the app's tier included, until reset
    return [model_to_dict(r) for r in RateLimit.objects.order_by("pk")]


@control("GET", "POST", "DELETE")
def app_rate_limits(request, body) -> dict:
    """The app's API for Business limits: POST {tier?, qps?, qpm?, per_day?} sets a tier
    (default: the current one) with any window overridden; DELETE lifts them until reset."""
    if request.method == "POST":
        current = traffic.app_limits()["tier"] or settings.SANDBOX_API_TIER
        overrides = {k: body[k] for k in ("qps", "qpm", "per_day") if body.get(k) is not None}
        try:
            traffic.set_app_limits(traffic.AppLimits.of(body.get("tier") or current, **overrides))
        except (TypeError, ValueError) as exc:
            raise Problem(str(exc)) from exc
    elif request.method == "DELETE":
        traffic.set_app_limits(None)
    return traffic.app_limits()


@control("DELETE")
def rate_limit_detail(request, body, pk: int) -> dict:
    RateLimit.objects.filter(pk=pk).delete()
    traffic.reset_windows()
    return {"deleted": pk}


@control("GET", "DELETE")
def request_log(request, body) -> list:
    if request.method == "DELETE":
        RequestLog.objects.all().delete()
        return []
    rows = RequestLog.objects.order_by("-at")
    if request.GET.get("path"):
        rows = rows.filter(path__contains=request.GET["path"])
    if request.GET.get("after"):
        # Only what came after the log row a caller last saw, oldest first, so that a test that
        # checks the log after every step reads each request once, page by page.
        rows = rows.filter(pk__gt=int(request.GET["after"])).order_by("pk")
    limit = int(request.GET.get("limit", 100))
    return [model_to_dict(r) for r in rows[:limit]]


@control("GET")
def request_stats(request, body) -> dict:
    window = float(request.GET.get("window_seconds", 1))
    return {"window_seconds": window, "endpoints": traffic.stats(window), "app": traffic.app_stats(window)}


@control("GET")
def cost(request, body) -> dict:
    return traffic.cost()


# --- helpers: what the screens do -----------------------------------------------------------


# What the authorize helper grants when the test names no scope: every scope a creator's
# profile, stats and post reads need.
HELPER_SCOPES = ["user.info.basic", "user.info.profile", "user.info.stats", "video.list"]


@control("POST")
def helper_authorize(request: HttpRequest, body: dict) -> dict:
    user = _user(body.get("handle", ""))
    client_key = body.get("client_key", "")
    kind = oauth.code_kind_for(client_key)
    if kind is None:
        raise Problem("unknown client_key")
    redirect_uri = body.get("redirect_uri", "")
    scope = body.get("scope") or ",".join(HELPER_SCOPES)
    code = oauth.issue_code(kind, client_key, redirect_uri, scope, tiktok_user=user)
    query = {"code": code.code, "scopes": scope, "state": body.get("state", "")}
    return {"code": code.code, "redirect_url": f"{redirect_uri}?{urlencode(query)}"}


@control("POST")
def helper_portal_auth(request, body) -> dict:
    user = _get(BusinessUser, "unknown persona", key=body.get("persona", ""))
    redirect_uri = body.get("redirect_uri", "")
    code = oauth.issue_code("portal", body.get("app_id") or settings.SANDBOX_APP_ID, redirect_uri, business_user=user)
    query = {"auth_code": code.code, "code": code.code, "state": body.get("state", "")}
    return {"auth_code": code.code, "redirect_url": f"{redirect_uri}?{urlencode(query)}"}


@control("POST")
def helper_accept_invite(request, body) -> dict:
    invite = actions.accept_invite(_user(body.get("handle", "")))
    return {"accepted_at": invite.accepted_at.isoformat()}


@control("POST")
def helper_join_marketplace(request, body) -> dict:
    user = actions.join_marketplace(_user(body.get("handle", "")))
    return {"joined_in_app_at": user.joined_in_app_at.isoformat()}


@control("POST")
def helper_spark_approve(request, body) -> dict:
    video = _video(body.get("video_id", ""))
    code = actions.approve_spark(actions.waiting_spark(video), body.get("days"))
    return {"auth_code": code.code, "days": code.days}


@control("POST")
def helper_spark_reject(request, body) -> dict:
    actions.reject_spark(actions.waiting_spark(_video(body.get("video_id", ""))))
    return {"ok": True}


@control("POST")
def helper_ad_code(request, body) -> dict:
    code = actions.generate_code(_video(body.get("video_id", "")), int(body.get("days", 30)))
    return {"auth_code": code.code, "days": code.days}


def _ad_answer(ad: Ad) -> dict:
    state = ads.delivery(ad)
    return {
        "ad_id": ad.ad_id,
        "ad_name": ad.ad_name,
        "advertiser_id": ad.advertiser.advertiser_id,
        "identity_type": ad.identity_type,
        "identity_id": ad.identity_id,
        "tiktok_item_id": ad.video.video_id,
        "daily_budget": str(ad.daily_budget),
        "seed": ad.seed,
        "operation_status": state.operation_status,
        "secondary_status": state.secondary_status,
        "lifetime_spend": str(ads.lifetime_spend(ad)),
        "today_spend": str(ads.spend_on(ad, ads.today(ad.advertiser))),
        "fatigued": ad.fatigued_at is not None,
    }


@control("GET", "POST")
def helper_ads(request, body) -> dict | list:
    """Ads Manager: make a Spark ad from a post (it waits for review), or list the ads."""
    if request.method == "GET":
        return [_ad_answer(ad) for ad in Ad.objects.select_related("advertiser", "video").order_by("pk")]
    advertiser = _get(Advertiser, "no such advertiser", advertiser_id=str(body.get("advertiser_id", "")))
    budget = body.get("daily_budget")
    ad = ads.create(
        advertiser,
        _video(body.get("video_id", "")),
        identity_type=body.get("identity_type", "AUTH_CODE"),
        bc_id=str(body.get("bc_id", "")),
        ad_name=body.get("ad_name", ""),
        daily_budget=Decimal(str(budget)) if budget is not None else None,
        seed=body.get("seed"),
        schedule_end_time=clock.parse(body["schedule_end_time"]) if body.get("schedule_end_time") else None,
    )
    return _ad_answer(ad)


@control("POST")
def helper_ad_decide(request, body, ad_id: str, decision: str) -> dict:
    """TikTok's review (approve / reject), the advertiser pausing the ad, or its creative
    fatiguing (fatigue)."""
    return _ad_answer(ads.decide(_get(Ad, f"no ad {ad_id}", ad_id=ad_id), decision))


def _qr_link(body: dict) -> BCQrLink:
    if body.get("link"):
        token = body["link"].rstrip("/").rsplit("/", 1)[-1]
        return _get(BCQrLink, "unknown QR link", token=token)
    link = BCQrLink.objects.filter(bc__bc_id=body.get("bc_id", "")).first()
    if link is None:
        raise Problem("no QR link for that bc_id; call bc/asset/account/authorization/ first", 404)
    return link


@control("POST")
def helper_bc_qr_approve(request, body) -> dict:
    asset = actions.approve_qr(
        _qr_link(body),
        _user(body.get("handle", "")),
        bool(body.get("existing_posts", True)),
        bool(body.get("publish", False)),
    )
    return {"bc_id": asset.bc.bc_id, "asset_id": asset.asset_id, "can_pull": asset.can_pull, "can_push": asset.can_push}


@control("POST")
def helper_cancel_authorization(request, body) -> dict:
    user = _user(body.get("handle", ""))
    asset = _get(
        BCAsset, "no such authorization", bc__bc_id=body.get("bc_id", ""), tiktok_user=user, asset_type="TT_ACCOUNT"
    )
    actions.cancel_bc_authorization(asset)
    return {"relation_status": asset.relation_status}


@control("POST")
def helper_ads_manager_link(request, body) -> dict:
    advertiser = _get(Advertiser, "unknown advertiser", advertiser_id=str(body.get("advertiser_id", "")))
    link = actions.request_ads_manager_link(advertiser, _user(body.get("handle", "")))
    return {"link_request_id": link.link_request_id, "status": link.status}


@control("POST")
def helper_ads_manager_decide(request, body, link_id: str, decision: str) -> dict:
    link = _get(AdsManagerLink, "unknown link request", link_request_id=link_id)
    actions.decide_ads_manager_link(link, decision == "approve")
    return {"link_request_id": link.link_request_id, "status": link.status}


@control("POST")
def helper_link_confirm(request, body) -> dict:
    from tiktok_sandbox.api.tto import confirm_link
    from tiktok_sandbox.envelopes import BusinessError

    link = _get(
        VideoLink, "unknown link request", link_request_id=str(body.get("link_request_id", "")), status="IN_REVIEW"
    )
    try:
        confirm_link(link, body.get("action", ""))
    except BusinessError as exc:
        raise Problem(exc.message) from exc
    return {"status": link.status}


@control("POST")
def helper_sponsored_video(request, body) -> dict:
    campaign = _get(Campaign, "unknown campaign", campaign_id=str(body.get("campaign_id", "")))
    video = actions.post_sponsored_video(_user(body.get("handle", "")), campaign, body.get("title", ""))
    return {"video_id": video.video_id, "review_until": video.review_until.isoformat()}


@control("POST")
def helper_creators(request, body) -> dict:
    prefix, count = str(body.get("prefix", "")), body.get("count")
    if not (2 <= len(prefix) <= 16 and prefix.replace(".", "").replace("_", "").isalnum()):
        raise Problem("prefix: 2-16 letters, digits, periods or underscores")
    if not isinstance(count, int) or not 0 < count <= 200_000:
        raise Problem("count: an integer from 1 to 200000")
    return {"created": seed.invited_creators(prefix, count)}


# --- API incidents (API_SERVICE_STATUS) -------------------------------------------------------

INCIDENT_LEVELS = {"LOW_DISRUPTION", "MAJOR_DISRUPTION"}


def _incident_json(incident: Incident, sent: int | None = None) -> dict:
    found = model_to_dict(incident, exclude=["id"])
    found["started_at"] = incident.started_at.isoformat()
    found["resolved_at"] = incident.resolved_at.isoformat() if incident.resolved_at else None
    return found if sent is None else {**found, "sent": sent}


@control("GET", "POST")
def incidents(request, body) -> dict | list:
    """TikTok starts an incident: CREATE goes to the API_SERVICE_STATUS subscribers."""
    if request.method == "GET":
        return [_incident_json(i) for i in Incident.objects.order_by("pk")]
    products = body.get("products", ["TIKTOK_ONE_API"])
    if not isinstance(products, list) or not products or any(p not in API_PRODUCTS for p in products):
        raise Problem('products: a non-empty list of API products, e.g. ["TIKTOK_ONE_API"]')
    level = body.get("level", "MAJOR_DISRUPTION")
    if level not in INCIDENT_LEVELS:
        raise Problem(f"level: one of {sorted(INCIDENT_LEVELS)}")
    incident, sent = start_incident(str(body.get("title") or ""), str(body.get("detail") or ""), level, products)
    return _incident_json(incident, sent)


def start_incident(title: str, detail: str, level: str, products: list[str]) -> tuple[Incident, int]:
    """Open an incident and send CREATE to the subscribers (the API and the control page)."""
    incident = Incident.objects.create(
        incident_id=ids.numeric_id("76"),
        title=(title or "Elevated error rates on TikTok One API")[:200],
        detail=detail,
        level=level,
        products=products,
        started_at=clock.now(),
    )
    return incident, events.incident_event(incident, "CREATE")


def resolve_incident(incident: Incident) -> int:
    """Resolve it and send RESOLVE, with the resolution time, to the subscribers."""
    incident.resolved_at = clock.now()
    incident.save(update_fields=["resolved_at"])
    return events.incident_event(incident, "RESOLVE")


@control("POST")
def incident_resolve(request, body, incident_id: str) -> dict:
    """TikTok resolves the incident: RESOLVE (with the resolution time) goes to subscribers."""
    incident = _get(Incident, f"no incident {incident_id}", incident_id=incident_id)
    if incident.resolved_at is not None:
        raise Problem(f"incident {incident_id} is already resolved", 409)
    sent = resolve_incident(incident)
    return _incident_json(incident, sent)


@control("POST")
def helper_post_music(request, body) -> dict:
    """Set a post's music: ``{"video_id", "song_id": false}`` for a sound with no song id, a
    track (``title``, ``author``, ``licensed_in``, ``licensed_until``), or ``{"video_id"}``
    alone for its library track again (tiktok_sandbox/music.py)."""
    video = _video(body.pop("video_id", ""))
    try:
        music.set_music(video, body)
    except (TypeError, ValueError) as exc:
        raise Problem(str(exc)) from exc
    found = music.track(video)
    return {"video_id": video.video_id, "song_id": found is not None, "title": found.title if found else ""}
