"""Django settings for Dure, configured from the environment (12-factor, django-environ).

Development defaults: DEBUG on, an embedded SQLite database under ``var/``, console e-mail.
Production (``DEBUG=false``): refuses to start without a real ``SECRET_KEY`` and turns on the
security settings that ``dure check --deploy`` expects.
"""

from __future__ import annotations

import os
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = Path(os.environ.get("DURE_HOME", BASE_DIR.parent.parent)).resolve()
VAR_DIR = Path(os.environ.get("DURE_VAR_DIR", PROJECT_DIR / "var")).resolve()

env = environ.Env()
DEBUG = env.bool("DEBUG", default=True)
TESTING = env.bool("DURE_TESTING", default=False)

_DEV_SECRET = "dev-insecure-only-for-local-development"  # noqa: S105 - refused when DEBUG is off
SECRET_KEY = env.str("SECRET_KEY", default=_DEV_SECRET)
if not DEBUG and (SECRET_KEY == _DEV_SECRET or len(SECRET_KEY) < 50):
    raise ImproperlyConfigured(
        "SECRET_KEY must be set to a random value of at least 50 characters when DEBUG is off."
    )

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # Our apps come first so that our templates (e.g. registration/*.html) win over the admin's.
    "dure.core",
    "dure.accounts",
    "dure.directory",
    "dure.search",
    "dure.desk",
    "dure.routing",
    "dure.techbank",
    "dure.governance",
    "dure.ledger",
    "dure.market",
    "dure.programs",
    "dure.insights",
    "dure.founding",
    "dure.portal",
    "dure.api",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ninja",  # serves the API docs' Swagger UI files locally (CSP, offline)
    "django_htmx",
    "simple_history",
    "axes",
    "django_tasks",
    "django_tasks_db",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "dure.urls"
WSGI_APPLICATION = "dure.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "dure.core.context_processors.navigation",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------------
# SQLite in WAL mode under var/ by default; PostgreSQL (or anything dj-database-url understands)
# when DATABASE_URL is set.
VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASE_URL = env.str("DATABASE_URL", default="") or f"sqlite:///{VAR_DIR / 'dure.sqlite3'}"
DATABASES = {"default": env.db_url_config(DATABASE_URL)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update(
        {
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=5000;"
            ),
            "transaction_mode": "IMMEDIATE",
        }
    )
# Persistent connections: opening one (and, for SQLite, running the PRAGMAs) costs more than a
# cached page.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# django-axes: throttle brute force by username + IP; lock for an hour after 10 failures.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = 1
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)

# --- i18n: Korean first, English second --------------------------------------------------------
LANGUAGE_CODE = "ko"
LANGUAGES = [("ko", _("한국어")), ("en", _("English"))]
LANGUAGE_COOKIE_AGE = 60 * 60 * 24 * 365
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Seoul"
USE_I18N = True
USE_TZ = True

# --- Static and media ---------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
WHITENOISE_USE_FINDERS = DEBUG
# WhiteNoise scans every static file when its middleware is built: once per server process, but
# once per client in tests (Django's test client builds the middleware chain anew each time),
# ~30 ms each, minutes over the suite. Under test it looks a file up when asked instead (its
# development mode).
WHITENOISE_AUTOREFRESH = DEBUG or TESTING
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 25 * 1024 * 1024

# --- E-mail -------------------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Dure <noreply@dure.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Support desk -------------------------------------------------------------------------------
# The public address of this installation, for links in e-mails (status links to requesters).
DURE_SITE_URL = env.str("DURE_SITE_URL", default="http://localhost:8000")
# How long a requester's signed no-login status link stays valid, and how long after a
# resolution the requester may reopen a case.
DURE_DESK_STATUS_LINK_DAYS = env.int("DURE_DESK_STATUS_LINK_DAYS", default=180)
DURE_DESK_REOPEN_DAYS = env.int("DURE_DESK_REOPEN_DAYS", default=30)
# Marketplace: last-click attribution window, refund window before commissions are approved,
# payment deadlines, and the account buyers pay into (무통장입금).
# Background work through django-tasks. "immediate" runs a task right after the enqueuing
# transaction commits, in the same process: for development, tests and small installations.
# Production sets DURE_TASKS_BACKEND=database and runs `dure db_worker` (one or more workers).
TASK_BACKENDS = {
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
    "database": "django_tasks_db.DatabaseBackend",
}
TASKS = {"default": {"BACKEND": TASK_BACKENDS[env.str("DURE_TASKS_BACKEND", default="immediate")]}}

DURE_MARKET_ATTRIBUTION_DAYS = env.int("DURE_MARKET_ATTRIBUTION_DAYS", default=14)
DURE_MARKET_REFUND_WINDOW_DAYS = env.int("DURE_MARKET_REFUND_WINDOW_DAYS", default=7)
DURE_MARKET_DEPOSIT_DAYS = env.int("DURE_MARKET_DEPOSIT_DAYS", default=3)
DURE_MARKET_INVOICE_DAYS = env.int("DURE_MARKET_INVOICE_DAYS", default=30)
DURE_MARKET_BANK_ACCOUNT = env.str(
    "DURE_MARKET_BANK_ACCOUNT", default="국민은행 000000-00-000000 (예금주: 서울지역협동조합협의회)"
)

# --- Security -----------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 60 * 60 * 8
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "style-src": ["'self'"],
        "script-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
}

# --- Dure ---------------------------------------------------------------------------------------
# Version of the privacy notice (개인정보 수집·이용 동의) that consent records refer to.
DURE_PRIVACY_NOTICE_VERSION = "2026-11-01"
DURE_PAGE_SIZE = 20
# Public pages for visitors without a session are cached this long (0 turns it off); any write
# to public data invalidates them at once (see dure.core.pagecache).
DURE_PAGE_CACHE_SECONDS = env.int("DURE_PAGE_CACHE_SECONDS", default=600)

# REDIS_URL shares the cache between servers; without it each process keeps its own.
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": env.str("REDIS_URL")}
        if env.str("REDIS_URL", default="")
        else {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "OPTIONS": {"MAX_ENTRIES": 5000},
        }
    )
}
