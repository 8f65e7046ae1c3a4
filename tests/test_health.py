"""/healthz does a real database query and a real channel-layer round trip."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest
from django.test import Client


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def private_redis() -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A throwaway Redis server that the test may stop without disturbing anything else."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is required for this test (apt-get install redis-server)")
    port = _free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0", process
    if process.poll() is None:
        process.kill()
    process.wait(timeout=10)


def test_healthz_is_ok_with_database_and_channel_layer(client: Client, db: None) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "channel_layer": "ok"}


@pytest.mark.redis
def test_healthz_uses_the_configured_redis_layer(client: Client, db: None) -> None:
    assert os.environ.get("REDIS_URL"), "make test runs against Redis"
    from django.conf import settings

    assert settings.CHANNEL_LAYERS["default"]["BACKEND"].startswith("channels_redis.")
    assert client.get("/healthz").json()["channel_layer"] == "ok"


@pytest.mark.redis
def test_healthz_reports_a_stopped_redis_and_its_recovery(
    client: Client, db: None, settings: object, private_redis: tuple[str, subprocess.Popen[bytes]]
) -> None:
    url, process = private_redis
    settings.CHANNEL_LAYERS = {  # type: ignore[attr-defined]
        "default": {"BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer", "CONFIG": {"hosts": [url]}}
    }
    assert client.get("/healthz").status_code == 200

    process.kill()
    process.wait(timeout=10)
    down = client.get("/healthz")
    assert down.status_code == 503
    assert down.json() == {"status": "error", "database": "ok", "channel_layer": "error"}


def test_healthz_needs_no_login_and_is_not_cached(client: Client, db: None) -> None:
    response = client.get("/healthz")
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_healthz_names_a_broken_database(client: Client, db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    class UnreachableDatabase:
        def cursor(self) -> None:
            raise ConnectionError("database is down")

    monkeypatch.setattr("config.health.connection", UnreachableDatabase())
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "error"
    assert response.json()["channel_layer"] == "ok"
