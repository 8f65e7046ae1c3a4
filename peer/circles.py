"""Peer circles: membership (who may read and write in a circle's room). Chat carries the messages."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet

from accounts.audit import audit_record
from accounts.models import Role, User
from accounts.text import clean_line
from peer.models import TRAINING_ORDER, Circle, CircleMembership, ResponderProfile, TrainingLevel

MODERATOR = "moderator"
MEMBER = "member"


def _may_moderate(user: User) -> bool:
    """Moderators are peer supporters trained to the intermediate level or beyond (or supervisors)."""
    if user.role == Role.SUPERVISOR:
        return True
    if user.role != Role.PEER:
        return False
    profile = ResponderProfile.objects.filter(user=user).first()
    level = TrainingLevel(profile.training_level) if profile else TrainingLevel.NOVICE
    return TRAINING_ORDER[level] >= TRAINING_ORDER[TrainingLevel.INTERMEDIATE]


def circle_create(*, actor: User, name: str, moderator: User) -> Circle:
    if actor.role not in (Role.SUPERVISOR, Role.ADMIN):
        raise PermissionDenied("supervisors and admins open circles")
    name = clean_line(name)
    if not name or len(name) > 100:
        raise ValueError("name_required")
    if not _may_moderate(moderator):
        raise ValueError("moderator_not_eligible")
    with transaction.atomic():
        circle = Circle.objects.create(name=name, moderator=moderator)
        CircleMembership.objects.create(circle=circle, user=moderator)
        audit_record(action="circle_created", actor=actor, target=circle)
    return circle


def circle_member_add(*, actor: User, circle_id: int, user: User) -> CircleMembership:
    """The moderator (or a supervisor) adds a supporter; workers and responders alike may belong."""
    circle = Circle.objects.filter(pk=circle_id, is_active=True).first()
    if circle is None or not (circle.moderator_id == actor.pk or actor.role == Role.SUPERVISOR):
        raise PermissionDenied("only the moderator adds members")
    if not user.is_active or user.role == Role.ADMIN:
        raise ValueError("member_not_eligible")
    with transaction.atomic():
        membership, created = CircleMembership.objects.get_or_create(circle=circle, user=user)
        if created:
            audit_record(action="circle_member_added", actor=actor, target=circle)
    return membership


def circle_leave(*, actor: User, circle_id: int) -> None:
    with transaction.atomic():
        deleted, _ = (
            CircleMembership.objects.filter(circle_id=circle_id, user=actor)
            .exclude(circle__moderator=actor)
            .delete()
        )
        if deleted:
            audit_record(action="circle_left", actor=actor, object_type="peer.circle", object_id=circle_id)


def circle_role_for(*, actor: User, circle_id: int) -> str | None:
    if not actor.is_active:
        return None
    membership = (
        CircleMembership.objects.filter(circle_id=circle_id, user=actor, circle__is_active=True)
        .select_related("circle")
        .first()
    )
    if membership is None:
        return None
    return MODERATOR if membership.circle.moderator_id == actor.pk else MEMBER


def circles_for(*, actor: User) -> QuerySet[Circle]:
    return Circle.objects.filter(is_active=True, memberships__user=actor).distinct()
