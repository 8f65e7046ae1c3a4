from __future__ import annotations

import logging
import signal
import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from helpdesk.sla import sla_tick
from peer.services import apply_shift_boundaries

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Apply SLA warnings, breaches, escalations and returns in short ticks (safe with several replicas)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--interval", type=float, default=5.0, help="seconds between ticks")
        parser.add_argument("--once", action="store_true", help="run one tick and exit")

    def handle(self, *args: Any, **options: Any) -> None:
        stopping = False

        def stop(signum: int, frame: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        while not stopping:
            close_old_connections()
            try:
                report = sla_tick()
                apply_shift_boundaries()
            except Exception as error:  # noqa: BLE001 - keep ticking; the next tick retries
                logger.error("SLA tick failed: %s", type(error).__name__)
            else:
                if report.warned or report.breached or options["once"]:
                    self.stdout.write("sla: " + ", ".join(f"{k}={v}" for k, v in report.as_dict().items()))
            if options["once"]:
                return
            deadline = time.monotonic() + options["interval"]
            while not stopping and time.monotonic() < deadline:
                time.sleep(0.2)
