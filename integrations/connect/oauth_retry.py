"""An OAuth callback whose code exchange TikTok did not answer (down, timing out): the person
tries the exchange again from a "Try again" button, without a new consent.

The callback's `state` was checked and taken as usual. What remains is TikTok's code, held in
this person's session (server-side, never in a page or a log) under a fresh random key, for
as long as TikTok keeps the code valid. "Try again" is a POST (CSRF-checked) that takes the
code back out: it is held again only if TikTok is still not answering, and gone for good once
the exchange succeeded or TikTok refused the code. So the code is still exchanged at most
once, only from the session whose consent produced it: a key is spent in the database
(`SpentRetryKey`), since concurrent "Try again" POSTs each load the session before any saves it.
"""

from __future__ import annotations

import secrets
import time
from datetime import timedelta

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from integrations.models import SpentRetryKey

SESSION_KEY = "tiktok_oauth_retries"
# How long TikTok keeps a code valid: the portal's auth_code 1 hour, a creator's code 10
# minutes (research: TikTok's OAuth docs); both single use.
BRAND_CODE_VALID = timedelta(hours=1)
CREATOR_CODE_VALID = timedelta(minutes=10)


def gone_message(start_again: str) -> str:
    """What "Try again" says once the held code is no longer there."""
    return (
        "That authorization can no longer be retried (it was already used, or TikTok's code has expired), "
        f"so nothing was connected. {start_again} to start again."
    )


def hold(request: HttpRequest, *, flow: str, code: str, target: str = "", valid_for: timedelta) -> str:
    """Keep `code` for a retry of `flow`'s exchange; returns the key the "Try again" form sends."""
    now = time.time()
    held = {k: v for k, v in request.session.get(SESSION_KEY, {}).items() if v.get("exp", 0) > now}
    key = secrets.token_urlsafe(16)
    held[key] = {"flow": flow, "code": code, "target": target, "exp": now + valid_for.total_seconds()}
    request.session[SESSION_KEY] = dict(sorted(held.items(), key=lambda kv: kv[1]["exp"])[-5:])
    return key


def take(request: HttpRequest, flow: str, key: str) -> dict | None:
    """The held exchange for `key` (removed: single use), or None if there is none, it belongs
    to another flow, or TikTok's code has expired meanwhile."""
    held = request.session.get(SESSION_KEY, {})
    if not key or key not in held or not SpentRetryKey.spend(key):
        return None
    entry = held.pop(key)
    request.session[SESSION_KEY] = held
    if entry.get("flow") != flow or entry.get("exp", 0) <= time.time():
        return None
    return entry


def offer(request: HttpRequest, *, key: str, message: str, retry_url: str, back_url: str) -> HttpResponse:
    """The page that says TikTok is not answering and offers "Try again". A 200: Django saves
    no session on a 5xx answer, and the held code lives in the session."""
    context = {"message": message, "key": key, "retry_url": retry_url, "back_url": back_url}
    return render(request, "integrations/oauth_retry.html", context)
