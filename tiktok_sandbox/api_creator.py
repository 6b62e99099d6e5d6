"""TikTok One / Creator Marketplace endpoints: creator OAuth via the Business app (tt_user),
Marketplace invites and status, discovery, campaigns and video links."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings

from tiktok_sandbox import clock, ids, oauth, world
from tiktok_sandbox.api import Call, endpoint, token_for
from tiktok_sandbox.api_brand import tto_account_for
from tiktok_sandbox.api_tto_assets import campaign_fields
from tiktok_sandbox.envelopes import BusinessError
from tiktok_sandbox.models import Campaign, CampaignJoin, MarketplaceInvite, TikTokUser, Video, VideoLink

from .media import media_url

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
    rows = []
    for handle in handles:
        user = TikTokUser.objects.filter(handle=handle).first()
        rows.append({"handle_name": handle, "status": world.marketplace_status(user) if user else "INVALID"})
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
        "country_codes": campaign.country_codes,
        # Left out when unset, as TikTok's omitempty fields are.
        **{
            name: value
            for name, value in (
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
