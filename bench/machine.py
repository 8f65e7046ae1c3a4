"""What the numbers were measured on: machine, load, Python and package versions."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
from importlib import metadata
from pathlib import Path

PACKAGES = ["Django", "channels", "channels-redis", "daphne", "Twisted", "redis", "psycopg", "websockets"]


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def _memory_gib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 2**20
    except OSError:
        pass
    return float("nan")


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def _redis_version() -> str:
    binary = shutil.which("redis-server")
    if not binary:
        return "?"
    out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=10).stdout
    return next((part.split("=", 1)[1] for part in out.split() if part.startswith("v=")), out.strip())


def describe(postgres_version: str, postgres_label: str) -> list[str]:
    load = os.getloadavg()
    packages = ", ".join(f"{name} {_version(name)}" for name in PACKAGES)
    return [
        f"- Machine: {os.cpu_count()} cores ({_cpu_model()}), {_memory_gib():.1f} GiB memory, "
        f"{platform.system()} {platform.release()}; shared with other work (load average at start "
        f"{load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}).",
        f"- Python {platform.python_version()}; {packages}.",
        f"- PostgreSQL {postgres_version} ({postgres_label}); Redis {_redis_version()} (a private "
        "redis-server started "
        "by the bench).",
    ]


def code_version() -> str:
    """The commit measured, and how many files differed from it (colleagues edit while a run goes on)."""
    from bench.common import REPO

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, timeout=20)
        return done.stdout.strip()

    try:
        head = git("log", "-1", "--format=%h %s")
        changed = [
            line for line in git("status", "--porcelain").splitlines() if not line[3:].startswith("bench/")
        ]
    except (OSError, subprocess.SubprocessError):
        return "- Code: unknown (git not available)."
    dirty = f", plus {len(changed)} uncommitted changed files outside bench/" if changed else ""
    return f"- Code measured: commit {head}{dirty} (at the start of the run)."


def calibrate(database_url: str, redis_url: str) -> str:
    """Round trips on this machine right now: what one query, one commit and one Redis call cost."""
    import time

    import psycopg
    import redis

    from bench.common import ms, percentile

    def timed(call: object, times: int) -> list[float]:
        out = []
        for _ in range(times):
            started = time.perf_counter()
            call()  # type: ignore[operator]
            out.append(time.perf_counter() - started)
        return out

    with psycopg.connect(database_url, autocommit=True) as conn:
        select = timed(lambda: conn.execute("SELECT 1").fetchone(), 300)
        conn.execute("CREATE TABLE bench_calibration (x int)")
        commit = timed(lambda: conn.execute("INSERT INTO bench_calibration VALUES (1)"), 100)
        conn.execute("DROP TABLE bench_calibration")
    client = redis.Redis.from_url(redis_url)
    ping = timed(client.ping, 300)
    client.close()
    return (
        f"- Round trips at the start (p50 / p99): PostgreSQL `SELECT 1` {ms(percentile(select, 50))} / "
        f"{ms(percentile(select, 99))}, one-row INSERT with commit (fsync) {ms(percentile(commit, 50))} / "
        f"{ms(percentile(commit, 99))}, Redis PING {ms(percentile(ping, 50))} / {ms(percentile(ping, 99))}."
    )
