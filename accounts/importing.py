"""Bulk account import from CSV: validate everything, then apply all rows or none."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import User
from accounts.services import AccountOutcome, AccountSpec, account_apply

REQUIRED_COLUMNS = ("username", "role", "organisation")
OPTIONAL_COLUMNS = ("display_name", "email", "professions", "specialties", "pseudonym")
MAX_ROWS = 5000


@dataclass(frozen=True)
class RowError:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}" if self.line else self.reason


@dataclass
class ImportReport:
    errors: list[RowError] = field(default_factory=list)
    outcomes: list[AccountOutcome] = field(default_factory=list)

    @property
    def created(self) -> list[User]:
        return [o.user for o in self.outcomes if o.created]

    @property
    def updated(self) -> list[User]:
        return [o.user for o in self.outcomes if not o.created and o.changed_fields]

    @property
    def unchanged(self) -> int:
        return sum(1 for o in self.outcomes if not o.created and not o.changed_fields)


class ImportFailed(Exception):
    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(f"{len(errors)} problem(s); nothing was imported")
        self.errors = errors


def _split_codes(value: str) -> tuple[str, ...]:
    return tuple(sorted({part.strip() for part in value.replace("、", ";").split(";") if part.strip()}))


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ImportFailed(
            [RowError(line, "the file is not UTF-8 (save it from Excel as 'CSV UTF-8')")]
        ) from None


def parse_accounts_csv(data: bytes) -> list[tuple[int, AccountSpec]]:
    """Rows as (line number, spec); raises ImportFailed listing every bad row."""
    text = _decode(data)
    if "\x00" in text:
        raise ImportFailed(
            [RowError(text[: text.index("\x00")].count("\n") + 1, "the file contains NUL bytes")]
        )
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    errors: list[RowError] = []
    rows: list[tuple[int, AccountSpec]] = []
    try:
        header = [name.strip().lower() for name in next(reader)]
    except StopIteration:
        raise ImportFailed([RowError(1, "the file is empty")]) from None
    except csv.Error as error:
        raise ImportFailed([RowError(reader.line_num, f"malformed CSV: {error}")]) from None
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    unknown = [name for name in header if name not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    duplicated = sorted({name for name in header if header.count(name) > 1})
    if missing or unknown or duplicated:
        reasons = []
        if missing:
            reasons.append("missing column(s): " + ", ".join(missing))
        if unknown:
            reasons.append("unknown column(s): " + ", ".join(unknown))
        if duplicated:
            reasons.append("repeated column(s): " + ", ".join(duplicated))
        raise ImportFailed([RowError(1, "; ".join(reasons))])
    seen: dict[str, int] = {}
    while True:
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            errors.append(RowError(reader.line_num, f"malformed CSV: {error}"))
            break
        line = reader.line_num
        if not any(value.strip() for value in values):
            continue
        if len(values) != len(header):
            errors.append(RowError(line, f"expected {len(header)} fields, found {len(values)}"))
            continue
        row = {name: value.strip() for name, value in zip(header, values, strict=True)}
        problems = [f"{name} is empty" for name in REQUIRED_COLUMNS if not row[name]]
        username = row["username"]
        if username and username in seen:
            problems.append(f"duplicate username {username!r} (first on line {seen[username]})")
        elif username:
            seen[username] = line
        if problems:
            errors.append(RowError(line, "; ".join(problems)))
            continue
        rows.append(
            (
                line,
                AccountSpec(
                    username=username,
                    role=row["role"].lower(),
                    organisation_slug=row["organisation"],
                    display_name=row.get("display_name", ""),
                    email=row.get("email", ""),
                    professions=_split_codes(row.get("professions", "")),
                    specialties=_split_codes(row.get("specialties", "")),
                    pseudonym=row.get("pseudonym", ""),
                ),
            )
        )
        if len(rows) > MAX_ROWS:
            raise ImportFailed([RowError(line, f"more than {MAX_ROWS} rows; split the file")])
    if errors:
        raise ImportFailed(errors)
    return rows


def _describe(error: ValidationError) -> str:
    if hasattr(error, "message_dict"):
        return "; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in sorted(error.message_dict.items()))
    return " ".join(error.messages)


def accounts_import(*, actor: User | None, data: bytes) -> ImportReport:
    """Apply every row in one transaction; any bad row rolls the whole file back."""
    rows = parse_accounts_csv(data)
    report = ImportReport()
    with transaction.atomic():
        for line, spec in rows:
            try:
                with transaction.atomic():
                    report.outcomes.append(account_apply(actor=actor, spec=spec))
            except ValidationError as error:
                report.errors.append(RowError(line, _describe(error)))
        if report.errors:
            raise ImportFailed(report.errors)
    return report
