"""The dashboard's tables, built once for the page and for the CSV export.

Each number knows how many consultations stand behind it (`Cell.n`), so an export can suppress
small cells: see `suppress`. The page, inside the service, shows every number.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext as _

from helpdesk.dashboard.history import History, Percentiles
from helpdesk.dashboard.selectors import LiveHealth

SMALL = 3  # cells counting fewer consultations than this are suppressed in exports
SUPPRESSED = "<3"


@dataclass(frozen=True)
class Cell:
    value: Any
    n: int | None = None  # consultations behind the number; None for labels
    group: str = ""  # cells of one group are suppressed together (parts that add up to a shown total)
    href: str = ""
    level: str = ""  # traffic light of a live cell

    @property
    def numeric(self) -> bool:
        return (self.value is None and self.n is not None) or (
            isinstance(self.value, int | float) and not isinstance(self.value, bool)
        )

    @property
    def display(self) -> str:
        if self.value is None:
            return "—"
        if isinstance(self.value, float):
            return f"{self.value:,.1f}"
        if isinstance(self.value, int) and not isinstance(self.value, bool):
            return f"{self.value:,}"
        return str(self.value)


@dataclass
class Table:
    slug: str
    title: str
    headers: list[str]
    rows: list[list[Cell]] = field(default_factory=list)
    # Columns whose cells add up to a total shown elsewhere: one suppressed cell could be recovered
    # by subtraction, so a second one is suppressed with it.
    additive_columns: tuple[int, ...] = ()


def minutes(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60, 1)


def _percentile_cells(p: Percentiles) -> list[Cell]:
    return [Cell(minutes(p.p50), n=p.n), Cell(minutes(p.p90), n=p.n)]


def _count(value: int, href: str = "", group: str = "") -> Cell:
    return Cell(value, n=value, href=href, group=group)


def _rate(value: float | None, n: int, group: str = "") -> Cell:
    return Cell(value, n=n, group=group)


def drill_url(**params: Any) -> str:
    query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    return f"{reverse('dashboard:drilldown')}?{query}"


def live_table(live: LiveHealth) -> Table:
    table = Table(
        "live",
        _("Queue health"),
        [
            _("Queue"),
            _("Priority"),
            _("Waiting"),
            _("Oldest wait (min)"),
            _("In progress"),
            _("Warnings"),
            _("Missed"),
            _("Status"),
        ],
    )
    labels = {"green": _("OK"), "amber": _("Caution"), "red": _("Alert")}
    for row in live.rows:

        def link(measure: str, q: int = row.queue_id, p: str = row.priority) -> str:
            return drill_url(measure=measure, queue_id=q, priority=p)

        table.rows.append(
            [
                Cell(row.queue),
                Cell(row.priority_label),
                _count(row.waiting, link("waiting")),
                Cell(minutes(row.oldest_wait_seconds), n=row.waiting),
                _count(row.active, link("active")),
                _count(row.warnings, link("warning")),
                _count(row.breaches, link("breach")),
                Cell(labels[row.level], level=row.level),
            ]
        )
    return table


def staffing_tables(live: LiveHealth) -> list[Table]:
    """Responders on duty per queue (national) and by name (in scope); load counts consultations."""
    staffing = Table("staffing", _("Staffing"), [_("Queue"), _("On duty"), _("Load"), _("Capacity")])
    staffing.rows = [
        [Cell(s.queue), Cell(s.on_duty), Cell(s.load, n=s.load), Cell(s.capacity)]
        for s in live.staffing.values()
    ]
    on_duty = Table("on-duty", _("Responders on duty"), [_("Responder"), _("Role"), _("Load"), _("Capacity")])
    on_duty.rows = [
        [Cell(r.name), Cell(r.role), Cell(r.load, n=r.load), Cell(r.capacity)] for r in live.responders
    ]
    return [staffing, on_duty]


def history_tables(history: History) -> list[Table]:
    params = history.filters.as_params()
    s = history.summary

    def link(measure: str, **extra: Any) -> str:
        return drill_url(measure=measure, **params | extra)

    summary = Table("summary", _("Summary"), [_("Measure"), _("Value")])
    summary.rows = [
        [Cell(_("Consultations")), _count(s.total, link("all"))],
        [Cell(_("Urgent")), _count(s.urgent, link("all", priority="urgent"))],
        [Cell(_("Answered")), _count(s.responded, group="answered")],
        [Cell(_("Not yet answered")), _count(s.awaiting_first_response, group="answered")],
        [Cell(_("Resolved")), _count(s.resolved)],
        [Cell(_("Escalated")), _count(s.escalated, link("escalated"))],
        [Cell(_("First response p50 (min)")), _percentile_cells(s.first_response)[0]],
        [Cell(_("First response p90 (min)")), _percentile_cells(s.first_response)[1]],
        [Cell(_("Resolution p50 (min)")), _percentile_cells(s.resolution)[0]],
        [Cell(_("Resolution p90 (min)")), _percentile_cells(s.resolution)[1]],
        [Cell(_("Reopened")), _count(history.reopen.reopened, group="reopen")],
        [Cell(_("Reopen rate (%)")), _rate(history.reopen.rate, history.reopen.resolved, group="reopen")],
    ]

    sla = Table(
        "sla",
        _("Response targets"),
        [_("Target"), _("Targets set"), _("Decided"), _("Met"), _("Missed"), _("Met (%)")],
    )
    for r in history.sla:
        group = f"sla-{r.kind}"
        sla.rows.append(
            [
                Cell(r.label),
                _count(r.targets),
                _count(r.decided),
                _count(r.met, group=group),
                _count(r.breached, link("breached"), group=group),
                _rate(r.compliance, r.decided, group=group),
            ]
        )

    escalations = Table(
        "escalations",
        _("Escalations"),
        [_("Reason"), _("To"), _("Escalations"), _("Consultations")],
        additive_columns=(2,),
    )
    escalations.rows = [
        [Cell(r.reason), Cell(r.target), _count(r.events), _count(r.consultations)]
        for r in history.escalations
    ]

    categories = Table(
        "categories",
        _("By category"),
        [_("Category"), _("Consultations"), _("Urgent")],
        additive_columns=(1, 2),
    )
    categories.rows = [
        [
            Cell(r.label),
            _count(r.consultations, link("all", category=r.category)),
            _count(r.urgent),
        ]
        for r in history.categories
    ]

    responders = Table(
        "responders",
        _("By responder"),
        [
            _("Responder"),
            _("Consultations"),
            _("In progress"),
            _("Resolved"),
            _("First response p50 (min)"),
            _("p90 (min)"),
        ],
    )
    responders.rows = [
        [
            Cell(r.name),
            _count(r.consultations, link("responder", assignee=r.user_id)),
            _count(r.active),
            _count(r.resolved),
            *_percentile_cells(r.first_response),
        ]
        for r in history.responders
    ]

    trend = Table(
        "trend",
        _("By week") if history.bucket == "week" else _("By day"),
        [
            _("Week of") if history.bucket == "week" else _("Date"),
            _("Consultations"),
            _("Urgent"),
            _("High"),
            _("Normal"),
            _("First response p50 (min)"),
            _("p90 (min)"),
        ],
        additive_columns=(1, 2, 3, 4),
    )
    trend.rows = [
        [
            Cell(r.bucket.isoformat()),
            _count(r.consultations),
            _count(r.urgent),
            _count(r.high),
            _count(r.normal),
            *_percentile_cells(r.first_response),
        ]
        for r in history.trend
    ]
    return [summary, sla, escalations, categories, responders, trend]


# --- Small-cell suppression for exports -----------------------------------------------------------


def _small(cell: Cell) -> bool:
    return cell.n is not None and 0 < cell.n < SMALL


def suppress(table: Table) -> list[list[Any]]:
    """Rows of plain values with small cells replaced by "<3".

    1. A number standing for 1 or 2 consultations is suppressed (0 is shown: it singles out no one).
    2. Cells of one group (parts of a total shown beside them, and rates over them) go together.
    3. In an additive column, a lone suppressed cell is joined by the next smallest non-zero one, so
       the column total cannot give it away.
    """
    hidden = {(i, j) for i, row in enumerate(table.rows) for j, cell in enumerate(row) if _small(cell)}

    def spread_groups() -> None:
        groups = {table.rows[i][j].group for i, j in hidden if table.rows[i][j].group}
        for i, row in enumerate(table.rows):
            for j, cell in enumerate(row):
                if cell.group and cell.group in groups:
                    hidden.add((i, j))

    spread_groups()
    for j in table.additive_columns:
        in_column = [i for i, _row in enumerate(table.rows) if (i, j) in hidden]
        if len(in_column) == 1:
            candidates = [
                (row[j].n or 0, i)
                for i, row in enumerate(table.rows)
                if (i, j) not in hidden and (row[j].n or 0) > 0
            ]
            if candidates:
                hidden.add((min(candidates)[1], j))
    spread_groups()
    return [
        [SUPPRESSED if (i, j) in hidden else cell.value for j, cell in enumerate(row)]
        for i, row in enumerate(table.rows)
    ]


def as_json(table: Table) -> dict[str, Any]:
    """For the live page's script: display text, link and light of every cell."""
    return {
        "slug": table.slug,
        "headers": table.headers,
        "rows": [[{"text": c.display, "href": c.href, "level": c.level} for c in row] for row in table.rows],
    }
