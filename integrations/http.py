"""What views share: the request django-htmx hands them (and `login_required` lets through), and the receipt of TikTok's signed
API for Business webhooks."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.core.paginator import Page, Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django_htmx.middleware import HtmxDetails

from .models import WebhookDelivery
from .tiktok import webhooks

logger = logging.getLogger(__name__)


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


class AuthenticatedHttpRequest(HttpRequest):
    """The request of a `login_required` view: its user is signed in."""

    user: User


def wants_fragment(request: HtmxHttpRequest) -> bool:
    """An htmx request for part of a page (a poll, a filter). A boosted one (a form with
    hx-boost following its redirect) replaces the whole body, so it gets the whole page:
    navigation and the message saying what happened included."""
    return bool(request.htmx) and not request.htmx.boosted


PER_PAGE = 25


@dataclass(frozen=True)
class Paged:
    """One page of a list that grows with a brand's data, and plain links to its neighbours
    (every other query parameter kept, so filters and another list's page survive)."""

    page: Page
    previous_url: str
    next_url: str


def paged(request: HttpRequest, rows: Any, *, param: str = "page", per_page: int = PER_PAGE) -> Paged:
    """The page of `rows` that `param` in the query asks for; a missing or bad number is page 1,
    one past the end the last page. Two queries: the count and the page."""
    page = Paginator(rows, per_page).get_page(request.GET.get(param))

    def link(number: int) -> str:
        query = request.GET.copy()
        query[param] = str(number)
        return "?" + query.urlencode()

    return Paged(
        page,
        link(page.previous_page_number()) if page.has_previous() else "",
        link(page.next_page_number()) if page.has_next() else "",
    )


def receive_webhook[T](
    request: HttpRequest, endpoint: str, parse: Callable[[bytes], T], handle: Callable[[T], object]
) -> HttpResponse:
    """One delivery of an API for Business webhook (`endpoint` names it in logs and in the
    de-duplication table): the signature is checked on the raw bytes before anything is
    parsed; a delivery seen before is answered without work; `handle` runs once, in the
    transaction that records the delivery, so a failure lets TikTok's retry count as new.
    Answered at once: TikTok retries slow or failed deliveries."""
    raw = request.body
    try:
        webhooks.verify_business_signature(raw, request.headers.get(webhooks.SIGNATURE_HEADER))
    except webhooks.WebhookSignatureError as exc:
        logger.warning("%s webhook rejected: %s", endpoint, exc)
        return HttpResponseBadRequest("bad signature")
    try:
        events = parse(raw)
    except webhooks.WebhookPayloadError as exc:
        logger.warning("%s webhook signed but malformed: %s", endpoint, exc)
        return HttpResponseBadRequest("bad payload")
    with transaction.atomic():
        if WebhookDelivery.first_time(endpoint, raw):
            handle(events)
    return HttpResponse("ok")
