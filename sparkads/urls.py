from __future__ import annotations

from django.urls import path

from . import ads_manager_views, business_center_views, creator_views, deal_views, views

app_name = "sparkads"
B = "brands/<slug:slug>/"
BC = B + "business-center/<int:bc_pk>/"
urlpatterns = [
    path(B + "spark-ads/", views.ledger, name="ledger"),
    path(B + "spark-ads/request/", views.request_permission, name="request_permission"),
    path(B + "spark-ads/paste/", views.paste_code, name="paste_code"),
    path(B + "spark-ads/<int:pk>/extend/", views.extend, name="extend"),
    path(B + "spark-ads/<int:pk>/unbind/", views.unbind, name="unbind"),
    path(B + "spark-ads/<int:pk>/paid/", deal_views.mark_paid, name="mark_paid"),
    path(B + "spark-ads/bulk/", deal_views.bulk_request, name="bulk_request"),
    path(B + "spark-ads/bulk/<int:pk>/", deal_views.bulk_progress, name="bulk_progress"),
    path(B + "spark-ads/release-setting/", deal_views.release_setting, name="release_setting"),
    path(B + "spark-ads/ledger.csv", deal_views.ledger_csv, name="ledger_csv"),
    path(B + "spark-ads/ads-manager/", ads_manager_views.page, name="ads_manager"),
    path(B + "spark-ads/ads-manager/request/", ads_manager_views.request_link, name="link_request"),
    path(B + "spark-ads/ads-manager/<int:pk>/<str:action>/", ads_manager_views.act, name="link_action"),
    path(B + "business-center/", business_center_views.business_center, name="business_center"),
    path(BC + "sync/", business_center_views.bc_sync, name="bc_sync"),
    path(BC + "members/<int:member_pk>/link/", business_center_views.bc_link_member, name="bc_link_member"),
    path(BC + "qr/", business_center_views.bc_request_qr, name="bc_request_qr"),
    path(BC + "qr/<int:qr_pk>.png", business_center_views.bc_qr_png, name="bc_qr_png"),
    path(BC + "approvals/", business_center_views.bc_approvals, name="bc_approvals"),
    path(BC + "assign/", business_center_views.bc_assign, name="bc_assign"),
    path(BC + "unassign/<int:grant_pk>/", business_center_views.bc_unassign, name="bc_unassign"),
    path(BC + "promote/", business_center_views.promote, name="promote"),
    path(B + "audit/", views.audit, name="audit"),
    path("creator/spark-ads/", creator_views.creator_codes_page, name="creator_codes"),
    path("creator/spark-ads/<int:pk>/approve/", creator_views.approve, name="creator_approve"),
    path("creator/spark-ads/<int:pk>/revoke/", creator_views.revoke, name="creator_revoke"),
]
