"""The TikTok API client: the only code in the project that talks HTTP to TikTok.

Clients
-------
``BusinessClient(access_token=None)`` (API for Business, ``integrations.tiktok.client``):
one method per endpoint, named after its path (``tto/oauth2/info/`` ->
``client.tto_oauth2_info(tto_tcm_account_id)``), defined per family:

- ``business.py``: ``portal_auth_url(state, redirect_uri)`` (static), ``oauth2_access_token(auth_code)``
  -> TokenGrant, ``oauth2_revoke_token(access_token)``, ``oauth2_advertiser_get()``,
  ``advertiser_info(advertiser_ids, fields=None)`` (100 ids per call), ``bc_get(bc_id=, page=, page_size=)``,
  ``bc_member_get(bc_id, ...)``, ``bc_member_invite(bc_id, emails, asset_ids, user_role=, ...)``,
  ``bc_asset_get(bc_id, asset_type, ...)``,
  ``bc_asset_assign(bc_id, user_id, asset_type, asset_id, advertiser_role=|tt_account_roles=)``,
  ``bc_asset_unassign(...)``,
  ``bc_asset_account_authorization(bc_id)`` -> QR link, ``subscription_subscribe(entity, callback_url, detail)``.
- ``tto.py``: ``tto_oauth2_tcm()``, ``tto_oauth2_info(id)``,
  ``tt_user_authorize_url(state, redirect_uri, scopes, disable_auto_auth=False)``,
  ``tt_user_oauth2_token(auth_code, redirect_uri)``, ``tt_user_oauth2_refresh_token(rt)``,
  ``tt_user_oauth2_revoke(at)``,
  ``tt_user_token_info_get(at)``, ``tcm_creator_invite(tcm_account_id, handle_names)`` (normalized),
  ``tto_tcm_creator_status_get(id, handle_names)`` (20 per call), ``tto_tcm_creator_discover(id, **filters)``,
  ``tto_tcm_creator_public(id, handle_name)``, ``tto_tcm_campaign_create|get(...)``,
  ``tto_creator_campaign_join(creator_id, link)``, ``tto_creator_campaign_video_link(creator_id, link, video_id)``,
  ``tto_tcm_campaign_link(id, campaign_id, video_id, action)``, ``tto_tcm_campaign_link_status(id, ...)``,
  ``tto_creator_link_request_get(creator_id, link)``, ``tto_creator_link_request_confirm(creator_id, id, action)``,
  ``tto_tcm_report(id, campaign_id, start_date=, end_date=, page=, country_code=)``,
  ``tto_creator_authorized(creator_id)``, ``tto_creator_authorized_video_list(creator_id, ...)``.
- ``spark.py``: ``identity_get``, ``identity_video_get``, ``tt_video_authorize``, ``tt_video_info``,
  ``tt_video_unbind``, ``tcm_tt_video_apply(video_id, tcm_account_id, days, extend=False)``,
  ``tcm_tt_video_status(video_id, tcm_account_id)``; with a creator's tt_user token (scope
  ``SPARK_AUTH_SCOPE``, ``biz.spark.auth``): ``business_post_authorize_setting(open_id, item_id,
  is_ad_promotable=True, authorization_days=30)``, ``business_post_authorize(open_id, item_id, days)``
  (extend), ``business_post_authorize_status|delete(open_id, item_id)``, and
  ``business_video_list(open_id, fields=, video_ids=, cursor=, max_count=)``.

Results are the envelope's ``data`` typed as TypedDicts (plain dicts; unknown fields and
enum values TikTok adds are kept as sent), or ``TokenGrant`` for token responses. Paged
results: ``iter_pages(lambda p: client.bc_get(page=p))`` yields one page's data at a time.
Every endpoint's request and answer is pinned by a schema in ``tests/contract/``.

Errors
------
Every failure is a ``TikTokError`` with ``kind`` transient / auth / permanent (one table in
``errors.py``), ``code``, ``request_id``, ``retry_after``, ``http_status``.
Transient errors were already retried (backoff + jitter, Retry-After, TIKTOK_MAX_RETRIES); a
Celery task catching one should ``self.retry(countdown=exc.retry_after or ...)``.
``exc.is_expired``: refresh once; ``exc.needs_reconnect``: the grant is gone. Predicates on
TikTok's code table: ``is_permission_error`` (40001), ``is_param_error`` (40000/40002),
``is_auth_code_error`` (40110), ``is_not_tcm_creator`` (40121/40122), ``is_scope_missing``
(40130), ``is_interface_offline`` (41001/41002), ``is_campaign_gone``.

Tokens
------
``tokens.call_with_credential(credential_id, lambda client: client.tto_creator_authorized(cid))`` refreshes
ahead of expiry, refreshes once on 40102, and marks the credential needs_reconnect when
TikTok says the grant is gone. ``tokens.refresh_credential(id)`` / ``tokens.ensure_fresh(id)``
are the only refresh paths (row lock; safe with many workers); ``tokens.apply_grant(cred, grant)``
stores a freshly exchanged TokenGrant.

Webhooks
--------
``webhooks.verify_business_signature(raw_body, header)`` / ``verify_login_kit_signature``
(the creators' ``authorization.removed``, signed with the client secret) raise
``WebhookSignatureError``; ``webhooks.parse_tcm_videos(raw_body)`` -> [TcmVideoEvent].

Configuration: base URLs and app credentials come from settings (TIKTOK_*); they default to
the local sandbox. A shared Redis rate budget (``ratelimit.py``) guards every call when
TIKTOK_RATE_BUDGET_ENABLED is on.

Testing: mock with ``responses`` against ``settings.TIKTOK_BUSINESS_API_BASE_URL +
"/open_api/v1.3/<path>"``; patch
``integrations.tiktok.clock.sleep`` to skip backoff waits.
"""

from __future__ import annotations

from .base import TokenGrant
from .client import BusinessClient
from .errors import Kind, TikTokError
from .pagination import items, iter_pages

__all__ = [
    "BusinessClient",
    "Kind",
    "TikTokError",
    "TokenGrant",
    "items",
    "iter_pages",
]
