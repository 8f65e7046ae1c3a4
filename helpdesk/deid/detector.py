"""detect(): regex layer + Sudachi layer + resolution."""

from __future__ import annotations

from . import orgplace, patterns, persons
from .resolve import resolve
from .textnorm import Normalized
from .tokens import tokenize
from .types import Span


def detect(text: str) -> list[Span]:
    """PII spans of ``text``: sorted, non-overlapping, offsets into ``text`` (end exclusive)."""
    if not isinstance(text, str):
        raise TypeError("detect() expects str")
    if not text.strip():
        return []
    cands = patterns.find(Normalized(text))
    toks = tokenize(text)
    cands += persons.find(text, toks)
    cands += orgplace.find(text, toks)
    return resolve(text, toks, cands)
