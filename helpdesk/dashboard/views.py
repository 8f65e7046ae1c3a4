"""Supervisor dashboard pages (thin adapters: parse -> one selector -> render)."""

from __future__ import annotations

from dataclasses import asdict

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts.models import User
from helpdesk.choices import Priority
from helpdesk.dashboard import charts, csv_export, selectors, tables, thresholds
from helpdesk.dashboard.filters import HistoryFilterForm, HistoryFilters
from helpdesk.dashboard.history import detail_export_for, history_for
from helpdesk.dashboard.scope import Scope, scope_for
from helpdesk.models import Queue

EXPORTS = (
    "live",
    "staffing",
    "on-duty",
    "summary",
    "sla",
    "escalations",
    "categories",
    "responders",
    "trend",
    "detail",
)


def _supervisor(request: HttpRequest) -> tuple[User, Scope]:
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    return user, scope_for(actor=user)


def _filters(request: HttpRequest, scope: Scope) -> tuple[HistoryFilterForm, HistoryFilters]:
    """The chosen filters; when they are invalid, the form (with its errors) and the default period."""
    data = request.GET.copy()
    data.setdefault("period", "30")
    form = HistoryFilterForm(data, scope=scope, queues=selectors.active_queues())
    if form.is_valid():
        return form, form.filters()
    default = HistoryFilterForm({"period": "30"}, scope=scope, queues=[])
    default.is_valid()
    return form, default.filters()


@never_cache
@require_GET
def live_view(request: HttpRequest) -> HttpResponse:
    actor, scope = _supervisor(request)
    live = selectors.live_health_for(actor=actor)
    context = {
        "live": live,
        "table": tables.live_table(live),
        "scope": scope,
        "staffing_tables": tables.staffing_tables(live),
        "threshold_rows": [
            {"label": Priority(priority).label, **asdict(limits)}
            for priority, limits in thresholds.thresholds().items()
        ],
    }
    return render(request, "helpdesk/dashboard/live.html", context)


@never_cache
@require_GET
def live_json_view(request: HttpRequest) -> JsonResponse:
    actor, _scope = _supervisor(request)
    live = selectors.live_health_for(actor=actor)
    data = live.as_dict()
    data["table"] = tables.as_json(tables.live_table(live))
    return JsonResponse(data)


@never_cache
@require_GET
def drilldown_view(request: HttpRequest) -> HttpResponse:
    actor, scope = _supervisor(request)
    measure = request.GET.get("measure", "waiting")
    filters: HistoryFilters | None = None
    queue_id: int | None = None
    priority = ""
    assignee_id: int | None = None
    try:
        if measure in selectors.LIVE_MEASURES:
            queue_id = int(request.GET["queue_id"]) if request.GET.get("queue_id") else None
            priority = request.GET.get("priority", "")
        else:
            form, filters = _filters(request, scope)
            if form.errors:
                raise ValidationError("invalid filters")
            assignee_id = int(request.GET["assignee"]) if request.GET.get("assignee") else None
        drill = selectors.drilldown_for(
            actor=actor,
            measure=measure,
            queue_id=queue_id,
            priority=priority,
            filters=filters,
            assignee_id=assignee_id,
        )
    except (ValidationError, ValueError):
        raise Http404 from None
    queue = Queue.objects.filter(pk=queue_id).values_list("name", flat=True).first() if queue_id else None
    context = {"drill": drill, "filters": filters, "queue_name": queue, "priority": priority}
    return render(request, "helpdesk/dashboard/drilldown.html", context)


@never_cache
@require_GET
def history_view(request: HttpRequest) -> HttpResponse:
    actor, scope = _supervisor(request)
    form, filters = _filters(request, scope)
    history = history_for(actor=actor, filters=filters)
    context = {
        "form": form,
        "filters": filters,
        "history": history,
        "tables": tables.history_tables(history),
        "charts": charts.trend_charts(history),
        "query": filters.querystring(),
        "scope": scope,
    }
    return render(request, "helpdesk/dashboard/history.html", context)


@never_cache
@require_GET
def export_view(request: HttpRequest, table: str) -> HttpResponseBase:
    actor, scope = _supervisor(request)
    if table not in EXPORTS:
        raise Http404
    stamp = timezone.localdate().isoformat()
    if table in ("live", "staffing", "on-duty"):
        live = selectors.live_health_for(actor=actor)
        chosen = next(t for t in [tables.live_table(live), *tables.staffing_tables(live)] if t.slug == table)
        return csv_export.csv_response(f"{table}-{stamp}.csv", csv_export.table_rows(chosen))
    form, filters = _filters(request, scope)
    if form.errors:
        return HttpResponseBadRequest("invalid filters\n", content_type="text/plain; charset=utf-8")
    period = f"{filters.first_day.isoformat()}_{filters.last_day.isoformat()}"
    if table == "detail":
        detail = detail_export_for(actor=actor, filters=filters)
        rows = csv_export.detail_rows(
            detail.rows.iterator(chunk_size=2000), places=detail.places, subtypes=detail.subtypes
        )
        return csv_export.csv_response(f"consultations-{period}.csv", rows)
    history = history_for(actor=actor, filters=filters)
    chosen = next(t for t in tables.history_tables(history) if t.slug == table)
    return csv_export.csv_response(f"{table}-{period}.csv", csv_export.table_rows(chosen))
