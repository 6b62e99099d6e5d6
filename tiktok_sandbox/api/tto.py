"""The endpoints `integrations.tiktok.tto` calls: TikTok One accounts, creator OAuth through
the Business app (tt_user), Marketplace invites and status, discovery, campaigns and their
assets (brand profiles, anchors), video links and the campaign report."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings

from tiktok_sandbox import clock, ids, oauth, world
from tiktok_sandbox.api import Call, endpoint, token_for
from tiktok_sandbox.envelopes import BusinessError
from tiktok_sandbox.media import media_url
from tiktok_sandbox.models import (
    Anchor,
    BrandProfile,
    Campaign,
    CampaignJoin,
    MarketplaceInvite,
    TikTokUser,
    TTOAccount,
    Video,
    VideoLink,
)

# --- TikTok One account ----------------------------------------------------------------------


def tto_account_for(call: Call, field: str = "tto_tcm_account_id") -> TTOAccount:
    account_id = call.str(field)
    account = TTOAccount.objects.filter(tto_tcm_account_id=account_id, owner=call.user).first()
    if account is None:
        raise BusinessError(40001, f"tto_tcm_account_id {account_id} doesn't exist or you have no permission.")
    return account


@endpoint("tto/oauth2/tcm/", "GET")
def tto_accounts(call: Call) -> dict:
    call.check_app()
    accounts = TTOAccount.objects.filter(owner=call.user).order_by("tto_tcm_account_id")
    return {"tto_tcm_account_ids": [a.tto_tcm_account_id for a in accounts]}


@endpoint("tto/oauth2/info/", "GET")
def tto_info(call: Call) -> dict:
    account = tto_account_for(call)
    return {
        "account_name": account.account_name,
        "timezone": account.timezone,
        "country": account.country,
        "business_verification_status": account.business_verification_status,
    }


# --- campaign assets: brand profiles (tto/tcm/brand/profile/*) and anchors (tto/tcm/anchor/*) ---

ANCHOR_TYPES = ("WEB_ANCHOR",)
ANCHOR_SUB_TYPES = ("DESTINATION", "ECOMMERCE", "ENTERTAINMENT")
# TikTok reviews an anchor after it is created; the sandbox's review runs on its clock
# (docs/sandbox.md, "Anchors"): DRAFT, then IN_REVIEW, then a decision.
ANCHOR_DRAFT_FOR = timedelta(seconds=30)
ANCHOR_REVIEW_FOR = timedelta(minutes=5)


# --- brand profiles -------------------------------------------------------------------------


def _present(payload: dict) -> dict:
    """The fields that have a value: the Go models' optional texts are omitempty, so TikTok
    leaves an unset one out rather than send ""."""
    return {name: value for name, value in payload.items() if value not in ("", None, {})}


def _profile_payload(profile: BrandProfile) -> dict:
    return _present(
        {
            "brand_profile_id": profile.brand_profile_id,
            "brand_name": profile.brand_name,
            "brand_industry_id": profile.brand_industry_id,
            "brand_website": profile.brand_website,
            "logo_url": profile.logo_url,
            "tiktok_account_url": profile.tiktok_account_url,
        }
    )


def _url(call: Call, name: str, prefix: str) -> str:
    value = call.str(name, required=False)
    if value and not value.startswith(prefix):
        raise BusinessError(40002, f"{name}: Must start with {prefix}")
    return value


@endpoint("tto/tcm/brand/profile/create/", "POST")
def brand_profile_create(call: Call) -> dict:
    account = tto_account_for(call)
    name = call.str("brand_name")
    if len(name) > 60:
        raise BusinessError(40002, "brand_name: Longer than maximum length 60.")
    profile = BrandProfile.objects.create(
        brand_profile_id=ids.numeric_id("75"),
        tto_account=account,
        brand_name=name,
        brand_industry_id=call.str("brand_industry_id", required=False),
        brand_website=_url(call, "brand_website", "https://"),
        logo_url=call.str("logo_url", required=False),
        tiktok_account_url=_url(call, "tiktok_account_url", "https://www.tiktok.com/@"),
    )
    return _profile_payload(profile)


@endpoint("tto/tcm/brand/profile/get/", "GET")
def brand_profile_get(call: Call) -> dict:
    account = tto_account_for(call)
    profiles = account.brand_profiles.order_by("id")
    wanted = call.list("brand_profile_ids")
    if len(wanted) > 20:
        raise BusinessError(40002, "brand_profile_ids: Longer than maximum length 20.")
    if wanted:
        profiles = profiles.filter(brand_profile_id__in=wanted)
    page, info = call.page(list(profiles), 10, 100)
    return {"brands": [_profile_payload(p) for p in page], "page_info": info}


# --- anchors --------------------------------------------------------------------------------


def anchor_status(anchor: Anchor) -> str:
    age = clock.now() - anchor.created_at
    if age < ANCHOR_DRAFT_FOR:
        return "DRAFT"
    if age < ANCHOR_DRAFT_FOR + ANCHOR_REVIEW_FOR:
        return "IN_REVIEW"
    # The sandbox's reviewer refuses a landing page that is not https.
    landing = str(anchor.call_to_action.get("landing_page_url") or "")
    return "APPROVED" if landing.startswith("https://") else "REJECTED_BY_AUDIT"


def _anchor_payload(anchor: Anchor) -> dict:
    return _present(
        {
            "anchor_id": anchor.anchor_id,
            "status": anchor_status(anchor),
            "anchor_type": anchor.anchor_type,
            "anchor_sub_type": anchor.anchor_sub_type,
            "country_code": anchor.country_code,
            "call_to_action": anchor.call_to_action,
            "anchor_title": anchor.anchor_title,
            "anchor_name": anchor.anchor_name,
            "thumbnail_url": anchor.thumbnail_url,
        }
    )


def _choice(call: Call, name: str, choices: tuple[str, ...]) -> str:
    value = call.str(name)
    if value not in choices:
        raise BusinessError(40002, f"{name}: Must be one of {', '.join(choices)}.")
    return value


@endpoint("tto/tcm/anchor/create/", "POST")
def anchor_create(call: Call) -> dict:
    account = tto_account_for(call)
    action = call.dict("call_to_action")
    if not action.get("landing_page_url"):
        raise BusinessError(40002, "call_to_action.landing_page_url: Missing data for required field.")
    anchor = Anchor.objects.create(
        anchor_id=ids.numeric_id("76"),
        tto_account=account,
        anchor_type=_choice(call, "anchor_type", ANCHOR_TYPES),
        anchor_sub_type=_choice(call, "anchor_sub_type", ANCHOR_SUB_TYPES),
        anchor_name=call.str("anchor_name")[:100],
        anchor_title=call.str("anchor_title")[:100],
        country_code=call.str("country_code", required=False).upper()[:2],
        call_to_action={k: str(v) for k, v in action.items() if v},
        thumbnail_url=call.str("thumbnail_url", required=False),
        created_at=clock.now(),
    )
    return _anchor_payload(anchor)


@endpoint("tto/tcm/anchor/get/", "GET")
def anchor_get(call: Call) -> dict:
    account = tto_account_for(call)
    anchors = account.anchors.order_by("-created_at", "anchor_id")
    wanted = call.list("anchor_ids")
    if wanted:
        anchors = anchors.filter(anchor_id__in=wanted)
    page, info = call.page(list(anchors), 10, 100)
    return {"anchors": [_anchor_payload(a) for a in page], "page_info": info}


@endpoint("tto/tcm/anchor/delete/", "POST")
def anchor_delete(call: Call) -> dict:
    account = tto_account_for(call)
    deleted, _ = account.anchors.filter(anchor_id=call.str("anchor_id")).delete()
    if not deleted:
        raise BusinessError(40007, "anchor_id doesn't exist.")
    return {}


# --- what a campaign takes from them ---------------------------------------------------------


def campaign_fields(call: Call, account) -> dict:
    """The create request's business_account_handle, brand_profile_id and anchor_id, checked:
    a profile or anchor must be the account's own, an anchor must not have been refused. The
    request has no countries and no dm_info [BB model/tto/campaign/campaign.go CreateRequest];
    the handle comes back as the campaign's dm_info (docs/sandbox.md)."""
    handle = call.params.get("business_account_handle")
    if handle is not None and not isinstance(handle, str):
        raise BusinessError(40002, "business_account_handle: Not a valid string.")
    profile_id = call.str("brand_profile_id", required=False)
    if profile_id and not account.brand_profiles.filter(brand_profile_id=profile_id).exists():
        raise BusinessError(40007, "brand_profile_id doesn't exist.")
    anchor_id = call.str("anchor_id", required=False)
    if anchor_id:
        anchor = account.anchors.filter(anchor_id=anchor_id).first()
        if anchor is None:
            raise BusinessError(40007, "anchor_id doesn't exist.")
        if anchor_status(anchor) == "REJECTED_BY_AUDIT":
            raise BusinessError(40002, "anchor_id: The anchor was rejected in review.")
    return {
        "dm_info": {"business_account_handle": handle} if handle else None,
        "brand_profile_id": profile_id,
        "anchor_id": anchor_id,
    }


# --- creator OAuth through the Business app ----------------------------------------------


def _tt_user_payload(token) -> dict:
    return {
        "access_token": token.access_token,
        "token_type": "Bearer",
        "scope": token.scope,
        "expires_in": oauth.seconds_left(token.access_expires_at),
        "refresh_token": token.refresh_token,
        "refresh_token_expires_in": oauth.seconds_left(token.refresh_expires_at),
        "open_id": token.tiktok_user.open_id,
    }


def _check_client(call: Call) -> str:
    return call.check_app("client_id", "client_secret")


@endpoint("tt_user/oauth2/token/", "POST", auth="app")
def tt_user_token(call: Call) -> dict:
    app_id = _check_client(call)
    if call.str("grant_type") != "authorization_code":
        raise BusinessError(40002, "grant_type: Must be authorization_code.")
    try:
        code = oauth.consume_code(call.str("auth_code"), "tt_user", app_id, call.str("redirect_uri"))
    except oauth.OAuthFailure as exc:
        raise BusinessError(40110, f"auth_code is invalid: {exc.description}") from exc
    token = oauth.issue_token("tt_user", app_id, code.scope, tiktok_user=code.tiktok_user)
    return _tt_user_payload(token)


@endpoint("tt_user/oauth2/refresh_token/", "POST", auth="app")
def tt_user_refresh(call: Call) -> dict:
    app_id = _check_client(call)
    if call.str("grant_type") != "refresh_token":
        raise BusinessError(40002, "grant_type: Must be refresh_token.")
    try:
        token = oauth.rotate(call.str("refresh_token"), "tt_user", app_id)
    except oauth.OAuthFailure as exc:
        raise BusinessError(exc.code or 40107, f"refresh_token is invalid: {exc.description}") from exc
    return _tt_user_payload(token)


@endpoint("tt_user/oauth2/revoke/", "POST", auth="app")
def tt_user_revoke(call: Call) -> dict:
    _check_client(call)
    token = token_for(call.str("access_token"), "tt_user")
    oauth.revoke_grant(token)
    return {}


@endpoint("tt_user/token_info/get/", "POST", auth="app")
def tt_user_token_info(call: Call) -> dict:
    if call.str("app_id") not in settings.SANDBOX_APPS:
        raise BusinessError(40001, "Invalid app_id.")
    token = token_for(call.str("access_token"), "tt_user")
    return {"scope": token.scope, "creator_id": token.tiktok_user.creator_id}


def creator_for(call: Call) -> TikTokUser:
    creator_id = call.str("creator_id")
    if call.token.tiktok_user.creator_id != creator_id:
        raise BusinessError(40001, f"creator_id {creator_id} does not match the access token.")
    return call.token.tiktok_user


@endpoint("tto/creator/authorized/", "GET", auth="tt_user")
def creator_authorized(call: Call) -> dict:
    """The authorized creator's own profile [BB model/tto/creator AuthorizedGetRequest]."""
    return creator_payload(creator_for(call))


@endpoint("tto/creator/authorized/video/list/", "GET", auth="tt_user")
def creator_authorized_videos(call: Call) -> dict:
    """The creator's published posts; a post still in review is not listed yet."""
    creator = creator_for(call)
    if "video.list" not in call.token.scope.split(","):
        raise BusinessError(40130, "The scope video.list is not authorized.")
    videos = creator.videos.order_by("-create_time")
    wanted = call.list("video_ids")
    if wanted:
        videos = videos.filter(video_id__in=wanted)
    now = clock.now()
    posts = []
    for video in videos:
        if world.video_status(video, now) != "PUBLISHED":
            continue
        m = world.metrics(video)
        posts.append(
            {
                "video_id": video.video_id,
                "display_name": creator.display_name,
                "caption": video.description,
                "thumbnail_url": media_url(f"cover/{video.video_id}.jpeg"),
                "embed_url": f"https://www.tiktok.com/player/v1/{video.video_id}",
                "video_views": m["views_organic"] + m["views_paid"],
                "create_time": video.create_time.strftime("%Y-%m-%d %H:%M:%S"),
            }
        )
    return {"posts": posts, "has_more": False, "cursor": 0}


# --- Marketplace onboarding ----------------------------------------------------------------


def request_invite(user: TikTokUser, account) -> MarketplaceInvite:
    now = clock.now()
    # A creator who is not age verified never receives the invite.
    deliver = now + timedelta(minutes=user.invite_delay_minutes) if user.age_verified else None
    return MarketplaceInvite.objects.create(creator=user, tto_account=account, requested_at=now, deliver_at=deliver)


@endpoint("tcm/creator/invite/", "POST")
def creator_invite(call: Call) -> dict:
    # A legacy endpoint TikTok no longer lists: only apps that held its permission keep it
    # (SANDBOX_LEGACY_INVITE_APPS, docs/sandbox.md); the app is the one the token was issued to.
    if call.token is None or call.token.client_key not in settings.SANDBOX_LEGACY_INVITE_APPS:
        raise BusinessError(41001, "The interface is offline.")
    account = tto_account_for(call, "tcm_account_id")
    handles = call.list("handle_names", required=True)
    if len(handles) > 20:
        raise BusinessError(40002, "handle_names: Longer than maximum length 20.")
    # TikTok's Go model: in_tcm lists handles; invited and rejected are one bool per requested
    # handle; reject_reasons is untyped (here: handle -> reason). See docs/sandbox.md.
    in_tcm, invited, rejected, reasons = [], [], [], {}
    for handle in handles:
        user = TikTokUser.objects.filter(handle=handle).first()
        reason = "The handle name does not exist." if user is None else world.invite_rejection(user)
        is_in = not reason and world.marketplace_status(user) == "IN"
        if reason:
            reasons[handle] = reason
        elif is_in:
            in_tcm.append(handle)
        else:
            request_invite(user, account)
        invited.append(not reason and not is_in)
        rejected.append(bool(reason))
    return {"in_tcm": in_tcm, "invited": invited, "rejected": rejected, "reject_reasons": reasons}


@endpoint("tto/tcm/creator/status/get/", "GET")
def creator_status(call: Call) -> dict:
    tto_account_for(call)
    handles = call.list("handle_names", required=True)
    # Only what the status depends on (world.marketplace_statuses): a creator's row is wide.
    found = TikTokUser.objects.filter(handle__in=handles).only("handle", "marketplace_status", "joined_in_app_at")
    users = {user.handle: user for user in found}
    statuses = world.marketplace_statuses(users.values())
    rows = [
        {"handle_name": handle, "status": statuses[users[handle].pk] if handle in users else "INVALID"}
        for handle in handles
    ]
    return {"onboarding_status": rows}


# --- discovery ------------------------------------------------------------------------------


def creator_payload(user: TikTokUser) -> dict:
    audience = user.audience or {}
    return {
        "creator_id": user.creator_id,
        "handle_name": user.handle,
        "display_name": user.display_name,
        "profile_image": media_url(f"{user.handle}.jpeg"),
        "bio": user.bio,
        "followers_count": user.follower_count,
        "following_count": user.following_count,
        "likes_count": user.likes_count,
        "videos_count": user.videos.count(),
        "median_views": user.median_views,
        "engagement_rate": user.engagement_rate,
        "creator_price": user.creator_price,
        "currency": "USD",
        "country_code": user.country,
        "audience_countries": audience.get("countries", []),
        "audience_genders": audience.get("genders", []),
        "audience_ages": audience.get("ages", []),
        "audience_devices": audience.get("devices", []),
    }


def _float(call: Call, name: str) -> float | None:
    raw = call.params.get(name)
    if raw in (None, ""):
        return None
    try:
        return float(raw)
    except ValueError as exc:
        raise BusinessError(40002, f"{name}: Not a valid number.") from exc


SORT_FIELDS = {"FOLLOWERS": "follower_count", "MEDIAN_VIEWS": "median_views", "ENGAGEMENT_RATE": "engagement_rate"}


@endpoint("tto/tcm/creator/discover/", "GET")
def creator_discover(call: Call) -> dict:
    tto_account_for(call)
    users = TikTokUser.objects.exclude(account_type="BUSINESS")
    countries = call.list("country_codes")
    if countries:
        users = users.filter(country__in=countries)
    for param, lookup in (
        ("min_followers", "follower_count__gte"),
        ("max_followers", "follower_count__lte"),
        ("min_median_views", "median_views__gte"),
        ("max_median_views", "median_views__lte"),
        ("min_engagement_rate", "engagement_rate__gte"),
        ("max_engagement_rate", "engagement_rate__lte"),
        ("min_creator_price", "creator_price__gte"),
        ("max_creator_price", "creator_price__lte"),
    ):
        value = _float(call, param)
        if value is not None:
            users = users.filter(**{lookup: value})
    keyword = call.params.get("keyword_search")
    if keyword:
        users = users.filter(handle__icontains=keyword) | users.filter(display_name__icontains=keyword)
    field = SORT_FIELDS.get(call.params.get("sort_field", ""), "follower_count")
    order = "" if call.params.get("sort_order") == "ASC" else "-"
    rows = [u for u in users.order_by(f"{order}{field}", "creator_id") if world.marketplace_status(u) == "IN"]
    page, info = call.page(rows, 20, 100)
    return {"creators": [creator_payload(u) for u in page], "page_info": info}


@endpoint("tto/tcm/creator/public/", "GET")
def creator_public(call: Call) -> dict:
    tto_account_for(call)
    handle = call.str("handle_name")
    user = TikTokUser.objects.filter(handle=handle).first()
    if user is None:
        raise BusinessError(40001, f"handle_name {handle} does not exist.")
    return creator_payload(user)  # TikTok answers the creator as `data` itself


# --- campaigns ------------------------------------------------------------------------------


def invite_link(call: Call, campaign: Campaign) -> str:
    return call.request.build_absolute_uri(f"/sandbox/tto/invite/{campaign.invite_slug}")


def campaign_payload(call: Call, campaign: Campaign) -> dict:
    return {
        "campaign_id": campaign.campaign_id,
        "campaign_type": campaign.campaign_type,
        "brand_name": campaign.brand_name,
        "campaign_name": campaign.campaign_name,
        "campaign_description": campaign.campaign_description,
        "handle_names": campaign.handle_names,
        "video_ids": [link.video.video_id for link in campaign.links.filter(status="APPROVE").select_related("video")],
        "advertiser_ids": campaign.advertiser_ids,
        "spark_ads_requested_authorization_days": campaign.spark_days,
        "invite_link": invite_link(call, campaign),
        "create_time": clock.fmt(campaign.create_time),
        "update_time": clock.fmt(campaign.update_time),
        # Left out when unset, as TikTok's omitempty fields are.
        **{
            name: value
            for name, value in (
                ("country_codes", campaign.country_codes),
                ("brand_profile_id", campaign.brand_profile_id),
                ("anchor_id", campaign.anchor_id),
                ("dm_info", campaign.dm_info),
            )
            if value
        },
    }


def _split_handles(handles: list) -> tuple[list, list]:
    known = set(TikTokUser.objects.filter(handle__in=handles).values_list("handle", flat=True))
    return [h for h in handles if h in known], [h for h in handles if h not in known]


def _spark_days(call: Call, name: str, default: int) -> int:
    days = int(call.params.get(name) or default)
    if days not in (7, 30, 60, 365):
        raise BusinessError(40002, f"{name}: Must be one of 7, 30, 60, 365.")
    return days


@endpoint("tto/tcm/campaign/create/", "POST")
def campaign_create(call: Call) -> dict:
    account = tto_account_for(call)
    campaign_type = call.str("campaign_type", required=False, default="CAMPAIGN")
    if campaign_type not in ("CAMPAIGN", "BRAND_LINK"):
        raise BusinessError(40002, "campaign_type: Must be CAMPAIGN or BRAND_LINK.")
    extras = campaign_fields(call, account)
    handles, failed = _split_handles(call.list("handle_names"))
    now = clock.now()
    campaign_id = ids.numeric_id("79")
    campaign = Campaign.objects.create(
        **extras,
        campaign_id=campaign_id,
        tto_account=account,
        campaign_type=campaign_type,
        brand_name=call.str("brand_name"),
        campaign_name=call.str("campaign_name"),
        campaign_description=call.str("campaign_description", required=False),
        advertiser_ids=call.list("advertiser_ids"),
        spark_days=_spark_days(call, "default_spark_ads_requested_authorization_days", 30),
        handle_names=handles,
        invite_slug=campaign_id,
        create_time=now,
        update_time=now,
    )
    return {
        "campaign_id": campaign.campaign_id,
        "invite_link": invite_link(call, campaign),
        "failed_handle_names": failed,
    }


def campaign_for(call: Call, account) -> Campaign:
    campaign = Campaign.objects.filter(campaign_id=call.str("campaign_id"), tto_account=account).first()
    if campaign is None:
        raise BusinessError(40001, "campaign_id doesn't exist.")
    return campaign


@endpoint("tto/tcm/campaign/update/", "POST")
def campaign_update(call: Call) -> dict:
    campaign = campaign_for(call, tto_account_for(call))
    handles, failed = _split_handles(call.list("handle_names"))
    campaign.handle_names = sorted(set(campaign.handle_names) | set(handles))
    if call.params.get("advertiser_ids"):
        campaign.advertiser_ids = call.list("advertiser_ids")
    campaign.update_time = clock.now()
    campaign.save()
    return {
        "campaign_id": campaign.campaign_id,
        "invite_link": invite_link(call, campaign),
        "failed_handle_names": failed,
    }


def _campaign_get(call: Call) -> dict:
    account = tto_account_for(call)
    campaigns = account.campaigns.order_by("-create_time", "campaign_id")
    wanted = call.list("campaign_ids")
    if wanted:
        campaigns = campaigns.filter(campaign_id__in=wanted)
    if call.params.get("campaign_type"):
        campaigns = campaigns.filter(campaign_type=call.params["campaign_type"])
    page, info = call.page(list(campaigns), 10, 50)
    return {"campaigns": [campaign_payload(call, c) for c in page], "page_info": info}


endpoint("tto/tcm/campaign/", "GET")(_campaign_get)
endpoint("tto/tcm/campaign/get/", "GET")(_campaign_get)


def campaign_by_link(link: str) -> Campaign:
    slug = link.rstrip("/").rsplit("/", 1)[-1]
    campaign = Campaign.objects.filter(invite_slug=slug).first()
    if campaign is None:
        raise BusinessError(40001, "tto_invite_link is invalid.")
    return campaign


@endpoint("tto/creator/campaign/join/", "POST", auth="tt_user")
def campaign_join(call: Call) -> dict:
    creator = creator_for(call)
    campaign = campaign_by_link(call.str("tto_invite_link"))
    if world.marketplace_status(creator) != "IN":
        raise BusinessError(40121, "The creator is not a TCM creator.")
    CampaignJoin.objects.get_or_create(campaign=campaign, creator=creator, defaults={"joined_at": clock.now()})
    return {}


def video_of(creator: TikTokUser, video_id: str) -> Video:
    video = creator.videos.filter(video_id=video_id).first()
    if video is None:
        raise BusinessError(40001, f"video_id {video_id} doesn't exist.")
    return video


@endpoint("tto/creator/campaign/video/link/", "POST", auth="tt_user")
def campaign_video_link(call: Call) -> dict:
    creator = creator_for(call)
    campaign = campaign_by_link(call.str("tto_invite_link"))
    if not campaign.joins.filter(creator=creator).exists():
        raise BusinessError(40001, "The creator has not joined this campaign.")
    video = video_of(creator, call.str("video_id"))
    # The creator links their own post: no confirmation needed.
    VideoLink.objects.update_or_create(
        campaign=campaign,
        video=video,
        defaults={"status": "APPROVE", "link_request_id": ids.numeric_id("791"), "created_at": clock.now()},
    )
    return {}


def link_payload(link: VideoLink) -> dict:
    return {
        "video_id": link.video.video_id,
        "status": link.status,
        "campaign_id": link.campaign.campaign_id,
        "last_reminded_timestamp": int(link.last_reminded_at.timestamp()) if link.last_reminded_at else 0,
        "number_of_requests": link.number_of_requests,
        "campaign_type": link.campaign.campaign_type,
        "link_request_id": link.link_request_id,
    }


@endpoint("tto/tcm/campaign/link/", "POST")
def campaign_link(call: Call) -> dict:
    campaign = campaign_for(call, tto_account_for(call))
    action = call.str("action")
    video = Video.objects.filter(video_id=call.str("video_id")).select_related("owner").first()
    if video is None:
        raise BusinessError(40001, "video_id doesn't exist.")
    link = VideoLink.objects.filter(campaign=campaign, video=video).first()
    if action == "LINK":
        return link_payload(_request_link(campaign, video, link))
    if action == "REVOKE":
        if link is None:
            raise BusinessError(40001, "The video is not linked to this campaign.")
        link.status = "REVOKE"
        link.save(update_fields=["status"])
        return link_payload(link)
    raise BusinessError(40002, "action: Must be LINK or REVOKE.")


def _request_link(campaign: Campaign, video: Video, link: VideoLink | None) -> VideoLink:
    now = clock.now()
    if link is None:
        return VideoLink.objects.create(
            campaign=campaign, video=video, status="IN_REVIEW", link_request_id=ids.numeric_id("791"), created_at=now
        )
    if link.status in ("REJECTED", "REVOKE"):
        link.status = "IN_REVIEW"
        link.link_request_id = ids.numeric_id("791")
    link.number_of_requests += 1
    link.last_reminded_at = now
    link.save()
    return link


@endpoint("tto/tcm/campaign/link/status/", "GET")
def campaign_link_status(call: Call) -> dict:
    account = tto_account_for(call)
    links = VideoLink.objects.filter(campaign__tto_account=account).select_related("video__owner", "campaign")
    campaign_ids = call.list("campaign_ids")
    if campaign_ids:
        links = links.filter(campaign__campaign_id__in=campaign_ids)
    handles = call.list("handle_names")
    if handles:
        links = links.filter(video__owner__handle__in=handles)
    page, info = call.page(list(links.order_by("pk")), 10, 50)
    return {"video_infos": [link_payload(link) for link in page], "page_info": info}


@endpoint("tto/creator/link/request/get/", "GET", auth="tt_user")
def link_request_get(call: Call) -> dict:
    creator = creator_for(call)
    campaign = campaign_by_link(call.str("tto_invite_link"))
    links = campaign.links.filter(video__owner=creator, status="IN_REVIEW").select_related("video")
    return {
        "campaign_id": campaign.campaign_id,
        "spark_authorization_days": campaign.spark_days,
        "link_requests": [{"video_id": link.video.video_id, "link_request_id": link.link_request_id} for link in links],
    }


def confirm_link(link: VideoLink, action: str) -> None:
    if action not in ("APPROVE", "REJECT"):
        raise BusinessError(40002, "action: Must be APPROVE or REJECT.")
    link.status = "APPROVE" if action == "APPROVE" else "REJECTED"
    link.save(update_fields=["status"])


@endpoint("tto/creator/link/request/confirm/", "POST", auth="tt_user")
def link_request_confirm(call: Call) -> dict:
    creator = creator_for(call)
    link = VideoLink.objects.filter(
        link_request_id=call.str("link_request_id"), video__owner=creator, status="IN_REVIEW"
    ).first()
    if link is None:
        raise BusinessError(40001, "link_request_id doesn't exist or was already answered.")
    confirm_link(link, call.str("action"))
    return {}


# --- tto/tcm/report/: per-video insights of a campaign, organic vs paid, with daily stats ---

INTERESTS = ["Beauty & Personal Care", "Food & Beverage", "Apparel & Accessories", "Travel", "Games"]


def _rate(part: int, whole: int) -> float | str:
    # TikTok reports "-" where a ratio has no data.
    return round(part / whole, 4) if whole else "-"


def _engagement(m: dict, suffix: str) -> int:
    return m[f"likes{suffix}"] + m[f"comments{suffix}"] + m[f"shares{suffix}"]


def totals(m: dict) -> dict:
    views = m["views_organic"] + m["views_paid"]
    out = {"video_views": views, "video_views_organic": m["views_organic"], "video_views_paid": m["views_paid"]}
    for name in ("likes", "comments", "shares", "favorites"):
        out[name] = m[f"{name}_organic"] + m[f"{name}_paid"]
        out[f"{name}_organic"] = m[f"{name}_organic"]
        out[f"{name}_paid"] = m[f"{name}_paid"]
    # Reach is unique viewers: fewer than views.
    out["reach_organic"] = int(m["views_organic"] * 0.78)
    out["reach_paid"] = int(m["views_paid"] * 0.85)
    out["reach"] = out["reach_organic"] + out["reach_paid"]
    count = _engagement(m, "_organic") + _engagement(m, "_paid")
    out["engagement_count"] = count
    out["engagement_rate"] = _rate(count, views)
    out["engagement_rate_organic"] = _rate(_engagement(m, "_organic"), m["views_organic"])
    out["engagement_rate_paid"] = _rate(_engagement(m, "_paid"), m["views_paid"])
    return out


def _ads(m: dict, boosted: bool) -> dict:
    if not boosted:
        keys = (
            "ad_impressions",
            "ad_clicks",
            "ad_ctr",
            "ad_cost",
            "ad_cpm",
            "ad_cpc",
            "ad_conversions",
            "ad_cvr",
            "ad_cpa",
            "ad_roas",
        )
        return dict.fromkeys(keys, "-")
    imp, clicks, cost, conv = m["ad_impressions"], m["ad_clicks"], m["ad_cost"], m["ad_conversions"]
    return {
        "ad_impressions": imp,
        "ad_clicks": clicks,
        "ad_ctr": _rate(clicks, imp),
        "ad_cost": cost,
        "ad_cpm": round(cost / imp * 1000, 2) if imp else "-",
        "ad_cpc": round(cost / clicks, 2) if clicks else "-",
        "ad_conversions": conv,
        "ad_cvr": _rate(conv, clicks),
        "ad_cpa": round(cost / conv, 2) if conv else "-",
        "ad_roas": round(conv * 35 / cost, 2) if cost else "-",
    }


def _audience(video: Video) -> dict:
    audience = video.owner.audience or {}
    return {
        "audience_genders_distribution": audience.get("genders", []),
        "audience_age_distribution": audience.get("ages", []),
        "audience_countries_distribution": audience.get("countries", []),
        "audience_device_distribution": audience.get("devices", []),
        "audience_locale_distribution": [
            {"locale": "California", "percentage": 0.21},
            {"locale": "Texas", "percentage": 0.12},
        ],
        "audience_language_distribution": [{"language": video.owner.language, "percentage": 0.9}],
        "audience_interest_distribution": [
            {"interest_tag": tag, "percentage": round(0.3 - i * 0.05, 2)} for i, tag in enumerate(INTERESTS)
        ],
    }


def _watch(video: Video, views: int) -> dict:
    completion = round(0.25 + (int(video.video_id[-2:]) % 30) / 100, 4)
    average = round(video.duration * (completion + 0.2), 2)
    return {
        "video_completion_rate": completion,
        "average_view_time": average,
        "total_play_time": int(average * views),
        "two_seconds_views": 0.82,
        "six_seconds_views": 0.55,
        "video_view_retention": [round(1 - i * 0.08, 2) for i in range(10)],
        "video_views_by_source": {
            "for_you": int(views * 0.7),
            "hashtag": int(views * 0.05),
            "sound": int(views * 0.03),
            "personal_profile": int(views * 0.1),
            "search": int(views * 0.06),
            "following": int(views * 0.04),
            "other": views
            - int(views * 0.7)
            - int(views * 0.05)
            - int(views * 0.03)
            - int(views * 0.1)
            - int(views * 0.06)
            - int(views * 0.04),
        },
        "engagement_rate_benchmark_p25": 0.031,
        "engagement_rate_benchmark_p50": 0.054,
    }


def _day_end(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=UTC)


def daily_stats(video: Video, start: date, end: date) -> list[dict]:
    """Each day's increase of the cumulative metrics; days before the post or in the future are left out."""
    now = clock.now()
    rows = []
    day = start
    while day <= end:
        upper = min(_day_end(day), now)
        lower = _day_end(day - timedelta(days=1))
        if upper > video.create_time and lower < now:
            hi, lo = totals(world.metrics(video, upper)), totals(world.metrics(video, max(lower, video.create_time)))
            delta = {k: hi[k] - lo[k] for k in hi if isinstance(hi[k], int) and isinstance(lo[k], int)}
            row = {
                "date": day.isoformat(),
                "views": delta["video_views"],
                "video_views_organic": delta["video_views_organic"],
                "video_views_paid": delta["video_views_paid"],
                "reach": delta["reach"],
                **{
                    k: delta[k]
                    for k in (
                        "likes",
                        "likes_organic",
                        "likes_paid",
                        "comments",
                        "comments_organic",
                        "comments_paid",
                        "shares",
                        "shares_organic",
                        "shares_paid",
                        "favorites",
                        "favorites_organic",
                        "favorites_paid",
                    )
                },
                "engagement_rate": _rate(delta["engagement_count"], delta["video_views"]),
                "engagement_rate_organic": _rate(
                    sum(delta[f"{k}_organic"] for k in ("likes", "comments", "shares")),
                    delta["video_views_organic"],
                ),
                "engagement_rate_paid": _rate(
                    sum(delta[f"{k}_paid"] for k in ("likes", "comments", "shares")), delta["video_views_paid"]
                ),
                "video_completion_rate": _watch(video, 0)["video_completion_rate"],
            }
            # A day's ratio with no data is left out, not "-": TikTok does not fill missing
            # daily metrics (Go SDK model/tcm/report/metrics.go DailyStat).
            rows.append({name: value for name, value in row.items() if value != "-"})
        day += timedelta(days=1)
    return rows


def anchor_metrics(views: int) -> dict:
    # A share of the post's viewers see the anchor and a few of them tap it.
    seen, unique_seen = int(views * 0.3), int(views * 0.24)
    return {
        "anchor_views": seen,
        "anchor_clicks": int(seen * 0.04),
        "anchor_unique_views": unique_seen,
        "anchor_unique_clicks": int(unique_seen * 0.04),
    }


def video_report(video: Video, code: str, dates: tuple[date, date] | None, anchor_id: str = "") -> dict:
    m = world.metrics(video)
    row = totals(m)
    row.update(_ads(m, video.boosted_at is not None))
    row.update(_audience(video))
    row.update(_watch(video, row["video_views"]))
    share = f"https://www.tiktok.com/@{video.owner.handle}/video/{video.video_id}"
    row.update(
        {
            "video_id": video.video_id,
            "video_boosted_date": clock.fmt(video.boosted_at) if video.boosted_at else "1970-01-01",
            "video_info": {
                "video_id": video.video_id,
                "embed_url": share,
                "thumbnail_url": media_url(f"cover/{video.video_id}.jpeg"),
                "create_time": clock.fmt(video.create_time),
                "authorization_code": code,
            },
            "creator_info": {"handle_name": video.owner.handle, "display_name": video.owner.display_name},
        }
    )
    if anchor_id:
        row.update({"anchor_id": anchor_id, "anchor_metrics": anchor_metrics(row["video_views"])})
    if dates:
        row["daily_stats"] = daily_stats(video, *dates)
    return row


def _dates(call: Call) -> tuple[date, date] | None:
    start, end = call.params.get("start_date"), call.params.get("end_date")
    if not start and not end:
        return None
    try:
        first, last = date.fromisoformat(call.str("start_date")), date.fromisoformat(call.str("end_date"))
    except ValueError as exc:
        raise BusinessError(40002, "start_date/end_date: Must be YYYY-MM-DD.") from exc
    if last < first or (last - first).days > 60:
        raise BusinessError(40002, "The date range must be 0 to 60 days.")
    return first, last


@endpoint("tto/tcm/report/", "GET")
def report(call: Call) -> dict:
    account = tto_account_for(call)
    campaign = campaign_for(call, account)
    dates = _dates(call)
    now = clock.now()
    links = campaign.links.filter(status="APPROVE").select_related("video__owner").order_by("pk")
    videos = [link.video for link in links if world.video_status(link.video, now) == "PUBLISHED"]
    page, info = call.page(videos, 10, 50)
    rows = []
    for video in page:
        code = video.auth_codes.order_by("-start_time").first()
        rows.append(video_report(video, code.code if code else "", dates, campaign.anchor_id))
    return {
        "tto_tcm_account_id": account.tto_tcm_account_id,
        "campaign_id": campaign.campaign_id,
        "country_code": call.request.headers.get("Country-Code", ""),
        "campaign_type": campaign.campaign_type,
        "page_info": info,
        "videos": rows,
    }
