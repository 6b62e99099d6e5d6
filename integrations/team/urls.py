from __future__ import annotations

from django.urls import path

from . import views

# A brand's people (the brand home itself is the project's: aspire_tiktok/urls.py)
urlpatterns = [
    path("new-brand/", views.brand_create, name="brand_create"),
    path("brands/<slug:slug>/team/", views.team, name="team"),
    path(
        "brands/<slug:slug>/team/invitations/<int:pk>/resend/",
        views.resend_invitation,
        name="resend_invitation",
    ),
    path(
        "brands/<slug:slug>/team/invitations/<int:pk>/cancel/",
        views.cancel_invitation,
        name="cancel_invitation",
    ),
]
