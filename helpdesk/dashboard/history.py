"""History for a period: response-time percentiles, SLA compliance, escalations, reopen rate,
consultations per category, load and first response per responder, and the trend over time.

The cohort is the consultations filed in the window (and matching the filters); every other number
is about that cohort. Times are wall-clock seconds from filing. Percentiles come from PostgreSQL's
`percentile_cont` in the same grouped query as the counts; on SQLite (the pilot) they are computed in
Python over the durations, with the same interpolation.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connections, transaction
from django.db.models import (
    Aggregate,
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import TruncDate, TruncWeek
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from helpdesk.choices import Category, Priority, Status
from helpdesk.dashboard.aggregates import (
    FRACTIONS,
    PercentileCont,
    elapsed_seconds,
    percentiles_in_database,
    python_percentile,
    seconds_between,
)
from helpdesk.dashboard.filters import HistoryFilters
from helpdesk.dashboard.scope import Scope, scope_for
from helpdesk.models import Consultation, ConsultationEvent, EventKind, Queue, SLATimer, TimerKind

# name -> (end field, start field) of the durations whose p50/p90 we report
DURATIONS = {
    "first_response": ("first_response_at", "created_at"),
    "resolution": ("resolved_at", "created_at"),
}
SLA_KINDS = (TimerKind.FIRST_RESPONSE, TimerKind.NEXT_RESPONSE, TimerKind.RESOLUTION)
REOPENED_TO = (Status.RECEIVED, Status.IN_PROGRESS, Status.WAITING, Status.ESCALATED)
WEEKLY_AFTER_DAYS = 31


@dataclass
class Percentiles:
    n: int = 0
    p50: float | None = None
    p90: float | None = None


@dataclass
class Summary:
    total: int = 0
    urgent: int = 0
    responded: int = 0
    resolved: int = 0
    escalated: int = 0
    escalations: int = 0
    first_response: Percentiles = field(default_factory=Percentiles)
    resolution: Percentiles = field(default_factory=Percentiles)

    @property
    def awaiting_first_response(self) -> int:
        return self.total - self.responded


@dataclass
class SlaRow:
    """One response target kind; counted per target set (a timer): each next response is one, and an
    automatic escalation sets a new first-response target after the missed one."""

    kind: str
    label: str
    targets: int
    decided: int  # met or missed (the rest are still running)
    breached: int

    @property
    def met(self) -> int:
        return self.decided - self.breached

    @property
    def compliance(self) -> float | None:
        return round(100 * self.met / self.decided, 1) if self.decided else None


@dataclass
class EscalationRow:
    automatic: bool
    reason: str
    target: str
    events: int
    consultations: int


@dataclass
class Reopen:
    resolved: int = 0
    reopened: int = 0

    @property
    def rate(self) -> float | None:
        return round(100 * self.reopened / self.resolved, 1) if self.resolved else None


@dataclass
class CategoryRow:
    category: str
    label: str
    consultations: int
    urgent: int


@dataclass
class ResponderRow:
    user_id: int
    name: str
    consultations: int
    active: int
    resolved: int
    first_response: Percentiles


@dataclass
class TrendRow:
    bucket: date
    consultations: int
    urgent: int
    high: int
    normal: int
    first_response: Percentiles


@dataclass
class History:
    filters: HistoryFilters
    generated_at: datetime
    bucket: str
    summary: Summary
    sla: list[SlaRow]
    escalations: list[EscalationRow]
    reopen: Reopen
    categories: list[CategoryRow]
    responders: list[ResponderRow]
    trend: list[TrendRow]

    def as_dict(self) -> dict[str, Any]:
        def plain(value: Any) -> Any:
            if isinstance(value, datetime | date):
                return value.isoformat()
            if isinstance(value, dict):
                return {k: plain(v) for k, v in value.items()}
            if isinstance(value, list):
                return [plain(v) for v in value]
            return value

        summary = asdict(self.summary) | {"awaiting_first_response": self.summary.awaiting_first_response}
        return {
            "generated_at": self.generated_at.isoformat(),
            "bucket": self.bucket,
            "summary": summary,
            "sla": [asdict(r) | {"met": r.met, "compliance": r.compliance} for r in self.sla],
            "escalations": [asdict(r) for r in self.escalations],
            "reopen": asdict(self.reopen) | {"rate": self.reopen.rate},
            "categories": [asdict(r) for r in self.categories],
            "responders": [asdict(r) for r in self.responders],
            "trend": plain([asdict(r) for r in self.trend]),
        }


# --- Percentiles in the grouped query (PostgreSQL) or over the values (SQLite) ---------------------


def _percentile_annotations(names: list[str]) -> dict[str, Aggregate]:
    annotations: dict[str, Aggregate] = {}
    for name in names:
        end, start = DURATIONS[name]
        annotations[f"{name}__n"] = Count("pk", filter=Q(**{f"{end}__isnull": False}))
        for fraction in FRACTIONS:
            key = f"{name}__p{round(fraction * 100)}"
            annotations[key] = PercentileCont(elapsed_seconds(end, start), fraction)
    return annotations


def _grouped(
    qs: QuerySet[Any],
    group: list[str],
    counts: dict[str, Aggregate],
    durations: list[str],
) -> list[dict[str, Any]]:
    """Counts and duration percentiles per group (one row when `group` is empty)."""
    in_database = percentiles_in_database(qs.db)
    annotations = counts | (_percentile_annotations(durations) if in_database else {})
    if not group:
        rows = [qs.aggregate(**annotations)]
    else:
        rows = list(qs.values(*group).annotate(**annotations).order_by())
    if in_database or not durations:
        return rows
    # SQLite: one pass over the durations of the whole cohort, grouped in Python.
    fields = sorted({f for name in durations for f in DURATIONS[name]})
    spans: dict[tuple[Any, ...], dict[str, list[tuple[Any, Any]]]] = defaultdict(lambda: defaultdict(list))
    for values in qs.values_list(*group, *fields):
        key, moments = tuple(values[: len(group)]), dict(zip(fields, values[len(group) :], strict=True))
        for name in durations:
            end, start = DURATIONS[name]
            spans[key][name].append((moments[start], moments[end]))
    for row in rows:
        key = tuple(row[g] for g in group)
        for name in durations:
            seconds = seconds_between(spans[key][name])
            row[f"{name}__n"] = len(seconds)
            for fraction in FRACTIONS:
                row[f"{name}__p{round(fraction * 100)}"] = python_percentile(seconds, fraction)
    return rows


def _percentiles(row: dict[str, Any], name: str) -> Percentiles:
    def rounded(value: float | None) -> float | None:
        return None if value is None else round(float(value), 1)

    return Percentiles(
        n=row.get(f"{name}__n") or 0,
        p50=rounded(row.get(f"{name}__p50")),
        p90=rounded(row.get(f"{name}__p90")),
    )


# --- The parts -------------------------------------------------------------------------------------


def cohort(scope: Scope, filters: HistoryFilters) -> QuerySet[Consultation]:
    return Consultation.objects.filter(scope.consultations(), filters.consultations())


def _summary(qs: QuerySet[Consultation]) -> Summary:
    counts: dict[str, Aggregate] = {
        "total": Count("pk"),
        "urgent": Count("pk", filter=Q(priority=Priority.URGENT)),
        "responded": Count("pk", filter=Q(first_response_at__isnull=False)),
        "resolved": Count("pk", filter=Q(resolved_at__isnull=False)),
        "escalated": Count("pk", filter=Q(escalation_level__gt=0)),
        "escalations": Sum("escalation_level"),
    }
    row = _grouped(qs, [], counts, list(DURATIONS))[0]
    return Summary(
        total=row["total"] or 0,
        urgent=row["urgent"] or 0,
        responded=row["responded"] or 0,
        resolved=row["resolved"] or 0,
        escalated=row["escalated"] or 0,
        escalations=row["escalations"] or 0,
        first_response=_percentiles(row, "first_response"),
        resolution=_percentiles(row, "resolution"),
    )


def _sla(scope: Scope, filters: HistoryFilters) -> list[SlaRow]:
    """Per target kind: targets set, decided and missed. No DISTINCT: one hash aggregate, no sort."""
    timers = SLATimer.objects.filter(
        scope.consultations("consultation__"),
        filters.consultations("consultation__"),
        kind__in=SLA_KINDS,
        # Redundant but true (a timer falls due after its consultation was filed): lets PostgreSQL
        # start from the due_at index instead of every timer of the year.
        due_at__gte=filters.start,
    )
    missed = Q(breached_at__isnull=False)
    found = {
        row["kind"]: row
        for row in timers.values("kind")
        .annotate(
            targets=Count("pk"),
            decided=Count("pk", filter=missed | Q(stopped_at__isnull=False)),
            breached=Count("pk", filter=missed),
        )
        .order_by()
    }
    return [
        SlaRow(
            kind=kind,
            label=str(TimerKind(kind).label),
            targets=found.get(kind, {}).get("targets", 0),
            decided=found.get(kind, {}).get("decided", 0),
            breached=found.get(kind, {}).get("breached", 0),
        )
        for kind in SLA_KINDS
    ]


def _cohort_events(
    scope: Scope, filters: HistoryFilters, kind: str, **conditions: Any
) -> QuerySet[ConsultationEvent]:
    return ConsultationEvent.objects.filter(
        scope.consultations("consultation__"),
        filters.consultations("consultation__"),
        kind=kind,
        created_at__gte=filters.start,  # redundant (events follow filing); uses the created_at index
        **conditions,
    )


def _escalations(scope: Scope, filters: HistoryFilters, queue_names: dict[int, str]) -> list[EscalationRow]:
    """Escalations by reason and target. Responders' typed reasons may hold case details, so they are
    grouped as "responder's decision" and never shown; automatic ones have a fixed reason."""
    automatic = ExpressionWrapper(Q(actor__isnull=True), output_field=BooleanField())
    rows = (
        # Only escalated consultations have escalation events (the level never goes down): a few
        # per cent of the cohort instead of every event of the window.
        _cohort_events(scope, filters, EventKind.ESCALATED, consultation__escalation_level__gt=0)
        .annotate(automatic=automatic)
        .values("automatic", "queue_id")
        .annotate(events=Count("pk"), consultations=Count("consultation_id", distinct=True))
        .order_by()
    )
    result = [
        EscalationRow(
            automatic=bool(row["automatic"]),
            reason=_("Target missed (automatic)") if row["automatic"] else _("Responder's decision"),
            target=queue_names.get(row["queue_id"], _("Another queue"))
            if row["queue_id"]
            else _("A named person"),
            events=row["events"],
            consultations=row["consultations"],
        )
        for row in rows
    ]
    result.sort(key=lambda r: (-r.events, r.reason, r.target))
    return result


def _reopen(scope: Scope, filters: HistoryFilters, resolved_now: int) -> Reopen:
    """Reopened after being resolved, over those ever resolved: resolved now (`resolved_now`, from
    the summary) plus the reopened that are not resolved again. Reads the reopening events only."""
    row = _cohort_events(
        scope, filters, EventKind.STATUS, from_status=Status.RESOLVED, to_status__in=REOPENED_TO
    ).aggregate(
        reopened=Count("consultation_id", distinct=True),
        unresolved=Count("consultation_id", distinct=True, filter=Q(consultation__resolved_at__isnull=True)),
    )
    return Reopen(resolved=resolved_now + (row["unresolved"] or 0), reopened=row["reopened"] or 0)


def _categories(qs: QuerySet[Consultation]) -> list[CategoryRow]:
    counts: dict[str, Aggregate] = {
        "n": Count("pk"),
        "urgent": Count("pk", filter=Q(priority=Priority.URGENT)),
    }
    # Counts only: a percentile per category would sort the whole cohort once more.
    found = {row["category"]: row for row in _grouped(qs, ["category"], counts, [])}
    return [
        CategoryRow(
            category=category.value,
            label=str(category.label),
            consultations=found.get(category, {}).get("n", 0),
            urgent=found.get(category, {}).get("urgent", 0),
        )
        for category in Category
    ]


def _responders(qs: QuerySet[Consultation]) -> list[ResponderRow]:
    counts: dict[str, Aggregate] = {
        "n": Count("pk"),
        "active": Count("pk", filter=Q(status__in=(Status.IN_PROGRESS, Status.WAITING, Status.ESCALATED))),
        "resolved": Count("pk", filter=Q(status__in=(Status.RESOLVED, Status.CLOSED))),
    }
    # Grouped by the id alone (an integer sort, no join over the cohort); names come afterwards.
    rows = _grouped(qs.filter(assignee__isnull=False), ["assignee_id"], counts, ["first_response"])
    names = {
        pk: display or username
        for pk, display, username in User.objects.filter(
            pk__in=[row["assignee_id"] for row in rows]
        ).values_list("pk", "display_name", "username")
    }
    result = [
        ResponderRow(
            user_id=row["assignee_id"],
            name=names.get(row["assignee_id"], ""),
            consultations=row["n"],
            active=row["active"],
            resolved=row["resolved"],
            first_response=_percentiles(row, "first_response"),
        )
        for row in rows
    ]
    result.sort(key=lambda r: (-r.consultations, r.name))
    return result


def _trend(qs: QuerySet[Consultation], filters: HistoryFilters) -> tuple[str, list[TrendRow]]:
    weekly = filters.days > WEEKLY_AFTER_DAYS
    tz = timezone.get_current_timezone()
    truncate: Callable[..., Any] = TruncWeek if weekly else TruncDate
    bucketed = qs.annotate(bucket=truncate("created_at", tzinfo=tz))
    counts: dict[str, Aggregate] = {
        "n": Count("pk"),
        "urgent": Count("pk", filter=Q(priority=Priority.URGENT)),
        "high": Count("pk", filter=Q(priority=Priority.HIGH)),
        "normal": Count("pk", filter=Q(priority=Priority.NORMAL)),
    }
    rows = []
    for row in _grouped(bucketed, ["bucket"], counts, ["first_response"]):
        bucket = row["bucket"]
        rows.append(
            TrendRow(
                bucket=bucket.date() if isinstance(bucket, datetime) else bucket,
                consultations=row["n"],
                urgent=row["urgent"],
                high=row["high"],
                normal=row["normal"],
                first_response=_percentiles(row, "first_response"),
            )
        )
    rows.sort(key=lambda r: r.bucket)
    return ("week" if weekly else "day"), rows


def _sort_memory(using: str) -> None:
    """Give this transaction's sorts room (percentiles sort their cohort): PostgreSQL's default 4 MB
    spills a 30-day national cohort to disk. Local to the transaction; DASHBOARD_WORK_MEM overrides."""
    if connections[using].vendor != "postgresql":
        return
    value = str(getattr(settings, "DASHBOARD_WORK_MEM", "32MB"))
    if not re.fullmatch(r"\d{1,6}(kB|MB)", value):
        raise ImproperlyConfigured("DASHBOARD_WORK_MEM must look like 32MB or 8192kB")
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT set_config('work_mem', %s, true)", [value])


def history_for(*, actor: User, filters: HistoryFilters, now: datetime | None = None) -> History:
    scope = scope_for(actor=actor)
    qs = cohort(scope, filters)
    with transaction.atomic(using=qs.db):
        _sort_memory(qs.db)
        return _history(scope, qs, filters, now)


def _history(
    scope: Scope, qs: QuerySet[Consultation], filters: HistoryFilters, now: datetime | None
) -> History:
    queue_names = dict(Queue.objects.values_list("pk", "name"))
    bucket, trend = _trend(qs, filters)
    summary = _summary(qs)
    return History(
        filters=filters,
        generated_at=now or timezone.now(),
        bucket=bucket,
        summary=summary,
        sla=_sla(scope, filters),
        escalations=_escalations(scope, filters, queue_names),
        reopen=_reopen(scope, filters, summary.resolved),
        categories=_categories(qs),
        responders=_responders(qs),
        trend=trend,
    )


@dataclass
class DetailExport:
    rows: QuerySet[Consultation, dict[str, Any]]
    places: Counter[tuple[str, str]]  # consultations per (prefecture, organisation type)
    subtypes: Counter[tuple[str, str]]  # consultations per (category, subtype)


def detail_export_for(*, actor: User, filters: HistoryFilters) -> DetailExport:
    """One row per consultation of the cohort, codes and times only (no text, no people), with the
    counts of the rarer attributes so the export can hide those shared by fewer than three."""
    scope = scope_for(actor=actor)
    base = cohort(scope, filters)
    place_fields = ("worker__organisation__prefecture", "worker__organisation__org_type")
    places: Counter[tuple[str, str]] = Counter(
        {
            (r[place_fields[0]], r[place_fields[1]]): r["n"]
            for r in base.values(*place_fields).annotate(n=Count("pk")).order_by()
        }
    )
    subtypes: Counter[tuple[str, str]] = Counter(
        {
            (r["category"], r["subtype"]): r["n"]
            for r in base.values("category", "subtype").annotate(n=Count("pk")).order_by()
        }
    )
    breached = SLATimer.objects.filter(
        consultation_id=OuterRef("pk"), kind=TimerKind.FIRST_RESPONSE, breached_at__isnull=False
    )
    reopened = ConsultationEvent.objects.filter(
        consultation_id=OuterRef("pk"),
        kind=EventKind.STATUS,
        from_status=Status.RESOLVED,
        to_status__in=REOPENED_TO,
    )
    rows = (
        base.annotate(first_response_breached=Exists(breached), reopened=Exists(reopened))
        .values(
            "pk",
            "created_at",
            "category",
            "subtype",
            "priority",
            "status",
            "queue__name",
            "worker__organisation__org_type",
            "worker__organisation__prefecture",
            "first_response_at",
            "resolved_at",
            "escalation_level",
            "first_response_breached",
            "reopened",
        )
        .order_by("created_at", "pk")
    )
    return DetailExport(rows=rows, places=places, subtypes=subtypes)
