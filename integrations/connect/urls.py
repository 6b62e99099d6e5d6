from __future__ import annotations

from django.urls import path

from . import views

# Settings > Integrations > TikTok
urlpatterns = [
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
    path("integrations/tiktok/callback/retry/", views.tiktok_callback_retry, name="tiktok_callback_retry"),
]
