from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from .models import Brand


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Send each person to where their work is: their brand, their creator page, or login."""
    if not request.user.is_authenticated:
        return redirect("account_login")
    brand = Brand.objects.for_user(request.user).first()
    if brand is not None:
        return redirect("integrations:brand_home", slug=brand.slug)
    if hasattr(request.user, "creator_profile"):
        return redirect("creators:home")
    return render(request, "home.html")


@login_required
@require_GET
def brand_home(request: HttpRequest, slug: str) -> HttpResponse:
    from .tenancy import get_brand_for_user

    brand = get_brand_for_user(request.user, slug)
    return render(request, "integrations/brand_home.html", {"brand": brand})


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True})
