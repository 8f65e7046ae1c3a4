"""Production settings, security headers, the two-factor gate over every URL, self-hosted assets."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION_ENV = {
    "DJANGO_ENV": "production",
    "SECRET_KEY": "a-Very-long-and-random-production-secret-" + "k3y" * 10,
    "ALLOWED_HOSTS": "soudan.example.jp",
    "CSRF_TRUSTED_ORIGINS": "https://soudan.example.jp",
    "DATABASE_URL": os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test"),
    "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
}


def _manage(env_overrides: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "DEMO_MODE", "SECRET_KEY"}}
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_production_deploy_check_passes() -> None:
    result = _manage(PRODUCTION_ENV, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"DEBUG": "1"}, "DEBUG must be off"),
        ({"SECRET_KEY": ""}, "SECRET_KEY must be set"),
        ({"SECRET_KEY": "insecure-development-key-do-not-use-in-production"}, "SECRET_KEY must be set"),
        ({"DEMO_MODE": "1"}, "DEMO_MODE is not allowed"),
    ],
)
def test_production_refuses_unsafe_settings(override: dict[str, str], message: str) -> None:
    result = _manage({**PRODUCTION_ENV, **override}, "check")
    assert result.returncode != 0
    assert message in result.stderr


def test_production_refuses_demo_data() -> None:
    result = _manage(PRODUCTION_ENV, "seed_demo")
    assert result.returncode != 0
    assert "demo" in result.stderr.lower()


def test_security_headers_on_every_page(client: Client, db: None) -> None:
    response = client.get("/accounts/login/")
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert re.search(r"connect-src [^;]*'self'[^;]*wss:", csp)
    assert "frame-ancestors 'none'" in csp
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


# Views that must work before two-factor verification; everything else needs it.
# /metrics authenticates monitoring by token or network instead (tests/helpdesk/test_dashboard.py).
EXEMPT = {"accounts:login", "accounts:enrol", "accounts:invite", "set_language", "healthz", "metrics"}


def _named_patterns(resolver: URLResolver, namespace: str = "") -> list[tuple[str, URLPattern]]:
    found: list[tuple[str, URLPattern]] = []
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            found.extend(_named_patterns(entry, inner))
        elif entry.name:
            found.append((f"{namespace}{entry.name}", entry))
    return found


def test_only_the_expected_views_are_exempt_from_two_factor() -> None:
    """The JSON API authenticates itself (verified session or token, tests/helpdesk/test_api*.py)."""
    exempt = set()
    api_views = set()
    for name, pattern in _named_patterns(get_resolver()):
        view = getattr(pattern.callback, "view_class", pattern.callback)
        is_exempt = getattr(pattern.callback, "otp_exempt", False) or getattr(view, "otp_exempt", False)
        if name.startswith("api:"):
            api_views.add((name, is_exempt))
        elif is_exempt:
            exempt.add(name)
    assert exempt == EXEMPT
    assert api_views and all(is_exempt for _, is_exempt in api_views)


@pytest.mark.parametrize("path", ["/", "/accounts/backup-codes/", "/admin/", "/admin/accounts/user/"])
def test_anonymous_requests_are_sent_to_login(client: Client, db: None, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_static_assets_are_served_by_the_service_itself(client: Client, db: None) -> None:
    response = client.get("/static/css/site.css")
    assert response.status_code == 200
    assert b"Noto Sans CJK JP" in b"".join(response.streaming_content)  # type: ignore[attr-defined]


def test_no_page_or_asset_loads_anything_from_outside() -> None:
    external = re.compile(r"""(src|href|url)\s*[=(]\s*["']?(https?:)?//""", re.IGNORECASE)
    offenders = [
        str(path.relative_to(ROOT))
        for folder in ("templates", "static")
        for path in (ROOT / folder).rglob("*")
        if path.is_file() and external.search(path.read_text(encoding="utf-8", errors="ignore"))
    ]
    assert offenders == []
