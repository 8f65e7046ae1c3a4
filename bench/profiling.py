"""py-spy, attached to a running server for a few seconds, and a summary of where its CPU went.

py-spy is optional (pip install py-spy; it needs ptrace, i.e. root or CAP_SYS_PTRACE here). Without
it the report says so and nothing else changes.
"""

from __future__ import annotations

import re
import shutil
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bench.common import Table
from bench.infra import Child, Processes

# Leaf-frame file -> what the time was spent on (first match wins).
CATEGORIES = [
    ("psycopg", "PostgreSQL driver (psycopg)"),
    ("django/db/backends", "Django DB backend (cursor, connection)"),
    ("django/db/models", "ORM: building queries, making model instances"),
    ("django/db", "ORM: other"),
    ("channels_redis", "channel layer (channels_redis)"),
    ("/redis/", "Redis client (redis-py)"),
    ("msgpack", "channel layer serialisation"),
    ("autobahn", "WebSocket protocol (autobahn)"),
    ("twisted", "Twisted reactor and transport"),
    ("daphne", "daphne server"),
    ("asgiref", "asgiref sync/async hops"),
    ("channels/", "Channels consumer machinery"),
    ("bleach", "message rendering (bleach)"),
    ("html5lib", "message rendering (html5lib)"),
    ("django/contrib/sessions", "sessions"),
    ("django_otp", "two-factor checks"),
    ("django/", "Django other"),
    ("/chat/", "project code: chat"),
    ("/helpdesk/", "project code: helpdesk"),
    ("/accounts/", "project code: accounts"),
    ("json/", "JSON"),
    ("asyncio", "asyncio"),
    ("threading.py", "threads (waiting, hand-offs)"),
    ("selectors.py", "event loop waiting in epoll (an idle main thread)"),
    ("concurrent/futures", "thread pool hand-offs"),
]


def binary() -> str | None:
    return shutil.which("py-spy") or (
        str(Path(sys.executable).with_name("py-spy"))
        if Path(sys.executable).with_name("py-spy").exists()
        else None
    )


def attach(processes: Processes, pid: int, seconds: float, out: Path) -> Child | None:
    spy = binary()
    if spy is None:
        return None
    out.unlink(missing_ok=True)
    argv = [
        spy,
        "record",
        "--pid",
        str(pid),
        "--duration",
        str(int(seconds)),
        "--rate",
        "100",
        "--format",
        "raw",
        "--nolineno",
        "--threads",
        "--nonblocking",
        "--output",
        str(out),
    ]
    return processes.start("py-spy", argv, {"PATH": "/usr/bin:/bin"})


@dataclass
class Profile:
    samples: int = 0
    by_thread: Counter[str] = field(default_factory=Counter)
    leaf: Counter[str] = field(default_factory=Counter)
    inclusive: Counter[str] = field(default_factory=Counter)
    categories: Counter[str] = field(default_factory=Counter)
    entry_points: Counter[str] = field(default_factory=Counter)  # outermost project frame per sample


def _short(frame: str) -> str:
    """'func (/long/path/site-packages/pkg/mod.py)' -> 'func (pkg/mod.py)'."""
    name, _, path = frame.partition(" (")
    path = path.rstrip(")")
    for marker in ("site-packages/", "/work/main/", "lib/python3.11/"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{name} ({path})" if path else name


def _category(frame: str) -> str:
    for needle, label in CATEGORIES:
        if needle in frame:
            return label
    return "other"


def read(path: Path) -> Profile:
    profile = Profile()
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = stack.split(";")
        thread, frames = (
            (frames[0], frames[1:]) if frames[0].startswith(("thread", "process")) else ("", frames)
        )
        if not frames:
            continue
        profile.samples += count
        profile.by_thread[thread] += count
        profile.leaf[_short(frames[-1])] += count
        profile.categories[_category(frames[-1])] += count
        short = [_short(f) for f in frames]
        for frame in set(short):
            profile.inclusive[frame] += count
        entry = next(
            (f for f in short if f.split(" (", 1)[-1].startswith(PROJECT_APPS)), "(not in project code)"
        )
        profile.entry_points[entry] += count
    return profile


PROJECT_APPS = ("chat/", "helpdesk/", "accounts/", "peer/", "config/")

# Frames every stack passes through (entry points, loops, thread plumbing): not worth a row.
PLUMBING = (
    "runpy",
    "run_forever",
    "_run_once",
    "daphne/cli",
    "daphne/__main__",
    "Server.run",
    "_bootstrap",
    "Thread.run",
    "_worker",
    "_WorkItem",
    "AsyncioSelectorReactor.run",
    "SyncToAsync",
    "DatabaseSyncToAsync",
    "Handle._run",
    "<module>",
)


def tables(profile: Profile, seconds: float, rate: int = 100, top: int = 12) -> list[Table]:
    share = Table(["where the CPU went (leaf frame)", "share of samples"])
    for label, count in profile.categories.most_common(top):
        share.add(label, f"{count / profile.samples:.0%}")
    threads = Table(["threads", "sampled as active (waiting in C counts), % of one thread's time, summed"])
    groups: Counter[str] = Counter()
    members: dict[str, set[str]] = {}
    for thread, count in profile.by_thread.items():
        name = thread.split(": ", 1)[-1] or "(all)"
        group = re.sub(r"\d+$", "*", name)  # asyncio_3 -> asyncio_*, ThreadPoolExecutor-0_0 -> ..._*
        groups[group] += count
        members.setdefault(group, set()).add(thread)
    for group, count in groups.most_common(4):
        label = f"{group} ({len(members[group])} threads)" if len(members[group]) > 1 else group
        threads.add(label, f"{count / (seconds * rate):.0%}")
    inclusive = Table(["function (inclusive)", "share of samples"])
    frames = [(f, n) for f, n in profile.inclusive.most_common() if not any(p in f for p in PLUMBING)]
    for frame, count in frames[:top]:
        inclusive.add(f"`{frame}`", f"{count / profile.samples:.0%}")
    entries = Table(["outermost project function on the stack", "share of samples"])
    for frame, count in profile.entry_points.most_common(top):
        entries.add(f"`{frame}`", f"{count / profile.samples:.0%}")
    leaf = Table(["function (self)", "share of samples"])
    for frame, count in profile.leaf.most_common(top):
        leaf.add(f"`{frame}`", f"{count / profile.samples:.0%}")
    return [share, threads, entries, leaf, inclusive]
