"""Settings for aspire_tiktok.

Every value that varies between machines is read here, and only here, through
django-environ. DJANGO_ENV selects the profile: "dev" (make run), "test" (pytest) or
"production" (the default, so a forgotten variable fails safe rather than open).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from aspire_tiktok import tiktok_safety

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if env.bool("DJANGO_READ_DOT_ENV_FILE", default=False):
    env.read_env(str(BASE_DIR / ".env"))

DJANGO_ENV = env.str("DJANGO_ENV", default="production")
if DJANGO_ENV not in {"dev", "test", "production"}:
    raise ImproperlyConfigured(f"DJANGO_ENV must be dev, test or production, not {DJANGO_ENV!r}")
IS_PRODUCTION = DJANGO_ENV == "production"
# A production deployment that is a demo on the TikTok sandbox (see TIKTOK below).
TIKTOK_SANDBOX = env.bool("TIKTOK_SANDBOX", default=False)

# Keys used only on a developer's machine or in tests. Production has no default: a
# missing secret stops start-up with the message below instead of running insecurely.
_DEV_SECRET_KEY = "dev-only-insecure-secret-key-do-not-use-in-production-0123456789"
_DEV_TOKEN_KEY = "ZGV2LW9ubHktdG9rZW4ta2V5LWRvLW5vdC11c2UtMTI="  # base64 of 32 bytes


def _required(name: str, dev_default: str) -> str:
    value = env.str(name, default="")
    if value:
        return value
    if IS_PRODUCTION:
        raise ImproperlyConfigured(
            f"{name} is not set. It is required when DJANGO_ENV=production; see the configuration table in README.md."
        )
    return dev_default


# GENERAL
# ------------------------------------------------------------------------------
SECRET_KEY = _required("DJANGO_SECRET_KEY", _DEV_SECRET_KEY)
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list(
    "DJANGO_ALLOWED_HOSTS", default=[] if IS_PRODUCTION else ["127.0.0.1", "localhost", "testserver"]
)
# Where TikTok sends users back to. Must be the public https URL in production.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "django_htmx",
    "axes",
    "integrations",
    "creators",
    "sparkads",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # A request that needed Redis while it was down answers 503 with a page saying so.
    "integrations.outage.ServiceUnavailableMiddleware",
    # Before anything reads a form: NUL in a field or parameter is a 400 (PostgreSQL refuses it).
    "integrations.middleware.RejectNulBytes",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "integrations.middleware.TikTokDeadlineMiddleware",
    # Last, as django-axes asks: it turns lockouts into a response.
    "axes.middleware.AxesMiddleware",
]

if IS_PRODUCTION:
    # Serves collected static files (`manage.py collectstatic`) without a separate server.
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "aspire_tiktok.urls"
WSGI_APPLICATION = "aspire_tiktok.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "aspire_tiktok.pages.context_processors.navigation",
                "aspire_tiktok.pages.context_processors.support",
                "aspire_tiktok.pages.context_processors.tiktok_one_status",
                "django.template.context_processors.csp",
            ],
            # intcomma, naturaltime and friends on every page: figures read the same everywhere.
            # web_url keeps TikTok-supplied links that are not http(s) out of href and src;
            # post_name names a post TikTok listed as pages name every other post.
            "builtins": [
                "django.contrib.humanize.templatetags.humanize",
                "integrations.templatetags.links",
                "integrations.templatetags.clock",
                "integrations.templatetags.words",
            ],
        },
    },
]

# DATABASES
# ------------------------------------------------------------------------------
# SQLite by default so a fresh clone runs with nothing installed; PostgreSQL in CI and
# production via DATABASE_URL=postgres://user@host:5432/name.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Persistent connections: a worker polls many times a second, and connecting to PostgreSQL
# each time cost more than the poll's own queries. Each connection is checked before reuse
# (a restarted database costs one failed check, not a failed task).
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=300)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL + a busy timeout let web, worker and beat share one SQLite file in dev.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# REDIS: broker, cache, locks and the shared TikTok rate budget
# ------------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")
# The cache reads as empty while Redis is down (integrations/outage.py), and gives up on a
# dead Redis within REDIS_CACHE_TIMEOUT seconds, so signing in works through an outage.
REDIS_CACHE = {
    "BACKEND": "integrations.outage.DegradingRedisCache",
    "LOCATION": REDIS_URL,
    "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="aspire"),
    "OPTIONS": {
        "socket_connect_timeout": env.float("REDIS_CACHE_TIMEOUT", default=0.5),
        "socket_timeout": env.float("REDIS_CACHE_TIMEOUT", default=0.5),
    },
}
CACHES = {"default": REDIS_CACHE}
if DJANGO_ENV == "test":
    # Per-process cache: login throttles and other cached state must not leak between
    # test runs that share one Redis (the rate budget and Celery still use Redis).
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# AUTH (django-allauth: email login, signup, password reset)
# ------------------------------------------------------------------------------
# Self-serve brands send mail to any address they are given: how many brands one account may
# create, and how many invitation mails a brand may send, and an address may get, in 24 hours.
BRANDS_PER_ACCOUNT = env.int("BRANDS_PER_ACCOUNT", default=5)
INVITATIONS_PER_BRAND_PER_DAY = env.int("INVITATIONS_PER_BRAND_PER_DAY", default=50)
INVITATIONS_PER_ADDRESS_PER_DAY = env.int("INVITATIONS_PER_ADDRESS_PER_DAY", default=3)
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_ADAPTER = "integrations.auth.AccountAdapter"
# Registered or not, signing up costs the same; from an invitation, the invited address is filled in.
ACCOUNT_FORMS = {"signup": "integrations.auth.SignupForm", "login": "integrations.auth.LoginForm"}
# Mandatory in production: an address counts (e.g. to link a Business Center member) only once
# its owner proved it, and only then can signup hide whether an address is registered.
ACCOUNT_EMAIL_VERIFICATION = env.str("ACCOUNT_EMAIL_VERIFICATION", default="mandatory" if IS_PRODUCTION else "optional")
# Signup and password reset answer alike for registered and unknown addresses (the owner of
# a registered one gets a mail instead); at signup this needs mandatory verification.
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if IS_PRODUCTION else "http"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if DJANGO_ENV == "test":
    # Hashing dominates test time otherwise; production keeps Django's default hasher.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Login throttling (django-axes): lock an (ip, username) pair after repeated failures.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = 1  # hours
AXES_LOCKOUT_PARAMETERS = [["ip_address", "username"]]
AXES_USERNAME_CALLABLE = "integrations.auth.axes_username"
# axes answers lockouts (HTTP 429 with a clear page); allauth's own, softer limiter on failed
# logins would otherwise answer first with a 200 form error.
ACCOUNT_RATE_LIMITS = {"login_failed": False}
AXES_RESET_ON_SUCCESS = True
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_VERBOSE = False

# EMAIL
# ------------------------------------------------------------------------------
# Django 6.1 MAILERS: SMTP in production; in dev and sandbox deployments the Outbox backend
# (the database and the console); locmem in tests, which Django's test runner swaps in.
if IS_PRODUCTION and not TIKTOK_SANDBOX:
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": env.str("EMAIL_HOST", default="localhost"),
                "port": env.int("EMAIL_PORT", default=587),
                "username": env.str("EMAIL_HOST_USER", default=""),
                "password": env.str("EMAIL_HOST_PASSWORD", default=""),
                "use_tls": env.bool("EMAIL_USE_TLS", default=True),
            },
        }
    }
else:
    # Kept for the staff Outbox page and printed decoded (tests get Django's locmem outbox).
    MAILERS = {"default": {"BACKEND": "integrations.mail.OutboxBackend"}}
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="aspire_tiktok <noreply@localhost>")
# All mail goes through the integrations.mail.send_email task, which
# retries SMTP failures. Tests run that task in-process, so Django's test outbox sees the mail.
EMAIL_VIA_WORKER = DJANGO_ENV != "test"

# I18N / STATIC
# ------------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if IS_PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# SECURITY (production hardening; `manage.py check --deploy` is clean with these)
# ------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the <body> hx-headers, not the cookie
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if IS_PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Secure-sessionid"
    CSRF_COOKIE_NAME = "__Secure-csrftoken"
    SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)
    CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
ADMIN_URL = env.str("DJANGO_ADMIN_URL", default="admin/")

# TOKEN ENCRYPTION
# ------------------------------------------------------------------------------
# Fernet keys (urlsafe base64 of 32 bytes), comma separated. The first encrypts; all are
# tried on decrypt, so a new key can be prepended, then `manage.py rotate_token_keys` run.
TOKEN_ENCRYPTION_KEYS = env.list("TOKEN_ENCRYPTION_KEYS", default=[])
if not TOKEN_ENCRYPTION_KEYS:
    TOKEN_ENCRYPTION_KEYS = [_required("TOKEN_ENCRYPTION_KEYS", _DEV_TOKEN_KEY)]

# TIKTOK
# ------------------------------------------------------------------------------
# Outside production the three hosts and the app credentials default to the local sandbox
# (python manage.py runsandbox). Production talks to TikTok: its hosts are the defaults and
# the four credentials are required. A production deployment that is a demo on the sandbox
# says so with TIKTOK_SANDBOX=true; otherwise any sandbox value stops start-up here and
# fails `manage.py check --deploy` (aspire_tiktok/tiktok_safety.py).
_TALKS_TO_TIKTOK = IS_PRODUCTION and not TIKTOK_SANDBOX
SANDBOX_URL = env.str("TIKTOK_SANDBOX_URL", default="http://127.0.0.1:8001").rstrip("/")


def _tiktok_url(name: str, tiktok: str) -> str:
    return env.str(name, default=tiktok if _TALKS_TO_TIKTOK else SANDBOX_URL).rstrip("/")


def _tiktok_credential(name: str) -> str:
    return env.str(name, default="" if _TALKS_TO_TIKTOK else tiktok_safety.SANDBOX_CREDENTIALS[name])


TIKTOK_AUTH_BASE_URL = _tiktok_url("TIKTOK_AUTH_BASE_URL", "https://www.tiktok.com")
TIKTOK_BUSINESS_API_BASE_URL = _tiktok_url("TIKTOK_BUSINESS_API_BASE_URL", "https://business-api.tiktok.com")
# TikTok API for Business app (brand connect, TikTok One, creator auth via tt_user).
TIKTOK_APP_ID = _tiktok_credential("TIKTOK_APP_ID")
TIKTOK_APP_SECRET = _tiktok_credential("TIKTOK_APP_SECRET")
# TikTok for Developers app: its client secret signs the creators' authorization.removed webhooks.
TIKTOK_CLIENT_KEY = _tiktok_credential("TIKTOK_CLIENT_KEY")
TIKTOK_CLIENT_SECRET = _tiktok_credential("TIKTOK_CLIENT_SECRET")
if _TALKS_TO_TIKTOK and (_leftovers := tiktok_safety.sandbox_leftovers(globals(), SANDBOX_URL)):
    raise ImproperlyConfigured(tiktok_safety.explain(_leftovers))
# The redirect URIs registered with TikTok (URL names, under SITE_URL). TikTok matches them
# exactly; `check --deploy` requires each to be absolute https, end in "/" and carry no
# query, fragment or port.
TIKTOK_REDIRECT_URL_NAMES = ["integrations:tiktok_callback", "creators:callback"]
TIKTOK_HTTP_TIMEOUT = env.float("TIKTOK_HTTP_TIMEOUT", default=10.0)
TIKTOK_MAX_RETRIES = env.int("TIKTOK_MAX_RETRIES", default=4)
# A person never waits on TikTok longer than this: inside a web request each call gets one
# attempt that ends within it (gunicorn's worker timeout, 30 s, is far above it).
TIKTOK_REQUEST_DEADLINE_SECONDS = env.float("TIKTOK_REQUEST_DEADLINE_SECONDS", default=8.0)
# Shared rate budget (all processes together, counted in Redis; integrations/tiktok/ratelimit.py).
# API for Business: one budget per app in TikTok's three windows, preset by the app's tier
# (basic, advanced, premium, ultimate, sandbox); each window can be overridden (0 = no limit).
TIKTOK_API_TIER = env.str("TIKTOK_API_TIER", default="basic")
TIKTOK_RATE_QPS = env.int("TIKTOK_RATE_QPS", default=None)
TIKTOK_RATE_QPM = env.int("TIKTOK_RATE_QPM", default=None)
TIKTOK_RATE_PER_DAY = env.int("TIKTOK_RATE_PER_DAY", default=None)
TIKTOK_RATE_BUDGET_ENABLED = env.bool("TIKTOK_RATE_BUDGET_ENABLED", default=DJANGO_ENV != "test")
# The share of every budget kept for calls a person is waiting on (not made in a Celery task).
TIKTOK_RATE_RESERVED_SHARE = env.float("TIKTOK_RATE_RESERVED_SHARE", default=0.2)
# How much later than its grant a request may reach TikTok without TikTok counting more than
# the limit in any window: any L + 1 grants span each window plus this, and a grant the process
# held longer before sending is handed back (integrations/tiktok/ratelimit.py). What remains is
# the network's own variation; a QPS 40100 widens it for every process (learnt), and a link to
# TikTok whose latency jumps by more can start wider (docs/polling.md).
TIKTOK_RATE_JITTER_SECONDS = env.float("TIKTOK_RATE_JITTER_SECONDS", default=0.015)
# Redis key prefix of the budgets, and how long a call may wait for a slot
# before it raises a transient error (a Celery task then reschedules with retry_after).
TIKTOK_RATE_BUDGET_KEY_PREFIX = env.str("TIKTOK_RATE_BUDGET_KEY_PREFIX", default="tiktok:rate")
TIKTOK_RATE_BUDGET_MAX_WAIT = env.float("TIKTOK_RATE_BUDGET_MAX_WAIT", default=2.0)
# Per-minute counters of TikTok calls, throttles and failures in Redis (the freshness page and
# /metrics read them); off in tests unless a test turns them on.
TIKTOK_CALL_COUNTERS_ENABLED = env.bool("TIKTOK_CALL_COUNTERS_ENABLED", default=DJANGO_ENV != "test")
# Spark Ads renewal reminders go to the brand and the creator this many days before an
# authorization ends (0 = the day it ends); each mark once per authorization.
SPARK_RENEWAL_REMINDER_DAYS = tuple(
    sorted({int(d) for d in env.list("SPARK_RENEWAL_REMINDER_DAYS", default=["45", "30", "14", "0"])}, reverse=True)
)
# /metrics (Prometheus text format) answers a staff session or "Authorization: Bearer <this>";
# empty = staff sessions only.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
# Retry backoff: base delay doubles per attempt; a wait longer than TIKTOK_RETRY_MAX_SLEEP
# (e.g. a long Retry-After) is not slept in-process but raised for the task to reschedule.
TIKTOK_RETRY_BASE_DELAY = env.float("TIKTOK_RETRY_BASE_DELAY", default=0.5)
TIKTOK_RETRY_MAX_SLEEP = env.float("TIKTOK_RETRY_MAX_SLEEP", default=30.0)
# Refresh tt_user access tokens this long before they expire.
TIKTOK_REFRESH_MARGIN_SECONDS = env.int("TIKTOK_REFRESH_MARGIN_SECONDS", default=600)
# Webhook signatures older than this are rejected (replay protection).
TIKTOK_WEBHOOK_TOLERANCE_SECONDS = env.int("TIKTOK_WEBHOOK_TOLERANCE_SECONDS", default=300)
# Business Center: how many TikTok accounts one QR request may gather.
BC_TIKTOK_ACCOUNT_LIMIT = env.int("BC_TIKTOK_ACCOUNT_LIMIT", default=200)
# Brand connections: re-check interval (verification, ad accounts, access), first retry delay
# after TikTok fails (doubling), the dispatcher's claim lease, and an OAuth state's lifetime.
INTEGRATIONS_RECHECK_SECONDS = env.int("INTEGRATIONS_RECHECK_SECONDS", default=6 * 60 * 60)
INTEGRATIONS_RECHECK_RETRY_SECONDS = env.int("INTEGRATIONS_RECHECK_RETRY_SECONDS", default=60)
INTEGRATIONS_RECHECK_LEASE_SECONDS = env.int("INTEGRATIONS_RECHECK_LEASE_SECONDS", default=15 * 60)
INTEGRATIONS_OAUTH_STATE_SECONDS = env.int("INTEGRATIONS_OAUTH_STATE_SECONDS", default=15 * 60)
# The "contact support" address on every page; production defaults to support@ the site's host.
SUPPORT_EMAIL = env.str(
    "SUPPORT_EMAIL",
    default=f"support@{urlsplit(SITE_URL).hostname}" if IS_PRODUCTION else "support@example.com",
)
# Post insights: how often a campaign's report is read, by the age of its youngest post
# (integrations/insights/schedule.py, docs/polling.md). Every 3 h for the first 10 days after
# posting, daily to day 90, weekly to day 365; none after, since TikTok stops updating a
# post's figures at 365 days. Each poll re-reads the last 3 days, which TikTok revises
# (conversions arrive late).
INSIGHTS_SCHEDULE: list[tuple[int, int]] = [  # (posts younger than this many days, poll every this many seconds)
    (env.int("INSIGHTS_FRESH_DAYS", default=10), env.int("INSIGHTS_FRESH_EVERY_SECONDS", default=3 * 60 * 60)),
    (env.int("INSIGHTS_DAILY_UNTIL_DAYS", default=90), env.int("INSIGHTS_DAILY_EVERY_SECONDS", default=24 * 60 * 60)),
    (
        env.int("INSIGHTS_WEEKLY_UNTIL_DAYS", default=365),
        env.int("INSIGHTS_WEEKLY_EVERY_SECONDS", default=7 * 24 * 60 * 60),
    ),
]
INSIGHTS_RESTATE_DAYS = env.int("INSIGHTS_RESTATE_DAYS", default=3)
# The model of the deal (tests/sparkads/test_deal_model.py): examples and steps per example.
# `make test` runs a few; `make test-deal-long` runs 200 x 50 = 10,000 steps.
DEAL_MODEL_EXAMPLES = env.int("DEAL_MODEL_EXAMPLES", default=3)
DEAL_MODEL_STEPS = env.int("DEAL_MODEL_STEPS", default=12)

# CONTENT SECURITY POLICY (Django's ContentSecurityPolicyMiddleware)
# ------------------------------------------------------------------------------
# Scripts and styles come from static/ only: templates hold no inline <script>, on*="" or
# style="" (tests/foundation/test_csp.py). The nonce lets Django admin's one <style> through.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF, CSP.NONCE],
    # Avatars and video covers come from TikTok's CDN (https), or from the sandbox.
    "img-src": [CSP.SELF, "data:", "https:", *([] if _TALKS_TO_TIKTOK else [SANDBOX_URL])],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

# CELERY
# ------------------------------------------------------------------------------
# https://docs.celeryq.dev/en/stable/userguide/configuration.html
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=REDIS_URL)
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_RESULT_EXPIRES = 60 * 60 * 24
CELERY_TASK_TIME_LIMIT = 5 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 4 * 60
# Tasks are idempotent (upserts keyed by TikTok ids, claims by conditional update), so a
# task is acknowledged only once done and a killed worker's task is delivered again.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Redis redelivers unacked tasks after the visibility timeout; it must exceed the longest
# task time limit and countdown, or a running task is delivered twice. A whole worker killed
# (kill -9, OOM, a lost machine) leaves its tasks unacked until then, but no poll waits for
# that: the row a dead task had claimed is due again when its claim lease ends (minutes) and
# beat's dispatcher claims it again; the late redelivery claims the row like any poll, so it
# acts only if the row is due again by then.
CELERY_VISIBILITY_TIMEOUT = 60 * 60 * 2
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, float] = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS: dict[str, object] = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}
# Every task names its queue on its decorator (one queue per kind), so a deployment can give
# each kind its own workers.
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BEAT_SCHEDULE_FILENAME = env.str("CELERY_BEAT_SCHEDULE_FILENAME", default=str(BASE_DIR / ".celerybeat-schedule"))
# Beat's schedule is built from the pollers the apps register (aspire_tiktok/celery.py).

# Marketplace status: the dispatcher runs this often (and when beat starts) and keeps this
# many seconds of TikTok's ceiling (tier QPS x 20 creators per call) claimed and queued; see
# creators.marketplace.dispatch_target.
MARKETPLACE_DISPATCH_SECONDS = env.float("MARKETPLACE_DISPATCH_SECONDS", default=10.0)
MARKETPLACE_DISPATCH_QUEUE_SECONDS = env.float("MARKETPLACE_DISPATCH_QUEUE_SECONDS", default=30.0)
# A request that enqueues while Redis is down or frozen answers 503 within a few seconds
# (integrations/outage.py) instead of hanging: publishing reconnects to a lost broker once,
# not with kombu's backoff of several seconds; the result backend (which every `delay()`
# subscribes to) tries once instead of twenty times; and socket timeouts bound a Redis that
# accepts connections but never answers (SIGSTOPped, or a saturated host).
CELERY_REDIS_TIMEOUT = env.float("CELERY_REDIS_TIMEOUT", default=0.5)
CELERY_BROKER_TRANSPORT_OPTIONS.update(
    max_retries=1,
    interval_start=0,
    interval_step=0.2,
    interval_max=0.5,
    socket_timeout=CELERY_REDIS_TIMEOUT,
    socket_connect_timeout=CELERY_REDIS_TIMEOUT,
)
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
CELERY_REDIS_SOCKET_TIMEOUT = CELERY_REDIS_TIMEOUT
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = CELERY_REDIS_TIMEOUT
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS["retry_policy"] = {"max_retries": 0}

# LOGGING
# ------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
