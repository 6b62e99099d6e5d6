"""Django admin for the shared model. Token values are never displayed or editable."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial

from django.conf import settings
from django.contrib import admin, messages
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.defaultfilters import pluralize
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html

from . import models
from .connect import accounts
from .connect.capability import record_capability
from .connect.views import connect_platform_account
from .tasks import recheck_connection


class BrandMembershipInline(admin.TabularInline):
    model = models.BrandMembership
    extra = 0
    autocomplete_fields = ["user"]


def _enqueue_rechecks(credential_ids: Iterable[int | None]) -> int:
    """Staff's "re-check now": one re-check task per connection, enqueued on commit."""
    ids = sorted({pk for pk in credential_ids if pk})
    for pk in ids:
        transaction.on_commit(partial(recheck_connection.delay, pk))
    return len(ids)


@admin.register(models.Brand)
class BrandAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "spark_capability_case", "spark_capability_changed_at", "created_at"]
    search_fields = ["name", "slug"]
    readonly_fields = ["spark_capability_case", "spark_capability_changed_at"]
    inlines = [BrandMembershipInline]
    actions = ["recheck_now"]

    @admin.action(description="Re-check TikTok now (verification, ad accounts, access)")
    def recheck_now(self, request: HttpRequest, queryset: QuerySet[models.Brand]) -> None:
        ids = models.Credential.objects.filter(
            brand__in=queryset, kind=models.Credential.Kind.BUSINESS, status=models.Credential.Status.OK
        ).values_list("pk", flat=True)
        n = _enqueue_rechecks(ids)
        self.message_user(request, f"Queued {n} re-check{pluralize(n)} of TikTok connections.", messages.SUCCESS)


@admin.register(models.BrandMembership)
class BrandMembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "brand", "role"]
    list_filter = ["role"]
    list_select_related = ["user", "brand"]
    search_fields = ["user__email", "brand__name"]
    autocomplete_fields = ["user", "brand"]


@admin.register(models.BrandInvitation)
class BrandInvitationAdmin(admin.ModelAdmin):
    """Invitations are read here (the token is never stored); staff add people to a brand
    directly on the brand's page, or cancel an invitation."""

    list_display = ["email", "brand", "role", "invited_by", "sent_at", "expires_at", "accepted_at", "cancelled_at"]
    list_filter = ["role"]
    list_select_related = ["brand", "invited_by"]
    search_fields = ["email", "brand__name"]
    readonly_fields = [
        "email",
        "brand",
        "role",
        "invited_by",
        "sent_at",
        "expires_at",
        "accepted_at",
        "accepted_by",
        "cancelled_at",
    ]
    exclude = ["token_hash"]
    actions = ["cancel"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Cancel (the link stops working)")
    def cancel(self, request: HttpRequest, queryset: QuerySet[models.BrandInvitation]) -> None:
        n = queryset.filter(accepted_at__isnull=True, cancelled_at__isnull=True).update(cancelled_at=timezone.now())
        self.message_user(request, f"{n} invitation{pluralize(n)} cancelled.", messages.SUCCESS)


@admin.register(models.Credential)
class CredentialAdmin(admin.ModelAdmin):
    """Token health only: kind, scopes, expiry, refresh and error history."""

    list_display = [
        "id",
        "kind",
        "brand",
        "user",
        "status",
        "needs_reconnect",
        "scopes_short",
        "access_expires_at",
        "refresh_expires_at",
        "last_refreshed_at",
        "last_used_at",
        "last_error_short",
        "last_error_at",
    ]
    list_filter = ["kind", "status"]
    list_select_related = ["brand", "user"]
    search_fields = ["brand__name", "open_id", "user__email"]
    actions = ["recheck_now"]

    @admin.display(boolean=True, description="Needs reconnect")
    def needs_reconnect(self, obj: models.Credential) -> bool:
        return obj.status != models.Credential.Status.OK

    @admin.display(description="Scopes")
    def scopes_short(self, obj: models.Credential) -> str:
        return (obj.scopes[:60] + "…") if len(obj.scopes) > 60 else obj.scopes

    @admin.display(description="Last error")
    def last_error_short(self, obj: models.Credential) -> str:
        return (obj.last_error[:80] + "…") if len(obj.last_error) > 80 else obj.last_error

    @admin.action(description="Re-check now (brand connections)")
    def recheck_now(self, request: HttpRequest, queryset: QuerySet[models.Credential]) -> None:
        n = _enqueue_rechecks(queryset.filter(kind=models.Credential.Kind.BUSINESS).values_list("pk", flat=True))
        self.message_user(request, f"Queued {n} re-check{pluralize(n)}.", messages.SUCCESS)

    # access_token and refresh_token are deliberately absent from every admin form and list.
    fields = [
        "kind",
        "brand",
        "user",
        "open_id",
        "scopes",
        "advertiser_ids",
        "status",
        "access_expires_at",
        "refresh_expires_at",
        "last_refreshed_at",
        "last_used_at",
        "refresh_due_at",
        "last_error",
        "last_error_at",
    ]
    readonly_fields = [
        "kind",
        "brand",
        "user",
        "open_id",
        "scopes",
        "advertiser_ids",
        "access_expires_at",
        "refresh_expires_at",
        "last_refreshed_at",
        "last_used_at",
        "last_error",
        "last_error_at",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(models.TikTokOneAccount)
class TikTokOneAccountAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "tto_tcm_account_id",
        "brand",
        "is_internal",
        "business_verification_status",
        "status",
        "standing_label",
        "credential_health",
        "last_checked_at",
        "next_poll_at",
        "removed_at",
    ]
    list_filter = ["is_internal", "status", "business_verification_status", ("removed_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "tto_tcm_account_id", "brand__name"]
    list_select_related = ["brand", "credential"]
    raw_id_fields = ["credential"]
    readonly_fields = ["removed_at", "poll_failures", "last_checked_at"]
    actions = ["make_internal", "remove_from_brand", "restore", "recheck_now"]
    change_list_template = "admin/integrations/tiktokoneaccount/change_list.html"

    @admin.display(description="Brand sees")
    def standing_label(self, obj: models.TikTokOneAccount) -> str:
        return obj.standing.label

    @admin.display(description="Credential")
    def credential_health(self, obj: models.TikTokOneAccount) -> str:
        if obj.credential is None:
            return "—"
        url = reverse("admin:integrations_credential_change", args=[obj.credential_id])
        return format_html('<a href="{}">#{} {}</a>', url, obj.credential_id, obj.credential.get_status_display())

    def get_urls(self) -> list[URLPattern]:
        extra = [
            path(
                "connect-internal/",
                self.admin_site.admin_view(connect_platform_account),
                name="integrations_tiktokoneaccount_connect_internal",
            )
        ]
        return extra + super().get_urls()

    @admin.action(description="Make it the platform's internal TikTok One account (used by brands without one)")
    def make_internal(self, request: HttpRequest, queryset: QuerySet[models.TikTokOneAccount]) -> None:
        if queryset.count() != 1:
            self.message_user(request, "Choose exactly one account.", messages.ERROR)
            return
        account = queryset.get()
        if account.brand_id is not None or account.removed_at is not None:
            self.message_user(
                request,
                "Only an account connected for the platform (no brand) can be the internal one. "
                "Use “Connect the platform's TikTok One account” first.",
                messages.ERROR,
            )
            return
        with transaction.atomic():
            models.TikTokOneAccount.objects.filter(is_internal=True).exclude(pk=account.pk).update(is_internal=False)
            models.TikTokOneAccount.objects.filter(pk=account.pk).update(is_internal=True)
        self.message_user(request, f"“{account}” is now the platform's internal TikTok One account.", messages.SUCCESS)

    @admin.action(description="Remove from its brand (the brand falls back per the capability table)")
    def remove_from_brand(self, request: HttpRequest, queryset: QuerySet[models.TikTokOneAccount]) -> None:
        removed = 0
        for account in queryset.filter(removed_at__isnull=True).select_related("brand"):
            accounts.remove_tiktok_one_account(account)
            if account.brand is not None:
                record_capability(
                    account.brand,
                    cause=f"Our support team removed the TikTok One account “{account}” from {account.brand}; "
                    f"its history is kept. If you did not ask for this, write to {settings.SUPPORT_EMAIL}.",
                )
            removed += 1
        self.message_user(
            request,
            f"Removed {removed} TikTok One account{pluralize(removed)}; history is kept.",
            messages.SUCCESS,
        )

    @admin.action(description="Restore removed accounts")
    def restore(self, request: HttpRequest, queryset: QuerySet[models.TikTokOneAccount]) -> None:
        brands = set()
        for account in queryset.filter(removed_at__isnull=False).select_related("brand"):
            models.TikTokOneAccount.objects.filter(pk=account.pk).update(removed_at=None)
            if account.brand is not None:
                brands.add(account.brand)
        for brand in brands:
            record_capability(brand)
        n = _enqueue_rechecks(queryset.values_list("credential_id", flat=True))
        self.message_user(
            request, f"Restored; queued {n} re-check{pluralize(n)} to refresh their status.", messages.SUCCESS
        )

    @admin.action(description="Re-check now")
    def recheck_now(self, request: HttpRequest, queryset: QuerySet[models.TikTokOneAccount]) -> None:
        n = _enqueue_rechecks(queryset.values_list("credential_id", flat=True))
        self.message_user(request, f"Queued {n} re-check{pluralize(n)}.", messages.SUCCESS)


@admin.register(models.BrandNotice)
class BrandNoticeAdmin(admin.ModelAdmin):
    list_display = ["__str__", "brand", "level", "created_at", "dismissed_at"]
    list_filter = ["level"]
    list_select_related = ["brand"]


@admin.register(models.AdAccount)
class AdAccountAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "advertiser_id",
        "brand",
        "tto_has_access",
        "spark_ads_enabled",
        "is_active_for_spark",
        "status",
        "removed_at",
    ]
    list_filter = ["tto_has_access", "is_active_for_spark", ("removed_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "advertiser_id", "brand__name"]
    list_select_related = ["brand"]
    raw_id_fields = ["credential", "tiktok_one_account", "owner_bc"]


class BusinessCenterMemberInline(admin.TabularInline):
    model = models.BusinessCenterMember
    extra = 0
    autocomplete_fields = ["user"]


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
    autocomplete_fields = ["user"]


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
    autocomplete_fields = ["owner"]
    raw_id_fields = ["credential"]


@admin.register(models.Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["name", "brand", "campaign_id", "status", "next_poll_at", "last_polled_at"]
    list_filter = ["status"]
    search_fields = ["name", "campaign_id"]
    list_select_related = ["brand"]
    raw_id_fields = ["tiktok_one_account"]


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
