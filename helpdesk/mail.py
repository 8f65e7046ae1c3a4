"""E-mail notifications (urgent consultations, missed targets). Ids and links only, never case text."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import transaction

from accounts.models import Role, User
from peer.models import ResponderProfile

logger = logging.getLogger(__name__)


def on_duty_supervisors() -> list[User]:
    ids = ResponderProfile.objects.filter(on_duty=True, user__role=Role.SUPERVISOR, user__is_active=True)
    return list(User.objects.filter(pk__in=ids.values("user_id")).exclude(email=""))


def mail_on_commit(recipients: Iterable[User], subject: str, consultation_id: int, line: str) -> None:
    """Send after commit; a mail failure is logged (type only) and never undoes the change."""
    addresses = sorted({user.email for user in recipients if user.email})
    if not addresses:
        return
    link = f"{settings.SITE_URL}/consultations/{int(consultation_id)}/"
    body = (
        f"{line}\n\n相談 #{int(consultation_id):06d}\n{link}\n\n（このメールには相談内容は含まれていません）"
    )
    messages = [
        (f"[支援者支援] {subject}", body, settings.DEFAULT_FROM_EMAIL, [address]) for address in addresses
    ]

    def send() -> None:
        try:
            send_mass_mail(messages, fail_silently=False)
        except Exception as error:  # noqa: BLE001 - realtime notices went out already
            logger.warning("notification mail failed: %s", type(error).__name__)

    transaction.on_commit(send)
