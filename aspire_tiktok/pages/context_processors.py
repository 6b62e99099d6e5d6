"""Navigation that depends on who is signed in (brand marketer, creator, staff), and the
banner of TikTok One API incidents on the pages that depend on that API."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse

from integrations.models import Brand
from integrations.service_status import incidents

# The brand workspace's sections, in menu order: (label, url name taking the brand slug).
BRAND_SECTIONS = [
    ("Integrations", "integrations:tiktok_settings"),
    ("Creators", "integrations:creator_search"),
    ("Campaigns", "integrations:campaigns"),
    ("Insights", "integrations:insights"),
    ("Spark Ads", "sparkads:ledger"),
    ("Ads Manager", "sparkads:ads_manager"),
    ("Business Center", "sparkads:business_center"),
    ("Audit", "sparkads:audit"),
]


def _sections(slug: str) -> list[tuple[str, str]]:
    return [(label, reverse(name, args=[slug])) for label, name in BRAND_SECTIONS]


def support(request: HttpRequest) -> dict[str, Any]:
    return {"support_email": settings.SUPPORT_EMAIL}


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    # Brand memberships are few per user; one query per request.
    brands = list(Brand.objects.for_user(user).only("name", "slug"))
    match = getattr(request, "resolver_match", None)
    slug = match.kwargs.get("slug") if match else None
    current = next((b for b in brands if b.slug == slug), brands[0] if brands else None)
    return {
        "nav_brands": brands,
        "nav_brand": current,
        "nav_sections": _sections(current.slug) if current else [],
        "nav_is_creator": hasattr(user, "creator_profile"),
        "nav_is_staff": user.is_staff,
    }


# Brand pages whose data comes from the TikTok One API: sourcing, campaigns, insights, Spark Ads.
TIKTOK_ONE_PAGES = {
    "integrations:creator_search",
    "integrations:creator_profile",
    "integrations:campaigns",
    "integrations:campaign_detail",
    "integrations:insights",
    "integrations:insights_campaign",
    "integrations:insights_post",
    "creators:campaign_creators",
    "sparkads:ledger",
    "sparkads:promote",
}


def tiktok_one_status(request: HttpRequest) -> dict[str, Any]:
    """The open TikTok One API incidents, on the pages they affect (read from the cache)."""
    match = getattr(request, "resolver_match", None)
    if match is None or match.view_name not in TIKTOK_ONE_PAGES:
        return {}
    return {"tiktok_one_incidents": incidents.open_incidents()}
