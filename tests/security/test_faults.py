"""Faults with real processes: a daphne killed mid-conversation, PostgreSQL cut off from one server,
a reader that falls behind the channel capacity, and the SLA worker killed and restarted.

(Redis restarted during active conversations: tests/chat/test_multiprocess.py.)
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.db import OperationalError, connection
from django.db.models import Count, Q
from django.utils import timezone
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from accounts.models import Role, User
from chat.consumers import ConsultationChatConsumer
from chat.models import Message
from config.asgi import application
from helpdesk import defaults, sla, workflow
from helpdesk.events import consultation_group
from helpdesk.models import (
    Consultation,
    ConsultationEvent,
    EventKind,
    Queue,
    RoutingRule,
    SLATimer,
    TimerKind,
)
from helpdesk.services import CaseFacts, consultation_create
from tests.chat.conftest import session_cookie
from tests.conftest import RedisServer
from tests.security.servers import ROOT, Daphne, PausableProxy, database_url

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("several processes share PostgreSQL in production; make test runs on it")


async def open_chat(base: str, consultation_id: int, cookie: str, after: int = 0) -> ClientConnection:
    socket = await connect(
        f"{base}/ws/consultations/{consultation_id}/",
        additional_headers={"Cookie": cookie},
        origin="http://127.0.0.1",  # type: ignore[arg-type]
        open_timeout=10,
    )
    await socket.send(json.dumps({"type": "resume", "after_seq": after}))
    return socket


async def next_of(socket: ClientConnection, kinds: tuple[str, ...], timeout: float = 5) -> dict[str, Any]:
    while True:
        frame = json.loads(await asyncio.wait_for(socket.recv(), timeout))
        if frame["type"] in kinds:
            return frame


def send_frame(client_id: str, body: str) -> str:
    return json.dumps({"type": "send", "client_id": client_id, "body": body})


class Reader:
    """A client's view of the conversation: every seq it has seen, in arrival order."""

    def __init__(self) -> None:
        self.seqs: list[int] = []
        self.acks: dict[str, int] = {}

    @property
    def last(self) -> int:
        return max(self.seqs, default=0)

    async def until(self, socket: ClientConnection, *, seq: int, acks: tuple[str, ...] = ()) -> None:
        while self.last < seq or not set(acks) <= set(self.acks):
            frame = await next_of(socket, ("message", "ack", "error"), timeout=10)
            assert frame["type"] != "error", frame
            if frame["type"] == "message":
                self.seqs.append(frame["seq"])
            else:
                self.acks[frame["client_id"]] = frame["seq"]


# --- A daphne process killed mid-conversation -----------------------------------------------


def test_a_killed_daphne_loses_nothing_clients_resume_on_the_other(
    room: dict[str, Any], private_redis: RedisServer
) -> None:
    first, second = Daphne(redis_url=private_redis.url), Daphne(redis_url=private_redis.url)
    cid = room["consultation"].pk
    worker_cookie, peer_cookie = session_cookie(room["worker"]), session_cookie(room["peer"])
    in_flight = str(uuid.uuid4())

    async def scenario() -> tuple[Reader, Reader]:
        heard_by_worker, heard_by_peer = Reader(), Reader()
        worker = await open_chat(first.ws, cid, worker_cookie)
        peer = await open_chat(second.ws, cid, peer_cookie)
        await asyncio.sleep(0.3)  # both subscriptions settle
        for n in range(4):
            await worker.send(send_frame(str(uuid.uuid4()), f"眠れない夜が続いています{n}"))
        await heard_by_peer.until(peer, seq=4)
        # the peer types a reply; its server dies before the client sees an ack
        await peer.send(send_frame(in_flight, "お話を聞かせてください"))
        second.kill()
        with pytest.raises(ConnectionClosed):
            while True:
                frame = json.loads(await asyncio.wait_for(peer.recv(), 10))
                if frame["type"] == "message":
                    heard_by_peer.seqs.append(frame["seq"])
        # the worker, on the surviving process, goes on talking
        for n in range(3):
            await worker.send(send_frame(str(uuid.uuid4()), f"続けて書きます{n}"))
        # the peer's client reconnects to the other process, resumes from the last seq it saw and
        # resends its outbox with the same client_id
        peer = await open_chat(first.ws, cid, peer_cookie, after=heard_by_peer.last)
        await peer.send(send_frame(in_flight, "お話を聞かせてください"))
        await heard_by_peer.until(peer, seq=8, acks=(in_flight,))
        await heard_by_worker.until(worker, seq=8)
        await worker.close()
        await peer.close()
        return heard_by_worker, heard_by_peer

    try:
        heard_by_worker, heard_by_peer = asyncio.run(scenario())
    finally:
        first.stop()
        second.stop()
    stored = list(Message.objects.filter(consultation_id=cid).order_by("seq").values_list("seq", "client_id"))
    assert [seq for seq, _ in stored] == list(range(1, 9))  # gap-free, nothing doubled
    assert [str(client_id) for _, client_id in stored].count(in_flight) == 1
    assert heard_by_peer.seqs == list(range(1, 9))  # every message once, in order, across the failover
    assert heard_by_worker.seqs == list(range(1, 9))
    assert heard_by_peer.acks[in_flight] == dict((str(c), s) for s, c in stored)[in_flight]


# --- PostgreSQL unavailable for one server --------------------------------------------------


def _healthz(base: str) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(f"{base}/healthz", timeout=10) as response:  # noqa: S310 - loopback
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.fixture
def proxied_server(private_redis: RedisServer) -> Iterator[tuple[Daphne, PausableProxy]]:
    db = connection.settings_dict
    proxy = PausableProxy((db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432)))
    server = Daphne(redis_url=private_redis.url, db_url=database_url("127.0.0.1", proxy.port))
    yield server, proxy
    server.stop()
    proxy.close()


def test_a_database_outage_answers_unavailable_and_the_resend_is_stored_once(
    room: dict[str, Any], proxied_server: tuple[Daphne, PausableProxy]
) -> None:
    server, proxy = proxied_server
    cid = room["consultation"].pk
    worker_cookie, peer_cookie = session_cookie(room["worker"]), session_cookie(room["peer"])
    outbox = str(uuid.uuid4())

    async def scenario() -> dict[str, Any]:
        seen: dict[str, Any] = {}
        worker = await open_chat(server.ws, cid, worker_cookie)
        peer = await open_chat(server.ws, cid, peer_cookie)
        second_tab = await open_chat(server.ws, cid, peer_cookie)  # the responder's other tab
        heard_by_peer = Reader()
        await worker.send(send_frame(str(uuid.uuid4()), "停止の前"))
        assert (await next_of(worker, ("ack", "error")))["type"] == "ack"
        await heard_by_peer.until(peer, seq=1)
        await Reader().until(second_tab, seq=1)

        proxy.pause()  # PostgreSQL is gone for this server only
        await worker.send(send_frame(outbox, "停止中に書いた相談"))
        seen["during"] = await next_of(worker, ("ack", "error"), timeout=30)
        seen["health_during"] = await asyncio.to_thread(_healthz, server.http)
        # a read receipt gets a clear error and the socket stays; a resume that cannot be answered
        # closes the socket with "try again later" (unresumed it would miss everything)
        await peer.send(json.dumps({"type": "read", "seq": 1}))
        seen["peer_read_during"] = (await next_of(peer, ("error",), timeout=30))["code"]
        await second_tab.send(json.dumps({"type": "resume", "after_seq": 1}))
        with pytest.raises(ConnectionClosed) as closed:
            await next_of(second_tab, ("message",), timeout=30)
        seen["resume_during"] = closed.value.rcvd.code if closed.value.rcvd else None
        # a new socket is told to try again later (4503), not failed with an internal error
        with pytest.raises(ConnectionClosed) as refused:
            late = await open_chat(server.ws, cid, worker_cookie)
            await next_of(late, ("message",), timeout=30)
        seen["connect_during"] = refused.value.rcvd.code if refused.value.rcvd else None
        await worker.send(json.dumps({"type": "typing"}))  # the sockets themselves are still usable
        seen["peer_saw_typing"] = (await next_of(peer, ("typing",)))["role"]

        proxy.resume()
        await worker.send(send_frame(outbox, "停止中に書いた相談"))  # the client's outbox resends
        seen["after"] = await next_of(worker, ("ack", "error"), timeout=30)
        await worker.send(send_frame(outbox, "停止中に書いた相談"))  # and, unsure, once more
        seen["again"] = await next_of(worker, ("ack", "error"), timeout=30)
        await heard_by_peer.until(peer, seq=2)
        await asyncio.sleep(0.5)  # a doubled delivery would arrive now
        await peer.send(json.dumps({"type": "resume", "after_seq": 2}))
        await peer.send(json.dumps({"type": "read", "seq": 2}))
        await next_of(peer, ("read",))  # replies come in order: nothing was pending before this
        seen["peer"] = heard_by_peer.seqs
        seen["health_after"] = await asyncio.to_thread(_healthz, server.http)
        await worker.close()
        await peer.close()
        return seen

    seen = asyncio.run(scenario())
    # during the outage: a clear error frame for that client_id, and /healthz names the database
    assert seen["during"]["type"] == "error" and seen["during"]["code"] == "unavailable"
    assert seen["during"]["client_id"] == outbox
    assert seen["health_during"] == (503, {"status": "error", "database": "error", "channel_layer": "ok"})
    assert seen["peer_read_during"] == "unavailable" and seen["resume_during"] == 4503
    assert seen["connect_during"] == 4503
    assert seen["peer_saw_typing"] == "worker"
    # after recovery: the resend is stored once, acked with the same seq, delivered once
    assert seen["after"] == {"type": "ack", "client_id": outbox, "seq": 2, "whisper": False}
    assert seen["again"] == seen["after"]
    assert seen["peer"] == [1, 2]
    assert Message.objects.filter(consultation_id=cid, client_id=outbox).count() == 1
    assert seen["health_after"][0] == 200
    assert proxy.refused > 0, "the outage must really have refused connections"


# --- Where a database failure must fail closed (in process, the failure injected) ----------------


def down(*args: Any, **kwargs: Any) -> Any:
    raise OperationalError("server closed the connection unexpectedly")


async def joined_as(room: dict[str, Any], who: str) -> WebsocketCommunicator:
    cookie = await database_sync_to_async(session_cookie)(room[who])
    comm = WebsocketCommunicator(
        application,
        f"/ws/consultations/{room['consultation'].pk}/",
        headers=[(b"origin", b"http://localhost"), (b"cookie", cookie.encode())],
    )
    assert (await comm.connect())[0]
    await comm.send_json_to({"type": "resume", "after_seq": 0})
    await asyncio.sleep(0.1)
    return comm


async def closed_with(comm: WebsocketCommunicator) -> int | None:
    while True:
        output = await comm.receive_output(timeout=5)
        if output["type"] == "websocket.close":
            return int(output.get("code", 1000))


async def test_an_access_recheck_that_cannot_reach_the_database_closes_the_socket(
    room: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a responder on the chat, and a status change whose access re-check finds no database
    peer = await joined_as(room, "peer")
    monkeypatch.setattr(ConsultationChatConsumer, "lookup_role", down)
    # when the change is announced (access may have been lost with it)
    await get_channel_layer().group_send(
        consultation_group(room["consultation"].pk),
        {
            "type": "notify",
            "payload": {
                "type": "status",
                "consultation": room["consultation"].pk,
                "change": "handover",
                "status": "in_progress",
            },
        },
    )
    # then the socket is closed with "try again later": no live message reaches an unchecked reader
    assert await closed_with(peer) == 4503


async def test_a_session_recheck_that_cannot_reach_the_database_closes_the_socket(
    room: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    peer = await joined_as(room, "peer")
    monkeypatch.setattr("chat.consumers.SESSION_RECHECK_SECONDS", 0)
    monkeypatch.setattr("chat.consumers.verified_user", down)
    await peer.send_json_to({"type": "typing"})
    assert await closed_with(peer) == 4503


async def test_a_resume_or_a_gap_repair_that_cannot_reach_the_database_closes_the_socket(
    room: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # a resume that fails would leave the socket deaf to every doorbell
    worker = await joined_as(room, "worker")
    monkeypatch.setattr(ConsultationChatConsumer, "fetch_after", down)
    await worker.send_json_to({"type": "resume", "after_seq": 0})
    assert await closed_with(worker) == 4503
    # and a doorbell past a gap that cannot be repaired would leave the message unseen
    monkeypatch.undo()
    peer = await joined_as(room, "peer")
    monkeypatch.setattr(ConsultationChatConsumer, "fetch_after", down)
    frame = {"type": "message", "consultation": room["consultation"].pk, "seq": 5, "body_html": "x"}
    await get_channel_layer().group_send(
        consultation_group(room["consultation"].pk), {"type": "chat.frame", "frame": frame}
    )
    assert await closed_with(peer) == 4503


# --- A reader that falls behind the channel capacity ----------------------------------------


async def test_a_reader_behind_the_channel_capacity_recovers_by_resume(
    room: dict[str, Any], settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a channel layer that keeps at most two doorbells per socket (then drops, as layers do)
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels.layers.InMemoryChannelLayer", "CONFIG": {"capacity": 2}}
    }
    # and a reader whose consumer stalls on the first doorbell (a paused tab, a slow phone)
    gate = asyncio.Event()
    forward = ConsultationChatConsumer.chat_frame
    reader_id = room["peer"].pk

    async def stalled(self: ConsultationChatConsumer, event: dict[str, Any]) -> None:
        if self.user is not None and self.user.pk == reader_id:
            await gate.wait()
        await forward(self, event)

    monkeypatch.setattr(ConsultationChatConsumer, "chat_frame", stalled)
    cookies = await database_sync_to_async(
        lambda: (session_cookie(room["worker"]), session_cookie(room["peer"]))
    )()
    cid = room["consultation"].pk

    def member(cookie: str) -> WebsocketCommunicator:
        return WebsocketCommunicator(
            application,
            f"/ws/consultations/{cid}/",
            headers=[(b"origin", b"http://localhost"), (b"cookie", cookie.encode())],
        )

    reader, writer = member(cookies[1]), member(cookies[0])
    for comm in (reader, writer):
        assert (await comm.connect())[0]
        await comm.send_json_to({"type": "resume", "after_seq": 0})
    await asyncio.sleep(0.1)

    async def seqs_until_quiet(comm: WebsocketCommunicator) -> list[int]:
        seqs = []
        while not await comm.receive_nothing(timeout=0.5):
            frame = await comm.receive_json_from()
            if frame["type"] == "message":
                seqs.append(frame["seq"])
        return seqs

    # when eight messages are stored while the reader is stalled
    for n in range(8):
        await writer.send_json_to({"type": "send", "client_id": str(uuid.uuid4()), "body": f"連絡{n}"})
        while (await writer.receive_json_from(timeout=5))["type"] != "ack":
            pass
    gate.set()
    live = await seqs_until_quiet(reader)
    # then the dropped doorbells left it behind (else this test proves nothing) ...
    assert live == [1, 2, 3]
    # ... and one resume from the last seq it saw brings everything else, once and in order
    await reader.send_json_to({"type": "resume", "after_seq": live[-1]})
    resumed = await seqs_until_quiet(reader)
    assert live + resumed == list(range(1, 9))
    # and live delivery continues from there
    await writer.send_json_to({"type": "send", "client_id": str(uuid.uuid4()), "body": "追いつきましたか"})
    assert await seqs_until_quiet(reader) == [9]
    for comm in (reader, writer):
        await comm.disconnect()


# --- The SLA worker killed and restarted ----------------------------------------------------


def _sla_worker() -> subprocess.Popen[bytes]:
    env = {**os.environ, "DJANGO_ENV": "test", "DATABASE_URL": database_url(), "REDIS_URL": ""}
    return subprocess.Popen(
        [sys.executable, "manage.py", "run_sla_worker", "--interval", "0.1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _due_and_unhandled() -> int:
    now = timezone.now()
    running = SLATimer.objects.filter(stopped_at__isnull=True, paused_at__isnull=True)
    return running.filter(
        Q(warned_at__isnull=True, breached_at__isnull=True, warn_at__lte=now)
        | Q(breached_at__isnull=True, due_at__lte=now)
    ).count()


def _wait_for(condition: Callable[[], bool], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the SLA worker did not get there in time")
        time.sleep(0.05)


def _assert_each_target_handled_exactly_once(consultations: list[Consultation]) -> None:
    events = dict(
        ((row["consultation_id"], row["kind"], row["reason"]), row["n"])
        for row in ConsultationEvent.objects.filter(
            kind__in=[EventKind.SLA_WARNING, EventKind.SLA_BREACH, EventKind.ESCALATED]
        )
        .values("consultation_id", "kind", "reason")
        .annotate(n=Count("id"))
    )
    for consultation in consultations:
        for kind in (TimerKind.FIRST_RESPONSE, TimerKind.RESOLUTION):
            breached = SLATimer.objects.filter(
                consultation=consultation, kind=kind, breached_at__isnull=False
            ).count()
            assert breached >= 1
            # one warning and one breach per target that came due: none missed, none doubled
            assert events.get((consultation.pk, EventKind.SLA_WARNING, kind), 0) == breached
            assert events.get((consultation.pk, EventKind.SLA_BREACH, kind), 0) == breached
        first_breaches = events[(consultation.pk, EventKind.SLA_BREACH, TimerKind.FIRST_RESPONSE)]
        escalations = sum(
            n for (cid, kind, _), n in events.items() if cid == consultation.pk and kind == "escalated"
        )
        assert escalations == first_breaches  # each first-response breach escalated once


def test_the_sla_worker_killed_and_restarted_misses_and_doubles_nothing(
    make_user: Callable[..., User],
) -> None:
    # given forty consultations filed six weeks ago: every first-response and resolution target is due
    defaults.install(Queue, RoutingRule)
    worker = make_user(Role.WORKER)
    with time_machine.travel(timezone.now() - timedelta(days=42), tick=False):
        consultations = [
            consultation_create(actor=worker, facts=CaseFacts(category="burnout", question=f"相談{n}です。"))
            for n in range(40)
        ]
    # when the worker is killed (SIGKILL) in the middle of its work, as soon as it has begun
    first = _sla_worker()
    try:
        _wait_for(lambda: ConsultationEvent.objects.filter(kind=EventKind.SLA_WARNING).exists())
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    # and a new worker catches up and is killed again between two ticks
    second = _sla_worker()
    try:
        _wait_for(lambda: _due_and_unhandled() == 0)
    finally:
        second.send_signal(signal.SIGKILL)
        second.wait(timeout=10)
    # and more targets come due while no worker runs (the escalated cases' new first-response clocks)
    past = timezone.now() - timedelta(minutes=1)
    SLATimer.objects.filter(stopped_at__isnull=True, warned_at__isnull=True).update(warn_at=past, due_at=past)
    assert _due_and_unhandled() == 40
    # and a third worker starts
    third = _sla_worker()
    try:
        _wait_for(lambda: _due_and_unhandled() == 0)
        time.sleep(0.5)  # a few more ticks: nothing may happen twice
    finally:
        third.terminate()
        third.wait(timeout=10)
    # then every target was warned, breached and escalated exactly once: peer → experts → supervisors
    _assert_each_target_handled_exactly_once(consultations)
    assert set(Consultation.objects.values_list("queue__slug", "escalation_level")) == {("supervisor", 2)}


def test_a_tick_that_dies_half_way_is_redone_whole(
    make_user: Callable[..., User], monkeypatch: pytest.MonkeyPatch
) -> None:
    # given ten consultations whose targets are all due
    defaults.install(Queue, RoutingRule)
    worker = make_user(Role.WORKER)
    with time_machine.travel(timezone.now() - timedelta(days=42), tick=False):
        consultations = [
            consultation_create(actor=worker, facts=CaseFacts(category="burnout", question=f"相談{n}です。"))
            for n in range(10)
        ]
    # when the process dies in the middle of a batch of breaches (after four were written)
    breach = workflow.sla_breached
    calls = {"n": 0}

    def dying(**kwargs: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 5:
            raise SystemExit("killed")
        breach(**kwargs)

    monkeypatch.setattr(workflow, "sla_breached", dying)
    with pytest.raises(SystemExit):
        sla.sla_tick()
    monkeypatch.setattr(workflow, "sla_breached", breach)
    # then nothing of the broken batch is kept, and the next ticks do it all exactly once
    assert ConsultationEvent.objects.filter(kind=EventKind.SLA_BREACH).count() == 0
    sla.sla_tick()
    sla.sla_tick()
    _assert_each_target_handled_exactly_once(consultations)
