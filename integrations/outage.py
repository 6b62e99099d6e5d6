"""Redis outages: the cache degrades to misses, and requests that need Redis answer 503.

Redis holds the cache, the Celery broker and the TikTok rate budget. The cache only ever
speeds things up or counts (allauth's login rate limit), so while Redis is down it keeps
nothing, and signing in still works: allauth's rate limits lapse for the outage, django-axes
keeps its lockouts in the database. Work that cannot happen without Redis (enqueueing a task, taking a rate-budget
slot) raises, and the middleware turns that into a plain 503 page instead of a 500.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Concatenate

import redis
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.redis import RedisCache
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)
REDIS_DOWN = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
# What a request sees when Redis (cache, rate budget or Celery's broker) is unreachable.
UNAVAILABLE = (*REDIS_DOWN, OperationalError)


def is_unavailable(exc: BaseException) -> bool:
    """`exc` means Redis is unreachable: one of UNAVAILABLE, or an error raised from one.
    Celery's result backend, which every `delay()` subscribes to, reports a Redis it cannot
    reach as a RuntimeError ("Retry limit exceeded ... result store") raised from the
    connection error, so the cause chain is what tells."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, UNAVAILABLE):
            return True
        seen = seen.__cause__
    return False


def redis_answers(url: str, timeout: float = 1.0) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout).ping())
    except redis.RedisError:
        return False


def database_answers() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except DatabaseError:
        return False


def _or_nothing[**P, R](method: Callable[Concatenate[RedisCache, P], R]) -> Callable[Concatenate[RedisCache, P], R]:
    """Run the Redis method; while Redis is down, answer as Django's DummyCache would.

    A cache that keeps nothing is a correct cache: reads miss, writes are forgotten, and
    `add` succeeds (allauth's rate-limit lock takes it; refusing would lock everyone out).
    """

    @functools.wraps(method)
    def wrapper(self: RedisCache, *args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(self, *args, **kwargs)
        except REDIS_DOWN as exc:
            logger.warning("cache unavailable, %s skipped: %s", method.__name__, exc)
            return getattr(_NOTHING, method.__name__)(*args, **kwargs)

    return wrapper


_NOTHING = DummyCache("", {})


class DegradingRedisCache(RedisCache):
    """Django's Redis cache, behaving as a cache that keeps nothing while Redis is down.

    Give it short socket timeouts (settings.CACHES OPTIONS) so a dead Redis costs a request
    well under a second, not the kernel's connect timeout. incr/decr/clear still raise.
    """

    get = _or_nothing(RedisCache.get)
    set = _or_nothing(RedisCache.set)
    add = _or_nothing(RedisCache.add)
    touch = _or_nothing(RedisCache.touch)
    delete = _or_nothing(RedisCache.delete)
    get_many = _or_nothing(RedisCache.get_many)
    set_many = _or_nothing(RedisCache.set_many)
    delete_many = _or_nothing(RedisCache.delete_many)
    has_key = _or_nothing(RedisCache.has_key)


class ServiceUnavailableMiddleware:
    """A request that needed Redis while it was down gets a 503 page that says so."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_unavailable(exception):
            return None
        logger.error("Redis unavailable during %s %s: %s", request.method, request.path, exception)
        response = render(request, "503.html", status=503)
        response["Retry-After"] = "30"
        return response
