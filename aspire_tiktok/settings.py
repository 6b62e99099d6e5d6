"""Settings for aspire_tiktok.

Every value that varies between machines is read here, and only here, through
django-environ. DJANGO_ENV selects the profile: "dev" (make run), "test" (pytest) or
"production" (the default, so a forgotten variable fails safe rather than open).
"""

from __future__ import annotations

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if env.bool("DJANGO_READ_DOT_ENV_FILE", default=False):
    env.read_env(str(BASE_DIR / ".env"))

DJANGO_ENV = env.str("DJANGO_ENV", default="production")
if DJANGO_ENV not in {"dev", "test", "production"}:
    raise ImproperlyConfigured(f"DJANGO_ENV must be dev, test or production, not {DJANGO_ENV!r}")
IS_PRODUCTION = DJANGO_ENV == "production"

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
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
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
                "integrations.context_processors.navigation",
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
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
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
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="aspire"),
    }
}
if DJANGO_ENV == "test":
    # Per-process cache: login throttles and other cached state must not leak between
    # test runs that share one Redis (the rate budget and Celery still use Redis).
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# AUTH (django-allauth: email login, signup, password reset)
# ------------------------------------------------------------------------------
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
ACCOUNT_EMAIL_VERIFICATION = env.str("ACCOUNT_EMAIL_VERIFICATION", default="optional")
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
# Django 6.1 MAILERS: SMTP in production, the console in dev and test (locmem in tests,
# which Django's test runner swaps in).
if IS_PRODUCTION:
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
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="aspire_tiktok <noreply@localhost>")

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
# The three hosts default to the local sandbox (python manage.py runsandbox). To talk to
# real TikTok set them to https://www.tiktok.com, https://open.tiktokapis.com and
# https://business-api.tiktok.com, and set the app credentials below.
SANDBOX_URL = env.str("TIKTOK_SANDBOX_URL", default="http://127.0.0.1:8001").rstrip("/")
TIKTOK_AUTH_BASE_URL = env.str("TIKTOK_AUTH_BASE_URL", default=SANDBOX_URL).rstrip("/")
TIKTOK_OPEN_API_BASE_URL = env.str("TIKTOK_OPEN_API_BASE_URL", default=SANDBOX_URL).rstrip("/")
TIKTOK_BUSINESS_API_BASE_URL = env.str("TIKTOK_BUSINESS_API_BASE_URL", default=SANDBOX_URL).rstrip("/")
# TikTok API for Business app (brand connect, TikTok One, creator auth via tt_user).
TIKTOK_APP_ID = env.str("TIKTOK_APP_ID", default="sandbox-business-app")
TIKTOK_APP_SECRET = env.str("TIKTOK_APP_SECRET", default="sandbox-business-secret")
# TikTok for Developers app (Login Kit).
TIKTOK_CLIENT_KEY = env.str("TIKTOK_CLIENT_KEY", default="sandbox-client-key")
TIKTOK_CLIENT_SECRET = env.str("TIKTOK_CLIENT_SECRET", default="sandbox-client-secret")
# The redirect URIs registered with TikTok (URL names, under SITE_URL). TikTok matches them
# exactly; `check --deploy` requires each to be absolute https, end in "/" and carry no
# query, fragment or port.
TIKTOK_REDIRECT_URL_NAMES = ["integrations:tiktok_callback", "creators:callback"]
TIKTOK_HTTP_TIMEOUT = env.float("TIKTOK_HTTP_TIMEOUT", default=10.0)
TIKTOK_MAX_RETRIES = env.int("TIKTOK_MAX_RETRIES", default=4)
# Shared rate budget (all processes together, counted in Redis).
TIKTOK_LOGIN_KIT_PER_MINUTE = env.int("TIKTOK_LOGIN_KIT_PER_MINUTE", default=600)
TIKTOK_BUSINESS_QPS = env.int("TIKTOK_BUSINESS_QPS", default=10)
TIKTOK_RATE_BUDGET_ENABLED = env.bool("TIKTOK_RATE_BUDGET_ENABLED", default=DJANGO_ENV != "test")
# Extra seconds on each budget window, absorbing the jitter between a slot being granted and
# the request reaching TikTok (see integrations/tiktok/ratelimit.py).
TIKTOK_RATE_BUDGET_GUARD_SECONDS = env.float("TIKTOK_RATE_BUDGET_GUARD_SECONDS", default=0.25)
# Redis key prefix of the budget's sliding windows, and how long a call may wait for a slot
# before it raises a transient error (a Celery task then reschedules with retry_after).
TIKTOK_RATE_BUDGET_KEY_PREFIX = env.str("TIKTOK_RATE_BUDGET_KEY_PREFIX", default="tiktok:rate")
TIKTOK_RATE_BUDGET_MAX_WAIT = env.float("TIKTOK_RATE_BUDGET_MAX_WAIT", default=2.0)
# Retry backoff: base delay doubles per attempt; a wait longer than TIKTOK_RETRY_MAX_SLEEP
# (e.g. a long Retry-After) is not slept in-process but raised for the task to reschedule.
TIKTOK_RETRY_BASE_DELAY = env.float("TIKTOK_RETRY_BASE_DELAY", default=0.5)
TIKTOK_RETRY_MAX_SLEEP = env.float("TIKTOK_RETRY_MAX_SLEEP", default=30.0)
# Refresh Login Kit / tt_user access tokens this long before they expire.
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
SUPPORT_EMAIL = env.str("SUPPORT_EMAIL", default="support@localhost")  # "contact support" on brand pages

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
# task time limit and countdown, or a running task is delivered twice.
CELERY_VISIBILITY_TIMEOUT = 60 * 60 * 2
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}
CELERY_TASK_DEFAULT_QUEUE = "default"
# Routes are matched in order: token refreshes first, then one queue per app's kind.
CELERY_TASK_ROUTES = {
    "*.tasks.refresh_*": {"queue": "tokens"},
    "creators.tasks.*": {"queue": "invites"},
    "integrations.tasks.*report*": {"queue": "insights"},
    "integrations.tasks.*insights*": {"queue": "insights"},
    "sparkads.tasks.*": {"queue": "spark"},
}
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BEAT_SCHEDULE_FILENAME = env.str("CELERY_BEAT_SCHEDULE_FILENAME", default=str(BASE_DIR / ".celerybeat-schedule"))
# One beat schedule. Each entry is a dispatcher that claims due rows (next_poll_at) and
# enqueues per-row tasks; beat must run exactly once per deployment.
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    # Post insights: claim campaigns whose tto/tcm/report/ poll is due (Campaign.next_poll_at).
    "dispatch-insights-polls": {"task": "integrations.tasks.dispatch_insights_polls", "schedule": 300},
}
CELERY_BEAT_SCHEDULE["creators-onboarding-polls"] = {
    "task": "creators.tasks.dispatch_onboarding_polls",
    "schedule": 60.0,
}
CELERY_BEAT_SCHEDULE["creators-post-review-polls"] = {"task": "creators.tasks.dispatch_post_polls", "schedule": 120.0}
CELERY_BEAT_SCHEDULE["creators-token-refresh"] = {
    "task": "creators.tasks.refresh_due_creator_tokens",
    "schedule": 300.0,
}
CELERY_BEAT_SCHEDULE["integrations-rechecks"] = {"task": "integrations.tasks.dispatch_rechecks", "schedule": 300.0}
CELERY_BEAT_SCHEDULE["sparkads-spark-polls"] = {"task": "sparkads.tasks.dispatch_spark_polls", "schedule": 60.0}
CELERY_BEAT_SCHEDULE["sparkads-ads-manager-polls"] = {
    "task": "sparkads.tasks.dispatch_ads_manager_polls",
    "schedule": 120.0,
}

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
