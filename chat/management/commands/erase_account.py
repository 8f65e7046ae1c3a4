"""Delete (anonymise) one account from the shell, as an administrator would in the admin.

    python manage.py erase_account <username> --actor <admin-username> [--yes]
    python manage.py erase_account --id <id> --actor <admin-username> [--yes]

Without --yes it states what goes and what stays and asks on the terminal; it refuses to ask a pipe.
It prints counts only, never a name or a text of the person.
"""

from __future__ import annotations

import sys
from argparse import ArgumentParser
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from accounts.models import User
from chat.export import ERASURE_DELETES, ERASURE_KEEPS, account_erase


def _account(value: str, *, by_id: bool) -> User | None:
    """By username, or with --id by numeric id: never a guess between the two (a username may be "42")."""
    if by_id:
        return User.objects.filter(pk=int(value)).first() if value.isascii() and value.isdigit() else None
    return User.objects.filter(username=value).first()


class Command(BaseCommand):
    help = (
        "Delete an account for good: its texts are erased and the account is anonymised. Without --yes, "
        "what goes and what is kept for the record is printed and a terminal is asked to confirm."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("account", help="username of the account to delete (its id with --id)")
        parser.add_argument("--id", action="store_true", help="the account is given by its numeric id")
        parser.add_argument("--actor", required=True, help="username of the administrator doing it")
        parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    def handle(self, *args: Any, **options: Any) -> None:
        user = _account(options["account"], by_id=options["id"])
        if user is None:
            hint = "" if options["id"] or not options["account"].isdigit() else " To give an id, add --id."
            raise CommandError(f"No account {options['account']!r}.{hint}")
        actor = User.objects.filter(username=options["actor"]).first()
        if actor is None:
            raise CommandError(f"No account {options['actor']!r} to act as.")
        if actor.pk == user.pk:
            raise CommandError("An administrator cannot delete their own account.")
        if not actor.is_staff:
            raise CommandError(
                f"{actor.username!r} is not an active administrator, who alone deletes accounts."
            )
        if not options["yes"]:
            self._confirm(user)
        try:
            report = account_erase(actor=actor, user=user)
        except PermissionDenied as refusal:
            raise CommandError(str(refusal)) from None
        self.stdout.write(
            f"Account {user.pk} deleted: texts of {len(report.consultations)} consultation(s), "
            f"{report.messages} message(s), {report.circle_messages} circle message(s), "
            f"{report.care_texts} after-care text(s), {report.self_checks} self-check(s) and "
            f"{report.shifts} shift(s) erased."
        )

    def _confirm(self, user: User) -> None:
        with translation.override("en"):  # operators' output is English, like the other commands
            self.stdout.write(f"Account {user.pk} ({user.role}) will be deleted.")
            self.stdout.write("Deleted:")
            for line in ERASURE_DELETES:
                self.stdout.write(f"  - {line}")
            self.stdout.write("Kept for the record, anonymised:")
            for line in ERASURE_KEEPS:
                self.stdout.write(f"  - {line}")
        if not sys.stdin.isatty():
            raise CommandError("Not a terminal: run again with --yes to confirm.")
        self.stdout.write("Type the account's id to confirm: ", ending="")
        self.stdout.flush()
        if sys.stdin.readline().strip() != str(user.pk):
            raise CommandError("Not confirmed; nothing was deleted.")
