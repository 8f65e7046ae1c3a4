"""The background worker's schedule: which periodic jobs run, and how often.

settings.BACKGROUND_JOBS lists (dotted path, seconds) pairs. The path names a zero-argument callable
that returns a dict of counts; the seconds are the least time between two of its runs (0: every round).
Paths are imported when the worker starts, not when this module is imported, so accounts (the bottom
floor) runs chat's retention purge without importing chat.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import connections
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


@dataclass
class Job:
    path: str
    every: float
    run: Callable[[], dict[str, int]]
    due_at: float | None = None  # on the monotonic clock; None: at once

    @property
    def name(self) -> str:
        """`accounts.housekeeping.run_housekeeping` -> `housekeeping`."""
        return self.path.rsplit(".", 1)[-1].removeprefix("run_")


@dataclass
class JobResult:
    name: str
    counts: dict[str, int] | None  # None: the job failed (and was logged)


def jobs_from_settings() -> list[Job]:
    """The configured jobs; a path that does not import stops the worker at start, not later."""
    return [
        Job(path=path, every=float(every), run=import_string(path))
        for path, every in settings.BACKGROUND_JOBS
    ]


def _drop_broken_connections() -> None:
    """close_old_connections, except inside a transaction (which is not ours to end, e.g. a test's)."""
    for connection in connections.all(initialized_only=True):
        if not connection.in_atomic_block:
            connection.close_if_unusable_or_obsolete()


def jobs_run_due(jobs: list[Job], *, clock: Callable[[], float] = time.monotonic) -> list[JobResult]:
    """Run every job that is due, each on its own: one failing job never keeps the others from running.

    A failed job is logged with its exception type and frames, never the message (which can quote
    data), and tried again next round.
    """
    results = []
    for job in jobs:
        started = clock()
        if job.due_at is not None and started < job.due_at:
            continue
        try:
            counts = job.run()
        except Exception as error:
            # Types and frames only: the log formatter never writes exception messages (config.logformat).
            logger.error("background job %s failed: %s", job.name, type(error).__name__, exc_info=True)
            results.append(JobResult(name=job.name, counts=None))
            _drop_broken_connections()  # a broken connection is not handed to the next job
            continue
        job.due_at = started + job.every
        results.append(JobResult(name=job.name, counts=counts))
    return results
