"""One server for TikTok's two hosts the product calls (www.tiktok.com, business-api.tiktok.com),
the TikTok-side screens and the sandbox control API."""

from __future__ import annotations

from django.urls import path, re_path

from tiktok_sandbox import api, control, media, screens

api.load_handlers()

urlpatterns = [
    # www.tiktok.com
    path("v2/auth/authorize/", screens.authorize, name="authorize"),
    # business-api.tiktok.com
    re_path(r"^portal/auth/?$", screens.portal_auth, name="portal_auth"),
    re_path(r"^open_api/v1\.3/(?P<path>.+)$", api.dispatch),
    # TikTok-side screens
    path("", screens.home, name="home"),
    path("sandbox/style.css", screens.asset, {"name": "style.css"}, name="stylesheet"),
    path("sandbox/sandbox.js", screens.asset, {"name": "sandbox.js"}, name="script"),
    path("sandbox/media/<path:path>", media.placeholder, name="media"),
    path("sandbox/login/", screens.creator_login, name="creator_login"),
    path("sandbox/business/login/", screens.business_login, name="business_login"),
    path("sandbox/tiktok/inbox/", screens.inbox, name="inbox"),
    path("sandbox/tiktok/notifications/", screens.notifications, name="notifications"),
    path("sandbox/tiktok/studio/creator-marketplace/", screens.creator_marketplace, name="creator_marketplace"),
    path("sandbox/tiktok/posts/", screens.posts, name="posts"),
    path("sandbox/tiktok/posts/<str:video_id>/ad-settings/", screens.ad_settings, name="ad_settings"),
    path("sandbox/tiktok/sponsored/", screens.sponsored, name="sponsored"),
    path("sandbox/tiktok/authorizations/", screens.authorizations, name="authorizations"),
    path("sandbox/tiktok/link-requests/", screens.link_requests, name="link_requests"),
    path("sandbox/tto/invite/<str:slug>", screens.campaign_invite, name="campaign_invite"),
    path("sandbox/bc-auth/<str:token>/", screens.bc_auth, name="bc_auth"),
    path("sandbox/ads-manager/", screens.ads_manager, name="ads_manager"),
    path("sandbox/ads-manager/ads/", screens.ads_manager_ads, name="ads_manager_ads"),
    path("sandbox/control/ads/", screens.control_ads, name="control_ads"),
    path("sandbox/control/", screens.control_page, name="control"),
    # control API
    path("sandbox/api/state", control.state),
    path("sandbox/api/clock/advance", control.clock_advance),
    path("sandbox/api/clock/reset", control.clock_reset),
    path("sandbox/api/reset", control.reset),
    path("sandbox/api/personas", control.personas),
    path("sandbox/api/faults", control.faults),
    path("sandbox/api/faults/<int:pk>", control.fault_detail),
    path("sandbox/api/rate-limits", control.rate_limits),
    path("sandbox/api/rate-limits/app", control.app_rate_limits),
    path("sandbox/api/rate-limits/<int:pk>", control.rate_limit_detail),
    path("sandbox/api/requests", control.request_log),
    path("sandbox/api/requests/stats", control.request_stats),
    path("sandbox/api/cost", control.cost),
    path("sandbox/api/helpers/authorize", control.helper_authorize),
    path("sandbox/api/helpers/portal-auth", control.helper_portal_auth),
    path("sandbox/api/helpers/invites/accept", control.helper_accept_invite),
    path("sandbox/api/helpers/marketplace/join", control.helper_join_marketplace),
    path("sandbox/api/helpers/spark/approve", control.helper_spark_approve),
    path("sandbox/api/helpers/spark/reject", control.helper_spark_reject),
    path("sandbox/api/helpers/ad-codes", control.helper_ad_code),
    path("sandbox/api/helpers/ads", control.helper_ads),
    path("sandbox/api/helpers/ads/<str:ad_id>/<str:decision>", control.helper_ad_decide),
    path("sandbox/api/helpers/post-music", control.helper_post_music),
    path("sandbox/api/helpers/bc-qr/approve", control.helper_bc_qr_approve),
    path("sandbox/api/helpers/authorizations/cancel", control.helper_cancel_authorization),
    path("sandbox/api/helpers/ads-manager/link-requests", control.helper_ads_manager_link),
    path(
        "sandbox/api/helpers/ads-manager/link-requests/<str:link_id>/<str:decision>",
        control.helper_ads_manager_decide,
    ),
    path("sandbox/api/helpers/link-requests/confirm", control.helper_link_confirm),
    path("sandbox/api/helpers/sponsored-videos", control.helper_sponsored_video),
    path("sandbox/api/helpers/creators", control.helper_creators),
    path("sandbox/api/incidents", control.incidents),
    path("sandbox/api/incidents/<str:incident_id>/resolve", control.incident_resolve),
]
