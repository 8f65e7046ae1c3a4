"""A person's own account data (for the JSON download) and the admin's account deletion.

accounts is the lowest floor: it knows nothing of consultations or chat. chat.export assembles the
whole download (this profile, the person's consultations and messages) and erases the texts before
calling `account_delete` here. What deletion keeps for the record is stated in docs/security.md.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.admin.models import LogEntry
from django.contrib.auth import SESSION_KEY
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django_otp import devices_for_user
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.audit import audit_record
from accounts.models import AccessToken, AuditEvent, Role, User
from accounts.sockets import disconnect_user_on_commit

ACCOUNT_DELETED = "account_deleted"


def iso(value: datetime | date | None) -> str | None:
    """A time or date for a JSON export (every app's part of a person's download uses this)."""
    return value.isoformat() if value is not None else None


def account_export_for(*, user: User) -> dict[str, Any]:
    """Everything the account itself holds about this person, JSON-ready. No secrets, no hashes."""
    return {
        "username": user.username,
        "display_name": user.display_name,
        "pseudonym": user.pseudonym,
        "email": user.email,
        "role": user.role,
        "organisation": {"slug": user.organisation.slug, "name": user.organisation.name},
        "professions": list(user.professions),
        "specialties": list(user.specialties),
        "is_active": user.is_active,
        "date_joined": iso(user.date_joined),
        "last_login": iso(user.last_login),
        "two_factor": {
            "authenticator_apps": TOTPDevice.objects.filter(user=user, confirmed=True).count(),
            "backup_codes_remaining": StaticToken.objects.filter(
                device__user=user, device__confirmed=True
            ).count(),
        },
        "access_tokens": [
            {
                "name": token.name,
                "prefix": token.prefix,
                "created_at": iso(token.created_at),
                "expires_at": iso(token.expires_at),
                "last_used_at": iso(token.last_used_at),
                "revoked_at": iso(token.revoked_at),
            }
            for token in AccessToken.objects.filter(user=user).order_by("created_at", "pk")
        ],
        "activity": [
            {
                "action": event.action,
                "object_type": event.object_type,
                "object_id": event.object_id,
                "created_at": iso(event.created_at),
            }
            for event in AuditEvent.objects.filter(actor=user).order_by("created_at", "pk")
        ],
    }


def _end_sessions(user_id: int) -> int:
    ended = 0
    for session in Session.objects.all().iterator():
        if str(session.get_decoded().get(SESSION_KEY)) == str(user_id):
            session.delete()
            ended += 1
    return ended


def account_delete_check(*, actor: User, user: User) -> None:
    """Only an active administrator deletes accounts, and never their own (someone must remain)."""
    if actor.role != Role.ADMIN or not actor.is_active:
        raise PermissionDenied("only an administrator deletes accounts")
    if actor.pk == user.pk:
        raise PermissionDenied("an administrator cannot delete their own account")


def account_delete(*, actor: User, user: User) -> User:
    """Anonymise an account for good; the row stays so that consultations and metrics still add up.

    Kept: the id, role, organisation and date joined (aggregates per role and organisation). Gone:
    username (replaced by "deleted-<id>"), names, pseudonym, e-mail, professions, specialties, the
    password, second-factor devices, access tokens, sessions, lockout records and the admin history's
    copy of the name. Open sockets close. Free texts the person wrote are erased by chat.export first.
    """
    account_delete_check(actor=actor, user=user)
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        old_username = user.username
        user.username = f"deleted-{user.pk}"
        user.display_name = ""
        user.pseudonym = ""
        user.email = ""
        user.professions = []
        user.specialties = []
        user.is_active = False
        user.last_login = None
        user.set_unusable_password()
        user.save()
        for device in devices_for_user(user, confirmed=None):
            device.delete()
        AccessToken.objects.filter(user=user).delete()
        for model in (AccessAttempt, AccessFailureLog, AccessLog):
            model.objects.filter(username=old_username).delete()
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(User), object_id=str(user.pk)
        ).update(object_repr=user.username)
        _end_sessions(user.pk)
        audit_record(action=ACCOUNT_DELETED, actor=actor, target=user)
        disconnect_user_on_commit(user.pk)
    return user
