from __future__ import annotations

from django.contrib import admin

from .models import AdsManagerLink, AuditEvent, SparkAdReference, SparkAuthorization


@admin.register(SparkAuthorization)
class SparkAuthorizationAdmin(admin.ModelAdmin):
    list_display = ["video_id", "brand", "status", "source", "ad_account", "auth_end", "next_poll_at"]
    list_filter = ["status", "source"]
    # The code is encrypted at rest and never shown, not even to staff.
    exclude = ["auth_code", "code_hash"]
    readonly_fields = ["apply_claimed_at"]


@admin.register(AdsManagerLink)
class AdsManagerLinkAdmin(admin.ModelAdmin):
    list_display = ["username", "ad_account", "brand", "status", "requested_at", "next_poll_at"]
    list_filter = ["status"]


@admin.register(SparkAdReference)
class SparkAdReferenceAdmin(admin.ModelAdmin):
    list_display = ["tiktok_account", "ad_account", "mode", "item_id", "status", "created_at"]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "brand", "kind", "actor", "summary"]
    list_filter = ["kind"]
