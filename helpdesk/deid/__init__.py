"""De-identification of Japanese case summaries before storage.

Public API (other modules code against exactly this):

    LABELS                          the span labels
    Span, Replacement, Redaction, RiskFlag
    detect(text)                    -> sorted, non-overlapping PII spans (offsets into ``text``)
    redact(text, spans=None)        -> Redaction (placeholders; spans=None runs detect())
    reidentification_risks(text)    -> RiskFlag list (Japanese messages)
    remaining_identifiers(text)     -> spans still present in an already-redacted text

The detector combines a regex layer over the NFKC-normalised text (offsets mapped back to the
original) with SudachiPy morphology (helpdesk.nlp) and context rules. It never logs or raises
with the input text.
"""

from __future__ import annotations

from collections.abc import Sequence

from . import risks as _risks
from .detector import detect
from .redact import PLACEHOLDER_RE, is_year_month, redact_spans
from .types import LABELS, Redaction, Replacement, RiskFlag, Span

__all__ = [
    "LABELS",
    "Redaction",
    "Replacement",
    "RiskFlag",
    "Span",
    "detect",
    "redact",
    "reidentification_risks",
    "remaining_identifiers",
]


def redact(text: str, spans: Sequence[Span] | None = None) -> Redaction:
    """Replace ``spans`` (default: ``detect(text)``) with consistent placeholders."""
    if spans is None:
        spans = detect(text)
    return redact_spans(text, spans)


def reidentification_risks(text: str) -> list[RiskFlag]:
    """Rare attributes that may identify a person even after redaction (age 90+, 20+ years
    of withdrawal, rare diagnoses, "the only one in the town")."""
    return _risks.find(text)


def remaining_identifiers(text: str) -> list[Span]:
    """detect() on already-redacted text, ignoring our own placeholders (【人物A】, 【日付】…),
    age bands and year-month dates that redact() leaves in place."""
    protected = [(m.start(), m.end()) for m in PLACEHOLDER_RE.finditer(text)]
    out: list[Span] = []
    for span in detect(text):
        if any(s < span.end and span.start < e for s, e in protected):
            continue
        if span.label == "DATE" and is_year_month(text[span.start : span.end]):
            continue
        out.append(span)
    return out
