"""An open-loop chat load generator (asyncio + websockets) and the checks on what arrives.

Every client is both a sender and a receiver. A pacer sends messages on a fixed schedule (round
robin over a shuffled list of clients) and never waits for a reply; each body carries the phase,
room, sender, the sender's sequence number and the *intended* send time, so a pacer that falls
behind shows up in the latency instead of hiding it. Each receiver checks, per sender, that
nothing arrives twice or out of order; after the send window the run drains and counts what never
arrived. The three systems differ only in their `Dialect` (URL, frame format).
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, WebSocketException

from bench.common import percentile
from bench.infra import own_cpu_seconds

Key = tuple[int, int, int]  # room index, sender slot, sender's n


@dataclass(frozen=True)
class Endpoint:
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    origin: str | None = None


@dataclass(frozen=True)
class Frame:
    kind: str  # message | ack | error | other
    token: str = ""
    seq: int = 0
    client_id: str = ""
    code: str = ""


class Dialect:
    """How one system is spoken to. Subclasses: the project, B1 (tutorial consumer), B0 (relay)."""

    name = ""
    resumes = False  # the project delivers nothing live before {"type": "resume"}

    def endpoint(self, room: int, slot: int) -> Endpoint:
        raise NotImplementedError

    def encode(self, token: str, client_id: str) -> str:
        return json.dumps({"message": token})

    def decode(self, text: str) -> Frame:
        return Frame("message", token=json.loads(text)["message"])


@dataclass
class Client:
    room: int
    slot: int
    socket: ClientConnection
    last_seq: int = 0  # highest seq seen (the project's resume point)
    phase_seq: int = 0  # last seq seen in the current phase (gap check)
    sent: int = 0
    last_n: dict[int, int] = field(default_factory=dict)
    seen: set[tuple[int, int]] = field(default_factory=set)
    closed_code: int | None = None
    seqs: list[int] = field(default_factory=list)  # every message seq, when ChatLoad.record_seqs
    reader: asyncio.Task[None] | None = None


@dataclass
class Phase:
    """Accounting of one load phase; frames of earlier phases are counted as stale and ignored."""

    number: int
    members: dict[int, int]  # room -> connected members
    window_end: float = float("inf")
    sent: dict[Key, float] = field(default_factory=dict)
    accepted: set[Key] = field(default_factory=set)
    refused: set[Key] = field(default_factory=set)
    delivered: Counter[Key] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    in_window: int = 0
    duplicates: int = 0
    out_of_order: int = 0
    seq_gaps: int = 0
    stale: int = 0
    send_failures: int = 0
    error_codes: Counter[str] = field(default_factory=Counter)


@dataclass
class PhaseResult:
    system: str
    layout: str
    offered: float  # deliveries per second asked for
    seconds: float
    messages: int
    deliveries: int
    achieved: float  # deliveries received inside the send window, per second
    p50: float
    p99: float
    p_max: float
    lost: int
    duplicates: int
    out_of_order: int
    refused: int
    unanswered: int
    seq_gaps: int
    send_failures: int
    quiet: bool = True  # False: cut off while the server was still working through a backlog
    server_cpu: float = 0.0
    extra_cpu: float = 0.0
    client_cpu: float = 0.0
    errors: dict[str, int] = field(default_factory=dict)

    @property
    def clean(self) -> bool:
        return self.quiet and self.lost == 0 and self.duplicates == 0 and self.out_of_order == 0

    def lost_text(self) -> str:
        return str(self.lost) if self.quiet else f"{self.lost} undelivered at cut-off"

    def sustained(self) -> bool:
        return self.clean and self.achieved >= 0.9 * self.offered and self.p99 < 1.0

    def cpu_per_1000(self, extra: bool = False) -> float:
        seconds = self.server_cpu + (self.extra_cpu if extra else 0.0)
        return seconds / (self.deliveries / 1000) if self.deliveries else float("nan")


def client_id_for(phase: int, room: int, slot: int, n: int) -> str:
    return f"{phase:08x}-{room:04x}-{slot:04x}-0000-{n:012x}"


def key_of_client_id(client_id: str) -> tuple[int, Key]:
    phase, room, slot, _zero, n = client_id.split("-")
    return int(phase, 16), (int(room, 16), int(slot, 16), int(n, 16))


class ChatLoad:
    """The clients of one system in one layout (rooms x members), reused across phases."""

    def __init__(self, dialect: Dialect, rooms: int, members: int, layout: str) -> None:
        self.dialect = dialect
        self.rooms = rooms
        self.members = members
        self.layout = layout
        self.clients: list[Client] = []
        self.connect_errors: Counter[str] = Counter()
        self.phase: Phase | None = None
        self.phase_counter = random.randrange(1, 1 << 20)
        self.record_seqs = False

    # --- connections -------------------------------------------------------------------------

    async def open(self, last_seqs: dict[int, int] | None = None, concurrency: int = 40) -> float:
        """Connect every member (resuming from last_seqs); returns the seconds it took."""
        gate = asyncio.Semaphore(concurrency)

        async def one(room: int, slot: int) -> None:
            endpoint = self.dialect.endpoint(room, slot)
            async with gate:
                try:
                    socket = await connect(
                        endpoint.url,
                        additional_headers=endpoint.headers,
                        origin=endpoint.origin,  # type: ignore[arg-type]
                        open_timeout=30,
                        compression=None,
                        max_size=2**20,
                        ping_interval=None,  # browsers do not ping; daphne pings every 20 s itself
                    )
                except (OSError, TimeoutError, WebSocketException) as error:
                    self.connect_errors[type(error).__name__] += 1
                    return
            client = Client(room, slot, socket)
            if self.dialect.resumes:
                client.last_seq = (last_seqs or {}).get(room, 0)
                await socket.send(json.dumps({"type": "resume", "after_seq": client.last_seq}))
            client.reader = asyncio.create_task(self._read(client))
            self.clients.append(client)

        started = time.monotonic()
        await asyncio.gather(*(one(r, s) for r in range(self.rooms) for s in range(self.members)))
        return time.monotonic() - started

    async def close(self) -> None:
        async def one(client: Client) -> None:
            try:
                await asyncio.wait_for(client.socket.close(), 5)
            except (TimeoutError, WebSocketException, OSError):
                pass
            if client.reader is not None:
                client.reader.cancel()

        await asyncio.gather(*(one(c) for c in self.clients))
        self.clients.clear()

    def open_count(self) -> int:
        return sum(1 for c in self.clients if c.closed_code is None)

    # --- receiving ---------------------------------------------------------------------------

    async def _read(self, client: Client) -> None:
        try:
            async for text in client.socket:
                self._on_frame(client, text if isinstance(text, str) else text.decode())
        except ConnectionClosed as closed:
            client.closed_code = closed.rcvd.code if closed.rcvd else 1006
        finally:
            if client.closed_code is None:
                client.closed_code = client.socket.close_code or 1000

    def _on_frame(self, client: Client, text: str) -> None:
        now = time.time()
        phase = self.phase
        try:
            frame = self.dialect.decode(text)
        except (ValueError, KeyError, TypeError):
            if phase is not None:
                phase.error_codes["undecodable"] += 1
            return
        if frame.kind == "message" and frame.seq:
            client.last_seq = max(client.last_seq, frame.seq)
            if self.record_seqs:
                client.seqs.append(frame.seq)
        if phase is None:
            return
        if frame.kind == "message":
            self._on_message(client, phase, frame, now)
        elif frame.kind == "ack":
            number, key = key_of_client_id(frame.client_id)
            if number == phase.number:
                phase.accepted.add(key)
        elif frame.kind == "error":
            phase.error_codes[frame.code] += 1
            if frame.client_id:
                number, key = key_of_client_id(frame.client_id)
                if number == phase.number:
                    phase.refused.add(key)

    def _on_message(self, client: Client, phase: Phase, frame: Frame, now: float) -> None:
        try:
            number, room, slot, n, sent_us = (int(part) for part in frame.token.split(":"))
        except ValueError:
            phase.error_codes["foreign_message"] += 1
            return
        if number != phase.number:
            phase.stale += 1
            return
        if frame.seq:
            if client.phase_seq and frame.seq != client.phase_seq + 1:
                phase.seq_gaps += 1
            client.phase_seq = frame.seq
        if (slot, n) in client.seen:
            phase.duplicates += 1
            return
        client.seen.add((slot, n))
        if n < client.last_n.get(slot, 0):
            phase.out_of_order += 1
        else:
            client.last_n[slot] = n
        phase.delivered[(room, slot, n)] += 1
        phase.latencies.append(now - sent_us / 1e6)
        if now <= phase.window_end:
            phase.in_window += 1

    # --- a phase -----------------------------------------------------------------------------

    async def run_phase(
        self,
        deliveries_per_second: float,
        seconds: float,
        max_drain: float,
        meter_start: Callable[[], None] = lambda: None,
        meter_stop: Callable[[], tuple[float, float]] = lambda: (0.0, 0.0),
        system: str = "",
    ) -> PhaseResult:
        live = [c for c in self.clients if c.closed_code is None]
        members: Counter[int] = Counter(c.room for c in live)
        self.phase_counter += 1
        phase = Phase(self.phase_counter, dict(members))
        for client in live:
            client.sent = 0
            client.last_n.clear()
            client.seen.clear()
            client.phase_seq = 0
        self.phase = phase
        rate = deliveries_per_second / self.members  # messages per second
        client_cpu = own_cpu_seconds()
        meter_start()
        started = time.monotonic()
        await self._pace(phase, live, rate, seconds)
        quiet = await self._drain(phase, max_drain)
        server_cpu, extra_cpu = meter_stop()
        elapsed = time.monotonic() - started
        client_cpu = own_cpu_seconds() - client_cpu
        self.phase = None
        return self._result(
            quiet, phase, system, deliveries_per_second, seconds, server_cpu, extra_cpu, client_cpu / elapsed
        )

    async def _pace(self, phase: Phase, live: Sequence[Client], rate: float, seconds: float) -> None:
        order = list(live)
        random.shuffle(order)
        total = int(rate * seconds)
        start_wall, start = time.time(), time.monotonic()
        phase.window_end = start_wall + seconds
        sent = 0
        while sent < total and time.monotonic() - start < seconds * 3 + 5:
            due = min(total, int((time.monotonic() - start) * rate) + 1)
            while sent < due:
                client = order[sent % len(order)]
                intended = start_wall + sent / rate
                sent += 1
                client.sent += 1
                key = (client.room, client.slot, client.sent)
                token = f"{phase.number}:{client.room}:{client.slot}:{client.sent}:{int(intended * 1e6)}"
                phase.sent[key] = intended
                try:
                    await client.socket.send(self.dialect.encode(token, client_id_for(phase.number, *key)))
                except (ConnectionClosed, OSError):
                    phase.send_failures += 1
            await asyncio.sleep(0.004)

    def _expected(self, phase: Phase) -> set[Key]:
        if self.dialect.resumes:  # stored messages only: refused ones are reported apart
            return phase.accepted | set(phase.delivered)
        return set(phase.sent)

    def _missing(self, phase: Phase) -> int:
        return sum(
            phase.members.get(key[0], 0) - phase.delivered.get(key, 0) for key in self._expected(phase)
        )

    async def _drain(self, phase: Phase, max_drain: float) -> bool:
        """Wait for what is still due; True if the run went quiet (complete, or nothing moved for 3 s).

        False means the server was still delivering when the cap ran out (a backlog): what is
        missing then is late or lost, and the two cannot be told apart.
        """
        deadline = time.monotonic() + max_drain
        last_progress, last_count = time.monotonic(), -1
        while time.monotonic() < deadline:
            answered = not self.dialect.resumes or len(phase.accepted | phase.refused) >= len(phase.sent)
            if answered and self._missing(phase) <= 0:
                return True
            count = sum(phase.delivered.values()) + len(phase.accepted) + len(phase.refused)
            if count != last_count:
                last_progress, last_count = time.monotonic(), count
            elif time.monotonic() - last_progress > 3.0:
                return True  # nothing moves any more: what is missing is lost
            await asyncio.sleep(0.1)
        return False

    def _result(
        self,
        quiet: bool,
        phase: Phase,
        system: str,
        offered: float,
        seconds: float,
        server_cpu: float,
        extra_cpu: float,
        client_cpu: float,
    ) -> PhaseResult:
        unanswered = 0
        if self.dialect.resumes:
            unanswered = len(set(phase.sent) - phase.accepted - phase.refused - set(phase.delivered))
        return PhaseResult(
            system=system,
            layout=self.layout,
            offered=offered,
            seconds=seconds,
            messages=len(phase.sent),
            deliveries=sum(phase.delivered.values()),
            achieved=phase.in_window / seconds,
            p50=percentile(phase.latencies, 50),
            p99=percentile(phase.latencies, 99),
            p_max=max(phase.latencies, default=float("nan")),
            lost=max(0, self._missing(phase)),
            quiet=quiet,
            duplicates=phase.duplicates,
            out_of_order=phase.out_of_order,
            refused=len(phase.refused),
            unanswered=unanswered,
            seq_gaps=phase.seq_gaps,
            send_failures=phase.send_failures,
            server_cpu=server_cpu,
            extra_cpu=extra_cpu,
            client_cpu=client_cpu,
            errors=dict(phase.error_codes),
        )
