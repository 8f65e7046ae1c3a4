"""/healthz does a real database query and a real channel-layer round trip."""

from __future__ import annotations

import os

import pytest
from django.test import Client

from tests.conftest import RedisServer


def test_healthz_is_ok_with_database_and_channel_layer(client: Client, db: None) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "channel_layer": "ok"}


@pytest.mark.redis
def test_healthz_uses_the_configured_redis_layer(client: Client, db: None) -> None:
    assert os.environ.get("REDIS_URL"), "make test runs against Redis"
    from django.conf import settings

    backend = str(settings.CHANNEL_LAYERS["default"]["BACKEND"])
    assert backend.startswith("channels_redis.")
    assert client.get("/healthz").json()["channel_layer"] == "ok"


@pytest.mark.redis
def test_healthz_reports_a_stopped_redis_and_its_recovery(
    client: Client, db: None, settings: object, private_redis: RedisServer
) -> None:
    settings.CHANNEL_LAYERS = {  # type: ignore[attr-defined]
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [private_redis.url]},
        }
    }
    assert client.get("/healthz").status_code == 200

    private_redis.stop()
    down = client.get("/healthz")
    assert down.status_code == 503
    assert down.json() == {"status": "error", "database": "ok", "channel_layer": "error"}

    private_redis.start()
    assert client.get("/healthz").status_code == 200


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
