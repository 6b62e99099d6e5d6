from __future__ import annotations

from django.urls import path

from . import views

# TikTok's API incidents
urlpatterns = [
    path("webhooks/tiktok/api-service-status/", views.api_status_webhook, name="api_status_webhook"),
    path("staff/tiktok-status/", views.staff_incidents, name="staff_api_status"),
    path("staff/tiktok-status/subscribe/", views.staff_subscribe, name="staff_api_status_subscribe"),
]
