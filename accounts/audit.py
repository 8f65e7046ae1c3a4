"""The audit trail: who did what to which object. No free text, ever."""

from __future__ import annotations

from django.db import models

from accounts.middleware import current_request_id
from accounts.models import AuditEvent, User


def audit_record(
    *,
    action: str,
    actor: User | None = None,
    target: models.Model | None = None,
    object_type: str = "",
    object_id: str | int = "",
) -> AuditEvent:
    if target is not None:
        object_type = target._meta.label_lower
        object_id = str(target.pk)
    return AuditEvent.objects.create(
        actor=actor if actor is not None and actor.pk else None,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        request_id=current_request_id.get(),
    )
