from __future__ import annotations

from django.urls import path

from . import service_status_views, views, views_connect, views_team, views_tto_assets
from .insights import urls as insights_urls

app_name = "integrations"
urlpatterns = [
    # A brand's people (the brand home itself is the project's: aspire_tiktok/urls.py)
    path("new-brand/", views_team.brand_create, name="brand_create"),
    path("brands/<slug:slug>/team/", views_team.team, name="team"),
    path(
        "brands/<slug:slug>/team/invitations/<int:pk>/resend/",
        views_team.resend_invitation,
        name="resend_invitation",
    ),
    path(
        "brands/<slug:slug>/team/invitations/<int:pk>/cancel/",
        views_team.cancel_invitation,
        name="cancel_invitation",
    ),
    # Progress of slow work a person started (integrations.jobs)
    path("jobs/<int:pk>/", views.job, name="job"),
    # Settings > Integrations > TikTok
    path("brands/<slug:slug>/integrations/tiktok/", views.tiktok_settings, name="tiktok_settings"),
    path("brands/<slug:slug>/integrations/tiktok/connect/", views.tiktok_connect, name="tiktok_connect"),
    path(
        "brands/<slug:slug>/integrations/tiktok/ad-accounts/<int:pk>/spark/",
        views.choose_spark_ad_account,
        name="choose_spark_ad_account",
    ),
    path(
        "brands/<slug:slug>/integrations/tiktok/ad-accounts/<int:pk>/remove/",
        views.remove_ad_account,
        name="remove_ad_account",
    ),
    path(
        "brands/<slug:slug>/integrations/tiktok/ad-accounts/<int:pk>/restore/",
        views.restore_ad_account,
        name="restore_ad_account",
    ),
    path("brands/<slug:slug>/integrations/notices/<int:pk>/dismiss/", views.dismiss_notice, name="dismiss_notice"),
    # Static: TikTok requires the exact registered redirect URI, no query string.
    path("integrations/tiktok/callback/", views.tiktok_callback, name="tiktok_callback"),
    path("integrations/tiktok/callback/retry/", views_connect.tiktok_callback_retry, name="tiktok_callback_retry"),
    # Creator sourcing and campaigns
    path("brands/<slug:slug>/creators/", views.creator_search, name="creator_search"),
    path("brands/<slug:slug>/creators/@<str:handle>/", views.creator_profile, name="creator_profile"),
    path("brands/<slug:slug>/campaigns/", views.campaigns, name="campaigns"),
    path("brands/<slug:slug>/campaigns/<int:pk>/", views.campaign_detail, name="campaign_detail"),
    path("brands/<slug:slug>/campaigns/import/", views_tto_assets.import_campaigns, name="import_campaigns"),
    path("brands/<slug:slug>/campaigns/assets/", views_tto_assets.campaign_assets, name="campaign_assets"),
    path(
        "brands/<slug:slug>/campaigns/anchors/<int:pk>/delete/",
        views_tto_assets.delete_anchor,
        name="delete_anchor",
    ),
    *insights_urls.urlpatterns,
    # TikTok's API incidents
    path("webhooks/tiktok/api-service-status/", service_status_views.api_status_webhook, name="api_status_webhook"),
    path("staff/tiktok-status/", service_status_views.staff_incidents, name="staff_api_status"),
    path("staff/tiktok-status/subscribe/", service_status_views.staff_subscribe, name="staff_api_status_subscribe"),
]
