"""Django admin for the shared model. Token values are never displayed or editable."""

from __future__ import annotations

from django.contrib import admin

from . import models


class BrandMembershipInline(admin.TabularInline):
    model = models.BrandMembership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(models.Brand)
class BrandAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "created_at"]
    search_fields = ["name", "slug"]
    inlines = [BrandMembershipInline]


@admin.register(models.BrandMembership)
class BrandMembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "brand", "role"]
    list_filter = ["role"]
    list_select_related = ["user", "brand"]


@admin.register(models.Credential)
class CredentialAdmin(admin.ModelAdmin):
    """Token health only: kind, scopes, expiry, refresh and error history."""

    list_display = ["id", "kind", "brand", "status", "access_expires_at", "last_refreshed_at", "last_error_at"]
    list_filter = ["kind", "status"]
    list_select_related = ["brand"]
    # access_token and refresh_token are deliberately absent from every admin form and list.
    fields = [
        "kind", "brand", "user", "open_id", "scopes", "advertiser_ids", "status", "access_expires_at",
        "refresh_expires_at", "last_refreshed_at", "last_used_at", "next_refresh_at", "last_error", "last_error_at",
    ]
    readonly_fields = [
        "kind", "brand", "user", "open_id", "scopes", "advertiser_ids", "access_expires_at", "refresh_expires_at",
        "last_refreshed_at", "last_used_at", "last_error", "last_error_at",
    ]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(models.TikTokOneAccount)
class TikTokOneAccountAdmin(admin.ModelAdmin):
    list_display = ["__str__", "tto_tcm_account_id", "brand", "is_internal", "business_verification_status", "status"]
    list_filter = ["is_internal", "status", "business_verification_status"]
    search_fields = ["name", "tto_tcm_account_id", "brand__name"]
    list_select_related = ["brand"]
    raw_id_fields = ["credential"]


@admin.register(models.AdAccount)
class AdAccountAdmin(admin.ModelAdmin):
    list_display = ["__str__", "advertiser_id", "brand", "tto_has_access", "is_active_for_spark", "status"]
    list_filter = ["tto_has_access", "is_active_for_spark"]
    search_fields = ["name", "advertiser_id", "brand__name"]
    list_select_related = ["brand"]
    raw_id_fields = ["credential", "tiktok_one_account", "owner_bc"]


class BusinessCenterMemberInline(admin.TabularInline):
    model = models.BusinessCenterMember
    extra = 0
    raw_id_fields = ["user"]


@admin.register(models.BusinessCenter)
class BusinessCenterAdmin(admin.ModelAdmin):
    list_display = ["__str__", "bc_id", "brand", "status", "verification_status", "user_role"]
    search_fields = ["name", "bc_id"]
    list_select_related = ["brand"]
    raw_id_fields = ["credential"]
    inlines = [BusinessCenterMemberInline]


@admin.register(models.BusinessCenterMember)
class BusinessCenterMemberAdmin(admin.ModelAdmin):
    list_display = ["__str__", "business_center", "role", "user"]
    list_filter = ["role"]
    raw_id_fields = ["user"]


@admin.register(models.BusinessCenterGrant)
class BusinessCenterGrantAdmin(admin.ModelAdmin):
    list_display = ["__str__", "business_center", "asset_type", "status", "granted_at", "cancelled_at"]
    list_filter = ["asset_type", "status"]
    raw_id_fields = ["member", "tiktok_account", "ad_account"]


@admin.register(models.TikTokAccount)
class TikTokAccountAdmin(admin.ModelAdmin):
    list_display = ["__str__", "display_name", "follower_count", "account_type", "owner"]
    list_filter = ["account_type", "is_verified"]
    search_fields = ["handle", "display_name", "open_id"]
    raw_id_fields = ["owner", "credential"]


@admin.register(models.Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["name", "brand", "campaign_id", "status", "next_poll_at", "last_polled_at"]
    list_filter = ["status"]
    search_fields = ["name", "campaign_id"]
    list_select_related = ["brand"]
    raw_id_fields = ["tiktok_one_account"]
