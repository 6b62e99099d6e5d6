"""Login Kit v2 on open.tiktokapis.com: /v2/oauth/token/, /v2/oauth/revoke/, /v2/user/info/,
/v2/video/list/, /v2/video/query/."""

from __future__ import annotations

import json

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from tiktok_sandbox import clock, oauth, world
from tiktok_sandbox.envelopes import login_kit_error, login_kit_ok, oauth_error
from tiktok_sandbox.models import OAuthToken, Video

from .media import media_url

FIELD_SCOPES = {
    "user.info.basic": {"open_id", "union_id", "avatar_url", "avatar_url_100", "avatar_large_url", "display_name"},
    "user.info.profile": {"bio_description", "profile_deep_link", "is_verified", "username"},
    "user.info.stats": {"follower_count", "following_count", "likes_count", "video_count"},
}
VIDEO_FIELDS = {
    "id",
    "create_time",
    "cover_image_url",
    "share_url",
    "video_description",
    "duration",
    "height",
    "width",
    "title",
    "embed_html",
    "embed_link",
    "like_count",
    "comment_count",
    "share_count",
    "view_count",
}


def _client_ok(request: HttpRequest) -> bool:
    return (
        request.POST.get("client_key") == settings.SANDBOX_CLIENT_KEY
        and request.POST.get("client_secret") == settings.SANDBOX_CLIENT_SECRET
    )


@csrf_exempt
@require_POST
def token(request: HttpRequest) -> JsonResponse:
    if not _client_ok(request):
        return oauth_error("invalid_client", "Client key or secret is invalid.")
    grant = request.POST.get("grant_type", "")
    try:
        if grant == "authorization_code":
            code = oauth.consume_code(
                request.POST.get("code", ""),
                "login_kit",
                settings.SANDBOX_CLIENT_KEY,
                request.POST.get("redirect_uri", ""),
            )
            issued = oauth.issue_token("login_kit", code.client_key, code.scope, tiktok_user=code.tiktok_user)
        elif grant == "refresh_token":
            issued = oauth.rotate(request.POST.get("refresh_token", ""), "login_kit", settings.SANDBOX_CLIENT_KEY)
        else:
            return oauth_error("unsupported_grant_type", f"grant_type {grant!r} is not supported.")
    except oauth.OAuthFailure as exc:
        return oauth_error(exc.error, exc.description)
    return JsonResponse(oauth.token_payload(issued))


@csrf_exempt
@require_POST
def revoke(request: HttpRequest) -> JsonResponse:
    if not _client_ok(request):
        return oauth_error("invalid_client", "Client key or secret is invalid.")
    found = OAuthToken.objects.filter(kind="login_kit", access_token=request.POST.get("token", "")).first()
    if found is None:
        return oauth_error("invalid_request", "Token is invalid.")
    oauth.revoke_grant(found)
    return JsonResponse({})


def _bearer(request: HttpRequest) -> OAuthToken | None:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    found = OAuthToken.objects.select_related("tiktok_user").filter(kind="login_kit", access_token=header[7:]).first()
    if found is None or found.revoked_at or found.access_expires_at <= clock.now():
        return None
    return found


def _fields(request: HttpRequest, allowed: set[str]) -> list[str] | None:
    fields = [f.strip() for f in request.GET.get("fields", "").split(",") if f.strip()]
    if not fields or set(fields) - allowed:
        return None
    return fields


def user_payload(user) -> dict:
    return {
        "open_id": user.open_id,
        "union_id": user.union_id,
        "avatar_url": media_url(f"{user.handle}.jpeg"),
        "avatar_url_100": media_url(f"{user.handle}-100.jpeg"),
        "avatar_large_url": media_url(f"{user.handle}-720.jpeg"),
        "display_name": user.display_name,
        "bio_description": user.bio,
        "profile_deep_link": f"https://www.tiktok.com/@{user.handle}",
        "is_verified": user.is_verified,
        "username": user.handle,
        "follower_count": user.follower_count,
        "following_count": user.following_count,
        "likes_count": user.likes_count,
        "video_count": user.videos.count(),
    }


@require_GET
def user_info(request: HttpRequest) -> JsonResponse:
    grant = _bearer(request)
    if grant is None:
        return login_kit_error("access_token_invalid", "The access token is invalid or not found in the request.")
    fields = _fields(request, set().union(*FIELD_SCOPES.values()))
    if fields is None:
        return login_kit_error("invalid_params", "fields is missing or contains an unknown field.")
    granted = set(grant.scope.split(","))
    allowed = set().union(*(FIELD_SCOPES[s] for s in granted if s in FIELD_SCOPES))
    if set(fields) - allowed:
        return login_kit_error("scope_not_authorized", "The user did not authorize the scope required for a field.")
    payload = user_payload(grant.tiktok_user)
    return login_kit_ok({"user": {f: payload[f] for f in fields}})


def video_payload(video: Video) -> dict:
    m = world.metrics(video)
    views = m["views_organic"] + m["views_paid"]
    share = f"https://www.tiktok.com/@{video.owner.handle}/video/{video.video_id}"
    return {
        "id": video.video_id,
        "create_time": int(video.create_time.timestamp()),
        "cover_image_url": media_url(f"cover/{video.video_id}.jpeg"),
        "share_url": share,
        "video_description": video.description,
        "duration": video.duration,
        "height": 1920,
        "width": 1080,
        "title": video.title,
        "embed_html": f'<blockquote class="tiktok-embed" cite="{share}" data-video-id="{video.video_id}"></blockquote>',
        "embed_link": f"https://www.tiktok.com/player/v1/{video.video_id}",
        "like_count": m["likes_organic"] + m["likes_paid"],
        "comment_count": m["comments_organic"] + m["comments_paid"],
        "share_count": m["shares_organic"] + m["shares_paid"],
        "view_count": views,
    }


def _video_request(
    request: HttpRequest,
) -> tuple[OAuthToken | None, list[str] | None, dict | None, JsonResponse | None]:
    grant = _bearer(request)
    if grant is None:
        return None, None, None, login_kit_error("access_token_invalid", "The access token is invalid.")
    if "video.list" not in grant.scope.split(","):
        return None, None, None, login_kit_error("scope_not_authorized", "video.list was not authorized.")
    fields = _fields(request, VIDEO_FIELDS)
    if fields is None:
        return None, None, None, login_kit_error("invalid_params", "fields is missing or contains an unknown field.")
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return None, None, None, login_kit_error("invalid_params", "The body must be a JSON object.")
    return grant, fields, body, None


def _published(user) -> list[Video]:
    now = clock.now()
    videos = [v for v in user.videos.order_by("-create_time") if world.video_status(v, now) == "PUBLISHED"]
    return [v for v in videos if v.create_time <= now]


@csrf_exempt
@require_POST
def video_list(request: HttpRequest) -> JsonResponse:
    grant, fields, body, error = _video_request(request)
    if error:
        return error
    try:
        max_count = int(body.get("max_count", 10))
        cursor = int(body.get("cursor") or 0)
    except (TypeError, ValueError):
        return login_kit_error("invalid_params", "max_count and cursor must be integers.")
    if not 1 <= max_count <= 20:
        return login_kit_error("invalid_params", "max_count must be between 1 and 20.")
    videos = _published(grant.tiktok_user)
    if cursor:
        # The cursor is a UTC ms timestamp: return posts older than it.
        videos = [v for v in videos if int(v.create_time.timestamp() * 1000) < cursor]
    page = videos[:max_count]
    next_cursor = int(page[-1].create_time.timestamp() * 1000) if page else cursor
    items = [{f: video_payload(v)[f] for f in fields} for v in page]
    return login_kit_ok({"videos": items, "cursor": next_cursor, "has_more": len(videos) > max_count})


@csrf_exempt
@require_POST
def video_query(request: HttpRequest) -> JsonResponse:
    grant, fields, body, error = _video_request(request)
    if error:
        return error
    wanted = (body.get("filters") or {}).get("video_ids") or []
    if not isinstance(wanted, list) or not wanted or len(wanted) > 20:
        return login_kit_error("invalid_params", "filters.video_ids must hold 1 to 20 ids.")
    mine = {v.video_id: v for v in _published(grant.tiktok_user)}
    items = [{f: video_payload(mine[str(i)])[f] for f in fields} for i in wanted if str(i) in mine]
    return login_kit_ok({"videos": items, "cursor": 0, "has_more": False})
