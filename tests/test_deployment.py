"""The deployment files (docker-compose.yml, deploy/nginx.conf, Dockerfile) agree with the app."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from config.env import ENV_VARS

ROOT = Path(__file__).resolve().parent.parent
APP_SERVICES = ("web", "worker", "sla-worker", "migrate")
PRODUCTION_REQUIRED = {"DJANGO_ENV", "SECRET_KEY", "DATABASE_URL", "REDIS_URL", "ALLOWED_HOSTS"} | {
    "CSRF_TRUSTED_ORIGINS", "TRUST_X_FORWARDED_FOR"
}  # fmt: skip


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, Any]:
    return compose["services"]


def env_of(service: dict[str, Any]) -> dict[str, str]:
    env = service["environment"]
    return dict(item.split("=", 1) for item in env) if isinstance(env, list) else dict(env)


def interpolate(value: str) -> str:
    """Compose's ${VAR:-default} -> default; ${VAR:?msg} and ${VAR} -> a stand-in value."""
    return re.sub(r"\$\{\w+(?:(:?-)([^}]*)|:?\?[^}]*)?\}", lambda m: m[2] if m[1] else "set", value)


def tokens(command: str | list[str]) -> list[str]:
    return shlex.split(command) if isinstance(command, str) else list(command)


def block(text: str, header: str) -> str:
    """The body of the first `header { ... }` block in an nginx config."""
    start = text.index("{", text.index(header)) + 1
    depth, pos = 1, start
    while depth:
        depth += {"{": 1, "}": -1}.get(text[pos], 0)
        pos += 1
    return text[start : pos - 1]


def test_services_are_exactly_the_stack(services: dict[str, Any]) -> None:
    assert set(services) == {"proxy", "web", "worker", "sla-worker", "migrate", "db", "redis"}


def test_web_runs_replicas_behind_the_proxy(services: dict[str, Any]) -> None:
    assert services["web"]["deploy"]["replicas"] >= 2
    assert "ports" not in services["web"]
    assert "./deploy/nginx.conf:/etc/nginx/nginx.conf:ro" in services["proxy"]["volumes"]
    assert "web" in services["proxy"]["depends_on"]


@pytest.mark.parametrize(("name", "probe"), [("db", "pg_isready"), ("redis", "redis-cli ping")])
def test_data_stores_have_healthchecks_and_volumes(compose: dict[str, Any], name: str, probe: str) -> None:
    service = compose["services"][name]
    assert probe in " ".join(tokens(service["healthcheck"]["test"]))
    volume_names = {volume.split(":")[0] for volume in service["volumes"]}
    assert volume_names and volume_names <= set(compose.get("volumes") or {})
    if name == "redis":
        assert "--appendonly yes" in " ".join(tokens(service["command"]))


def test_app_services_share_one_environment_of_known_variables(services: dict[str, Any]) -> None:
    web_env = env_of(services["web"])
    assert env_of(services["worker"]) == web_env
    for name in APP_SERVICES:
        unknown = set(env_of(services[name])) - set(ENV_VARS)
        assert not unknown, f"{name} sets variables the settings never read: {sorted(unknown)}"


def test_production_variables_are_set(services: dict[str, Any]) -> None:
    for name in APP_SERVICES:
        env = env_of(services[name])
        assert set(env) >= PRODUCTION_REQUIRED, name
        assert env["DJANGO_ENV"] == "production"
        assert str(env["TRUST_X_FORWARDED_FOR"]) == "1"
        assert env["SECRET_KEY"].startswith("${SECRET_KEY:?"), "SECRET_KEY must be required, no default"


def test_store_urls_point_at_compose_services(services: dict[str, Any]) -> None:
    env = env_of(services["web"])
    database = urlsplit(interpolate(env["DATABASE_URL"]))
    db_env = env_of(services["db"])
    assert database.scheme in {"postgres", "postgresql"} and database.hostname == "db"
    assert database.username == db_env["POSTGRES_USER"]
    assert database.password == interpolate(db_env["POSTGRES_PASSWORD"])
    assert database.path.lstrip("/") == db_env["POSTGRES_DB"]
    redis = urlsplit(interpolate(env["REDIS_URL"]))
    assert redis.scheme == "redis" and redis.hostname == "redis"


def test_migrations_run_once_before_the_app(services: dict[str, Any]) -> None:
    assert tokens(services["migrate"]["command"])[-3:] == ["manage.py", "migrate", "--noinput"]
    assert services["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    for name in ("web", "worker", "sla-worker"):
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def test_worker_runs_the_background_worker_command(services: dict[str, Any]) -> None:
    assert tokens(services["worker"]["command"])[-2:] == ["manage.py", "background_worker"]
    assert tokens(services["sla-worker"]["command"])[-2:] == ["manage.py", "run_sla_worker"]


def test_nginx_proxies_http_and_websockets_to_web() -> None:
    conf = re.sub(r"#[^\n]*", "", (ROOT / "deploy" / "nginx.conf").read_text(encoding="utf-8"))
    assert re.search(r"map\s+\$http_upgrade\s+\$connection_upgrade\s*\{", conf)
    assert re.search(r"resolver\s+127\.0\.0\.11\b", conf)
    assert "http://web:8000" in conf
    assert re.search(r"client_max_body_size\s+2m;", conf)
    assert "$request_body" not in conf
    ws = block(conf, "location /ws/")
    for directive in (r"proxy_pass\s+\S+;", r"proxy_http_version\s+1\.1;", r"proxy_read_timeout\s+\d{4,}s;"):
        assert re.search(directive, ws), directive
    assert re.search(r"proxy_set_header\s+Upgrade\s+\$http_upgrade;", ws)
    assert re.search(r"proxy_set_header\s+Connection\s+\$connection_upgrade;", ws)
    for location in (ws, block(conf, "location / ")):
        for header in ("Host", "X-Forwarded-For", "X-Forwarded-Proto"):
            assert re.search(rf"proxy_set_header\s+{header}\s", location), header


def test_dockerfile_runs_daphne_as_non_root() -> None:
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text(encoding="utf-8"))
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    final = lines[max(i for i, line in enumerate(lines) if line.upper().startswith("FROM ")) :]
    assert final[0].split()[1].startswith("python:3.11-slim")
    cmd = json.loads(next(line for line in final if line.startswith("CMD "))[4:])
    assert cmd[0] == "daphne" and cmd[-1] == "config.asgi:application"
    assert "--proxy-headers" in cmd and cmd[cmd.index("-b") + 1] == "0.0.0.0"  # noqa: S104
    users = [line.split()[1] for line in final if line.startswith("USER ")]
    assert users and users[-1].split(":")[0] not in {"root", "0"}
    assert any(line.startswith("HEALTHCHECK ") and "/healthz" in line for line in final)
    collect = [line for line in lines if "collectstatic --noinput" in line]
    assert collect and "DJANGO_ENV=production" in collect[0] and "SECRET_KEY=" in collect[0]
    assert not any(re.match(r"(ENV|ARG)\s.*SECRET_KEY", line) for line in lines), "no SECRET_KEY in image"
