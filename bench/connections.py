"""Scenario 2 — connections held on one daphne process, a broadcast to a large group, reconnects.

Sockets: every room member on its chat socket, the broadcast group (on-duty peers, so the group is
role.peer) and idle workers on /ws/notifications/, all with two-factor sessions. Measured: connect
failures, ramp time, resident memory per connection (VmRSS delta), idle CPU, the latency of one
channel-layer broadcast to the whole group (sent from the harness as helpdesk.events does), and
then every chat client dropping and reconnecting within a few seconds, resuming from its last seq.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from statistics import median

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, WebSocketException

from bench.common import Section, Table, ms, num, percentile
from bench.data import Member
from bench.dialects import ORIGIN, PROXY_HEADERS, ProjectDialect
from bench.harness import BenchEnv
from bench.infra import Child, cpu_seconds, rss_bytes, wait_until_idle
from bench.loadgen import ChatLoad

RAMP_CONCURRENCY = 20  # connects in flight while ramping up
STORM_CONCURRENCY = 200  # connects in flight when every chat client comes back at once


@dataclass
class Listener:
    socket: ClientConnection
    received: dict[int, float] = field(default_factory=dict)
    closed_code: int | None = None
    task: asyncio.Task[None] | None = None


@dataclass
class Figures:
    target: int = 0
    opened: int = 0
    failures: Counter[str] = field(default_factory=Counter)
    not_attempted: int = 0  # the ramp's time cap came first
    closed_by_server: int = 0
    ramp_seconds: float = 0.0
    rss_before: int = 0
    rss_after: int = 0
    idle_seconds: float = 0.0
    settle_seconds: float = 0.0
    idle_cpu: float = 0.0
    group: int = 0
    broadcast_p99: list[float] = field(default_factory=list)
    broadcast_p50: list[float] = field(default_factory=list)
    broadcast_missing: int = 0
    reconnect: dict[str, float] = field(default_factory=dict)


async def _listen(listener: Listener) -> None:
    try:
        async for text in listener.socket:
            now = time.time()
            frame = json.loads(text)
            if frame.get("type") == "bench":
                listener.received[int(frame["id"])] = now
    except ConnectionClosed as closed:
        listener.closed_code = closed.rcvd.code if closed.rcvd else 1006
    except ValueError:
        pass
    finally:
        if listener.closed_code is None:
            listener.closed_code = listener.socket.close_code or 1000


async def _open_listeners(
    port: int, members: list[Member], figures: Figures, deadline: float, concurrency: int = 50
) -> list[Listener]:
    gate = asyncio.Semaphore(concurrency)
    listeners: list[Listener] = []

    async def one(member: Member) -> None:
        async with gate:
            if time.monotonic() > deadline:
                figures.not_attempted += 1
                return
            try:
                socket = await connect(
                    f"ws://127.0.0.1:{port}/ws/notifications/",
                    additional_headers={"Cookie": member.cookie, **PROXY_HEADERS},
                    origin=ORIGIN,  # type: ignore[arg-type]
                    open_timeout=30,
                    compression=None,
                    ping_interval=None,
                )
            except (OSError, TimeoutError, WebSocketException) as error:
                figures.failures[type(error).__name__] += 1
                return
        listener = Listener(socket)
        listener.task = asyncio.create_task(_listen(listener))
        listeners.append(listener)

    await asyncio.gather(*(one(m) for m in members))
    return listeners


async def _broadcasts(listeners: list[Listener], count: int, figures: Figures) -> None:
    from channels.layers import get_channel_layer

    from helpdesk.events import role_group

    layer = get_channel_layer()
    assert layer is not None
    group = [x for x in listeners if x.closed_code is None]
    figures.group = len(group)
    for n in range(1, count + 1):
        sent = time.time()
        await layer.group_send(role_group("peer"), {"type": "notify", "payload": {"type": "bench", "id": n}})
        end = time.monotonic() + 5
        while time.monotonic() < end and sum(1 for x in group if n in x.received) < len(group):
            await asyncio.sleep(0.02)
        latencies = [x.received[n] - sent for x in group if n in x.received]
        figures.broadcast_missing += len(group) - len(latencies)
        figures.broadcast_p50.append(percentile(latencies, 50))
        figures.broadcast_p99.append(percentile(latencies, 99))
        await asyncio.sleep(0.5)


def _post(consultation_ids: list[int], worker_ids: list[int], count: int, label: str) -> None:
    """Messages from each room's worker, through the service (persist, commit, doorbell)."""
    from accounts.models import User
    from chat import services

    workers = {u.pk: u for u in User.objects.filter(pk__in=worker_ids)}
    for cid, wid in zip(consultation_ids, worker_ids, strict=True):
        for n in range(count):
            services.message_send(
                actor=workers[wid], consultation_id=cid, client_id=uuid.uuid4(), body=f"（架空）{label} {n}"
            )


def _room_seqs(consultation_ids: list[int]) -> list[int]:
    from chat.models import Thread

    seqs = dict(Thread.objects.filter(pk__in=consultation_ids).values_list("pk", "last_seq"))
    return [seqs.get(cid, 0) for cid in consultation_ids]


async def _reconnect(env: BenchEnv, chat: ChatLoad, figures: Figures, server_pid: int) -> None:
    """Every chat client drops, 2 messages per room are stored meanwhile, all come back and resume."""
    rooms = env.data.rooms[: chat.rooms]
    ids = [r.consultation_id for r in rooms]
    workers = [r.members[0].user_id for r in rooms]
    await asyncio.to_thread(_post, ids, workers, 1, "切断前")
    before = await asyncio.to_thread(_room_seqs, ids)
    end = time.monotonic() + 10
    while time.monotonic() < end and any(c.last_seq < before[c.room] for c in chat.clients):
        await asyncio.sleep(0.05)
    await chat.close()
    await asyncio.to_thread(_post, ids, workers, 2, "切断中")
    chat.record_seqs = True
    chat.connect_errors.clear()
    seconds = await chat.open({n: seq for n, seq in enumerate(before)}, concurrency=STORM_CONCURRENCY)
    await asyncio.to_thread(wait_until_idle, server_pid)
    await asyncio.to_thread(_post, ids, workers, 1, "再接続後")
    expected = {n: list(range(seq + 1, seq + 4)) for n, seq in enumerate(before)}
    end = time.monotonic() + 15
    while time.monotonic() < end and any(c.seqs != expected[c.room] for c in chat.clients):
        await asyncio.sleep(0.1)
    complete = sum(1 for c in chat.clients if c.seqs == expected[c.room])
    missing = sum(len(set(expected[c.room]) - set(c.seqs)) for c in chat.clients)
    duplicates = sum(len(c.seqs) - len(set(c.seqs)) for c in chat.clients)
    disorder = sum(1 for c in chat.clients if c.seqs != sorted(c.seqs))
    figures.reconnect = {
        "clients": chat.rooms * chat.members,
        "reconnected": chat.open_count(),
        "failures": sum(chat.connect_errors.values()),
        "seconds": seconds,
        "complete": complete,
        "missing": missing,
        "duplicates": duplicates,
        "out_of_order_clients": disorder,
    }


async def _scenario(env: BenchEnv, server: Child, figures: Figures) -> None:
    data = env.data
    rooms, members = env.sizes.rooms, env.sizes.members[0]
    chat = ChatLoad(ProjectDialect(server.port, data.rooms), rooms, members, f"{rooms} rooms × {members}")
    # Warm up the code paths (imports, first queries) before the memory baseline.
    warm = await _open_listeners(
        server.port, data.other_members[:10] or data.group_members[:10], Figures(), 1e18
    )
    for x in warm:
        await x.socket.close()
    await asyncio.sleep(1.0)
    figures.rss_before = rss_bytes(server.pid)
    figures.target = len(data.group_members) + len(data.other_members) + rooms * members
    ramp_end = time.monotonic() + (30 if env.quick else 90)
    started = time.monotonic()
    # The broadcast group and the chat rooms first; idle sockets fill up to the target in the time left.
    group = await _open_listeners(server.port, data.group_members, figures, ramp_end, RAMP_CONCURRENCY)
    ids = [r.consultation_id for r in data.rooms[:rooms]]
    seqs = await asyncio.to_thread(_room_seqs, ids)
    await chat.open(dict(enumerate(seqs)), concurrency=RAMP_CONCURRENCY)
    others = await _open_listeners(server.port, data.other_members, figures, ramp_end, RAMP_CONCURRENCY)
    figures.ramp_seconds = time.monotonic() - started
    for error, count in chat.connect_errors.items():
        figures.failures[error] += count
    # Let the connect work (resumes, presence, subscriptions) finish before "idle" is measured.
    figures.settle_seconds = await asyncio.to_thread(wait_until_idle, server.pid, 0.5, 30.0)
    listeners = group + others
    figures.closed_by_server = sum(1 for x in listeners if x.closed_code is not None) + (
        len(chat.clients) - chat.open_count()
    )
    figures.opened = len(listeners) + len(chat.clients) - figures.closed_by_server
    figures.rss_after = rss_bytes(server.pid)

    figures.idle_seconds = 3.0 if env.quick else 10.0
    cpu = cpu_seconds(server.pid)
    await asyncio.sleep(figures.idle_seconds)
    figures.idle_cpu = (cpu_seconds(server.pid) - cpu) / figures.idle_seconds

    await _broadcasts(group, 3 if env.quick else 10, figures)
    if env.has_time(150):
        await _reconnect(env, chat, figures, server.pid)
    await chat.close()
    await asyncio.gather(*(x.socket.close() for x in listeners), return_exceptions=True)


def run(quick: bool, env: BenchEnv) -> Section:
    figures = Figures()
    server = env.start_project("connections-daphne")
    section = Section("2. Connections held (one daphne process)")
    try:
        asyncio.run(_scenario(env, server, figures))
    except Exception as error:  # noqa: BLE001 - report what was measured before the failure
        section.error = f"{type(error).__name__}: {error}"
    finally:
        env.processes.stop(server)
    return _section(section, figures)


def _section(section: Section, f: Figures) -> Section:
    per_conn = (f.rss_after - f.rss_before) / f.opened / 1024 if f.opened else float("nan")
    section.intro = [
        f"Target {f.target:,} sockets on one daphne process: {f.group:,} on-duty peers on /ws/notifications/ "
        "(the broadcast group), every room member on its chat socket, then idle workers on "
        "/ws/notifications/ "
        "up to the target within the ramp's time cap; opened 20 at a time. The broadcast goes from the "
        "harness through the channel layer to role.peer (all peer notification sockets), as helpdesk.events "
        "does; latency is measured at the clients (one Python process), so it includes the client's own time "
        "to read the whole fan-out.",
    ]
    table = Table(["figure", "value", "target"])
    table.add("sockets open", num(f.opened), f"{f.target:,}")
    table.add("connect failures", sum(f.failures.values()), "0")
    if f.not_attempted:
        table.add("not attempted (the ramp's time cap came first)", f.not_attempted, "0")
    table.add("closed by the server after connect", f.closed_by_server, "0")
    table.add(
        "ramp time (connects/s)",
        f"{f.ramp_seconds:.1f} s ({num(f.opened / f.ramp_seconds if f.ramp_seconds else 0)}/s)",
        "–",
    )
    table.add(
        "resident memory before → after", f"{f.rss_before / 2**20:,.0f} → {f.rss_after / 2**20:,.0f} MiB", "–"
    )
    table.add("resident memory per connection", f"{num(per_conn, 1)} KiB", "< 60 KiB")
    table.add(
        f"idle CPU ({f.idle_seconds:.0f} s, all sockets open, after {f.settle_seconds:.0f} s to settle)",
        f"{f.idle_cpu:.1%} of a core",
        "< 10 %",
    )
    if f.broadcast_p99:
        table.add(
            f"broadcast to {f.group:,} members: p50 / p99 (median of {len(f.broadcast_p99)})",
            f"{ms(median(f.broadcast_p50))} / {ms(median(f.broadcast_p99))}",
            "–",
        )
        table.add("broadcast p99, worst of the runs", ms(max(f.broadcast_p99)), "–")
        table.add("broadcast deliveries missing", f.broadcast_missing, "0")
    r = f.reconnect
    if r:
        table.add(
            "chat clients reconnecting (all at once)",
            f"{r['reconnected']:.0f} of {r['clients']:.0f} in {r['seconds']:.1f} s "
            f"({r['failures']:.0f} connect failures)",
            "1,000 within 5 s, all resume",
        )
        table.add(
            "…resumed complete (3 messages: 2 stored while away + 1 live)", f"{r['complete']:.0f}", "all"
        )
        table.add(
            "…missing / duplicated / clients out of order",
            f"{r['missing']:.0f} / {r['duplicates']:.0f} / {r['out_of_order_clients']:.0f}",
            "0 / 0 / 0",
        )
    section.tables.append(table)
    if f.failures:
        section.notes.append(f"Connect failures by kind: {dict(f.failures)}")
    section.notes.append(
        "Idle CPU includes daphne's own WebSocket pings (every 20 s per socket); the clients send none, "
        "like browsers."
    )
    section.figures = {**f.__dict__, "failures": dict(f.failures), "kib_per_connection": per_conn}
    return section
