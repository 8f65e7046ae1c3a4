"""Environment-driven settings helpers (12-factor).

Every variable the settings read goes through this module, so the set of names
is known in one place (`ENV_VARS`) and can be checked against deployment files.
"""

from __future__ import annotations

import os
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

ENV_VARS: dict[str, str] = {
    "DJANGO_ENV": "development (default), test or production",
    "DEBUG": "1/0; refused in production",
    "SECRET_KEY": "required in production",
    "DATABASE_URL": "postgres://... or sqlite:///path; default: SQLite in the project folder",
    "REDIS_URL": "redis://host:port/db; when set, channel layer and cache use Redis",
    "ALLOWED_HOSTS": "comma-separated host names",
    "CSRF_TRUSTED_ORIGINS": "comma-separated origins, e.g. https://soudan.example.jp",
    "SENTRY_DSN": "error tracking; scrubbed, off when empty",
    "SENTRY_ENVIRONMENT": "environment name reported to Sentry",
    "EMAIL_URL": "smtp://user:pass@host:587?tls=1, console:// or dummy://",
    "DEFAULT_FROM_EMAIL": "sender address for invitations",
    "SITE_URL": "public base URL for links printed or mailed (invitations), default http://127.0.0.1:8000",
    "TRUST_X_FORWARDED_FOR": "1 when behind our reverse proxy (client address for lockout)",
    "STATIC_ROOT": "where collectstatic writes",
    "LOG_LEVEL": "root log level, default INFO",
    "DEMO_MODE": "1 to allow demo data (never in production)",
    "METRICS_TOKEN": "bearer token for /metrics (Prometheus); empty: allowed networks only",
    "METRICS_ALLOWED_NETWORKS": "comma-separated CIDRs allowed to read /metrics, default 127.0.0.1/32",
    "RETENTION_DAYS": "days after resolution before a consultation's texts and old circle messages are "
    "purged by the worker, default 365",
}

DEFAULT_SECRET_KEY = "insecure-development-key-do-not-use-in-production"  # noqa: S105 - refused in production


class ImproperEnvironment(ImproperlyConfigured):
    """A setting from the environment is missing or invalid."""


def _check(name: str) -> None:
    if name not in ENV_VARS:
        raise KeyError(f"{name} is not a documented environment variable")


def get_str(name: str, default: str = "") -> str:
    _check(name)
    return os.environ.get(name, default)


def get_bool(name: str, default: bool = False) -> bool:
    raw = get_str(name, "")
    if raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperEnvironment(f"{name} must be a boolean (1/0), got {raw!r}")


def get_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = get_str(name, "").strip()
    if raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or (minimum is not None and value < minimum):
        at_least = "" if minimum is None else f", at least {minimum}"
        # Raised outside the except block: the message says it all, no int() traceback underneath.
        raise ImproperEnvironment(f"{name} must be a whole number{at_least}, got {raw!r}")
    return value


def get_list(name: str, default: list[str] | None = None) -> list[str]:
    raw = get_str(name, "")
    if raw.strip() == "":
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


def parse_email_url(url: str) -> dict[str, object]:
    """Turn EMAIL_URL into Django EMAIL_* settings."""
    if not url:
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "console":
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if scheme in {"dummy", "locmem"}:
        return {"EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
    if scheme not in {"smtp", "smtps", "submission"}:
        raise ImproperEnvironment("EMAIL_URL scheme must be smtp, smtps, submission, console or dummy")
    query = parse_qs(parts.query)
    use_ssl = scheme == "smtps" or query.get("ssl", ["0"])[0] == "1"
    use_tls = scheme == "submission" or query.get("tls", ["0"])[0] == "1"
    default_port = 465 if use_ssl else (587 if use_tls else 25)
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": parts.hostname or "localhost",
        "EMAIL_PORT": parts.port or default_port,
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_TLS": use_tls,
        "EMAIL_USE_SSL": use_ssl,
    }
