"""Scenario 1 — chat delivery: the project against B0 (websockets relay) and B1 (tutorial consumer).

Same rooms, same members per room, same offered load, one system at a time on a fresh server
process: first at the target rate in each layout, then (last layout) doubling steps until the
system stops keeping up. Optionally one more phase on the project with py-spy attached; that
phase is only profiled, never reported as a measurement.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench import profiling
from bench.common import BENCH, Section, Table, ms, num, ratio
from bench.dialects import ProjectDialect, RelayDialect, TutorialDialect
from bench.harness import BenchEnv
from bench.infra import Child, CpuMeter, wait_until_idle
from bench.loadgen import ChatLoad, Dialect, PhaseResult

PROFILE_OUT = BENCH / "profile-chat-project.txt"
PROFILE_SECONDS = 8
LIGHT_RATE = 40.0  # deliveries/s: a load the project keeps up with on a busy 2-core machine


@dataclass(frozen=True)
class Plan:
    layouts: list[tuple[int, int]]  # rooms, members per room
    rates: list[list[float]]  # per layout: comparison loads (deliveries/s), lowest first
    rate: float  # the headline comparison load
    seconds: float
    drain: float
    steps: list[float]  # saturation steps (deliveries/s), last layout, only while the system keeps up
    step_seconds: float
    profile_seconds: float

    @classmethod
    def for_env(cls, env: BenchEnv) -> Plan:
        rooms = env.sizes.rooms
        layouts = [(rooms, m) for m in env.sizes.members]
        if env.quick:
            return cls(layouts, [[200.0]], 200, 3, 3, [600], 2, 0)
        rates = [[LIGHT_RATE, 1000.0], [1000.0]]
        return cls(layouts, rates, 1000, 8, 8, [2000, 4000, 8000, 16000], 5, PROFILE_SECONDS)


@dataclass
class SystemRun:
    name: str
    at_rate: list[PhaseResult] = field(default_factory=list)
    steps: list[PhaseResult] = field(default_factory=list)
    connect_failures: dict[str, int] = field(default_factory=dict)
    connect_seconds: list[float] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # layouts left out for time
    refused_sockets: int = 0
    error: str = ""

    def saturation_is_lower_bound(self) -> bool:
        """The steps ran out (or time did) while the system still kept up."""
        return bool(self.steps) and self.steps[-1].sustained()

    def saturation(self) -> float:
        """The most deliveries/s achieved in any send window of the first layout."""
        first = self.at_rate[0].layout if self.at_rate else ""
        phases = [p for p in [*self.at_rate, *self.steps] if p.layout == first]
        return max((p.achieved for p in phases), default=math.nan)


def run(quick: bool, env: BenchEnv) -> Section:
    plan = Plan.for_env(env)
    if not quick:
        PROFILE_OUT.unlink(missing_ok=True)  # never report a profile from an earlier run
    runs = [asyncio.run(_system(env, plan, name)) for name in ("B0", "B1", "project")]
    return _section(plan, runs, env)


def _last_seqs(consultation_ids: list[int]) -> dict[int, int]:
    from chat.models import Thread

    seqs = dict(Thread.objects.filter(pk__in=consultation_ids).values_list("pk", "last_seq"))
    return {n: seqs.get(cid, 0) for n, cid in enumerate(consultation_ids)}


def _start(env: BenchEnv, name: str) -> tuple[Child, Dialect, bool, bool]:
    if name == "B0":
        server = env.start_b0()
        return server, RelayDialect(server.port), False, False
    if name == "B1":
        server = env.start_b1()
        return server, TutorialDialect(server.port), True, False
    server = env.start_project()
    return server, ProjectDialect(server.port, env.data.rooms), True, True


# Seconds of the run's budget a later layout needs to be started (the project connects slowly).
LATER_LAYOUT_NEEDS = {"B0": 300.0, "B1": 300.0, "project": 420.0}


async def _system(env: BenchEnv, plan: Plan, name: str) -> SystemRun:
    """One system, one fresh server per layout (an overloaded phase leaves a backlog behind it)."""
    result = SystemRun(name)
    for index in range(len(plan.layouts)):
        if result.error:
            break
        if index and not env.has_time(LATER_LAYOUT_NEEDS[name]):
            rooms, members = plan.layouts[index]
            result.skipped.append(f"{rooms} rooms × {members}")
            continue
        try:
            server, dialect, uses_redis, uses_db = _start(env, name)
        except RuntimeError as error:
            result.error = str(error)
            break
        try:
            await _layout(env, plan, result, server, dialect, (uses_redis, uses_db), index)
        except Exception as error:  # noqa: BLE001 - the report says what broke; the other systems still run
            result.error = f"{type(error).__name__}: {error}\n{server.log_tail(8)}"
        finally:
            env.processes.stop(server)
    return result


async def _layout(
    env: BenchEnv,
    plan: Plan,
    result: SystemRun,
    server: Child,
    dialect: Dialect,
    uses: tuple[bool, bool],
    index: int,
) -> None:
    rooms, members = plan.layouts[index]
    meter = CpuMeter([server.pid])

    def start_meter() -> None:
        meter.extra = {env.redis.pid} if uses[0] and env.redis else set()
        if uses[1]:
            meter.extra |= set(env.database.backend_pids())
        meter.start()

    def stop_meter() -> tuple[float, float]:
        meter.stop(env.database.backend_pids() if uses[1] else ())
        return meter.seconds, meter.extra_seconds

    load = ChatLoad(dialect, rooms, members, f"{rooms} rooms × {members}")
    ids = [room.consultation_id for room in env.data.rooms[:rooms]]
    last_seqs = await asyncio.to_thread(_last_seqs, ids) if dialect.resumes else None
    # 20 at a time: daphne drops a handshake the application has not accepted within 5 s, and the
    # project's connects queue behind one database thread (the connections scenario measures that).
    result.connect_seconds.append(await load.open(last_seqs, concurrency=20 if dialect.resumes else 40))
    # Resumes and presence replies are still being processed: start measuring once the server is idle.
    await asyncio.to_thread(wait_until_idle, server.pid)
    for kind, count in load.connect_errors.items():
        result.connect_failures[kind] = result.connect_failures.get(kind, 0) + count
    result.refused_sockets += len(load.clients) - load.open_count()
    if not load.clients:
        raise RuntimeError("no socket could connect")
    rates = plan.rates[index]
    for n, rate in enumerate(rates):
        phase = await load.run_phase(rate, plan.seconds, plan.drain, start_meter, stop_meter, result.name)
        result.at_rate.append(phase)
        await asyncio.to_thread(wait_until_idle, server.pid, 0.2, 20.0)
        if index == 0 and dialect.resumes and n + 1 < len(rates) and phase.sustained():
            # Find the project's saturation below the next comparison load *before* that load
            # runs: an overloaded phase leaves a backlog that would spoil every later step.
            below = [rate * 2**k for k in range(1, 8) if rate * 2**k < rates[n + 1]]
            await _steps(env, plan, load, result, start_meter, stop_meter, below, server.pid)
    if index == 0:
        if result.at_rate[-1].sustained():
            await _steps(env, plan, load, result, start_meter, stop_meter, plan.steps, server.pid)
        elif result.name == "project" and plan.profile_seconds and env.has_time(240):
            await _profile(env, server, load, plan)
    await load.close()


async def _steps(
    env: BenchEnv,
    plan: Plan,
    load: ChatLoad,
    result: SystemRun,
    start_meter: Callable[[], None],
    stop_meter: Callable[[], tuple[float, float]],
    rates: list[float],
    server_pid: int,
) -> bool:
    """Doubling steps while the system keeps up; False once one does not (or time runs short)."""
    for offered in rates:
        if not env.has_time(200):
            return False
        step = await load.run_phase(
            offered, plan.step_seconds, plan.drain, start_meter, stop_meter, result.name
        )
        result.steps.append(step)
        await asyncio.to_thread(wait_until_idle, server_pid, 0.2, 20.0)
        if not step.sustained():
            return False
    return True


async def _profile(env: BenchEnv, server: Child, load: ChatLoad, plan: Plan) -> None:
    spy = profiling.attach(env.processes, server.pid, plan.profile_seconds + 2, PROFILE_OUT)
    if spy is None:
        return
    await asyncio.sleep(1.0)
    await load.run_phase(plan.rate, plan.profile_seconds, plan.drain)
    deadline = time.monotonic() + 20
    while spy.alive() and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    env.processes.stop(spy)
    await asyncio.sleep(1.0)


# --- the report ----------------------------------------------------------------------------------


def _row(table: Table, r: PhaseResult) -> None:
    table.add(
        r.layout,
        r.system,
        num(r.offered),
        num(r.achieved),
        ms(r.p50),
        ms(r.p99),
        ms(r.p_max),
        num(r.deliveries),
        r.lost_text(),
        r.duplicates,
        r.out_of_order,
        r.refused + r.unanswered,
        num(r.cpu_per_1000(), 3),
        num(r.cpu_per_1000(extra=True), 3),
        num(r.client_cpu, 2),
    )


def _section(plan: Plan, runs: list[SystemRun], env: BenchEnv) -> Section:
    section = Section("1. Chat delivery (open loop)")
    loads = ", ".join(
        f"{'/'.join(f'{r:,.0f}' for r in rates)} deliveries/s with {m} members"
        for (_, m), rates in zip(plan.layouts, plan.rates, strict=True)
    )
    section.intro = [
        f"{plan.layouts[0][0]} consultation rooms. Every member of a room sends; each message is "
        "delivered to "
        "every member (the sender too), so deliveries/s = messages/s × members. Comparison loads: "
        f"{loads}; {plan.seconds:.0f} s each, then a drain of up to {plan.drain:.0f} s. Each system gets a "
        "fresh server process per layout. Latency = receipt time minus the *intended* send time written into "
        "the body (open loop: a sender that falls behind is not forgiven). Lost = accepted messages "
        "that some "
        "connected member never received; for the project a message counts as accepted when it was acked "
        "or delivered, and refused/unanswered ones are counted apart.",
    ]
    headers = [
        "layout",
        "system",
        "offered/s",
        "achieved/s",
        "p50",
        "p99",
        "max",
        "deliveries",
        "lost",
        "dup",
        "out of order",
        "refused/unanswered",
        "server CPU s/1k",
        "+Redis+PG s/1k",
        "client cores",
    ]
    comparison = Table(headers)
    keys = [
        (f"{rooms} rooms × {m}", rate)
        for (rooms, m), rates in zip(plan.layouts, plan.rates, strict=True)
        for rate in rates
    ]
    by_key = {(p.layout, p.offered, r.name): p for r in runs for p in r.at_rate}
    for layout, rate in keys:
        for r in runs:
            if (layout, rate, r.name) in by_key:
                _row(comparison, by_key[(layout, rate, r.name)])
    section.tables.append(comparison)

    ratios = Table(
        [
            "layout",
            "offered/s",
            "project p99",
            "B1 p99",
            "project / B1 (target ≤ 1.5)",
            "B0 p99",
            "project / B0",
        ]
    )
    for layout, rate in keys:
        found = [by_key.get((layout, rate, name)) for name in ("project", "B1", "B0")]
        if all(found):
            p, t, z = (x.p99 for x in found if x)
            ratios.add(layout, num(rate), ms(p), ms(t), ratio(p, t), ms(z), ratio(p, z))
    section.tables.append(ratios)

    steps = Table(
        ["system", "offered/s", "achieved/s", "p50", "p99", "lost", "dup", "out of order", "kept up"]
    )
    b0 = next((r for r in runs if r.name == "B0"), None)
    for r in runs:
        first = r.at_rate[0].layout if r.at_rate else ""
        for s in sorted([p for p in r.at_rate if p.layout == first] + r.steps, key=lambda p: p.offered):
            steps.add(
                f"{r.name} ({s.layout})",
                num(s.offered),
                num(s.achieved),
                ms(s.p50),
                ms(s.p99),
                s.lost_text(),
                s.duplicates,
                s.out_of_order,
                "yes" if s.sustained() else "no",
            )
    section.tables.append(steps)

    sat = Table(["system", "saturation deliveries/s (max achieved)", "ratio to B0 (project target ≥ 0.5)"])
    for r in runs:
        bound = "≥ " if r.saturation_is_lower_bound() else ""
        sat.add(
            r.name,
            bound + num(r.saturation()),
            ratio(r.saturation(), b0.saturation() if b0 else math.nan),
        )
        if bound:
            section.notes.append(
                f"{r.name} still kept up at the last step: its saturation is above {num(r.saturation())} "
                "deliveries/s (ratios to it are upper bounds for the others)."
            )
    section.tables.append(sat)

    section.notes += [
        "Saturation = the highest delivery rate achieved inside one send window in the first layout; after "
        "the comparison loads, the offered load doubles step by step while the system keeps up ('kept up' = "
        "achieved ≥ 90 % of offered, p99 < 1 s, nothing lost, duplicated or reordered). A system that does "
        "not keep up at the comparison load gets no steps above it. The project also gets doubling steps "
        "between the light load and the next comparison load, run before that load (an overloaded phase "
        "leaves a backlog that would spoil later steps); the table lists the phases by offered load.",
        "Server CPU = the server process (daphne or the relay), all threads; '+Redis+PG' adds the private "
        "Redis and the PostgreSQL backends of the bench database. 'client cores' = CPU of the load "
        "generator (one Python process on the same 2 cores) / wall time: near 1.0 the client, not the "
        "server, is the limit.",
        "'undelivered at cut-off': the server was still working through a backlog when the drain cap "
        "ended the phase, so late and lost cannot be told apart there (and CPU per 1k deliveries is "
        "inflated by work whose deliveries came later). Loss is only claimed for phases that went quiet.",
        "B1 and the project run on the same daphne and Redis pub/sub channel layer (production settings); "
        "B0 is one asyncio process on `websockets`.",
        "Connect time for the room sockets (all members; 40 at a time, the project 20): "
        + "; ".join(f"{r.name} " + ", ".join(f"{s:.1f} s" for s in r.connect_seconds) for r in runs)
        + ".",
    ]
    for r in runs:
        if r.error:
            section.notes.append(f"{r.name} failed: {r.error}")
            section.error = (section.error or "") + f"{r.name}: {r.error.splitlines()[0]} "
        if r.skipped:
            section.notes.append(f"{r.name}: left out for time: {', '.join(r.skipped)}")
        if r.connect_failures or r.refused_sockets:
            section.notes.append(
                f"{r.name}: connect failures {r.connect_failures or 0}, sockets closed by the server "
                f"{r.refused_sockets}"
            )
            if r.refused_sockets:
                section.error = (section.error or "") + f"{r.name}: the server refused room members "
        for phase in [*r.at_rate, *r.steps]:
            if phase.errors:
                section.notes.append(f"{r.name} {num(phase.offered)}/s error frames: {phase.errors}")
            if phase.seq_gaps:
                section.notes.append(
                    f"{r.name} {num(phase.offered)}/s: {phase.seq_gaps} seq gaps seen by clients"
                )
    section.figures = {
        r.name: {
            "at_rate": [p.__dict__ for p in r.at_rate],
            "steps": [p.__dict__ for p in r.steps],
            "saturation": r.saturation(),
            "saturation_lower_bound": r.saturation_is_lower_bound(),
            "headline_rate": plan.rate,
        }
        for r in runs
    }
    return section


def profile_path() -> Path:
    return PROFILE_OUT
