from __future__ import annotations

from django.urls import path

from . import views

app_name = "sparkads"
B = "brands/<slug:slug>/"
BC = B + "business-center/<int:bc_pk>/"
urlpatterns = [
    path(B + "spark-ads/", views.ledger, name="ledger"),
    path(B + "spark-ads/request/", views.request_permission, name="request_permission"),
    path(B + "spark-ads/paste/", views.paste_code, name="paste_code"),
    path(B + "spark-ads/<int:pk>/extend/", views.extend, name="extend"),
    path(B + "spark-ads/<int:pk>/unbind/", views.unbind, name="unbind"),
    path(B + "spark-ads/ads-manager/", views.ads_manager, name="ads_manager"),
    path(B + "spark-ads/ads-manager/request/", views.link_request, name="link_request"),
    path(B + "spark-ads/ads-manager/<int:pk>/<str:action>/", views.link_action, name="link_action"),
    path(B + "business-center/", views.business_center, name="business_center"),
    path(BC + "sync/", views.bc_sync, name="bc_sync"),
    path(BC + "members/<int:member_pk>/link/", views.bc_link_member, name="bc_link_member"),
    path(BC + "qr/", views.bc_request_qr, name="bc_request_qr"),
    path(BC + "qr/<int:qr_pk>.png", views.bc_qr_png, name="bc_qr_png"),
    path(BC + "approvals/", views.bc_approvals, name="bc_approvals"),
    path(BC + "assign/", views.bc_assign, name="bc_assign"),
    path(BC + "unassign/<int:grant_pk>/", views.bc_unassign, name="bc_unassign"),
    path(BC + "promote/", views.promote, name="promote"),
    path(B + "audit/", views.audit, name="audit"),
    path("creator/spark-ads/", views.creator_codes, name="creator_codes"),
]
