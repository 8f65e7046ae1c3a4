"""Reads: availability on the Asia/Tokyo clock, queue gates, and self-checks scoped to the actor."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Avg, Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import TruncMonth

from accounts.models import OrganisationType, Role, User
from peer.models import (
    TRAINING_ORDER,
    QueueGate,
    ResponderProfile,
    SelfCheck,
    ShiftSlot,
    TrainingLevel,
    TrainingRecord,
)

TOKYO = ZoneInfo("Asia/Tokyo")
URGENT_LANE_SLUG = "urgent"


def tokyo_week_start(now: datetime) -> datetime:
    """Monday 00:00 Asia/Tokyo of the week holding `now`."""
    local = now.astimezone(TOKYO)
    return datetime.combine(local.date() - timedelta(days=local.weekday()), time(0), tzinfo=TOKYO)


def in_shift_q(now: datetime) -> Q:
    """ShiftSlot rows covering `now`; a slot whose end is before its start runs past midnight."""
    local = now.astimezone(TOKYO)
    moment = local.time().replace(tzinfo=None)
    overnight = Q(end__lt=F("start"))
    today = Q(weekday=local.weekday(), start__lte=moment) & (Q(end__gt=moment) | overnight)
    from_yesterday = Q(weekday=(local.weekday() - 1) % 7, end__gt=moment) & overnight
    return today | from_yesterday


def available_profiles(now: datetime) -> QuerySet[ResponderProfile]:
    """On duty AND (no weekly pattern OR inside one of its shifts now): one query, no N+1."""
    own_shifts = ShiftSlot.objects.filter(profile=OuterRef("pk"))
    return ResponderProfile.objects.filter(on_duty=True).filter(
        ~Exists(own_shifts) | Exists(own_shifts.filter(in_shift_q(now)))
    )


def available_responders(now: datetime) -> QuerySet[User]:
    """Active responders who may receive consultations right now (for dashboards' on-duty counts)."""
    return User.objects.filter(
        is_active=True,
        role__in=[Role.PEER, Role.EXPERT, Role.SUPERVISOR],
        responder_profile__in=available_profiles(now),
    )


@dataclass(frozen=True)
class DutyState:
    on_duty: bool
    has_shifts: bool
    in_shift: bool
    training_level: str
    heavy_weekly_cap: int | None  # the profile's override; None = the service default

    @property
    def available(self) -> bool:
        return self.on_duty and (not self.has_shifts or self.in_shift)


NO_PROFILE = DutyState(False, False, False, TrainingLevel.NOVICE, None)


def duty_state_for(user: User, now: datetime) -> DutyState:
    """Everything routing needs to know about one responder, in one query."""
    own_shifts = ShiftSlot.objects.filter(profile=OuterRef("pk"))
    row = (
        ResponderProfile.objects.filter(user_id=user.pk)
        .annotate(has_shifts=Exists(own_shifts), in_shift=Exists(own_shifts.filter(in_shift_q(now))))
        .values("on_duty", "has_shifts", "in_shift", "training_level", "heavy_weekly_cap")
        .first()
    )
    return NO_PROFILE if row is None else DutyState(**row)


def default_heavy_weekly_cap() -> int:
    return int(getattr(settings, "PEER_HEAVY_WEEKLY_CAP", 3))


def inactivity_limit() -> timedelta:
    return timedelta(minutes=int(getattr(settings, "PEER_INACTIVITY_MINUTES", 60)))


# --- Queue gates ------------------------------------------------------------------------------


def gated_queue_slugs_for(level: str) -> list[str]:
    """Slugs of non-peer queues that a peer of this training level may also take work from."""
    allowed = [lvl for lvl, rank in TRAINING_ORDER.items() if rank <= TRAINING_ORDER[TrainingLevel(level)]]
    return list(QueueGate.objects.filter(min_training_level__in=allowed).values_list("queue_slug", flat=True))


def may_see_urgent(level: str) -> bool:
    """The 緊急 lane's gate (default: leaders only) also governs urgent consultations in peer queues."""
    gate = QueueGate.objects.filter(queue_slug=URGENT_LANE_SLUG).values_list("min_training_level", flat=True)
    minimum = TrainingLevel(gate.first() or TrainingLevel.LEADER)
    return TRAINING_ORDER[TrainingLevel(level)] >= TRAINING_ORDER[minimum]


# --- Training records ---------------------------------------------------------------------------


def may_record_training(actor: User, responder: User) -> bool:
    """Admins for anyone; supervisors for responders of their prefecture (national office: all)."""
    if not actor.is_active or responder.role not in (Role.PEER, Role.EXPERT, Role.SUPERVISOR):
        return False
    if actor.role == Role.ADMIN:
        return True
    if actor.role != Role.SUPERVISOR or actor.pk == responder.pk:
        return False
    own = actor.organisation
    return own.org_type == OrganisationType.NATIONAL or own.prefecture == responder.organisation.prefecture


def responders_for_training(*, actor: User) -> QuerySet[User]:
    """The responders whose training this admin or supervisor may record."""
    responders = User.objects.filter(
        is_active=True, role__in=[Role.PEER, Role.EXPERT, Role.SUPERVISOR]
    ).select_related("organisation", "responder_profile")
    if actor.is_active and actor.role == Role.ADMIN:
        return responders
    if not actor.is_active or actor.role != Role.SUPERVISOR:
        return responders.none()
    responders = responders.exclude(pk=actor.pk)
    if actor.organisation.org_type == OrganisationType.NATIONAL:
        return responders
    return responders.filter(organisation__prefecture=actor.organisation.prefecture)


def training_records_for(*, actor: User, responder: User) -> QuerySet[TrainingRecord]:
    if actor.pk != responder.pk and not may_record_training(actor, responder):
        return TrainingRecord.objects.none()
    return TrainingRecord.objects.filter(user=responder).select_related("recorded_by")


# --- Self-checks ------------------------------------------------------------------------------


def selfcheck_list_for(*, actor: User, limit: int = 24) -> list[SelfCheck]:
    """The actor's own latest self-checks, oldest first. There is no way to ask for someone else's."""
    latest = SelfCheck.objects.filter(user_id=actor.pk).order_by("-taken_at", "-id")[:limit]
    return list(reversed(latest))


def min_cell_size() -> int:
    return int(getattr(settings, "PEER_MIN_CELL_SIZE", 5))


class Scope:
    ORGANISATION = "organisation"
    PREFECTURE = "prefecture"
    ALL = "all"


def scopes_for(actor: User) -> list[str]:
    if not actor.is_active or actor.role not in (Role.SUPERVISOR, Role.ADMIN):
        return []
    scopes = [Scope.ORGANISATION, Scope.PREFECTURE]
    if actor.role == Role.ADMIN or actor.organisation.org_type == OrganisationType.NATIONAL:
        scopes.append(Scope.ALL)
    return scopes


@dataclass(frozen=True)
class MonthCell:
    month: date
    # None: suppressed (fewer people than the minimum cell size): neither mean nor count is shown.
    personal: float | None
    personal_people: int | None
    work: float | None
    work_people: int | None


def selfcheck_aggregates_for(*, actor: User, scope: str, since: datetime) -> list[MonthCell]:
    """Monthly means per scale across people; each person counts once a month (their own mean)."""
    if scope not in scopes_for(actor):
        raise PermissionError("not allowed to see these aggregates")
    checks = SelfCheck.objects.filter(taken_at__gte=since)
    if scope == Scope.ORGANISATION:
        checks = checks.filter(organisation_id=actor.organisation_id)
    elif scope == Scope.PREFECTURE:
        checks = checks.filter(prefecture=actor.organisation.prefecture)
    per_person = (
        checks.annotate(month=TruncMonth("taken_at", tzinfo=TOKYO))
        .values("month", "user_id")
        .annotate(personal=Avg("personal_score"), work=Avg("work_score"))
    )
    months: dict[date, dict[str, list[float]]] = defaultdict(lambda: {"personal": [], "work": []})
    for row in per_person:
        month = row["month"].astimezone(TOKYO).date() if isinstance(row["month"], datetime) else row["month"]
        for scale in ("personal", "work"):
            if row[scale] is not None:
                months[month][scale].append(float(row[scale]))
    smallest = min_cell_size()

    def mean(values: list[float]) -> float | None:
        return round(sum(values) / len(values), 1) if len(values) >= smallest else None

    def people(values: list[float]) -> int | None:
        return len(values) if len(values) >= smallest else None

    return [
        MonthCell(
            month=month,
            personal=mean(values["personal"]),
            personal_people=people(values["personal"]),
            work=mean(values["work"]),
            work_people=people(values["work"]),
        )
        for month, values in sorted(months.items())
    ]
