from __future__ import annotations

import signal
import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from accounts.housekeeping import run_housekeeping


class Command(BaseCommand):
    help = "Run periodic background jobs until stopped (SIGTERM/SIGINT)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--interval", type=float, default=60.0, help="seconds between rounds")
        parser.add_argument("--once", action="store_true", help="run one round and exit")

    def handle(self, *args: Any, **options: Any) -> None:
        stopping = False

        def stop(signum: int, frame: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        while not stopping:
            summary = run_housekeeping()
            self.stdout.write("housekeeping: " + ", ".join(f"{k}={v}" for k, v in summary.items()))
            if options["once"]:
                return
            deadline = time.monotonic() + options["interval"]
            while not stopping and time.monotonic() < deadline:
                time.sleep(0.5)
