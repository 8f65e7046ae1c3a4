"""Responder availability writes."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import Role, User
from peer.models import ResponderProfile

RESPONDER_ROLES = {Role.PEER, Role.EXPERT, Role.SUPERVISOR}


def profile_for(*, user: User) -> ResponderProfile:
    profile, _ = ResponderProfile.objects.get_or_create(user=user)
    return profile


def duty_set(*, actor: User, on_duty: bool) -> ResponderProfile:
    if actor.role not in RESPONDER_ROLES:
        raise PermissionError("only responders have a duty status")
    with transaction.atomic():
        profile, _ = ResponderProfile.objects.select_for_update().get_or_create(user=actor)
        if profile.on_duty != on_duty:
            profile.on_duty = on_duty
            profile.status_changed_at = timezone.now()
            profile.save(update_fields=["on_duty", "status_changed_at"])
            audit_record(action="duty_on" if on_duty else "duty_off", actor=actor, target=profile)
    return profile
