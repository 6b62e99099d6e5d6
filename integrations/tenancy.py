"""The one scoping helper for brand-side pages.

A foreign brand, or an object of a brand the user is not in, is a 404: a 403 would tell an
outsider that the object exists.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Model, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from .models import Brand


def get_brand_for_user(user: User | AnonymousUser, slug: str, *, manage: bool = False) -> Brand:
    """The brand with this slug if the user is a member; with manage=True, owner or admin.

    A member without the role gets a 404 too, so the pages they cannot act on are as
    invisible as another brand's.
    """
    brand = get_object_or_404(Brand.objects.for_user(user), slug=slug)
    if manage and not brand.can_manage(user):
        raise Http404("No brand matches the given query.")
    return brand


def get_for_brand_or_404[M: Model](queryset: QuerySet[M], brand: Brand, **lookup: Any) -> M:
    """An object of `brand` (already scoped to the user) or a 404."""
    return get_object_or_404(queryset.filter(brand=brand), **lookup)
