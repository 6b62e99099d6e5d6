"""Request-wide rules for calls to TikTok."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .errors import message_for
from .tiktok import TikTokError
from .tiktok.transport import request_deadline

logger = logging.getLogger("integrations.tiktok")


class TikTokDeadlineMiddleware:
    """Every TikTok call made while answering a request gets one attempt and ends within
    TIKTOK_REQUEST_DEADLINE_SECONDS, well inside the server's worker timeout: a hanging
    TikTok then costs a person a clear message, never a frozen site. A TikTok error that no
    view turned into a message becomes a page saying what happened and what to do, not a 500."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with request_deadline(settings.TIKTOK_REQUEST_DEADLINE_SECONDS):
            return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, TikTokError):
            return None
        logger.warning("tiktok error reached %s %s: %s", request.method, request.path, exception)
        response = render(request, "tiktok_error.html", {"message": message_for(exception)}, status=503)
        if exception.is_transient:
            response["Retry-After"] = "60"
        return response
