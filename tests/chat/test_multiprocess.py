"""Two real daphne processes sharing PostgreSQL and Redis; Redis restarted mid-conversation."""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from websockets.asyncio.client import ClientConnection, connect

from chat.models import Message, MessageKind
from tests.chat.conftest import session_cookie
from tests.conftest import RedisServer, free_port, wait_for_port

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


class Daphne:
    def __init__(self, redis_url: str) -> None:
        self.port = free_port()
        db = connection.settings_dict
        host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
        env = {
            **os.environ,
            "DJANGO_ENV": "test",
            "DATABASE_URL": f"postgres://{db['USER']}@{host}:{port}/{db['NAME']}",
            "REDIS_URL": redis_url,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
        }
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "daphne",
                "-b",
                "127.0.0.1",
                "-p",
                str(self.port),
                "config.asgi:application",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port, seconds=30)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


@pytest.fixture
def two_servers(private_redis: RedisServer) -> Iterator[tuple[Daphne, Daphne]]:
    if connection.vendor != "postgresql":
        pytest.skip("several processes share PostgreSQL in production; make test runs on it")
    servers = (Daphne(private_redis.url), Daphne(private_redis.url))
    yield servers
    for server in servers:
        server.stop()


async def open_chat(server: Daphne, consultation_id: int, cookie: str, after: int = 0) -> ClientConnection:
    socket = await connect(
        f"ws://127.0.0.1:{server.port}/ws/consultations/{consultation_id}/",
        additional_headers={"Cookie": cookie},
        origin="http://127.0.0.1",  # type: ignore[arg-type]
        open_timeout=10,
    )
    await socket.send(json.dumps({"type": "resume", "after_seq": after}))
    return socket


async def next_of(socket: ClientConnection, kind: str, timeout: float = 5) -> dict[str, Any]:
    while True:
        frame = json.loads(await asyncio.wait_for(socket.recv(), timeout))
        if frame["type"] == kind:
            return frame


async def send(socket: ClientConnection, body: str) -> int:
    client_id = str(uuid.uuid4())
    await socket.send(json.dumps({"type": "send", "client_id": client_id, "body": body}))
    return int((await next_of(socket, "ack"))["seq"])


def test_a_message_sent_through_one_process_reaches_a_client_of_the_other(
    room: dict[str, Any], two_servers: tuple[Daphne, Daphne]
) -> None:
    first, second = two_servers
    cid = room["consultation"].pk
    worker_cookie, peer_cookie = session_cookie(room["worker"]), session_cookie(room["peer"])

    async def scenario() -> list[int]:
        worker = await open_chat(first, cid, worker_cookie)
        peer = await open_chat(second, cid, peer_cookie)
        await asyncio.sleep(0.3)  # let both subscriptions settle
        for n in range(10):
            await send(worker, f"プロセスをまたぐメッセージ{n}")
        seqs = [(await next_of(peer, "message"))["seq"] for _ in range(10)]
        await worker.close()
        await peer.close()
        return seqs

    assert asyncio.run(scenario()) == list(range(1, 11))


def test_redis_restart_loses_nothing_that_was_committed(
    room: dict[str, Any], two_servers: tuple[Daphne, Daphne], private_redis: RedisServer
) -> None:
    first, second = two_servers
    cid = room["consultation"].pk
    worker_cookie, peer_cookie = session_cookie(room["worker"]), session_cookie(room["peer"])

    async def scenario() -> tuple[list[int], list[int]]:
        worker = await open_chat(first, cid, worker_cookie)
        peer = await open_chat(second, cid, peer_cookie)
        await asyncio.sleep(0.3)
        await send(worker, "再起動の前")
        assert (await next_of(peer, "message"))["seq"] == 1

        private_redis.stop()
        for n in range(3):  # committed while the bell cannot ring
            await send(worker, f"停止中{n}")
        outage = await asyncio.to_thread(health_of, first)  # the web process reports the outage
        private_redis.start()
        recovery = await asyncio.to_thread(health_of, first, wait_for=200)

        # the peer's client reconnects and resumes from the last seq it saw
        await peer.close()
        peer = await open_chat(second, cid, peer_cookie, after=1)
        recovered = [(await next_of(peer, "message"))["seq"] for _ in range(3)]

        # and live delivery works again once the layer has reconnected
        await asyncio.sleep(2.5)
        await send(worker, "再起動の後")
        live = [(await next_of(peer, "message", timeout=10))["seq"]]
        with pytest.raises(TimeoutError):  # and nothing comes twice
            await next_of(peer, "message", timeout=1)
        await worker.close()
        await peer.close()
        assert outage[0] == 503 and outage[1]["channel_layer"] == "error" and outage[1]["database"] == "ok"
        assert recovery[0] == 200 and recovery[1]["channel_layer"] == "ok"
        return recovered, live

    recovered, live = asyncio.run(scenario())
    assert recovered == [2, 3, 4]
    assert live == [5]
    stored = Message.objects.filter(consultation_id=cid, kind=MessageKind.MESSAGE).order_by("seq")
    assert list(stored.values_list("seq", flat=True)) == [1, 2, 3, 4, 5]  # each stored once, gap-free


def health_of(server: Daphne, wait_for: int | None = None, seconds: float = 15) -> tuple[int, dict[str, Any]]:
    """GET /healthz from a daphne; with `wait_for`, poll until it answers that status (or time runs out)."""
    deadline = time.monotonic() + seconds
    while True:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        try:
            conn.request("GET", "/healthz", headers={"Host": "localhost"})
            response = conn.getresponse()
            status, body = response.status, json.loads(response.read())
        finally:
            conn.close()
        if wait_for is None or status == wait_for or time.monotonic() > deadline:
            return status, body
        time.sleep(0.3)
