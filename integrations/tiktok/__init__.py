"""The TikTok API client: the only code in the project that talks HTTP to TikTok.

Clients
-------
``BusinessClient(access_token=None)`` (API for Business, ``integrations.tiktok.client``):
one method per endpoint, named after its path (``tto/oauth2/info/`` ->
``client.tto_oauth2_info(tto_tcm_account_id)``), defined per family in ``business.py``
(advertiser OAuth, ad accounts, Business Centers, webhook subscriptions), ``tto.py`` (TikTok One:
accounts, creator OAuth, Marketplace, campaigns, reports), ``spark.py`` (Spark Ads codes,
identities, a creator's posts and their ad authorization) and ``ads.py`` (ads and their spend). The sandbox answers each family in
``tiktok_sandbox/api/<family>.py``.

Results are the envelope's ``data`` typed as TypedDicts (plain dicts; unknown fields and
enum values TikTok adds are kept as sent), or ``TokenGrant`` for token responses. Paged
results: ``iter_pages(lambda p: client.bc_get(page=p))`` yields one page's data at a time.
Every endpoint's request and answer is pinned by a schema in ``tests/contract/``.

Errors
------
Every failure is a ``TikTokError`` with ``kind`` transient / auth / permanent (one table in
``errors.py``), ``code``, ``request_id``, ``retry_after``, ``http_status``.
Transient errors were already retried (backoff + jitter, Retry-After, TIKTOK_MAX_RETRIES); a
Celery task on the ``TikTokTask`` base reschedules itself on one, honouring ``retry_after``.
``exc.is_expired``: refresh once; ``exc.needs_reconnect``: the grant is gone. Predicates on
TikTok's code table: ``is_permission_error`` (40001), ``is_param_error`` (40000/40002),
``is_auth_code_error`` (40110), ``is_not_tcm_creator`` (40121/40122), ``is_scope_missing``
(40130), ``is_interface_offline`` (41001/41002), ``is_endpoint_gone`` (those, 40400 or an HTTP
404 page), ``is_campaign_gone``.

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
