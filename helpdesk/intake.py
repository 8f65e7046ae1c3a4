"""The de-identification preview: what was detected, what the worker changed, the final text.

Pure functions over the raw text the worker just typed. The raw text lives only in the request
and the rendered preview; nothing here stores, logs or raises with it.
"""

from __future__ import annotations

from dataclasses import dataclass

from accounts.text import clean_text
from helpdesk import deid

LABEL_NAMES = {
    "PERSON": "人名",
    "PLACE": "地名・住所",
    "ORG": "機関名",
    "PHONE": "電話番号",
    "EMAIL": "メールアドレス",
    "URL": "URL",
    "POSTAL": "郵便番号",
    "HANDLE": "SNS・ID",
    "ID": "番号",
    "DATE": "日付",
    "AGE": "年齢",
}
MANUAL_LABELS = ("PERSON", "PLACE", "ORG", "PHONE", "ID", "DATE", "AGE", "HANDLE", "EMAIL", "URL", "POSTAL")
MAX_MANUAL_MARKS = 50


@dataclass(frozen=True)
class ManualMark:
    label: str
    phrase: str

    def encode(self) -> str:
        return f"{self.label}:{self.phrase}"

    @classmethod
    def decode(cls, value: str) -> ManualMark | None:
        label, sep, phrase = value.partition(":")
        phrase = clean_text(phrase).strip()  # as the text it is looked for in
        if not sep or label not in MANUAL_LABELS or not phrase or len(phrase) > 100:
            return None
        return cls(label=label, phrase=phrase)


@dataclass(frozen=True)
class Segment:
    text: str
    key: str = ""  # "start-end" for a detected or marked span, empty for plain text
    label: str = ""
    placeholder: str = ""
    replaced: bool = True
    manual: bool = False

    @property
    def label_name(self) -> str:
        return LABEL_NAMES.get(self.label, self.label)


@dataclass(frozen=True)
class Review:
    """One text's preview: segments to show, the final text and what the worker vouched for."""

    segments: tuple[Segment, ...]
    text: str  # the text as it will be stored before replacement (accounts.text): spans index into it
    final_text: str
    kept: tuple[str, ...]  # surfaces the worker marked as not personal
    replaced: int
    risks: tuple[deid.RiskFlag, ...]
    manual: tuple[ManualMark, ...]


def _manual_spans(text: str, marks: list[ManualMark], taken: list[deid.Span]) -> list[deid.Span]:
    spans: list[deid.Span] = []
    occupied = [(s.start, s.end) for s in taken]
    for mark in marks:
        start = text.find(mark.phrase)
        while start != -1:
            end = start + len(mark.phrase)
            if all(end <= a or start >= b for a, b in occupied):
                spans.append(deid.Span(start=start, end=end, label=mark.label))
                occupied.append((start, end))
            start = text.find(mark.phrase, end)
    return spans


def review(text: str, *, unmarked: set[str], marks: list[ManualMark]) -> Review:
    """Apply the worker's decisions to the detector's proposal for one text.

    The text is normalised first (accounts.text): a zero-width space inside a name would otherwise
    hide it from the detector, and positions refer to the text that is stored.
    """
    text = clean_text(text)
    detected = deid.detect(text)
    kept_spans = [s for s in detected if f"{s.start}-{s.end}" in unmarked]
    replace_spans = [s for s in detected if f"{s.start}-{s.end}" not in unmarked]
    manual = _manual_spans(text, marks[:MAX_MANUAL_MARKS], detected)
    redaction = deid.redact(text, sorted(replace_spans + manual, key=lambda s: s.start))
    placeholders = {(r.start, r.end): r.placeholder for r in redaction.replacements}
    manual_keys = {(s.start, s.end) for s in manual}
    segments: list[Segment] = []
    cursor = 0
    for span in sorted(detected + manual, key=lambda s: s.start):
        if span.start > cursor:
            segments.append(Segment(text=text[cursor : span.start]))
        key = f"{span.start}-{span.end}"
        segments.append(
            Segment(
                text=text[span.start : span.end],
                key=key,
                label=span.label,
                placeholder=placeholders.get((span.start, span.end), ""),
                replaced=key not in unmarked,
                manual=(span.start, span.end) in manual_keys,
            )
        )
        cursor = span.end
    if cursor < len(text):
        segments.append(Segment(text=text[cursor:]))
    return Review(
        segments=tuple(segments),
        text=text,
        final_text=redaction.text,
        kept=tuple(sorted({text[s.start : s.end] for s in kept_spans})),
        replaced=len(redaction.replacements),
        risks=tuple(deid.reidentification_risks(text)),
        manual=tuple(marks[:MAX_MANUAL_MARKS]),
    )
