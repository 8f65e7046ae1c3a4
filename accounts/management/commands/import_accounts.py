from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.importing import ImportFailed, accounts_import
from accounts.services import invitation_path


class Command(BaseCommand):
    help = (
        "Import accounts from a UTF-8 CSV (columns: username, role, organisation, and optionally "
        "display_name, email, professions, specialties, pseudonym; lists separated by ';'). "
        "Idempotent: existing accounts are updated. Any bad row stops the whole import."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--no-invitations", action="store_true", help="do not print invitation links")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            data = path.read_bytes()
        except OSError as error:
            raise CommandError(f"cannot read {path}: {error.strerror}") from None
        try:
            report = accounts_import(actor=None, data=data)
        except ImportFailed as failure:
            for problem in failure.errors:
                self.stderr.write(f"{path.name}: {problem}")
            raise CommandError(f"{len(failure.errors)} problem(s) found; nothing was imported.") from None
        self.stdout.write(
            f"Imported {path.name}: {len(report.created)} created, {len(report.updated)} updated, "
            f"{report.unchanged} unchanged."
        )
        if not options["no_invitations"]:
            for user in report.created:
                link = settings.SITE_URL + invitation_path(actor=None, user=user)
                self.stdout.write(f"{user.username}\t{link}")
