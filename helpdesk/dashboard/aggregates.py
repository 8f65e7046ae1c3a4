"""Percentiles in the database (PostgreSQL `percentile_cont`), with a Python fallback for SQLite.

The embedded pilot runs SQLite, which has no ordered-set aggregates; there the same numbers are
computed in Python over the (small) set of durations, with the same linear interpolation.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import NotSupportedError, connections
from django.db.models import Aggregate, DurationField, ExpressionWrapper, F, FloatField, Func

FRACTIONS = (0.5, 0.9)


class PercentileCont(Aggregate):
    """`percentile_cont(fraction) WITHIN GROUP (ORDER BY expression)`; NULLs are ignored.

    Works with `filter=` (FILTER (WHERE ...)) and in grouped queries (`values(...).annotate(...)`).
    """

    function = "PERCENTILE_CONT"
    name = "PercentileCont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression: Any, fraction: float, **extra: Any) -> None:
        fraction = float(fraction)
        if not 0.0 <= fraction <= 1.0 or math.isnan(fraction):
            raise ValueError("fraction must be between 0 and 1")
        # A validated float, formatted by us: never user text in the SQL.
        super().__init__(expression, fraction=repr(fraction), **extra)

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> tuple[str, Any]:
        raise NotSupportedError("percentile_cont needs PostgreSQL; use python_percentile")


class EpochSeconds(Func):
    """Seconds in an interval (PostgreSQL `EXTRACT(EPOCH FROM ...)`) as double precision."""

    template = "EXTRACT(EPOCH FROM (%(expressions)s))::double precision"
    output_field = FloatField()


def elapsed(end_field: str, start_field: str) -> ExpressionWrapper:
    """`end - start` as an interval expression."""
    return ExpressionWrapper(F(end_field) - F(start_field), output_field=DurationField())


def elapsed_seconds(end_field: str, start_field: str) -> EpochSeconds:
    return EpochSeconds(elapsed(end_field, start_field))


def percentiles_in_database(using: str = "default") -> bool:
    return connections[using].vendor == "postgresql"


def python_percentile(values: Sequence[float], fraction: float) -> float | None:
    """The same result as PostgreSQL's percentile_cont: linear interpolation between ranks."""
    if not values:
        return None
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    lower = math.floor(position)
    upper = math.ceil(position)
    if lower == upper:
        return float(ordered[lower])
    return float(ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower))


def seconds_between(pairs: Iterable[tuple[Any, Any]]) -> list[float]:
    """(start, end) datetimes -> elapsed seconds, skipping pairs with a missing end."""
    return [(end - start).total_seconds() for start, end in pairs if start is not None and end is not None]
