"""Avatars, covers and previews served by the sandbox itself.

TikTok hands out CDN links; the sandbox cannot (no internet at run time), so it links to
generated SVG placeholders on its own host. The host is taken from the request being
answered, so links work whatever address the sandbox runs on.
"""

from __future__ import annotations

import hashlib
from contextvars import ContextVar

from django.http import HttpRequest, HttpResponse
from django.utils.html import escape

_base_url: ContextVar[str] = ContextVar("sandbox_base_url", default="http://127.0.0.1:8001")


def media_url(path: str) -> str:
    return f"{_base_url.get()}/sandbox/media/{path}"


class BaseUrlMiddleware:
    """Remember this request's scheme and host for `media_url`."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        token = _base_url.set(request.build_absolute_uri("/").rstrip("/"))
        try:
            return self.get_response(request)
        finally:
            _base_url.reset(token)


def placeholder(request: HttpRequest, path: str) -> HttpResponse:
    """A square SVG in a colour derived from the path, with the name's first letter; a post's
    cover (a numeric video id, whose first digit every post shares) shows the id's last digits."""
    name = path.rsplit("/", 1)[-1].split(".")[0]
    hue = int(hashlib.sha1(path.encode()).hexdigest()[:4], 16) % 360
    words = name.lstrip("0123456789-")
    letter = escape(words[:1].upper() if words else f"#{name[-3:]}" if name else "?")
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="160" height="160" viewBox="0 0 160 160">'
        f'<rect width="160" height="160" fill="hsl({hue},60%,55%)"/>'
        f'<text x="80" y="102" font-family="sans-serif" font-size="{72 if len(letter) == 1 else 44}" fill="#fff" '
        'text-anchor="middle">'
        f"{letter}</text></svg>"
    )
    response = HttpResponse(svg, content_type="image/svg+xml")
    response["Cache-Control"] = "public, max-age=86400"
    return response
