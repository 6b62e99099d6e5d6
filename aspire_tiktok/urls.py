from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from integrations import views as integration_views
from integrations.team import views as team_views

from .pages import views

urlpatterns = [
    path("", views.home, name="home"),
    path("brands/<slug:slug>/", views.brand_home, name="brand_home"),
    path("healthz/", integration_views.healthz, name="healthz"),
    # An invitation link names a token, not a brand: whoever holds it sees the invitation.
    path("invitations/<str:token>/", team_views.accept_invitation, name="accept_invitation"),
    path("metrics", views.metrics, name="metrics"),
    path("staff/freshness/", views.freshness, name="staff_freshness"),
    path("staff/outbox/", views.outbox, name="staff_outbox"),
    path("favicon.ico", views.favicon),
    path(settings.ADMIN_URL, admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("", include("integrations.urls")),
    path("creator/", include("creators.urls")),
    path("", include("sparkads.urls")),
]
