"""A server-side trend chart: coordinates for a hand-written SVG polyline (no library, no scripts)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from peer.models import SelfCheck

WIDTH, HEIGHT = 600, 220
LEFT, RIGHT, TOP, BOTTOM = 40, 16, 12, 28


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    score: float
    taken_at: datetime

    @property
    def corner_x(self) -> float:  # a square marker centred on the point
        return round(self.x - 4, 1)

    @property
    def corner_y(self) -> float:
        return round(self.y - 4, 1)


@dataclass(frozen=True)
class Series:
    points: list[Point]

    @property
    def polyline(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)


@dataclass(frozen=True)
class Gridline:
    y: float
    label: int


@dataclass(frozen=True)
class TrendChart:
    width: int
    height: int
    left: int
    right_edge: int
    personal: Series
    work: Series
    gridlines: list[Gridline]
    threshold_y: float
    first: datetime | None
    last: datetime | None
    label_y: int


def _y(score: float) -> float:
    return round(TOP + (100 - score) / 100 * (HEIGHT - TOP - BOTTOM), 1)


def trend_chart(checks: Sequence[SelfCheck]) -> TrendChart:
    """x: time of each check (evenly spread when all fall on one instant); y: score 0-100, high at top."""
    span_left, span_right = LEFT, WIDTH - RIGHT
    times = [c.taken_at.timestamp() for c in checks]
    first, last = (min(times), max(times)) if times else (0.0, 0.0)

    def x(index: int) -> float:
        if last > first:
            return span_left + (times[index] - first) / (last - first) * (span_right - span_left)
        if len(checks) == 1:
            return (span_left + span_right) / 2
        return span_left + index / (len(checks) - 1) * (span_right - span_left)

    def series(attribute: str) -> Series:
        points = []
        for index, check in enumerate(checks):
            value = getattr(check, attribute)
            if value is not None:
                points.append(Point(round(x(index), 1), _y(value), round(value, 1), check.taken_at))
        return Series(points)

    return TrendChart(
        width=WIDTH,
        height=HEIGHT,
        left=LEFT,
        right_edge=span_right,
        personal=series("personal_score"),
        work=series("work_score"),
        gridlines=[Gridline(_y(v), v) for v in (0, 25, 50, 75, 100)],
        threshold_y=_y(50),
        first=checks[0].taken_at if checks else None,
        last=checks[-1].taken_at if len(checks) > 1 else None,
        label_y=HEIGHT - 8,
    )
