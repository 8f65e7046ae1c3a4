"""Run every benchmark scenario and write bench/RESULTS.md.

    .venv/bin/python bench/run.py [--quick] [--only chat,claims,...] [--keep-db] [--env production|test]

`make bench` runs it in full (under 10 minutes), `make bench-quick` as a one-minute smoke run for CI
(small sizes; written to bench/RESULTS-quick.md so that it never replaces the real figures). It
starts what it needs — its own PostgreSQL database (`soudan_bench`, dropped and re-created), a
private redis-server, daphne processes, the B0 relay — and stops all of it in a finally block.
Exit status: 0 unless something is broken (setup, a scenario that raised, a correctness failure
such as a double claim or refused sessions); slow numbers never fail the run.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import traceback
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import chat_delivery, claims, connections, external, machine, pages, profiling, report
from bench.common import BENCH, Deadline, Section, Table
from bench.harness import BenchEnv
from bench.machine import _version

Scenario = Callable[[bool, BenchEnv], Section]
SCENARIOS: list[tuple[str, Scenario]] = [
    ("chat", chat_delivery.run),
    ("connections", connections.run),
    ("claims", claims.run),
    ("pages", pages.run),
]


def _timed(name: str, scenario: Scenario, quick: bool, env: BenchEnv) -> tuple[Section, bool]:
    """(section, raised): a scenario that raises is reported and the run goes on."""
    started = time.monotonic()
    print(f"bench: {name} …", flush=True)
    try:
        section = scenario(quick, env)
        raised = False
    except Exception as error:  # noqa: BLE001 - one broken scenario must not hide the others
        section = Section(name, error=f"{type(error).__name__}: {error}")
        section.notes.append("```\n" + traceback.format_exc()[-3000:] + "\n```")
        raised = True
    section.seconds = time.monotonic() - started
    print(f"bench: {name} done in {section.seconds:.0f} s{' (FAILED)' if section.error else ''}", flush=True)
    return section, raised


def _profile_section() -> Section | None:
    path = chat_delivery.profile_path()
    if not path.exists():
        return None
    profile = profiling.read(path)
    section = Section("Profile: the project's chat path under load (py-spy)")
    if not profile.samples:
        section.error = "py-spy wrote no samples"
        return section
    seconds = chat_delivery.PROFILE_SECONDS + 2
    section.intro = [
        f"py-spy 100 Hz, --nonblocking, attached to the project's daphne for {seconds:.0f} s during an extra "
        "phase at 1,000 deliveries/s (100 rooms × 4) after the measured ones: the server is saturated, so "
        f"this is where a send's time goes at capacity. {profile.samples:,} samples; raw collapsed stacks: "
        f"`{path.relative_to(BENCH.parent)}`. py-spy leaves out threads it sees idle, but in --nonblocking "
        "mode a thread blocked in a C call still counts: the psycopg frames (`Connection.wait`, "
        "`_execute_send`) and epoll are mostly *waiting* — for PostgreSQL, and for the GIL.",
    ]
    section.tables = profiling.tables(profile, seconds)
    return section


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small sizes, about a minute (CI smoke run)")
    parser.add_argument("--only", default="", help="comma-separated: chat,connections,claims,pages,external")
    parser.add_argument("--keep-db", action="store_true", help="leave the bench database for inspection")
    parser.add_argument("--env", choices=["production", "test"], default="production")
    parser.add_argument(
        "--postgres",
        choices=["private", "shared"],
        default="private",
        help="private: a throwaway cluster on a free port (default); "
        "shared: BENCH_POSTGRES or 127.0.0.1:5432",
    )
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args(argv)
    only = {name.strip() for name in args.only.split(",") if name.strip()}
    output = args.output or BENCH / ("RESULTS-quick.md" if args.quick else "RESULTS.md")

    started_at, started = datetime.now(), time.monotonic()
    env = BenchEnv(args.quick, Deadline(150 if args.quick else 570), profile=args.env, postgres=args.postgres)
    sections: list[Section] = []
    keyed: dict[str, Section] = {}
    broken = False
    machine_lines: list[str] = []
    try:
        print(f"bench: setting up ({'quick' if args.quick else 'full'}) …", flush=True)
        setup_started = time.monotonic()
        env.setup()
        print(f"bench: setup done in {time.monotonic() - setup_started:.0f} s", flush=True)
        machine_lines = machine.describe(env.database.server_version(), env.postgres_label())
        machine_lines.append(machine.calibrate(env.database.url, env.redis_url))
        machine_lines.append(machine.code_version())
        machine_lines += [f"- {note}" for note in env.notes]
        for name, scenario in SCENARIOS:
            if only and name not in only:
                continue
            section, raised = _timed(name, scenario, args.quick, env)
            broken |= raised or bool(section.error)
            sections.append(section)
            keyed[name] = section
            if name == "chat" and not args.quick:
                profile = _profile_section()
                if profile:
                    sections.append(profile)
    except Exception as error:  # noqa: BLE001 - setup failed: report it and exit non-zero
        broken = True
        failed = Section("Setup", error=f"{type(error).__name__}: {error}")
        failed.notes.append("```\n" + traceback.format_exc()[-3000:] + "\n```")
        sections.append(failed)
        print(traceback.format_exc(), file=sys.stderr)
    finally:
        env.teardown(keep_db=args.keep_db)
    if not only or "external" in only:
        print("bench: the other teams' benches …", flush=True)
        sections += external.run_all(args.quick, env.deadline.left(), env.original_env)
    sections.append(_closing(time.monotonic() - started, broken))
    report.write(
        output,
        started=started_at,
        seconds=time.monotonic() - started,
        quick=args.quick,
        profile=args.env,
        machine=machine_lines,
        sections=sections,
        keyed=keyed,
        websockets_version=_version("websockets"),
    )
    print(
        f"bench: wrote {output} in {time.monotonic() - started:.0f} s{' — BROKEN' if broken else ''}",
        flush=True,
    )
    return 1 if broken else 0


def _closing(seconds: float, broken: bool) -> Section:
    section = Section("Run")
    table = Table(["figure", "value"])
    table.add("wall time", f"{seconds:.0f} s")
    load = os.getloadavg()
    table.add("load average at the end (1 / 5 / 15 min)", f"{load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}")
    table.add("status", "broken (see the failed sections)" if broken else "ok")
    section.tables.append(table)
    return section


if __name__ == "__main__":
    sys.exit(main())
