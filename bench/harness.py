"""The bench environment: its own PostgreSQL database, a private Redis, production-like settings.

`BenchEnv.setup()` creates everything, `BenchEnv.teardown()` stops and removes it; run.py calls the
second from a finally block. The harness process itself uses the same settings as the servers it
starts (same SECRET_KEY, database and Redis), so the sessions it writes are valid for them.
"""

from __future__ import annotations

import os
import resource
import secrets
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from bench.common import REPO, Deadline
from bench.infra import (
    Child,
    CpuMeter,
    Database,
    Processes,
    start_b0_relay,
    start_daphne,
    start_postgres,
    start_redis,
)

if TYPE_CHECKING:
    from bench.data import Fixtures

PROJECT_ASGI = "config.asgi:application"
B1_ASGI = "bench.b1_asgi:application"


@dataclass(frozen=True)
class Sizes:
    rooms: int
    members: list[int]  # layouts: members per room
    queue: int  # the shared claim queue
    responders: int
    sockets: int  # connections held
    group: int  # the broadcast group inside those sockets

    @classmethod
    def for_run(cls, quick: bool) -> Sizes:
        if quick:
            return cls(rooms=10, members=[4], queue=500, responders=20, sockets=100, group=50)
        return cls(rooms=100, members=[4, 10], queue=10_000, responders=20, sockets=3_000, group=1_000)


@dataclass
class BenchEnv:
    quick: bool
    deadline: Deadline
    profile: str = "production"
    postgres: str = "private"  # private: a throwaway cluster; shared: BENCH_POSTGRES (127.0.0.1:5432)
    sizes: Sizes = field(init=False)
    tmp: Path = field(init=False)
    processes: Processes = field(init=False)
    database: Database = field(init=False)
    redis: Child | None = None
    postgres_child: Child | None = None
    redis_url: str = ""
    server_env: dict[str, str] = field(default_factory=dict)
    _fixtures: Fixtures | None = None  # made once Django is set up
    notes: list[str] = field(default_factory=list)
    original_env: dict[str, str] = field(default_factory=lambda: dict(os.environ))

    def __post_init__(self) -> None:
        self.sizes = Sizes.for_run(self.quick)
        self.tmp = Path(tempfile.mkdtemp(prefix="soudan-bench-"))
        (self.tmp / "logs").mkdir()
        self.processes = Processes(self.tmp / "logs")
        server = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
        self.database = Database(server, os.environ.get("BENCH_DATABASE", "soudan_bench"))

    # --- setup ---------------------------------------------------------------------------------

    def setup(self) -> None:
        raise_file_limit()
        self.redis, self.redis_url = start_redis(self.processes)
        if self.postgres == "private":
            try:
                self.postgres_child, server = start_postgres(self.processes, self.tmp)
                self.database = Database(server, self.database.name)
            except (RuntimeError, OSError, subprocess.SubprocessError) as error:
                self.postgres = "shared"
                self.notes.append(f"private PostgreSQL unavailable ({error}); used the shared server")
        self.database.recreate()
        self.server_env = self._server_env()
        self._manage("migrate", "--noinput")
        if self.profile == "production":
            self._manage("collectstatic", "--noinput")  # the manifest storage needs it, as in a deploy
        os.environ.update(self.server_env)
        import django

        django.setup()
        # Import what the harness calls now: colleagues edit these files while a run goes on, and a
        # module imported halfway through could meet an older copy of its neighbours.
        import chat.services  # noqa: F401
        import helpdesk.routing
        import helpdesk.workflow  # noqa: F401
        from bench import fixtures

        sizes = self.sizes
        experts = max(sizes.members) - 2
        chat_sockets = sizes.rooms * sizes.members[0]  # the connections scenario's rooms
        self._fixtures = fixtures.build(
            rooms=sizes.rooms,
            experts_per_room=experts,
            queue=sizes.queue,
            responders=sizes.responders,
            group=sizes.group,
            others=max(0, sizes.sockets - sizes.group - chat_sockets),
        )

    def _server_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SENTRY_"))}
        env.update(
            DJANGO_SETTINGS_MODULE="bench.settings",
            DJANGO_ENV=self.profile,
            DEBUG="0",
            SECRET_KEY=secrets.token_urlsafe(64),
            ALLOWED_HOSTS="127.0.0.1,localhost",
            CSRF_TRUSTED_ORIGINS="https://127.0.0.1",
            DATABASE_URL=self.database.url,
            REDIS_URL=self.redis_url,
            STATIC_ROOT=str(self.tmp / "static"),
            LOG_LEVEL="WARNING",
            PYTHONPATH=str(REPO),
        )
        return env

    def _manage(self, *args: str) -> None:
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=REPO,
            env=self.server_env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if done.returncode != 0:
            raise RuntimeError(f"manage.py {args[0]} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")

    def has_time(self, seconds: float) -> bool:
        """Whether `seconds` of the full run's budget are left (quick runs are small: always yes)."""
        return self.quick or self.deadline.left() > seconds

    @property
    def data(self) -> Fixtures:
        if self._fixtures is None:
            raise RuntimeError("the bench data was not created")
        return self._fixtures

    # --- servers -------------------------------------------------------------------------------

    def start_project(self, name: str = "project-daphne") -> Child:
        return start_daphne(self.processes, name, PROJECT_ASGI, self.server_env)

    def start_b1(self) -> Child:
        return start_daphne(self.processes, "b1-daphne", B1_ASGI, self.server_env)

    def start_b0(self) -> Child:
        return start_b0_relay(self.processes)

    def postgres_label(self) -> str:
        if self.postgres == "private":
            return (
                "a private cluster started by the bench on a free port: initdb defaults except "
                f"max_connections={self.database.setting('max_connections')}"
            )
        return f"the shared server {self.database.server_url}"

    def meter(self, server: Child, redis: bool, postgres: bool) -> CpuMeter:
        extra = [self.redis.pid] if redis and self.redis else []
        if postgres:
            extra += self.database.backend_pids()
        return CpuMeter([server.pid], extra)

    # --- teardown ------------------------------------------------------------------------------

    def teardown(self, keep_db: bool = False) -> None:
        """Stop every child; drop the database (a private cluster goes away with its directory)."""
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # noqa: BLE001, S110 - Django may never have been set up
            pass
        self.database.close()
        self.processes.stop_all()
        if self.postgres == "shared" and not keep_db:
            try:
                self.database.drop()
            except Exception as error:  # noqa: BLE001
                print(f"bench: could not drop {self.database.name}: {error}", file=sys.stderr)
        if keep_db and self.postgres == "private":
            print(f"bench: --keep-db with a private cluster: data left in {self.tmp}", file=sys.stderr)
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)


def raise_file_limit() -> int:
    """Thousands of sockets need thousands of descriptors; children inherit the raised limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else 65536
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]
