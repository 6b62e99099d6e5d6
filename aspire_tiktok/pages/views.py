"""Project-wide pages that belong to no single app: home, the brand home, the staff pages
(freshness, the dev Outbox) and /metrics."""

from __future__ import annotations

from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils.crypto import constant_time_compare
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST

from integrations.models import Brand, SentMail
from integrations.team import flows as team
from integrations.tenancy import get_brand_for_user

from . import brand_home as brand_home_data
from . import freshness as freshness_data


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Send each person to where their work is: the staff pages, their brand, their creator
    page, or login."""
    if not request.user.is_authenticated:
        return redirect("account_login")
    if request.user.is_staff:
        return render(request, "staff/home.html", {"brands": Brand.objects.for_user(request.user).order_by("name")})
    brand = Brand.objects.for_user(request.user).first()
    if brand is not None:
        return redirect("brand_home", slug=brand.slug)
    if hasattr(request.user, "creator_profile"):
        return redirect("creators:home")
    return render(request, "home.html", {"invitations": team.waiting_for(request.user)})


@login_required
@require_GET
def brand_home(request: HttpRequest, slug: str) -> HttpResponse:
    """The brand's home: its first steps until they are done, then the brand at a glance; what
    needs attention now throughout, each with the page where to act."""
    brand = get_brand_for_user(request.user, slug)
    steps = brand_home_data.first_steps(brand)
    return render(
        request,
        "brand_home.html",
        {
            "brand": brand,
            "steps": steps,
            "figures": [] if steps else brand_home_data.glance(brand),
            "items": brand_home_data.attention(brand),
            "can_manage": brand.can_manage(request.user),
        },
    )


@staff_member_required
@require_GET
def freshness(request: HttpRequest) -> HttpResponse:
    """Staff: how fresh each kind of polled data is and what TikTok's budget carries."""
    return render(request, "staff/freshness.html", {"snap": freshness_data.snapshot()})


@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico whatever the page links: send them to the icon."""
    return redirect(static("favicon.svg"), permanent=True)


# Mails per Outbox page: a few days of a developer's mail.
OUTBOX_PAGE_SIZE = 50


@staff_member_required
@require_GET
def outbox(request: HttpRequest) -> HttpResponse:
    """Staff, in dev and sandbox deployments: the mail the platform sent, newest first."""
    page = Paginator(SentMail.objects.all(), OUTBOX_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "staff/outbox.html", {"page": page})


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """The same figures for Prometheus: a staff session, or `Authorization: Bearer
    METRICS_TOKEN`. Without either the URL does not exist (404); a wrong token is 403."""
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        token = settings.METRICS_TOKEN
        if not token or not constant_time_compare(header.removeprefix("Bearer "), token):
            return HttpResponseForbidden("Invalid metrics token")
    elif not (request.user.is_authenticated and request.user.is_staff):
        raise Http404
    return HttpResponse(freshness_data.prometheus_text(freshness_data.snapshot()), content_type=CONTENT_TYPE_LATEST)
