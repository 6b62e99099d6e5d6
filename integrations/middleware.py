"""Request-wide rules: what a request may carry, and how long it may wait on TikTok."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
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


NUL_REFUSED = "Text may not contain NUL characters (\\0). Remove them and send the form again."


class RejectNulBytes:
    """A NUL in a query parameter or form field is refused with a 400 that says why.

    PostgreSQL cannot store or compare text holding NUL, so such a value would otherwise
    fail deep inside a query: a 500, or a streamed CSV export cut off mid-way. No form of
    this site has a use for it. Views exempt from CSRF (the webhooks) read their raw body
    to check its signature, so, as Django's CSRF check does, their form data is not read.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., HttpResponse],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        sources = [request.GET] if getattr(view_func, "csrf_exempt", False) else [request.GET, request.POST]
        for data in sources:
            for key, values in data.lists():
                if "\0" in key or any("\0" in value for value in values):
                    return HttpResponseBadRequest(NUL_REFUSED, content_type="text/plain; charset=utf-8")
        return None
