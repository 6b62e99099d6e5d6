"""Navigation that depends on who is signed in: brand marketer, creator, staff."""

from __future__ import annotations

from .models import Brand


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    # Brand memberships are few per user; one query, cached for the request.
    brands = list(Brand.objects.for_user(user).only("name", "slug"))
    return {
        "nav_brands": brands,
        "nav_is_creator": hasattr(user, "creator_profile"),
        "nav_is_staff": user.is_staff,
    }
