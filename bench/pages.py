"""Scenario 6 — pages: consultation list and detail under 50 concurrent signed-in users.

Closed loop: 50 users, each on its own keep-alive connection, request the same page back to back
for a fixed time. Baselines on the same daphne process: /bench/trivial, a Django view that does
nothing behind the project's full middleware stack (bench/urls.py adds it; no view is added to the
app), and /healthz (one SELECT 1 and one channel-layer round trip).
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from bench.common import Section, Table, ms, num, percentile, ratio
from bench.dialects import PROXY_HEADERS
from bench.harness import BenchEnv
from bench.httpclient import Connection, HttpError
from bench.infra import CpuMeter

USERS = 50


@dataclass
class Run:
    label: str
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)
    bytes: int = 0
    seconds: float = 0.0
    cpu: float = 0.0
    extra_cpu: float = 0.0
    peak_connections: int = 0  # PostgreSQL connections to the bench database, sampled every 0.25 s

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else float("nan")

    @property
    def errors(self) -> int:
        return sum(n for s, n in self.statuses.items() if s != 200) + sum(self.failures.values())


@dataclass(frozen=True)
class User:
    cookie: str
    detail: str  # a consultation this person may open


def _users(env: BenchEnv) -> list[User]:
    rooms = env.data.rooms
    users = []
    for n in range(USERS):  # half workers (their own consultations), half the peers who claimed them
        room = rooms[(n // 2) % len(rooms)]
        users.append(User(room.members[n % 2].cookie, f"/consultations/{room.consultation_id}/"))
    return users


async def _measure(
    port: int,
    users: list[User],
    label: str,
    path: str | None,
    seconds: float,
    meter: CpuMeter,
    connections_now: Callable[[], int],
) -> Run:
    run = Run(label)
    connections = [Connection(port, {"Cookie": u.cookie, **PROXY_HEADERS}) for u in users]

    async def warm(conn: Connection, user: User) -> None:
        try:
            await conn.get(path or user.detail)
        except (OSError, HttpError, TimeoutError):
            pass

    await asyncio.gather(*(warm(c, u) for c, u in zip(connections, users, strict=True)))
    end = time.monotonic() + seconds

    async def loop(conn: Connection, user: User) -> None:
        while time.monotonic() < end:
            started = time.perf_counter()
            try:
                status, size = await conn.get(path or user.detail)
            except (OSError, HttpError, TimeoutError, ValueError) as error:
                run.failures[type(error).__name__] += 1
                await conn.close()
                continue
            run.latencies.append(time.perf_counter() - started)
            run.statuses[status] += 1
            run.bytes += size

    async def watch() -> None:
        while time.monotonic() < end:
            run.peak_connections = max(run.peak_connections, await asyncio.to_thread(connections_now))
            await asyncio.sleep(0.25)

    meter.start()
    started = time.monotonic()
    await asyncio.gather(watch(), *(loop(c, u) for c, u in zip(connections, users, strict=True)))
    run.seconds = time.monotonic() - started
    meter.stop()
    run.cpu, run.extra_cpu = meter.seconds, meter.extra_seconds
    await asyncio.gather(*(c.close() for c in connections))
    return run


def run(quick: bool, env: BenchEnv) -> Section:
    seconds = 1.5 if quick else 6.0
    users = _users(env)
    server = env.start_project("pages-daphne")
    runs: list[Run] = []
    try:
        for label, path in (
            ("consultation list /consultations/", "/consultations/"),
            ("consultation detail /consultations/<id>/", None),
            ("baseline: trivial Django view /bench/trivial", "/bench/trivial"),
            ("baseline: /healthz", "/healthz"),
        ):
            redis = [env.redis.pid] if env.redis else []
            meter = CpuMeter([server.pid], [*env.database.backend_pids(), *redis])
            count = env.database.connection_count
            runs.append(asyncio.run(_measure(server.port, users, label, path, seconds, meter, count)))
    finally:
        env.processes.stop(server)
    return _section(runs, seconds, env)


def _section(runs: list[Run], seconds: float, env: BenchEnv) -> Section:
    section = Section("6. Pages (50 concurrent signed-in users)")
    section.intro = [
        f"{USERS} users (half workers, half peers; two-factor sessions), closed loop without think time, "
        f"{seconds:.0f} s per page on one project daphne process. The list shows up to 200 consultations "
        f"(peers see the whole peer queue of {len(env.data.claim_queue):,}); detail = the user's own room.",
    ]
    table = Table(
        [
            "page",
            "requests",
            "req/s",
            "p50",
            "p95",
            "p99",
            "non-200 / failed",
            "bytes/resp",
            "server CPU ms/req",
            "peak PG connections",
        ]
    )
    for r in runs:
        count = len(r.latencies)
        table.add(
            r.label,
            num(count),
            num(r.rate, 1),
            ms(percentile(r.latencies, 50)),
            ms(percentile(r.latencies, 95)),
            ms(percentile(r.latencies, 99)),
            r.errors,
            num(r.bytes / count) if count else "–",
            num(r.cpu / count * 1000, 2) if count else "–",
            r.peak_connections,
        )
    section.tables.append(table)
    trivial = runs[2]
    ratios = Table(["page", "req/s vs trivial view", "p95 vs trivial view", "req/s vs /healthz"])
    for r in runs[:2]:
        p95, base95 = percentile(r.latencies, 95), percentile(trivial.latencies, 95)
        ratios.add(r.label, ratio(r.rate, trivial.rate), ratio(p95, base95), ratio(r.rate, runs[3].rate))
    section.tables.append(ratios)
    for r in runs:
        if r.errors:
            section.notes.append(f"{r.label}: statuses {dict(r.statuses)}, failures {dict(r.failures)}")
    section.notes += [
        "Requests carry X-Forwarded-Proto: https as behind the production proxy (SECURE_PROXY_SSL_HEADER), "
        "so production settings serve them instead of redirecting.",
        f"Peak PG connections: connections to the bench database while the page was loaded (max_connections "
        f"{env.database.setting('max_connections')}). Django runs each request's sync code in a "
        "thread of its "
        "own under ASGI, and with CONN_MAX_AGE=60 (production) the connection opened there is not "
        "closed at the "
        "end of the request; it goes away only when the thread's objects are collected. With the server "
        "default of 100 connections this scenario failed with 'too many clients' (shared by every "
        "database on "
        "the server), which is why the bench's private cluster allows more.",
    ]
    section.figures = {
        r.label: {
            "rate": r.rate,
            "p95": percentile(r.latencies, 95),
            "errors": r.errors,
            "peak_connections": r.peak_connections,
        }
        for r in runs
    }
    if any(r.errors for r in runs[:2]):
        section.error = "some page requests failed (see notes)"
    return section
