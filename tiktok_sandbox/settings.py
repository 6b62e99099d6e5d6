"""Settings for the TikTok sandbox: a separate site with its own database.

Started by `python manage.py runsandbox [addrport]`; manage.py selects this module for that
command. It shares nothing with the platform's database.
"""

from __future__ import annotations

from pathlib import Path

import environ
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()

SECRET_KEY = env.str("SANDBOX_SECRET_KEY", default="tiktok-sandbox-not-a-secret")
DEBUG = env.bool("SANDBOX_DEBUG", default=False)
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "tiktok_sandbox",
]
MIDDLEWARE = [
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "tiktok_sandbox.media.BaseUrlMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Request log, rate limits and injected faults for TikTok's API paths.
    "tiktok_sandbox.traffic.SandboxTrafficMiddleware",
]
# Like the platform's: the sandbox's screens load their style and script from itself only.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
}
ROOT_URLCONF = "tiktok_sandbox.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
DATABASES = {"default": env.db("SANDBOX_DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'sandbox.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Each server thread keeps its connection (the product's client keeps one HTTP connection
    # alive, so one thread serves its calls): opening SQLite, registering Django's functions and
    # the pragmas below cost more than a status call's queries. A thread's connection closes
    # when the thread ends.
    DATABASES["default"]["CONN_MAX_AGE"] = None
    # IMMEDIATE transactions take the write lock up front, so two concurrent writers (token
    # exchanges from two web workers) queue on the busy timeout instead of failing with
    # "database is locked" when a reader upgrades to a writer.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        # NORMAL: a commit is not synced to disk at once (WAL keeps the database consistent).
        # The sandbox's data is for tests and demos: losing its last commits in a power cut is
        # nothing, while a sync on every logged request is most of what a call costs it.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
TIME_ZONE = "UTC"
STATIC_URL = "static/"
SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
# Browsers share cookies between ports of one host, and the platform runs on 127.0.0.1:8000
# beside the sandbox on :8001: the sandbox's cookies must not take the platform's names, or
# signing in on "TikTok" would sign the user out of the platform mid-OAuth.
SESSION_COOKIE_NAME = "tiktok_sandbox_session"
CSRF_COOKIE_NAME = "tiktok_sandbox_csrftoken"  # the Ads Manager and control ad forms
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
# The seed makes the sandbox world reproducible.
SANDBOX_SEED = env.int("SANDBOX_SEED", default=42)
# The platform this sandbox stands in for: the control page links its staff Outbox.
SANDBOX_PLATFORM_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
# Credentials the sandbox accepts; they match the platform's sandbox defaults.
SANDBOX_APP_ID = env.str("TIKTOK_APP_ID", default="sandbox-business-app")
SANDBOX_APP_SECRET = env.str("TIKTOK_APP_SECRET", default="sandbox-business-secret")
# The API for Business apps the sandbox serves (app id -> secret): the platform's (above) and a
# second one. TikTok took the legacy `tcm/creator/invite/` endpoint offline, yet apps that held
# its permission before (as the one the platform grew up with did) keep it: the apps listed in
# SANDBOX_LEGACY_INVITE_APPS are served, every other app gets 41001 "interface offline".
SANDBOX_TTO_APP_ID = "sandbox-tto-app"
SANDBOX_TTO_APP_SECRET = "sandbox-tto-secret"
SANDBOX_APPS = {SANDBOX_TTO_APP_ID: SANDBOX_TTO_APP_SECRET, SANDBOX_APP_ID: SANDBOX_APP_SECRET}
SANDBOX_LEGACY_INVITE_APPS = env.list("SANDBOX_LEGACY_INVITE_APPS", default=["sandbox-business-app"])
SANDBOX_CLIENT_KEY = env.str("TIKTOK_CLIENT_KEY", default="sandbox-client-key")
SANDBOX_CLIENT_SECRET = env.str("TIKTOK_CLIENT_SECRET", default="sandbox-client-secret")
# The API for Business rate-limit tier the sandbox enforces per app (basic, advanced, premium,
# ultimate, sandbox): the platform's TIKTOK_API_TIER unless set on its own.
SANDBOX_API_TIER = env.str("SANDBOX_API_TIER", default=env.str("TIKTOK_API_TIER", default="basic"))
# Allowed redirect URIs (comma-separated); empty accepts any absolute URI.
SANDBOX_REDIRECT_URIS = env.list("SANDBOX_REDIRECT_URIS", default=[])
WSGI_APPLICATION = "tiktok_sandbox.wsgi.application"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("SANDBOX_LOG_LEVEL", default="WARNING")},
}
