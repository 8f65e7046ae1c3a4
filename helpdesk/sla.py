"""SLA timers: start, stop, pause and resume; the tick that warns, breaches and escalates exactly once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from helpdesk.businesshours import ALWAYS_OPEN, BusinessCalendar
from helpdesk.choices import Priority
from helpdesk.models import Consultation, SLAPolicy, SLATimer, TimerKind

DEFAULT_POLICIES = {
    # priority: (first response, next response, resolution, return-to-queue) in minutes
    Priority.URGENT: (15, 30, 24 * 60, 15),
    Priority.HIGH: (4 * 60, 8 * 60, 5 * 8 * 60, 60),
    Priority.NORMAL: (8 * 60, 16 * 60, 10 * 8 * 60, 4 * 60),
}
BUSINESS_CALENDAR = BusinessCalendar()


def policy_for(priority: str) -> SLAPolicy:
    policy = SLAPolicy.objects.filter(priority=priority).first()
    if policy is not None:
        return policy
    first, following, resolution, back = DEFAULT_POLICIES[Priority(priority)]
    return SLAPolicy(
        priority=priority,
        first_response_minutes=first,
        next_response_minutes=following,
        resolution_minutes=resolution,
        return_minutes=back,
        business_hours=priority != Priority.URGENT,
    )


def calendar_for(policy: SLAPolicy) -> BusinessCalendar:
    # The urgent lane runs around the clock whatever the policy row says.
    if policy.priority == Priority.URGENT or not policy.business_hours:
        return ALWAYS_OPEN
    return BUSINESS_CALENDAR


def _minutes(policy: SLAPolicy, kind: str) -> int:
    return {
        TimerKind.FIRST_RESPONSE: policy.first_response_minutes,
        TimerKind.NEXT_RESPONSE: policy.next_response_minutes,
        TimerKind.RESOLUTION: policy.resolution_minutes,
        TimerKind.RETURN: policy.return_minutes,
    }[TimerKind(kind)]


def timer_start(*, consultation: Consultation, kind: str, now: datetime | None = None) -> SLATimer:
    """(Re)start a timer of this kind; a running one of the same kind is replaced."""
    now = now or timezone.now()
    timer_stop(consultation=consultation, kinds=[kind], now=now)
    policy = policy_for(consultation.priority)
    calendar = calendar_for(policy)
    target = timedelta(minutes=_minutes(policy, kind))
    return SLATimer.objects.create(
        consultation=consultation,
        kind=kind,
        started_at=now,
        warn_at=calendar.add(now, target * policy.warn_ratio) if kind != TimerKind.RETURN else None,
        due_at=calendar.add(now, target),
    )


def timer_stop(
    *, consultation: Consultation, kinds: Sequence[str] | None = None, now: datetime | None = None
) -> int:
    running = SLATimer.objects.filter(consultation=consultation, stopped_at__isnull=True)
    if kinds is not None:
        running = running.filter(kind__in=kinds)
    return running.update(stopped_at=now or timezone.now())


def timers_pause(*, consultation: Consultation, now: datetime | None = None) -> None:
    """情報待ち: the clock stops; what remained of each target is kept."""
    now = now or timezone.now()
    calendar = calendar_for(policy_for(consultation.priority))
    for timer in SLATimer.objects.filter(
        consultation=consultation, stopped_at__isnull=True, paused_at__isnull=True
    ):
        timer.paused_at = now
        timer.remaining_seconds = calendar.elapsed(now, timer.due_at).total_seconds()
        if timer.warn_at is not None and timer.warned_at is None:
            timer.warn_remaining_seconds = calendar.elapsed(now, timer.warn_at).total_seconds()
        timer.save(update_fields=["paused_at", "remaining_seconds", "warn_remaining_seconds"])


def timers_resume(*, consultation: Consultation, now: datetime | None = None) -> None:
    now = now or timezone.now()
    calendar = calendar_for(policy_for(consultation.priority))
    for timer in SLATimer.objects.filter(
        consultation=consultation, stopped_at__isnull=True, paused_at__isnull=False
    ):
        timer.due_at = calendar.add(now, timedelta(seconds=timer.remaining_seconds or 0))
        if timer.warn_remaining_seconds is not None:
            timer.warn_at = calendar.add(now, timedelta(seconds=timer.warn_remaining_seconds))
        timer.paused_at = None
        timer.remaining_seconds = None
        timer.warn_remaining_seconds = None
        timer.save(
            update_fields=["due_at", "warn_at", "paused_at", "remaining_seconds", "warn_remaining_seconds"]
        )


@dataclass
class TickReport:
    warned: list[int] = field(default_factory=list)
    breached: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, int]:
        return {"warned": len(self.warned), "breached": len(self.breached)}


def _locked(queryset):  # type: ignore[no-untyped-def]
    # Several SLA workers may run: each row is processed by the one that locked it (PostgreSQL).
    # SQLite has no row locks; its IMMEDIATE transactions serialise the single pilot worker instead.
    if connection.features.has_select_for_update_skip_locked:
        return queryset.select_for_update(skip_locked=True, of=("self",))
    return queryset


def sla_tick(*, now: datetime | None = None, batch: int = 200) -> TickReport:
    """Apply every warning and breach that is due. Idempotent; safe with several workers."""
    from helpdesk import workflow  # the tick acts through the same services as people do

    now = now or timezone.now()
    report = TickReport()
    running = SLATimer.objects.filter(stopped_at__isnull=True, paused_at__isnull=True)
    with transaction.atomic():
        due_warnings = _locked(
            running.filter(warned_at__isnull=True, breached_at__isnull=True, warn_at__lte=now).order_by(
                "warn_at"
            )
        )[:batch]
        for timer in due_warnings:
            timer.warned_at = now
            timer.save(update_fields=["warned_at"])
            workflow.sla_warned(timer=timer, now=now)
            report.warned.append(timer.pk)
    with transaction.atomic():
        due_breaches = _locked(running.filter(breached_at__isnull=True, due_at__lte=now).order_by("due_at"))[
            :batch
        ]
        for timer in due_breaches:
            timer.breached_at = now
            timer.warned_at = timer.warned_at or now
            timer.save(update_fields=["breached_at", "warned_at"])
            workflow.sla_breached(timer=timer, now=now)
            report.breached.append(timer.pk)
    return report
