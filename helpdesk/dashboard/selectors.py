"""Live queue health and drill-down lists, scoped to the actor; `metrics_for` for the JSON API.

Every function takes the actor and asks `scope_for` first, so a non-supervisor never gets a number.
Nothing here reads case text: querysets name the columns they need (`only`/`values`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import (
    BooleanField,
    Count,
    DateTimeField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    Value,
)
from django.http import QueryDict
from django.utils import timezone

from accounts.models import Role, User
from helpdesk import routing
from helpdesk.choices import Priority, Status
from helpdesk.dashboard import thresholds
from helpdesk.dashboard.aggregates import EpochSeconds, percentiles_in_database
from helpdesk.dashboard.filters import HistoryFilterForm, HistoryFilters
from helpdesk.dashboard.history import History, history_for
from helpdesk.dashboard.scope import Scope, scope_for
from helpdesk.models import Consultation, Queue, QueueKind, SLATimer, TimerKind
from peer.models import TRAINING_ORDER, ResponderProfile, TrainingLevel

OPEN_STATUSES = (Status.RECEIVED, Status.IN_PROGRESS, Status.WAITING, Status.ESCALATED)
WAITING = Q(status__in=routing.OPEN_FOR_CLAIM, assignee__isnull=True)
PRIORITIES = (Priority.URGENT, Priority.HIGH, Priority.NORMAL)
LIVE_MEASURES = ("waiting", "active", "warning", "breach", "urgent")
# A target missed and still unmet. An automatic escalation restarts the first-response timer (the
# missed one is stopped), but until someone answers, the consultation has still missed it.
WARNING_IN_PROGRESS = Q(
    warned_at__isnull=False, breached_at__isnull=True, stopped_at__isnull=True, paused_at__isnull=True
)
BREACH_IN_PROGRESS = Q(breached_at__isnull=False) & (
    Q(stopped_at__isnull=True)
    | Q(kind=TimerKind.FIRST_RESPONSE, consultation__first_response_at__isnull=True)
)
HISTORY_MEASURES = ("all", "escalated", "breached", "responder")
DRILL_LIMIT = 200


def active_queues() -> list[Queue]:
    fields = ("pk", "slug", "name", "kind", "specialty", "min_training_level")
    return list(Queue.objects.filter(is_active=True).only(*fields))


# --- Live view ------------------------------------------------------------------------------


@dataclass
class LiveRow:
    queue_id: int
    queue: str
    priority: str
    priority_label: str
    waiting: int = 0
    oldest_wait_seconds: int | None = None
    active: int = 0
    warnings: int = 0
    breaches: int = 0
    level: str = thresholds.GREEN


@dataclass
class Staffing:
    queue: str
    on_duty: int = 0
    load: int = 0
    capacity: int = 0


@dataclass
class ResponderLoad:
    user_id: int
    name: str
    role: str
    load: int
    capacity: int


@dataclass
class LiveHealth:
    generated_at: datetime
    rows: list[LiveRow]
    queue_levels: dict[int, str]
    staffing: dict[int, Staffing]
    responders: list[ResponderLoad]
    waiting: int = 0
    urgent_waiting: int = 0
    warnings: int = 0
    breaches: int = 0
    on_duty: int = 0
    level: str = thresholds.GREEN

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["generated_at"] = self.generated_at.isoformat()
        data["queue_levels"] = {str(k): v for k, v in self.queue_levels.items()}
        data["staffing"] = {str(k): asdict(v) for k, v in self.staffing.items()}
        return data


def _eligible(queue: Queue, role: str, specialties: list[str], level: str) -> bool:
    """Mirror of routing.queues_for over loaded rows (one query for every responder, not one each)."""
    if role == Role.SUPERVISOR:
        return True
    if role == Role.EXPERT:
        return queue.kind == QueueKind.EXPERT and (not queue.specialty or queue.specialty in specialties)
    if role == Role.PEER:
        rank = TRAINING_ORDER.get(TrainingLevel(level), 0)
        queue_rank = TRAINING_ORDER.get(TrainingLevel(queue.min_training_level or TrainingLevel.NOVICE), 0)
        return queue.kind == QueueKind.PEER and queue_rank <= rank
    return False


def _responders_on_duty(
    scope: Scope, queues: list[Queue]
) -> tuple[int, dict[int, Staffing], list[ResponderLoad]]:
    """Responders serve every prefecture: staffing per queue is national; the named list is scoped."""
    profiles = list(
        ResponderProfile.objects.filter(
            on_duty=True, user__is_active=True, user__role__in=[Role.PEER, Role.EXPERT, Role.SUPERVISOR]
        ).values(
            "user_id",
            "capacity",
            "training_level",
            "user__role",
            "user__specialties",
            "user__display_name",
            "user__username",
            "user__organisation_id",
            "user__organisation__prefecture",
        )
    )
    # routing.weight() in SQL: urgent and heavy subtypes count double against capacity.
    heavy = Q(priority=Priority.URGENT) | Q(subtype__in=list(routing.HEAVY_SUBTYPES))
    loads = {
        row["assignee_id"]: row["n"] + row["heavy"]
        for row in Consultation.objects.filter(
            assignee_id__in=[p["user_id"] for p in profiles], status__in=routing.ACTIVE_STATUSES
        )
        .values("assignee_id")
        .annotate(n=Count("pk"), heavy=Count("pk", filter=heavy))
        .order_by()
    }
    staffing = {q.pk: Staffing(queue=q.name) for q in queues}
    responders = []
    for p in profiles:
        load = loads.get(p["user_id"], 0)
        for queue in queues:
            if _eligible(queue, p["user__role"], list(p["user__specialties"] or []), p["training_level"]):
                cell = staffing[queue.pk]
                cell.on_duty += 1
                cell.load += load
                cell.capacity += p["capacity"]
        if scope.holds(
            organisation_id=p["user__organisation_id"], prefecture=p["user__organisation__prefecture"]
        ):
            responders.append(
                ResponderLoad(
                    user_id=p["user_id"],
                    name=p["user__display_name"] or p["user__username"],
                    role=str(Role(p["user__role"]).label),
                    load=load,
                    capacity=p["capacity"],
                )
            )
    responders.sort(key=lambda r: (-r.load / max(r.capacity, 1), r.name))
    return len(profiles), staffing, responders


@dataclass(frozen=True)
class OpenConsultation:
    id: int
    queue_id: int
    priority: str
    wait_seconds: float  # since filing
    answered: bool
    waiting: bool


def open_consultations(scope: Scope | None, *, now: datetime | None = None) -> list[OpenConsultation]:
    """Open consultations with a queue, in scope (None: all), without their text.

    Open consultations are few (hundreds to a few thousand nationally) and the status index finds
    them; the scope is applied here, in Python, because a prefecture filter in SQL tempts
    PostgreSQL into walking every consultation of each worker of the prefecture instead. Ages come
    as seconds computed by PostgreSQL: parsing thousands of timestamps would cost more than the query.
    """
    now = now or timezone.now()
    answered = ExpressionWrapper(Q(first_response_at__isnull=False), output_field=BooleanField())
    qs = Consultation.objects.filter(status__in=OPEN_STATUSES, queue__isnull=False).annotate(
        answered=answered
    )
    in_database = percentiles_in_database(qs.db)
    if in_database:
        qs = qs.annotate(age=EpochSeconds(Value(now, output_field=DateTimeField()) - F("created_at")))
    rows = qs.values_list(
        "pk",
        "queue_id",
        "priority",
        "status",
        "assignee_id",
        "age" if in_database else "created_at",
        "answered",
        "worker__organisation_id",
        "worker__organisation__prefecture",
    )
    return [
        OpenConsultation(
            id=pk,
            queue_id=queue_id,
            priority=priority,
            wait_seconds=float(age) if in_database else (now - age).total_seconds(),
            answered=bool(answered),
            waiting=status in routing.OPEN_FOR_CLAIM and assignee_id is None,
        )
        for pk, queue_id, priority, status, assignee_id, age, answered, org, pref in rows
        if scope is None or scope.holds(organisation_id=org, prefecture=pref)
    ]


def _flag(condition: Q) -> ExpressionWrapper:
    return ExpressionWrapper(condition, output_field=BooleanField())


def sla_flags(consultations: list[OpenConsultation]) -> dict[int, tuple[bool, bool]]:
    """(warning in progress, target missed and unmet) per open consultation (see BREACH_IN_PROGRESS).

    Read through the same open-status filter (the status index, then each one's timers) and kept
    for the consultations given; flags come as booleans, not timestamps to parse.
    """
    unanswered = {c.id: not c.answered for c in consultations}
    timers = (
        SLATimer.objects.filter(
            consultation__status__in=OPEN_STATUSES, consultation__queue__isnull=False, warned_at__isnull=False
        )
        .exclude(kind=TimerKind.RETURN)
        .annotate(
            breached=_flag(Q(breached_at__isnull=False)),
            running=_flag(Q(stopped_at__isnull=True, paused_at__isnull=True)),
            stopped=_flag(Q(stopped_at__isnull=False)),
        )
        .values_list("consultation_id", "kind", "breached", "running", "stopped")
    )
    flags: dict[int, tuple[bool, bool]] = {}
    for consultation_id, kind, breached, running, stopped in timers:
        if consultation_id not in unanswered:
            continue
        warning = running and not breached
        breach = breached and (
            not stopped or (kind == TimerKind.FIRST_RESPONSE and unanswered[consultation_id])
        )
        was_warning, was_breach = flags.get(consultation_id, (False, False))
        flags[consultation_id] = (was_warning or warning, was_breach or breach)
    return flags


def live_health_for(*, actor: User, now: datetime | None = None) -> LiveHealth:
    """Waiting, oldest wait, SLA warnings and breaches per queue and priority, with a traffic light."""
    scope = scope_for(actor=actor)
    now = now or timezone.now()
    queues = active_queues()
    table = thresholds.thresholds()
    cells: dict[tuple[int, str], LiveRow] = {}

    def cell(queue_id: int, priority: str) -> LiveRow:
        key = (queue_id, priority)
        if key not in cells:
            name = next((q.name for q in queues if q.pk == queue_id), "")
            label = str(Priority(priority).label)
            cells[key] = LiveRow(queue_id=queue_id, queue=name, priority=priority, priority_label=label)
        return cells[key]

    open_rows = open_consultations(scope, now=now)
    flags = sla_flags(open_rows)
    for row in open_rows:
        live = cell(row.queue_id, row.priority)
        if row.waiting:
            live.waiting += 1
            live.oldest_wait_seconds = max(live.oldest_wait_seconds or 0, max(0, int(row.wait_seconds)))
        else:
            live.active += 1
        warning, breach = flags.get(row.id, (False, False))
        live.warnings += warning
        live.breaches += breach
    on_duty, staffing, responders = _responders_on_duty(scope, queues)

    order = {q.pk: i for i, q in enumerate(queues)}
    rows = []
    for live in cells.values():
        if live.queue_id not in order:  # an inactive queue that still holds work: keep it visible
            order[live.queue_id] = len(order)
        live.level = thresholds.level_for(
            priority=live.priority,
            waiting=live.waiting,
            oldest_wait_seconds=live.oldest_wait_seconds,
            warnings=live.warnings,
            breaches=live.breaches,
            table=table,
        )
        rows.append(live)
    rows.sort(key=lambda r: (order[r.queue_id], PRIORITIES.index(Priority(r.priority))))
    queue_levels = {q.pk: thresholds.GREEN for q in queues}
    for live in rows:
        queue_levels[live.queue_id] = thresholds.worst([queue_levels.get(live.queue_id, "green"), live.level])
    return LiveHealth(
        generated_at=now,
        rows=rows,
        queue_levels=queue_levels,
        staffing=staffing,
        responders=responders,
        waiting=sum(r.waiting for r in rows),
        urgent_waiting=sum(r.waiting for r in rows if r.priority == Priority.URGENT),
        warnings=sum(r.warnings for r in rows),
        breaches=sum(r.breaches for r in rows),
        on_duty=on_duty,
        level=thresholds.worst(list(queue_levels.values())),
    )


# --- Drill-down: from a number to the consultations behind it --------------------------------


@dataclass
class DrillRow:
    id: int
    reference: str
    status: str
    status_label: str
    priority: str
    priority_label: str
    queue: str
    created_at: datetime
    wait_minutes: int
    assignee: str
    entitled: bool


@dataclass
class DrillDown:
    measure: str
    total: int
    rows: list[DrillRow] = field(default_factory=list)

    @property
    def truncated(self) -> bool:
        return self.total > len(self.rows)


def _drill_queryset(
    scope: Scope,
    *,
    measure: str,
    queue_id: int | None,
    priority: str,
    filters: HistoryFilters | None,
    assignee_id: int | None,
) -> QuerySet[Consultation]:
    qs = Consultation.objects.filter(scope.consultations())
    if measure in LIVE_MEASURES:
        qs = qs.filter(status__in=OPEN_STATUSES)
        timers = SLATimer.objects.exclude(kind=TimerKind.RETURN)
        if measure in ("waiting", "urgent"):
            qs = qs.filter(WAITING)
        elif measure == "active":
            qs = qs.exclude(WAITING)
        elif measure == "warning":
            qs = qs.filter(pk__in=timers.filter(WARNING_IN_PROGRESS).values("consultation_id"))
        elif measure == "breach":
            qs = qs.filter(pk__in=timers.filter(BREACH_IN_PROGRESS).values("consultation_id"))
        if measure == "urgent":
            qs = qs.filter(priority=Priority.URGENT)
    else:
        if filters is None:
            raise ValidationError("history measures need a period")
        qs = qs.filter(filters.consultations())
        if measure == "escalated":
            qs = qs.filter(escalation_level__gt=0)
        elif measure == "breached":
            breached = SLATimer.objects.filter(breached_at__isnull=False).exclude(kind=TimerKind.RETURN)
            qs = qs.filter(pk__in=breached.values("consultation_id"))
        elif measure == "responder":
            qs = qs.filter(assignee_id=assignee_id or 0)
    if queue_id is not None:
        qs = qs.filter(queue_id=queue_id)
    if priority:
        qs = qs.filter(priority=priority)
    return qs


def drilldown_for(
    *,
    actor: User,
    measure: str,
    queue_id: int | None = None,
    priority: str = "",
    filters: HistoryFilters | None = None,
    assignee_id: int | None = None,
    now: datetime | None = None,
    limit: int = DRILL_LIMIT,
) -> DrillDown:
    """Ids, state, wait and assignee of the consultations behind a number: never case text.

    `entitled` tells whether the actor may open the consultation itself (the detail page checks
    again); the list links only those.
    """
    scope = scope_for(actor=actor)
    if measure not in LIVE_MEASURES + HISTORY_MEASURES:
        raise ValidationError("unknown measure")
    if priority and priority not in Priority.values:
        raise ValidationError("unknown priority")
    now = now or timezone.now()
    qs = _drill_queryset(
        scope, measure=measure, queue_id=queue_id, priority=priority, filters=filters, assignee_id=assignee_id
    )
    found = list(
        qs.select_related("queue", "assignee")
        .only(
            "pk",
            "status",
            "priority",
            "created_at",
            "first_response_at",
            "queue__name",
            "assignee__display_name",
            "assignee__username",
        )
        .order_by("created_at", "pk")[:limit]
    )
    total = len(found) if len(found) < limit else qs.count()
    ids = [c.pk for c in found]
    entitled = set(routing.visible_to_responder(actor).filter(pk__in=ids).values_list("pk", flat=True))
    rows = [
        DrillRow(
            id=c.pk,
            reference=c.reference,
            status=c.status,
            status_label=str(c.get_status_display()),
            priority=c.priority,
            priority_label=str(c.get_priority_display()),
            queue=c.queue.name if c.queue else "",
            created_at=c.created_at,
            wait_minutes=int(((c.first_response_at or now) - c.created_at).total_seconds() // 60),
            assignee=str(c.assignee) if c.assignee else "",
            entitled=c.pk in entitled,
        )
        for c in found
    ]
    return DrillDown(measure=measure, total=total, rows=rows)


# --- The JSON API's numbers ------------------------------------------------------------------


def history_filters_for(
    *, scope: Scope, queues: list[Queue], data: Mapping[str, Any] | None
) -> HistoryFilters:
    """Validate request parameters into filters; ValidationError(form errors) when they are wrong."""
    # A QueryDict as it comes, or a plain mapping (an API schema's dict; None means "not given").
    given = data if isinstance(data, QueryDict) else {k: v for k, v in (data or {}).items() if v is not None}
    form = HistoryFilterForm(given, scope=scope, queues=queues)
    if not form.is_valid():
        raise ValidationError(form.errors.get_json_data())
    return form.filters()


def metrics_for(actor: User, filters: Mapping[str, Any] | HistoryFilters | None = None) -> dict[str, Any]:
    """The dashboard's numbers as plain JSON-ready data, for `GET /api/v1/metrics`.

    `filters` takes the page's query parameters (period=today|7|30|90|custom, start, end as
    YYYY-MM-DD, queue slug, priority, category, org_type, prefecture). Raises PermissionDenied for
    anyone but a supervisor and ValidationError for bad filters. Numbers are unsuppressed, like the
    page (the API is inside the service); CSV exports are the ones that suppress small cells.
    """
    scope = scope_for(actor=actor)
    if isinstance(filters, HistoryFilters):
        chosen = filters
    else:
        chosen = history_filters_for(scope=scope, queues=active_queues(), data=filters)
    history: History = history_for(actor=actor, filters=chosen)
    live = live_health_for(actor=actor)
    return {
        "scope": {"national": scope.national, "prefecture": None if scope.national else scope.prefecture},
        "filters": chosen.as_dict(),
        "live": live.as_dict(),
        "history": history.as_dict(),
    }
