"""What every scenario shares: the report's building blocks and a few statistics."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / "bench"


@dataclass
class Table:
    headers: list[str]
    rows: list[list[str]] = field(default_factory=list)

    def add(self, *cells: object) -> None:
        self.rows.append([str(cell) for cell in cells])

    def markdown(self) -> str:
        right = ["---:" if i else "---" for i in range(len(self.headers))]
        lines = ["| " + " | ".join(self.headers) + " |", "| " + " | ".join(right) + " |"]
        lines += ["| " + " | ".join(row) + " |" for row in self.rows]
        return "\n".join(lines)


@dataclass
class Section:
    """One scenario's part of RESULTS.md: a few sentences, tables, notes, and the raw figures."""

    title: str
    intro: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    error: str | None = None
    markdown_body: str | None = None  # a section rendered elsewhere (the other teams' benches)
    figures: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    def markdown(self) -> str:
        lines = [f"## {self.title}", ""]
        if self.error:
            lines += [f"**Failed:** {self.error}", ""]
        lines += [*self.intro, ""] if self.intro else []
        for table in self.tables:
            lines += [table.markdown(), ""]
        if self.markdown_body:
            lines += [self.markdown_body.strip(), ""]
        lines += [f"- {note}" for note in self.notes]
        lines += [""] if self.notes else []
        if self.seconds >= 1:
            lines += [f"_Wall time: {self.seconds:.0f} s._", ""]
        return "\n".join(lines)


class Deadline:
    """A time budget: loops ask it whether there is time left for another round."""

    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + seconds

    def left(self) -> float:
        return max(0.0, self.end - time.monotonic())

    def expired(self) -> bool:
        return time.monotonic() >= self.end


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def ms(seconds: float) -> str:
    if math.isnan(seconds):
        return "–"
    value = seconds * 1000
    if value < 1:
        return f"{value:.2f} ms"
    return f"{value:.1f} ms" if value < 100 else f"{value:,.0f} ms"


def num(value: float, digits: int = 0) -> str:
    if math.isnan(value):
        return "–"
    return f"{value:,.{digits}f}"


def ratio(a: float, b: float) -> str:
    if math.isnan(a) or math.isnan(b) or b == 0:
        return "–"
    return f"{a / b:.2f}×"
