from __future__ import annotations

from django.urls import path

from . import views

app_name = "creators"
urlpatterns = [
    path("", views.home, name="home"),
    path("become/", views.become_creator, name="become"),
    path("tiktok/authorize/", views.authorize, name="authorize"),
    # Static: TikTok requires the exact registered redirect URI, no query string.
    path("tiktok/callback/", views.callback, name="callback"),
    path("tiktok/callback/retry/", views.callback_retry, name="callback_retry"),
    path("tiktok/webhook/", views.webhook, name="webhook"),
    path("accounts/<int:pk>/accepted/", views.accepted, name="accepted"),
    path("accounts/<int:pk>/check/", views.check_status, name="check_status"),
    path("accounts/<int:pk>/disconnect/", views.disconnect, name="disconnect"),
    path("collaborations/join/", views.join_with_link, name="join_with_link"),
    path("collaborations/<int:pk>/join/", views.join, name="join"),
    path("collaborations/<int:pk>/link/", views.link_video, name="link_video"),
    path("collaborations/<int:pk>/link-requests/", views.link_requests, name="link_requests"),
    path("collaborations/<int:pk>/link-requests/answer/", views.answer_link_request, name="answer_link_request"),
    path("brands/<slug:slug>/campaigns/<int:pk>/creators/", views.campaign_creators, name="campaign_creators"),
]
