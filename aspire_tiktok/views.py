"""Project-wide pages that belong to no single app."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from integrations.models import Brand


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
