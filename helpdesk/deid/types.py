"""Value types of the de-identification API (re-exported by ``helpdesk.deid``)."""

from __future__ import annotations

from dataclasses import dataclass

LABELS = ("PERSON", "PLACE", "ORG", "PHONE", "EMAIL", "URL", "POSTAL", "HANDLE", "ID", "DATE", "AGE")


@dataclass(frozen=True)
class Span:
    """A detected identifier: ``text[start:end]`` of the ORIGINAL text (end exclusive)."""

    start: int
    end: int
    label: str


@dataclass(frozen=True)
class Replacement:
    start: int
    end: int
    label: str
    original: str
    placeholder: str

    def __repr__(self) -> str:  # never echo the original surface into logs or tracebacks
        return (
            f"Replacement(start={self.start}, end={self.end}, label={self.label!r}, "
            f"placeholder={self.placeholder!r})"
        )


@dataclass(frozen=True)
class Redaction:
    text: str
    replacements: tuple[Replacement, ...]


@dataclass(frozen=True)
class RiskFlag:
    code: str
    message: str
    start: int
    end: int
