from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.defaultfilters import pluralize

from . import models


@admin.register(models.CreatorProfile)
class CreatorProfileAdmin(admin.ModelAdmin):
    list_display = ["__str__", "user", "created_at"]
    autocomplete_fields = ["user"]


@admin.register(models.MarketplaceOnboarding)
class MarketplaceOnboardingAdmin(admin.ModelAdmin):
    list_display = ["__str__", "state", "tiktok_status", "state_changed_at", "next_poll_at", "last_error"]
    list_filter = ["state", "tiktok_status"]
    raw_id_fields = ["tiktok_account"]
    actions = ["poll_now"]

    @admin.action(description="Poll TikTok again now")
    def poll_now(self, request: HttpRequest, queryset: QuerySet[models.MarketplaceOnboarding]) -> None:
        # Replays a poll: making the rows due lets the dispatcher pick them up.
        from django.utils import timezone

        n = queryset.filter(state__in=models.MarketplaceOnboarding.POLLED_STATES).update(next_poll_at=timezone.now())
        self.message_user(request, f"{n} onboarding{pluralize(n)} will be polled within a minute.")
