"""Security headers on every page and answer; HSTS and cookie flags with the production settings.

(`check --deploy` with production settings: tests/test_security.py::test_production_deploy_check_passes.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from html.parser import HTMLParser
from typing import Any

import pytest

from tests.security.conftest import Cast, claimed, client_for
from tests.security.servers import ROOT, database_url

# (who, path, status): every kind of answer the service gives, including errors and JSON.
ANSWERS = [
    ("anonymous", "/accounts/login/", 200),
    ("anonymous", "/accounts/invite/MQ/set-password/", 200),
    ("anonymous", "/consultations/", 302),
    ("anonymous", "/healthz", 200),
    ("anonymous", "/api/v1/consultations/", 401),
    ("owner", "/", 200),
    ("owner", "/consultations/", 200),
    ("owner", "/consultations/new/", 200),
    ("owner", "/consultations/{c}/", 200),
    ("owner", "/accounts/backup-codes/", 200),
    ("owner", "/chat/unread/", 200),
    ("owner", "/consultations/queue/", 403),
    ("owner", "/consultations/987654321/", 404),
    ("peer", "/consultations/queue/", 200),
    ("peer", "/consultations/{c}/", 200),
    ("admin", "/admin/", 200),
    ("admin", "/admin/accounts/user/", 200),
    ("admin", "/admin/accounts/auditevent/", 200),
]


def same_origin(src: str | None) -> bool:
    return bool(src) and src.startswith("/") and not src.startswith("//")  # type: ignore[union-attr]


def csp_directives(header: str) -> dict[str, list[str]]:
    return {name: values for name, *values in (part.split() for part in header.split(";") if part.strip())}


class Scripts(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[dict[str, str | None]] = []
        self.styles: list[dict[str, str | None]] = []
        self.handlers: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self.scripts.append(dict(attrs))
        if tag == "style":
            self.styles.append(dict(attrs))
        self.handlers += [name for name, _ in attrs if name.startswith("on")]


@pytest.mark.parametrize(("who", "path", "status"), ANSWERS, ids=[f"{w}:{p}" for w, p, _ in ANSWERS])
def test_every_answer_carries_the_security_headers(cast: Cast, who: str, path: str, status: int) -> None:
    # given a person (or nobody) and a page, an error or a JSON answer
    claimed(cast)
    client = client_for(cast, who)
    # when it is requested
    response = client.get(path.format(c=cast.consultation.pk))
    # then it carries the headers
    assert response.status_code == status
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    csp = csp_directives(response["Content-Security-Policy"])
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["default-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"] and csp["base-uri"] == ["'none'"]
    assert csp["form-action"] == ["'self'"]
    for directive in ("script-src", "style-src"):
        assert not {"'unsafe-inline'", "'unsafe-eval'", "*", "data:", "https:"} & set(csp[directive])
    # and every script or style in an HTML page is a same-origin file or carries the header's nonce
    if response["Content-Type"].startswith("text/html") and not path.startswith("/admin/"):
        page = Scripts()
        page.feed(response.content.decode())
        nonces = {value[len("'nonce-") : -1] for value in csp["script-src"] if value.startswith("'nonce-")}
        for script in page.scripts:
            assert same_origin(script.get("src")) or script.get("nonce") in nonces, script
        for style in page.styles:
            assert style.get("nonce") in nonces, style
        assert page.handlers == []  # inline event handlers would be both blocked and a smell


def test_the_admin_pages_keep_to_the_same_policy(cast: Cast) -> None:
    """The admin ships its own scripts and inline styles; the policy must not be loosened for it."""
    response = client_for(cast, "admin").get("/admin/accounts/user/")
    page = Scripts()
    page.feed(response.content.decode())
    inline = [
        s for s in page.scripts if not same_origin(s.get("src")) and s.get("type") != "application/json"
    ]
    assert inline == []
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]


def test_static_files_are_never_sniffed(cast: Cast) -> None:
    """Served by whitenoise before the page middlewares: nosniff still applies (SecurityMiddleware)."""
    for path in ("/static/css/site.css", "/static/js/chat.js"):
        response = client_for(cast, "anonymous").get(path)
        assert response.status_code == 200
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"


PRODUCTION_PROBE = textwrap.dedent(
    """
    import json
    import django
    django.setup()
    from django.conf import settings
    from django.http import HttpResponse
    from django.contrib.sessions.middleware import SessionMiddleware
    from django.test import Client, RequestFactory, override_settings

    # collectstatic runs at image build time; this process has no manifest, so serve names as they are
    override_settings(
        STORAGES={**settings.STORAGES, "staticfiles": {
            "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        }}
    ).enable()

    client = Client(HTTP_HOST="soudan.example.jp")
    plain = client.get("/accounts/login/")
    secure = client.get("/accounts/login/", secure=True)
    health = client.get("/healthz")

    def view(request):
        request.session["probe"] = 1
        return HttpResponse()

    request = RequestFactory(HTTP_HOST="soudan.example.jp").get("/", secure=True)
    with_session = SessionMiddleware(view)(request)
    request.session.delete()

    def cookie(response, name):
        morsel = response.cookies[name]
        return {key: morsel[key] for key in ("secure", "httponly", "samesite", "path", "domain")}

    print(json.dumps({
        "plain": [plain.status_code, plain.get("Location", "")],
        "health": health.status_code,
        "hsts": secure.get("Strict-Transport-Security", ""),
        "csp": secure.get("Content-Security-Policy", ""),
        "csrf_cookie": [settings.CSRF_COOKIE_NAME, cookie(secure, settings.CSRF_COOKIE_NAME)],
        "session_cookie": [settings.SESSION_COOKIE_NAME, cookie(with_session, settings.SESSION_COOKIE_NAME)],
        "debug": settings.DEBUG,
    }))
    """
)


@pytest.mark.django_db
def test_production_sends_hsts_and_secure_cookies() -> None:
    # given the production settings, in their own process
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"DEBUG", "DEMO_MODE"}},
        "DJANGO_ENV": "production",
        "SECRET_KEY": "p" * 20 + "-not-a-real-production-secret-" + "q" * 20,
        "ALLOWED_HOSTS": "soudan.example.jp",
        "CSRF_TRUSTED_ORIGINS": "https://soudan.example.jp",
        "DATABASE_URL": database_url(),
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    # when a browser asks for the login page over plain HTTP and over HTTPS
    result = subprocess.run(
        [sys.executable, "-c", PRODUCTION_PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    seen: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    # then plain HTTP is redirected to HTTPS (the load balancer's /healthz excepted)
    assert seen["plain"] == [301, "https://soudan.example.jp/accounts/login/"]
    assert seen["health"] in (200, 503)
    # and HTTPS answers carry a year of HSTS with subdomains and preload
    assert seen["hsts"] == "max-age=31536000; includeSubDomains; preload"
    assert "ws:" not in csp_directives(seen["csp"])["connect-src"]
    # and both cookies are __Host- cookies: Secure, HttpOnly, SameSite=Lax, whole site, no Domain
    for name, flags in (seen["csrf_cookie"], seen["session_cookie"]):
        assert name.startswith("__Host-")
        assert flags == {"secure": True, "httponly": True, "samesite": "Lax", "path": "/", "domain": ""}
    assert seen["debug"] is False
