from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("brands/<slug:slug>/insights/", views.brand_insights, name="insights"),
    path("brands/<slug:slug>/insights/campaigns/<int:pk>/", views.campaign_insights, name="insights_campaign"),
    path("brands/<slug:slug>/insights/campaigns/<int:pk>/export.csv", views.campaign_export, name="insights_export"),
    path("brands/<slug:slug>/insights/campaigns/<int:pk>/poll/", views.campaign_poll, name="insights_poll"),
    path("brands/<slug:slug>/insights/posts/<int:pk>/", views.post_insights, name="insights_post"),
    path("webhooks/tiktok/tcm-videos/", views.tcm_videos_webhook, name="insights_webhook"),
]
