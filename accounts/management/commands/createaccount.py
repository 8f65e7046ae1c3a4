from __future__ import annotations

import sys
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.models import Profession, Role, Specialty
from accounts.services import AccountSpec, account_apply, invitation_path


class Command(BaseCommand):
    help = (
        "Create (or update) one account. The password is read from standard input when it is piped; "
        "otherwise an invitation link is printed where the person sets it."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--org", required=True, help="organisation slug")
        parser.add_argument("--display-name", default="")
        parser.add_argument("--email", default="")
        parser.add_argument("--profession", action="append", default=[], choices=Profession.values)
        parser.add_argument("--specialty", action="append", default=[], choices=Specialty.values)
        parser.add_argument("--pseudonym", default="")
        parser.add_argument(
            "--password-stdin", action="store_true", help="read the password from stdin even from a terminal"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        password = None
        if options["password_stdin"] or not sys.stdin.isatty():
            password = sys.stdin.readline().rstrip("\r\n") or None
        spec = AccountSpec(
            username=options["username"],
            role=options["role"],
            organisation_slug=options["org"],
            display_name=options["display_name"],
            email=options["email"],
            professions=tuple(options["profession"]),
            specialties=tuple(options["specialty"]),
            pseudonym=options["pseudonym"],
        )
        try:
            outcome = account_apply(actor=None, spec=spec, password=password)
        except ValidationError as error:
            details = error.message_dict if hasattr(error, "message_dict") else {"": error.messages}
            lines = [
                f"{name}: {' '.join(msgs)}" if name else " ".join(msgs) for name, msgs in details.items()
            ]
            raise CommandError("; ".join(lines)) from None
        verb = "created" if outcome.created else ("updated" if outcome.changed_fields else "unchanged")
        self.stdout.write(f"Account {outcome.user.username} {verb} ({outcome.user.role}).")
        if password is None and not outcome.user.has_usable_password():
            link = settings.SITE_URL + invitation_path(actor=None, user=outcome.user)
            self.stdout.write(
                f"Invitation link (valid {settings.PASSWORD_RESET_TIMEOUT // 86400} days): {link}"
            )
