"""Django settings, read from the environment.

DJANGO_ENV selects the profile:
- development (default): the embedded pilot (SQLite + in-memory channel layer), DEBUG on.
- test: what `make test` uses; DATABASE_URL/REDIS_URL point at PostgreSQL and Redis in CI.
- production: refuses to start with DEBUG on or without a real SECRET_KEY.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import dj_database_url
import django_stubs_ext
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config import env
from config.sentry import init_sentry

django_stubs_ext.monkeypatch()  # allows ModelAdmin[Model] and friends at runtime

BASE_DIR = Path(__file__).resolve().parent.parent

DJANGO_ENV = env.get_str("DJANGO_ENV", "development")
if DJANGO_ENV not in {"development", "test", "production"}:
    raise ImproperlyConfigured("DJANGO_ENV must be development, test or production")
PRODUCTION = DJANGO_ENV == "production"

DEBUG = env.get_bool("DEBUG", default=DJANGO_ENV == "development")
SECRET_KEY = env.get_str("SECRET_KEY", "" if PRODUCTION else env.DEFAULT_SECRET_KEY)
DEMO_MODE = env.get_bool("DEMO_MODE", default=DJANGO_ENV == "development")

if PRODUCTION:
    if DEBUG:
        raise ImproperlyConfigured("DEBUG must be off when DJANGO_ENV=production")
    if not SECRET_KEY or SECRET_KEY == env.DEFAULT_SECRET_KEY or len(SECRET_KEY) < 50:
        raise ImproperlyConfigured("SECRET_KEY must be set to a random value of 50+ characters in production")
    if DEMO_MODE:
        raise ImproperlyConfigured("DEMO_MODE is not allowed in production")

ALLOWED_HOSTS = env.get_list("ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.get_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "daphne",
    "accounts.admin_apps.ServiceAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "csp",
    "accounts",
    "peer",
    "helpdesk",
    "chat",
]

MIDDLEWARE = [
    "accounts.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "accounts.middleware.RequireVerifiedMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.middleware.RefuseNulMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
            ],
        },
    },
]

# --- Data stores -----------------------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        env.get_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        # Under ASGI each request and each consumer call may run on another thread, and persistent
        # connections outlive them (the bench saw 431 open connections for 50 users): close them.
        conn_max_age=0,
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded pilot: WAL and a busy timeout let the ASGI server and commands share the file.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A database behind a dead network path must fail in seconds, not hold a worker thread for the
    # operating system's TCP timeout (minutes) while every socket retries through it.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)

REDIS_URL = env.get_str("REDIS_URL", "")
if REDIS_URL:
    # The pub/sub layer multiplexes every socket of a process over one subscription
    # connection; the core layer would hold one pooled connection per open socket
    # (redis-py's async pool stops at 100 by default: MaxConnectionsError).
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": "soudan"},
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "soudan",
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts, sessions, two-factor ---------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
SESSION_ENGINE = "accounts.sessions"  # database sessions; malformed keys are no session
SESSION_COOKIE_AGE = 60 * 60 * 12
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24 * 7  # invitation links are valid for a week

OTP_TOTP_ISSUER = "支援者支援相談"
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1
BACKUP_CODE_COUNT = 10

# Lockout per username + client address: one attacker cannot lock a whole office that
# shares a NAT address, and a wrong code counts like a wrong password.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_HTTP_RESPONSE_CODE = 429
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_CLIENT_IP_CALLABLE = "accounts.net.client_ip"
AXES_VERBOSE = False
AXES_SENSITIVE_PARAMETERS = ["password", "otp_token"]
TRUST_X_FORWARDED_FOR = env.get_bool("TRUST_X_FORWARDED_FOR", default=False)

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", _("Japanese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True

# --- Static files: everything served by the service itself (closed municipal networks) -------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env.get_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Outside production, serve straight from the app folders (no collectstatic needed for `make run`).
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = DEBUG

# --- Security headers -----------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"

# CSP: same-origin only; WebSocket connections go to the same host (ws/wss).
_CONNECT_SRC = ["'self'", "wss:"] if PRODUCTION else ["'self'", "ws:", "wss:"]
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": _CONNECT_SRC,
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

# --- E-mail (invitations) -------------------------------------------------------------------
globals().update(env.parse_email_url(env.get_str("EMAIL_URL", "")))
DEFAULT_FROM_EMAIL = env.get_str("DEFAULT_FROM_EMAIL", "no-reply@localhost")
SITE_URL = env.get_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# --- Background worker and retention (docs/operations.md) -----------------------------------
# Texts of consultations resolved this many days ago, and circle messages as old, are purged.
RETENTION_DAYS = env.get_int("RETENTION_DAYS", 365, minimum=1)
# What `manage.py background_worker` runs: dotted paths of zero-argument callables returning a dict
# of counts, each with the least number of seconds between two runs (0: every round).
BACKGROUND_JOBS: list[tuple[str, float]] = [
    ("accounts.housekeeping.run_housekeeping", 0),
    ("chat.retention.run_retention", 60 * 60),
]

# --- Logging: structured, never request bodies ----------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "accounts.middleware.RequestIdLogFilter"},
        "exceptions_as_types": {"()": "config.logformat.ExceptionsAsTypes"},
        "without_query_string": {"()": "config.logformat.WithoutQueryString"},
    },
    "formatters": {
        # Tracebacks name exception types and frames, never their messages (they can quote data).
        "plain": {
            "()": "config.logformat.TracebackWithoutValues",
            "fmt": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s",
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["request_id", "exceptions_as_types"],
        },
    },
    "root": {"handlers": ["console"], "level": env.get_str("LOG_LEVEL", "INFO")},
    "loggers": {
        # Django logs the template context and request on some errors; keep only our own lines.
        # Django's own DEBUG console handler would format tracebacks with their messages: none here,
        # everything goes through "console" above.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        # The development servers log every request line: keep it, without the query string.
        "django.server": {
            "handlers": ["console"],
            "level": "INFO",
            "propagate": False,
            "filters": ["without_query_string"],
        },
        "django.channels.server": {"level": "INFO", "filters": ["without_query_string"]},  # make run
        "django.request": {"level": "ERROR", "propagate": True},
        "axes": {"level": "WARNING", "propagate": True},
    },
}

# --- Supervisor dashboard and monitoring -----------------------------------------------------
METRICS_TOKEN = env.get_str("METRICS_TOKEN", "")
# Behind a proxy on the same host every request comes from 127.0.0.1: use the token there.
METRICS_ALLOWED_NETWORKS = env.get_list("METRICS_ALLOWED_NETWORKS", [] if PRODUCTION else ["127.0.0.1/32"])
DASHBOARD_THRESHOLDS: dict[str, dict[str, int]] = {}

SENTRY_DSN = env.get_str("SENTRY_DSN", "")
if SENTRY_DSN:
    init_sentry(dsn=SENTRY_DSN, environment=env.get_str("SENTRY_ENVIRONMENT", DJANGO_ENV))
