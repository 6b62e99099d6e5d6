from __future__ import annotations

from django.contrib import admin

from . import models


@admin.register(models.CreatorProfile)
class CreatorProfileAdmin(admin.ModelAdmin):
    list_display = ["__str__", "user", "created_at"]
    raw_id_fields = ["user"]


@admin.register(models.Collaboration)
class CollaborationAdmin(admin.ModelAdmin):
    list_display = ["__str__", "status", "joined_at"]
    list_filter = ["status"]
    raw_id_fields = ["campaign", "tiktok_account"]


@admin.register(models.CampaignPost)
class CampaignPostAdmin(admin.ModelAdmin):
    list_display = ["__str__", "campaign", "tiktok_account", "link_status", "publish_status"]
    list_filter = ["link_status", "publish_status"]
    raw_id_fields = ["campaign", "collaboration", "tiktok_account"]
