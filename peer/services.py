"""Responder availability, shifts, training records and self-checks: every write."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import Role, User
from accounts.text import clean_line
from peer import inventory, selectors
from peer.models import ResponderProfile, SelfCheck, ShiftSlot, TrainingLevel, TrainingRecord

RESPONDER_ROLES = {Role.PEER, Role.EXPERT, Role.SUPERVISOR}
ACTIVITY_RESOLUTION = timedelta(minutes=1)  # activity_seen writes at most once a minute per person


def profile_for(*, user: User) -> ResponderProfile:
    profile, _ = ResponderProfile.objects.get_or_create(user=user)
    return profile


def _require_responder(actor: User) -> None:
    if actor.role not in RESPONDER_ROLES:
        raise PermissionError("only responders have a duty status")


def duty_set(*, actor: User, on_duty: bool) -> ResponderProfile:
    _require_responder(actor)
    now = timezone.now()
    with transaction.atomic():
        profile, _ = ResponderProfile.objects.select_for_update().get_or_create(user=actor)
        if profile.on_duty != on_duty:
            profile.on_duty = on_duty
            profile.status_changed_at = now
            profile.last_active_at = now
            profile.save(update_fields=["on_duty", "status_changed_at", "last_active_at"])
            audit_record(action="duty_on" if on_duty else "duty_off", actor=actor, target=profile)
    return profile


def activity_seen(user: User, now: datetime | None = None) -> None:
    """The responder did something (chat frame, page view): postpones the automatic 'away'.

    One UPDATE without reading first, and only when the stored time is a minute old, so callers on
    hot paths (every chat frame) cost little.
    """
    if user.role not in RESPONDER_ROLES:
        return
    now = now or timezone.now()
    ResponderProfile.objects.filter(user_id=user.pk).filter(
        Q(last_active_at__isnull=True) | Q(last_active_at__lt=now - ACTIVITY_RESOLUTION)
    ).update(last_active_at=now)


def apply_shift_boundaries(now: datetime | None = None) -> dict[str, int]:
    """Switch to away whoever is on duty outside their weekly shifts or idle for too long.

    Idempotent and safe with several workers (rows another worker holds are skipped). Routing never
    waits for this job: it checks the shift itself, so a shift ends at its minute even if this runs late.
    """
    now = now or timezone.now()
    own_shifts = ShiftSlot.objects.filter(profile=OuterRef("pk"))
    idle_since = now - selectors.inactivity_limit()
    counts = {"off_shift": 0, "idle": 0}
    with transaction.atomic():
        candidates = (
            ResponderProfile.objects.filter(on_duty=True)
            .annotate(
                has_shifts=Exists(own_shifts),
                in_shift=Exists(own_shifts.filter(selectors.in_shift_q(now))),
                seen=Coalesce("last_active_at", "status_changed_at"),
            )
            .filter(Q(has_shifts=True, in_shift=False) | Q(seen__lt=idle_since))
            .select_for_update(skip_locked=True, of=("self",))
        )
        for profile in candidates:
            off_shift = getattr(profile, "has_shifts", False) and not getattr(profile, "in_shift", False)
            reason = "off_shift" if off_shift else "idle"
            profile.on_duty = False
            profile.status_changed_at = now
            profile.save(update_fields=["on_duty", "status_changed_at"])
            audit_record(action=f"duty_off_{reason}", target=profile)
            counts[reason] += 1
    return counts


@dataclass(frozen=True)
class Shift:
    weekday: int
    start: time
    end: time


def shifts_set(*, actor: User, shifts: Iterable[Shift]) -> list[ShiftSlot]:
    """Replace the actor's weekly pattern. An empty pattern means 'whenever I am on duty'."""
    _require_responder(actor)
    with transaction.atomic():
        profile, _ = ResponderProfile.objects.select_for_update().get_or_create(user=actor)
        profile.shifts.all().delete()
        slots = [ShiftSlot(profile=profile, weekday=s.weekday, start=s.start, end=s.end) for s in shifts]
        for slot in slots:
            slot.full_clean(exclude=["profile"], validate_unique=False)
        starts = [(s.weekday, s.start) for s in slots]
        if len(set(starts)) != len(starts):
            raise ValidationError("two shifts start at the same time on the same day")
        created = ShiftSlot.objects.bulk_create(slots)
        audit_record(action="shifts_set", actor=actor, target=profile)
    return created


def languages_set(*, actor: User, languages: list[str]) -> ResponderProfile:
    _require_responder(actor)
    with transaction.atomic():
        profile, _ = ResponderProfile.objects.select_for_update().get_or_create(user=actor)
        profile.languages = sorted(set(languages))
        profile.full_clean(exclude=["user"])
        profile.save(update_fields=["languages"])
        audit_record(action="languages_set", actor=actor, target=profile)
    return profile


def training_record(
    *, actor: User, responder: User, level: str, completed_on: date, course: str
) -> TrainingRecord:
    """Record a completed course (admins and supervisors only); the profile takes its level."""
    if not selectors.may_record_training(actor, responder):
        raise PermissionError("only admins and supervisors record training")
    if completed_on > timezone.localdate():
        raise ValidationError({"completed_on": "a course cannot be completed in the future"})
    with transaction.atomic():
        record = TrainingRecord(
            user=responder,
            level=TrainingLevel(level),
            completed_on=completed_on,
            course=clean_line(course),
            recorded_by=actor,
        )
        record.full_clean()
        record.save()
        profile, _ = ResponderProfile.objects.select_for_update().get_or_create(user=responder)
        newest = TrainingRecord.objects.filter(user=responder).order_by("-completed_on", "-id").first()
        if newest is not None and profile.training_level != newest.level:
            profile.training_level = newest.level
            profile.save(update_fields=["training_level"])
        audit_record(action="training_recorded", actor=actor, target=record)
    return record


def selfcheck_submit(*, actor: User, answers: Mapping[str, object], now: datetime | None = None) -> SelfCheck:
    """Score and store a self-check. No audit row: even the fact and time stay between the person
    and the service (the row itself is enough to show them their own trend)."""
    if not actor.is_active:
        raise PermissionError("inactive account")
    clean = inventory.clean_answers(answers)
    scores = inventory.score(clean)
    if scores.personal is None and scores.work is None:
        raise ValidationError("answer at least half of the questions of one scale")
    return SelfCheck.objects.create(
        user=actor,
        organisation_id=actor.organisation_id,
        prefecture=actor.organisation.prefecture,
        taken_at=now or timezone.now(),
        answers=clean,
        personal_score=scores.personal,
        work_score=scores.work,
    )
