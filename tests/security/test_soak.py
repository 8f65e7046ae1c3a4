"""Minutes-long versions of the fault and fuzz tests. Skipped unless SOAK=1 (see docs/security.md)."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chat.models import Message
from tests.chat.conftest import session_cookie
from tests.conftest import RedisServer
from tests.security.servers import Daphne
from tests.security.test_faults import Reader, open_chat, send_frame
from tests.security.test_fuzz_ws import exchange, frames, local_cache  # noqa: F401 - fixture

pytestmark = [pytest.mark.soak, pytest.mark.django_db(transaction=True)]


@pytest.mark.usefixtures("local_cache")
@settings(max_examples=1000, deadline=None, suppress_health_check=list(HealthCheck))
@given(burst=st.lists(frames, min_size=1, max_size=8))
def test_generated_frames_soak(room: dict[str, Any], burst: list[str | bytes]) -> None:
    from django.core.cache import cache

    cache.clear()
    outputs, probe = async_to_sync(exchange)(room["consultation"].pk, session_cookie(room["worker"]), burst)
    assert all(o["type"] == "websocket.send" for o in outputs)
    replies = [json.loads(o["text"]) for o in outputs]
    assert [r["type"] for r in replies if r.get("client_id") == probe and r["type"] in ("ack", "error")] == [
        "ack"
    ]


def test_the_real_thirty_second_recheck_closes_a_socket(
    room: dict[str, Any], private_redis: RedisServer
) -> None:
    """No monkeypatching: a session deleted without a doorbell is noticed on the first frame after 30 s."""
    from django.contrib.sessions.models import Session

    server = Daphne(redis_url=private_redis.url)
    cookie = session_cookie(room["worker"])

    def end_session() -> None:
        Session.objects.filter(session_key=cookie.split("=", 1)[1]).delete()

    async def scenario() -> Any:
        socket = await open_chat(server.ws, room["consultation"].pk, cookie)
        await asyncio.to_thread(end_session)
        await asyncio.sleep(31)
        await socket.send(send_frame(str(uuid.uuid4()), "まだ届く？"))
        try:
            while True:
                await asyncio.wait_for(socket.recv(), 10)
        except Exception:  # noqa: BLE001 - ConnectionClosed carries the code
            return socket.close_code

    try:
        assert asyncio.run(scenario()) == 4401
    finally:
        server.stop()


def test_daphne_killed_again_and_again_loses_nothing(
    room: dict[str, Any], private_redis: RedisServer
) -> None:
    servers = [Daphne(redis_url=private_redis.url), Daphne(redis_url=private_redis.url)]
    cid = room["consultation"].pk
    worker_cookie, peer_cookie = session_cookie(room["worker"]), session_cookie(room["peer"])
    total = 0

    async def round_trip(rounds: int) -> Reader:
        nonlocal total
        heard = Reader()
        for n in range(rounds):
            alive, doomed = servers[n % 2], servers[(n + 1) % 2]
            worker = await open_chat(alive.ws, cid, worker_cookie, after=total)
            peer = await open_chat(doomed.ws, cid, peer_cookie, after=heard.last)
            for k in range(5):
                await worker.send(send_frame(str(uuid.uuid4()), f"第{n}回{k}"))
                total += 1
            await heard.until(peer, seq=total - 2)
            doomed.kill()
            servers[(n + 1) % 2] = Daphne(redis_url=private_redis.url)
            await worker.close()
            time.sleep(0.2)
        peer = await open_chat(servers[0].ws, cid, peer_cookie, after=heard.last)
        await heard.until(peer, seq=total)
        await peer.close()
        return heard

    try:
        heard = asyncio.run(round_trip(6))
    finally:
        for server in servers:
            server.stop()
    assert heard.seqs == list(range(1, total + 1))
    assert list(
        Message.objects.filter(consultation_id=cid).values_list("seq", flat=True).order_by("seq")
    ) == list(range(1, total + 1))
