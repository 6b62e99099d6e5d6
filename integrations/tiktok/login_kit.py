"""Login Kit and the Display API v2 (the TikTok for Developers app).

OAuth: https://developers.tiktok.com/doc/oauth-get-a-user-access-token (form bodies,
``client_key`` not ``client_id``); data endpoints take ``Authorization: Bearer`` and a
``fields`` query parameter (https://developers.tiktok.com/doc/tiktok-api-v2-get-user-info).
"""

from __future__ import annotations

from typing import Any, TypedDict
from urllib.parse import urlencode

from django.conf import settings

from .base import TokenGrant
from .transport import Api, Request, Transport

USER_FIELDS_BASIC = ["open_id", "union_id", "avatar_url", "avatar_url_100", "avatar_large_url", "display_name"]
USER_FIELDS_PROFILE = ["bio_description", "profile_deep_link", "is_verified", "username"]
USER_FIELDS_STATS = ["follower_count", "following_count", "likes_count", "video_count"]
VIDEO_FIELDS = [
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
]
VIDEO_QUERY_MAX_IDS = 20
VIDEO_LIST_MAX_COUNT = 20


class User(TypedDict, total=False):
    open_id: str
    union_id: str
    avatar_url: str
    avatar_url_100: str
    avatar_large_url: str
    display_name: str
    bio_description: str
    profile_deep_link: str
    is_verified: bool
    username: str
    follower_count: int
    following_count: int
    likes_count: int
    video_count: int


class Video(TypedDict, total=False):
    id: str
    create_time: int
    cover_image_url: str  # expires after ~6 h; re-query rather than store
    share_url: str
    video_description: str
    duration: int
    height: int
    width: int
    title: str
    embed_html: str
    embed_link: str
    like_count: int
    comment_count: int
    share_count: int
    view_count: int


class VideoPage(TypedDict, total=False):
    videos: list[Video]
    cursor: int  # UTC ms timestamp; pass back to get older videos
    has_more: bool


class LoginKitClient:
    """Login Kit OAuth plus user/video reads; ``access_token`` is needed for the reads only."""

    def __init__(self, access_token: str | None = None, *, transport: Transport | None = None) -> None:
        self.access_token = access_token
        self.transport = transport or Transport()

    def __repr__(self) -> str:
        return f"LoginKitClient(access_token={'***' if self.access_token else None})"

    @staticmethod
    def authorize_url(state: str, redirect_uri: str, scopes: list[str], *, code_challenge: str | None = None) -> str:
        """TikTok's consent page. PKCE is for mobile/desktop apps only, so it is optional."""
        params = {
            "client_key": settings.TIKTOK_CLIENT_KEY,
            "scope": ",".join(scopes),
            "response_type": "code",
            "redirect_uri": redirect_uri,
            "state": state,
        }
        if code_challenge:
            params |= {"code_challenge": code_challenge, "code_challenge_method": "S256"}
        return f"{settings.TIKTOK_AUTH_BASE_URL}/v2/auth/authorize/?{urlencode(params)}"

    def _oauth(self, path: str, form: dict[str, Any], *, idempotent: bool = False) -> Any:
        form = {"client_key": settings.TIKTOK_CLIENT_KEY, "client_secret": settings.TIKTOK_CLIENT_SECRET, **form}
        return self.transport.send(Request(Api.LOGIN_KIT, "POST", path, form=form, idempotent=idempotent))

    def exchange_code(self, code: str, redirect_uri: str, *, code_verifier: str | None = None) -> TokenGrant:
        """``redirect_uri`` must equal the one used to authorize, byte for byte."""
        form = {"code": code, "grant_type": "authorization_code", "redirect_uri": redirect_uri}
        if code_verifier:
            form["code_verifier"] = code_verifier
        return TokenGrant.from_response(self._oauth("v2/oauth/token/", form))

    def refresh(self, refresh_token: str) -> TokenGrant:
        """Rotating refresh token: call only through tokens.refresh_credential (row lock)."""
        form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
        return TokenGrant.from_response(self._oauth("v2/oauth/token/", form))

    def revoke(self, token: str) -> None:
        """Disconnects the app for this user (access and refresh tokens die)."""
        self._oauth("v2/oauth/revoke/", {"token": token}, idempotent=True)

    def _read(self, method: str, path: str, fields: list[str], body: dict[str, Any] | None = None) -> Any:
        req = Request(
            Api.LOGIN_KIT,
            method,
            path,
            access_token=self.access_token,
            params={"fields": ",".join(fields)},
            json=body,
            idempotent=True,
        )
        return self.transport.send(req)

    def user_info(self, fields: list[str] | None = None) -> User:
        """Fields need scopes: basic (user.info.basic), profile, stats (user.info.stats)."""
        data = self._read("GET", "v2/user/info/", fields or USER_FIELDS_BASIC)
        return (data or {}).get("user") or User()

    def video_list(
        self, *, cursor: int | None = None, max_count: int = VIDEO_LIST_MAX_COUNT, fields: list[str] | None = None
    ) -> VideoPage:
        """Newest first; walk with ``iter_cursor(lambda c: client.video_list(cursor=c))``."""
        body: dict[str, Any] = {"max_count": min(max_count, VIDEO_LIST_MAX_COUNT)}
        if cursor is not None:
            body["cursor"] = cursor
        return self._read("POST", "v2/video/list/", fields or VIDEO_FIELDS, body) or VideoPage()

    def video_query(self, video_ids: list[str], *, fields: list[str] | None = None) -> list[Video]:
        """Any number of ids, asked 20 at a time (TikTok's maximum per call)."""
        out: list[Video] = []
        for start in range(0, len(video_ids), VIDEO_QUERY_MAX_IDS):
            chunk = video_ids[start : start + VIDEO_QUERY_MAX_IDS]
            data = self._read("POST", "v2/video/query/", fields or VIDEO_FIELDS, {"filters": {"video_ids": chunk}})
            out.extend((data or {}).get("videos") or [])
        return out
