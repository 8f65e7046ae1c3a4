"""The burnout self-check: Copenhagen Burnout Inventory, personal and work-related scales.

Kristensen, Borritz, Villadsen & Christensen (2005), Work & Stress 19(3):192-207. Scoring as published:
answers score 100 / 75 / 50 / 25 / 0 from "always" (or "to a very high degree") down to "never/almost
never" (or "to a very low degree"); the last work-related item is reverse-scored; a scale's score is the
mean of its answered items, and a scale with fewer than half of its items answered has no score.
The English wording below is the published one; the Japanese catalogue carries the translation in
docs/peer.md. Pure module: no database.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrPromise

POINTS = (100, 75, 50, 25, 0)
HIGH_SCORE = 50.0  # Kristensen et al.: 50 or more is commonly read as (at least) moderate burnout

FREQUENCY = (
    (100, _("Always")),
    (75, _("Often")),
    (50, _("Sometimes")),
    (25, _("Seldom")),
    (0, _("Never/almost never")),
)
DEGREE = (
    (100, _("To a very high degree")),
    (75, _("To a high degree")),
    (50, _("Somewhat")),
    (25, _("To a low degree")),
    (0, _("To a very low degree")),
)


@dataclass(frozen=True)
class Item:
    code: str
    text: StrPromise
    options: tuple[tuple[int, StrPromise], ...]
    reverse: bool = False


PERSONAL = (
    Item("p1", _("How often do you feel tired?"), FREQUENCY),
    Item("p2", _("How often are you physically exhausted?"), FREQUENCY),
    Item("p3", _("How often are you emotionally exhausted?"), FREQUENCY),
    Item("p4", _("How often do you think: “I can’t take it anymore”?"), FREQUENCY),
    Item("p5", _("How often do you feel worn out?"), FREQUENCY),
    Item("p6", _("How often do you feel weak and susceptible to illness?"), FREQUENCY),
)
WORK = (
    Item("w1", _("Is your work emotionally exhausting?"), DEGREE),
    Item("w2", _("Do you feel burnt out because of your work?"), DEGREE),
    Item("w3", _("Does your work frustrate you?"), DEGREE),
    Item("w4", _("Do you feel worn out at the end of the working day?"), FREQUENCY),
    Item("w5", _("Are you exhausted in the morning at the thought of another day at work?"), FREQUENCY),
    Item("w6", _("Do you feel that every working hour is tiring for you?"), FREQUENCY),
    Item("w7", _("Do you have enough energy for family and friends during leisure time?"), FREQUENCY, True),
)
SCALES: dict[str, tuple[Item, ...]] = {"personal": PERSONAL, "work": WORK}
ITEMS = {item.code: item for scale in SCALES.values() for item in scale}


@dataclass(frozen=True)
class Scores:
    personal: float | None
    work: float | None

    @property
    def high(self) -> bool:
        return any(s is not None and s >= HIGH_SCORE for s in (self.personal, self.work))


def clean_answers(raw: Mapping[str, object]) -> dict[str, int]:
    """Keep known items with a valid point value; anything else counts as unanswered."""
    clean: dict[str, int] = {}
    for code, value in raw.items():
        if code in ITEMS and isinstance(value, int) and not isinstance(value, bool) and value in POINTS:
            clean[code] = value
    return clean


def scale_score(items: tuple[Item, ...], answers: Mapping[str, int]) -> float | None:
    points = [100 - answers[i.code] if i.reverse else answers[i.code] for i in items if i.code in answers]
    if len(points) < math.ceil(len(items) / 2):
        return None
    return sum(points) / len(points)


def score(answers: Mapping[str, object]) -> Scores:
    clean = clean_answers(answers)
    return Scores(personal=scale_score(PERSONAL, clean), work=scale_score(WORK, clean))
