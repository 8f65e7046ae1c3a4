from __future__ import annotations

import signal
import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from accounts.jobs import jobs_from_settings, jobs_run_due


class Command(BaseCommand):
    help = (
        "Run the periodic jobs of settings.BACKGROUND_JOBS (housekeeping, retention purge) until stopped "
        "(SIGTERM/SIGINT); safe with several replicas."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--interval", type=float, default=60.0, help="seconds between rounds")
        parser.add_argument("--once", action="store_true", help="run every job once and exit")

    def handle(self, *args: Any, **options: Any) -> None:
        stopping = False

        def stop(signum: int, frame: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        jobs = jobs_from_settings()
        while not stopping:
            for result in jobs_run_due(jobs):
                if result.counts is not None:
                    counts = ", ".join(f"{k}={v}" for k, v in result.counts.items())
                    self.stdout.write(f"{result.name}: {counts}")
            if options["once"]:
                return
            # Between rounds: give the connection back while sleeping; a broken one is replaced next round.
            close_old_connections()
            deadline = time.monotonic() + options["interval"]
            while not stopping and time.monotonic() < deadline:
                time.sleep(0.5)
