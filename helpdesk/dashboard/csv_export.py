"""CSV exports: UTF-8 with a BOM (Excel in Japan opens it as UTF-8), formulas neutralised, small cells
suppressed. Exports leave the service, so they follow the stricter rules (see tables.suppress)."""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import OrganisationType
from accounts.prefectures import PREFECTURES
from helpdesk.choices import Category, Priority, Status, Subtype
from helpdesk.dashboard.tables import SMALL, Table, suppress

BOM = "\ufeff"
# Excel and LibreOffice treat a cell starting with these as a formula (fullwidth forms included:
# Japanese IMEs produce them and some spreadsheet versions accept them).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
HIDDEN = "*"  # an attribute shared by fewer than three consultations of the export


def neutralise(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula gets a leading apostrophe; numbers pass."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class _Echo:
    def write(self, value: str) -> str:
        return value


def _lines(rows: Iterable[list[Any]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield BOM
    for row in rows:
        yield writer.writerow([neutralise(v) for v in row])


def csv_response(filename: str, rows: Iterable[list[Any]]) -> StreamingHttpResponse:
    response = StreamingHttpResponse(
        (line.encode("utf-8") for line in _lines(rows)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def table_rows(table: Table) -> Iterator[list[Any]]:
    yield table.headers
    yield from suppress(table)


# --- Detail export: one row per consultation --------------------------------------------------------


def detail_headers() -> list[str]:
    return [
        _("No."),
        _("Filed on"),
        _("Category"),
        _("Subtype"),
        _("Priority"),
        _("Status"),
        _("Queue"),
        _("Organisation type"),
        _("Prefecture"),
        _("First response (min)"),
        _("Resolution (min)"),
        _("Escalations"),
        _("First response target missed"),
        _("Reopened"),
    ]


def _minutes_between(start: datetime, end: datetime | None) -> float | None:
    return None if end is None else round((end - start).total_seconds() / 60, 1)


def detail_rows(
    rows: Iterable[dict[str, Any]], *, places: Counter[Any], subtypes: Counter[Any]
) -> Iterator[list[Any]]:
    """Codes become labels; where and which subtype are hidden when fewer than three share them.

    `places` counts consultations per (prefecture, organisation type) and `subtypes` per
    (category, subtype) over the whole export, so no row stands out by a rare combination.
    """
    prefecture_names = dict(PREFECTURES)
    labels = {
        "category": dict(Category.choices),
        "subtype": dict(Subtype.choices),
        "priority": dict(Priority.choices),
        "status": dict(Status.choices),
        "org_type": dict(OrganisationType.choices),
    }
    yield detail_headers()
    for row in rows:
        place = (row["worker__organisation__prefecture"], row["worker__organisation__org_type"])
        kind = (row["category"], row["subtype"])
        rare_place = places[place] < SMALL
        rare_subtype = bool(row["subtype"]) and subtypes[kind] < SMALL
        yield [
            f"#{row['pk']:06d}",
            timezone.localtime(row["created_at"]).date().isoformat(),
            str(labels["category"].get(row["category"], row["category"])),
            HIDDEN if rare_subtype else str(labels["subtype"].get(row["subtype"], row["subtype"])),
            str(labels["priority"].get(row["priority"], row["priority"])),
            str(labels["status"].get(row["status"], row["status"])),
            row["queue__name"] or "",
            HIDDEN if rare_place else str(labels["org_type"].get(place[1], place[1])),
            HIDDEN if rare_place else prefecture_names.get(place[0], place[0]),
            _minutes_between(row["created_at"], row["first_response_at"]),
            _minutes_between(row["created_at"], row["resolved_at"]),
            row["escalation_level"],
            int(bool(row["first_response_breached"])),
            int(bool(row["reopened"])),
        ]
