from __future__ import annotations

from django.urls import path

from . import views

# Creator sourcing and campaigns
urlpatterns = [
    path("brands/<slug:slug>/creators/", views.creator_search, name="creator_search"),
    path("brands/<slug:slug>/creators/@<str:handle>/", views.creator_profile, name="creator_profile"),
    path("brands/<slug:slug>/campaigns/", views.campaigns, name="campaigns"),
    path("brands/<slug:slug>/campaigns/<int:pk>/", views.campaign_detail, name="campaign_detail"),
    path("brands/<slug:slug>/campaigns/import/", views.import_campaigns, name="import_campaigns"),
    path("brands/<slug:slug>/campaigns/assets/", views.campaign_assets, name="campaign_assets"),
    path("brands/<slug:slug>/campaigns/anchors/<int:pk>/delete/", views.delete_anchor, name="delete_anchor"),
]
