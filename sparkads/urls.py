from __future__ import annotations

from django.urls import path

from .ads import views as ads
from .ads_manager import views as ads_manager
from .business_center import views as business_center
from .views import creator, deal, ledger

app_name = "sparkads"
B = "brands/<slug:slug>/"
BC = B + "business-center/<int:bc_pk>/"
urlpatterns = [
    path("webhooks/tiktok/ads/", ads.ads_webhook, name="ads_webhook"),
    path(B + "spark-ads/", ledger.ledger, name="ledger"),
    path(B + "spark-ads/request/", ledger.request_permission, name="request_permission"),
    path(B + "spark-ads/paste/", ledger.paste_code, name="paste_code"),
    path(B + "spark-ads/<int:pk>/extend/", ledger.extend, name="extend"),
    path(B + "spark-ads/<int:pk>/unbind/", ledger.unbind, name="unbind"),
    path(B + "spark-ads/<int:pk>/paid/", deal.mark_paid, name="mark_paid"),
    path(B + "spark-ads/bulk/", deal.bulk_request, name="bulk_request"),
    path(B + "spark-ads/bulk/<int:pk>/", deal.bulk_progress, name="bulk_progress"),
    path(B + "spark-ads/release-setting/", deal.release_setting, name="release_setting"),
    path(B + "spark-ads/ledger.csv", deal.ledger_csv, name="ledger_csv"),
    path(B + "spark-ads/ads-manager/", ads_manager.page, name="ads_manager"),
    path(B + "spark-ads/ads-manager/request/", ads_manager.request_link, name="link_request"),
    path(B + "spark-ads/ads-manager/<int:pk>/<str:action>/", ads_manager.act, name="link_action"),
    path(B + "business-center/", business_center.business_center, name="business_center"),
    path(BC + "sync/", business_center.bc_sync, name="bc_sync"),
    path(BC + "members/<int:member_pk>/link/", business_center.bc_link_member, name="bc_link_member"),
    path(BC + "qr/", business_center.bc_request_qr, name="bc_request_qr"),
    path(BC + "qr/<int:qr_pk>.png", business_center.bc_qr_png, name="bc_qr_png"),
    path(BC + "approvals/", business_center.bc_approvals, name="bc_approvals"),
    path(BC + "assign/", business_center.bc_assign, name="bc_assign"),
    path(BC + "unassign/<int:grant_pk>/", business_center.bc_unassign, name="bc_unassign"),
    path(BC + "promote/", business_center.promote, name="promote"),
    path(B + "audit/", ledger.audit, name="audit"),
    path("creator/spark-ads/", creator.creator_codes_page, name="creator_codes"),
    path("creator/spark-ads/<int:pk>/approve/", creator.approve, name="creator_approve"),
    path("creator/spark-ads/<int:pk>/revoke/", creator.revoke, name="creator_revoke"),
    path("creator/spark-ads/<int:pk>/auto-renewal/", creator.auto_renewal, name="creator_auto_renewal"),
    path("creator/spark-ads/extension/<int:pk>/accept/", creator.accept_extension, name="creator_accept_extension"),
    path("creator/spark-ads/extension/<int:pk>/decline/", creator.decline_extension, name="creator_decline_extension"),
]
