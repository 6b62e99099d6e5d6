from __future__ import annotations

from django.urls import path

from . import views

app_name = "integrations"
urlpatterns = [
    path("brands/<slug:slug>/", views.brand_home, name="brand_home"),
]
