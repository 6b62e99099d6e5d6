"""Request-wide rules for calls to TikTok."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from .tiktok.transport import request_deadline


def tiktok_deadline(get_response: Callable[[HttpRequest], HttpResponse]) -> Callable[[HttpRequest], HttpResponse]:
    """Every TikTok call made while answering a request gets one attempt and ends within
    TIKTOK_REQUEST_DEADLINE_SECONDS, well inside the server's worker timeout: a hanging
    TikTok then costs a person a clear message, never a frozen site."""

    def middleware(request: HttpRequest) -> HttpResponse:
        with request_deadline(settings.TIKTOK_REQUEST_DEADLINE_SECONDS):
            return get_response(request)

    return middleware
