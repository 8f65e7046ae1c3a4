from __future__ import annotations

from argparse import ArgumentParser
from datetime import date, datetime, time
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from helpdesk.triage_review import corrections_as_examples


class Command(BaseCommand):
    help = "Write supervisors' triage corrections as JSON lines (labelled examples for the lexicons)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--since", help="only corrections from this date (YYYY-MM-DD)")

    def handle(self, *args: Any, **options: Any) -> None:
        since = None
        if options["since"]:
            try:
                day = date.fromisoformat(options["since"])
            except ValueError:
                raise CommandError("--since must be a date like 2026-04-01") from None
            since = timezone.make_aware(datetime.combine(day, time.min))
        count = 0
        for line in corrections_as_examples(since=since):
            self.stdout.write(line)
            count += 1
        self.stderr.write(f"{count} correction(s) exported")
