"""The public result types of urgent-lane triage (re-exported by helpdesk.triage)."""

from __future__ import annotations

from dataclasses import dataclass

LEVELS = ("normal", "high", "urgent")  # 通常 / 高 / 緊急


@dataclass(frozen=True)
class Reason:
    """Why a consultation was (or was not) raised.

    code: stable identifier of the lexicon entry or rule (e.g. "suicide.disappear").
    category: "suicide", "self_harm", "violence", "abuse_neglect", "medical", "absence",
        "farewell", "worker_self", "subtype", "worker_choice" or "combination".
    expression: the words of the text that matched ("" for rules without one).
    message: a Japanese explanation for supervisors, e.g. 「間接的な希死念慮の表現: 「消えたい」」.
    """

    code: str
    category: str
    expression: str
    message: str


@dataclass(frozen=True)
class TriageResult:
    urgent: bool
    level: str
    reasons: tuple[Reason, ...]
    discounted: tuple[Reason, ...]  # matches set aside by context rules, with the reason why
