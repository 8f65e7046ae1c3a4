"""Processes the bench starts and stops: PostgreSQL database, a private Redis, daphne, the B0 relay.

Everything binds to 127.0.0.1 on a free port. Each child runs in its own process group so that
stopping it also stops anything it started; `Processes.stop_all` runs from a finally block.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from bench.common import REPO

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_port(port: int, seconds: float, process: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode} before listening on {port}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {seconds:.0f} s")


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]
    log: Path
    port: int = 0
    stop_signal: int = signal.SIGTERM

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, grace: float = 8.0) -> None:
        if self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, self.stop_signal)
        except ProcessLookupError:
            return
        try:
            self.process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.wait(timeout=5)

    def log_tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


@dataclass
class Processes:
    """Every child the bench started, so that a finally block can stop them all."""

    logs: Path
    children: list[Child] = field(default_factory=list)

    def start(
        self,
        name: str,
        argv: Sequence[str],
        env: dict[str, str],
        port: int = 0,
        wait_seconds: float = 30,
        stop_signal: int = signal.SIGTERM,
    ) -> Child:
        log = self.logs / f"{name}.log"
        handle = log.open("ab")
        process = subprocess.Popen(
            list(argv), cwd=REPO, env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
        )
        handle.close()
        child = Child(name, process, log, port, stop_signal)
        self.children.append(child)
        if port:
            try:
                wait_for_port(port, wait_seconds, process)
            except (RuntimeError, TimeoutError) as error:
                child.stop()
                raise RuntimeError(f"{name} did not start: {error}\n{child.log_tail()}") from error
        return child

    def stop(self, child: Child) -> None:
        child.stop()
        if child in self.children:
            self.children.remove(child)

    def stop_all(self) -> None:
        for child in reversed(self.children):
            try:
                child.stop()
            except Exception as error:  # noqa: BLE001 - keep stopping the others
                print(f"bench: could not stop {child.name}: {error}", file=sys.stderr)
        self.children.clear()


def start_redis(processes: Processes) -> tuple[Child, str]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is required (apt-get install redis-server)")
    port = free_port()
    argv = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    child = processes.start("redis", argv, dict(os.environ), port=port)
    return child, f"redis://127.0.0.1:{port}/0"


def start_daphne(processes: Processes, name: str, application: str, env: dict[str, str]) -> Child:
    port = free_port()
    argv = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), application]
    return processes.start(name, argv, env, port=port, wait_seconds=60)


def start_b0_relay(processes: Processes) -> Child:
    port = free_port()
    argv = [sys.executable, str(REPO / "bench" / "b0_relay.py"), "--port", str(port)]
    return processes.start("b0-relay", argv, dict(os.environ), port=port)


def _as_postgres_user(argv: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run it as the postgres account when we are root."""
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


def postgres_binaries() -> Path | None:
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (candidate / "initdb").exists() and (candidate / "postgres").exists():
            return candidate
    initdb = shutil.which("initdb")
    return Path(initdb).resolve().parent if initdb else None


def start_postgres(processes: Processes, workdir: Path, max_connections: int = 500) -> tuple[Child, str]:
    """A private PostgreSQL cluster (initdb defaults but max_connections, trust auth) on a free port.

    Private so that the bench neither competes with colleagues' test runs for the shared server's
    max_connections nor is slowed by their load on it; initdb takes a few seconds.
    """
    binaries = postgres_binaries()
    if binaries is None or (os.geteuid() == 0 and shutil.which("runuser") is None):
        raise RuntimeError("initdb/postgres (or runuser) not found")
    data = workdir / "pgdata"
    workdir.chmod(0o755)
    data.mkdir(mode=0o700)
    if os.geteuid() == 0:
        shutil.chown(data, "postgres", "postgres")
    subprocess.run(
        _as_postgres_user(
            [str(binaries / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync"]
        ),
        check=True,
        capture_output=True,
        timeout=120,
    )
    port = free_port()
    argv = [str(binaries / "postgres"), "-D", str(data), "-p", str(port), "-k", str(data)]
    # max_connections is raised from 100: see the pages scenario (one connection per request thread).
    argv += ["-c", "listen_addresses=127.0.0.1", "-c", f"max_connections={max_connections}"]
    env = dict(os.environ)
    # SIGINT is PostgreSQL's fast shutdown (SIGTERM would wait for every client to leave).
    child = processes.start("postgres", _as_postgres_user(argv), env, port=port, stop_signal=signal.SIGINT)
    url = f"postgres://postgres@127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:  # the port opens before recovery ends ("the database system is starting up")
        try:
            psycopg.connect(f"{url}/postgres", connect_timeout=5).close()
            return child, url
        except psycopg.OperationalError:
            if time.monotonic() > deadline or not child.alive():
                raise RuntimeError(f"private PostgreSQL did not become ready\n{child.log_tail()}") from None
            time.sleep(0.1)


# --- PostgreSQL --------------------------------------------------------------------------------


class Database:
    """The bench database, and one standing admin connection for watching it.

    The standing connection is opened once, so that watching (backend pids, connection counts)
    keeps working when the server has no connection slot left to give.
    """

    def __init__(self, server_url: str, name: str) -> None:
        self.server_url = server_url  # postgres://user@host:port (no database)
        self.name = name
        self._watch: psycopg.Connection[tuple[object, ...]] | None = None

    @property
    def url(self) -> str:
        return f"{self.server_url}/{self.name}"

    def _admin(self) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(f"{self.server_url}/postgres", autocommit=True, connect_timeout=10)

    def _watcher(self) -> psycopg.Connection[tuple[object, ...]]:
        if self._watch is None or self._watch.closed:
            self._watch = self._admin()
        return self._watch

    def recreate(self) -> None:
        with self._admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{self.name}"')
        self._watcher()

    def drop(self) -> None:
        self.close()
        with self._admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def close(self) -> None:
        if self._watch is not None:
            self._watch.close()
            self._watch = None

    def backend_pids(self) -> list[int]:
        try:
            rows = (
                self._watcher()
                .execute(
                    "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                    (self.name,),
                )
                .fetchall()
            )
        except psycopg.Error:
            self.close()
            return []
        return [int(str(row[0])) for row in rows]

    def connection_count(self) -> int:
        """Connections to the bench database right now (-1 if they cannot be counted)."""
        pids = self.backend_pids()
        return len(pids) if pids or self._watch is not None else -1

    def server_version(self) -> str:
        row = self._watcher().execute("SHOW server_version").fetchone()
        return str(row[0]) if row else "?"

    def setting(self, name: str) -> str:
        row = self._watcher().execute("SELECT current_setting(%s)", (name,)).fetchone()
        return str(row[0]) if row else "?"


# --- /proc readings ----------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (all its threads), in seconds; 0 if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def rss_bytes(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


class CpuMeter:
    """CPU seconds used by a set of processes between start() and stop().

    `extra` is asked for more pids at both ends (PostgreSQL backends come and go); a backend that
    ended in between is not counted, one that started is counted from zero.
    """

    def __init__(self, pids: Iterable[int], extra: Iterable[int] = ()) -> None:
        self.pids = set(pids)
        self.extra = set(extra)
        self.before: dict[int, float] = {}
        self.seconds = 0.0
        self.extra_seconds = 0.0

    def start(self) -> None:
        self.before = {pid: cpu_seconds(pid) for pid in self.pids | self.extra}

    def stop(self, extra: Iterable[int] = ()) -> None:
        self.extra |= set(extra)
        self.seconds = sum(cpu_seconds(pid) - self.before.get(pid, 0.0) for pid in self.pids)
        self.extra_seconds = sum(
            max(0.0, cpu_seconds(pid) - self.before.get(pid, 0.0)) for pid in self.extra - self.pids
        )


def wait_until_idle(pid: int, below: float = 0.15, max_seconds: float = 30.0) -> float:
    """Block until a process uses less than `below` of a core over half a second; returns seconds waited."""
    started = time.monotonic()
    while time.monotonic() - started < max_seconds:
        before = cpu_seconds(pid)
        time.sleep(0.5)
        if (cpu_seconds(pid) - before) / 0.5 < below:
            break
    return time.monotonic() - started


def own_cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system
