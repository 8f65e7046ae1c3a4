"""Traffic light for queue health: green, amber, red.

Red when an SLA target is already missed, when the oldest consultation has waited `red_wait_minutes`
or when `red_waiting` consultations wait; amber for an SLA warning or the amber thresholds.
Override per priority in settings, e.g.::

    DASHBOARD_THRESHOLDS = {"urgent": {"amber_wait_minutes": 3}, "normal": {"red_waiting": 40}}
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from helpdesk.choices import Priority

GREEN = "green"
AMBER = "amber"
RED = "red"
LEVEL_ORDER = {GREEN: 0, AMBER: 1, RED: 2}


@dataclass(frozen=True)
class Thresholds:
    amber_wait_minutes: int
    red_wait_minutes: int
    amber_waiting: int
    red_waiting: int


# The urgent first-response target is 15 minutes (warning at 75 %); high and normal run on
# business hours (4 h and 8 h), so their lights turn well before the target is missed.
DEFAULT_THRESHOLDS: dict[str, Thresholds] = {
    Priority.URGENT: Thresholds(5, 10, amber_waiting=1, red_waiting=3),
    Priority.HIGH: Thresholds(60, 180, amber_waiting=5, red_waiting=10),
    Priority.NORMAL: Thresholds(120, 360, amber_waiting=10, red_waiting=25),
}


def thresholds() -> dict[str, Thresholds]:
    """Defaults merged with settings.DASHBOARD_THRESHOLDS (validated: whole minutes and counts)."""
    configured: Any = getattr(settings, "DASHBOARD_THRESHOLDS", None) or {}
    if not isinstance(configured, dict):
        raise ImproperlyConfigured("DASHBOARD_THRESHOLDS must be a dict keyed by priority")
    merged = dict(DEFAULT_THRESHOLDS)
    names = {f.name for f in fields(Thresholds)}
    for priority, overrides in configured.items():
        if priority not in merged or not isinstance(overrides, dict) or set(overrides) - names:
            raise ImproperlyConfigured(f"DASHBOARD_THRESHOLDS: unknown priority or key in {priority!r}")
        if not all(isinstance(v, int) and v >= 0 for v in overrides.values()):
            raise ImproperlyConfigured("DASHBOARD_THRESHOLDS values must be non-negative integers")
        merged[priority] = replace(merged[priority], **overrides)
    return merged


def level_for(
    *,
    priority: str,
    waiting: int,
    oldest_wait_seconds: float | None,
    warnings: int,
    breaches: int,
    table: dict[str, Thresholds] | None = None,
) -> str:
    limits = (table or thresholds())[priority]
    minutes = (oldest_wait_seconds or 0) / 60 if waiting else 0
    red = waiting and (minutes >= limits.red_wait_minutes or waiting >= limits.red_waiting)
    if breaches > 0 or red:
        return RED
    amber = waiting and (minutes >= limits.amber_wait_minutes or waiting >= limits.amber_waiting)
    if warnings > 0 or amber:
        return AMBER
    return GREEN


def worst(levels: list[str]) -> str:
    return max(levels, key=LEVEL_ORDER.__getitem__, default=GREEN)
