"""Create the demo users and brand. Safe to run any number of times."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.template.defaultfilters import pluralize

from creators.models import CreatorProfile
from integrations.models import Brand, BrandMembership

DEMO_PASSWORD = "demo-pass"
DEMO_BRAND = "Demo Brand"
# email -> (staff?, brand role or None, creator?)
DEMO_USERS = {
    "brand@demo.test": (False, BrandMembership.Role.OWNER, False),
    "member@demo.test": (False, BrandMembership.Role.MEMBER, False),
    "creator@demo.test": (False, None, True),
    "staff@demo.test": (True, None, False),
}


class Command(BaseCommand):
    help = "Create the demo brand and the demo users (password demo-pass); idempotent."

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> str:
        from allauth.account.models import EmailAddress

        User = get_user_model()
        brand, _ = Brand.objects.get_or_create(slug="demo-brand", defaults={"name": DEMO_BRAND})
        created = 0
        for email, (staff, role, creator) in DEMO_USERS.items():
            user = User.objects.filter(email__iexact=email).first()
            if user is None:
                user = User(username=email, email=email)
                created += 1
            user.is_staff = user.is_superuser = staff
            user.set_password(DEMO_PASSWORD)
            user.save()
            EmailAddress.objects.update_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
            if role:
                BrandMembership.objects.update_or_create(user=user, brand=brand, defaults={"role": role})
            if creator:
                CreatorProfile.objects.get_or_create(user=user, defaults={"display_name": "Demo Creator"})
        return f"Demo data ready: {created} new user{pluralize(created)}, brand {brand.name!r}."
