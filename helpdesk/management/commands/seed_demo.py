from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from helpdesk.demo import seed_demo


class Command(BaseCommand):
    help = "Create fictional demo organisations and accounts (demo mode only); prints new passwords once."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            created = seed_demo()
        except ImproperlyConfigured as error:
            raise CommandError(str(error)) from None
        if not created:
            self.stdout.write(
                "Demo accounts exist already (their passwords were printed when they were made)."
            )
            return
        self.stdout.write("=" * 72)
        self.stdout.write("Demo accounts (shown only this once; each sets up TOTP at first login):")
        for user, password in created:
            self.stdout.write(f"  {user.role:<11} {user.username:<16} {password}")
        self.stdout.write("=" * 72)
