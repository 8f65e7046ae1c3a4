"""The triage lexicons: tab-separated data files in helpdesk/triage/data/, loaded once per process.

- risk_expressions.tsv  direct and indirect risk expressions (code, category, severity, pattern,
                        label, note)
- context_markers.tsv   words that change how a match is read: past, negation, hypothetical,
                        professional, fiction, who is at risk (kind, pattern, note)
- lookalikes.tsv        safe explanations that set a nearby risk expression aside (code,
                        applies_to, scope, pattern, message, note)

Lines starting with `#` and blank lines are ignored; the first other line is the header.
Every entry must have a note. Errors name the file and line, never consultation text.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

from helpdesk.triage.patterns import (
    Conjunction,
    Pattern,
    PatternError,
    PatternSet,
    compile_conjunction,
    compile_pattern,
)

DATA_DIR = Path(__file__).resolve().parent / "data"
RISK_FILE = "risk_expressions.tsv"
CONTEXT_FILE = "context_markers.tsv"
LOOKALIKE_FILE = "lookalikes.tsv"

CATEGORIES = frozenset(
    {"suicide", "self_harm", "violence", "abuse_neglect", "medical", "absence", "farewell"}
)
SEVERITIES = frozenset({"urgent", "high", "lookalike"})
CONTEXT_KINDS = frozenset(
    {
        "past",
        "current",
        "resolution",
        "recovery",
        "experience",
        "hypothetical",
        "conditional",
        "response",
        "prof_adjacent",
        "professional",
        "prof_text",
        "now",
        "fiction_medium",
        "fiction_content",
        "first_person",
        "third_person",
        "negation_head",
    }
)
SCOPES = frozenset({"clause", "sentence", "near", "text"})


class LexiconError(ValueError):
    """A malformed data file."""


@dataclass(frozen=True, slots=True)
class Entry:
    code: str
    category: str
    severity: str
    pattern: Pattern
    label: str
    note: str


@dataclass(frozen=True, slots=True)
class Marker:
    kind: str
    pattern: Pattern
    note: str


@dataclass(frozen=True, slots=True)
class LookalikeRule:
    code: str
    applies_to: frozenset[str]
    scope: str
    pattern: Conjunction
    message: str
    note: str

    def applies(self, code: str, category: str) -> bool:
        for item in self.applies_to:
            if item in (code, category) or (item.endswith("*") and code.startswith(item[:-1])):
                return True
        return False


@dataclass(frozen=True)
class Lexicon:
    entries: tuple[Entry, ...]
    markers: tuple[Marker, ...]
    lookalikes: tuple[LookalikeRule, ...]

    def __post_init__(self) -> None:
        # Precompiled matchers: one pass over a text's tokens per data file.
        object.__setattr__(self, "entry_set", PatternSet([e.pattern for e in self.entries]))
        object.__setattr__(self, "marker_set", PatternSet([m.pattern for m in self.markers]))
        parts = [part for rule in self.lookalikes for part in rule.pattern.parts]
        object.__setattr__(self, "lookalike_set", PatternSet(parts))

    entry_set: PatternSet = field(init=False, repr=False)
    marker_set: PatternSet = field(init=False, repr=False)
    lookalike_set: PatternSet = field(init=False, repr=False)


def read_rows(path: Path, header: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    """Rows of a TSV data file as (line number, {column: value})."""
    rows: list[tuple[int, dict[str, str]]] = []
    seen_header = False
    with path.open(encoding="utf-8") as handle:
        for number, raw in enumerate(handle, 1):
            line = raw.rstrip("\n").rstrip("\r")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            cells = [cell.strip() for cell in line.split("\t")]
            if not seen_header:
                if tuple(cells) != header:
                    raise LexiconError(f"{path.name}:{number}: header must be {' / '.join(header)}")
                seen_header = True
                continue
            if len(cells) != len(header):
                raise LexiconError(f"{path.name}:{number}: expected {len(header)} tab-separated columns")
            row = dict(zip(header, cells, strict=True))
            if not all(row.values()):
                raise LexiconError(f"{path.name}:{number}: every column, including the note, is required")
            rows.append((number, row))
    if not seen_header:
        raise LexiconError(f"{path.name}: no header line")
    return rows


def _pattern(path: Path, number: int, source: str) -> Pattern:
    try:
        return compile_pattern(source)
    except PatternError as exc:
        raise LexiconError(f"{path.name}:{number}: {exc}") from None


def load_lexicon(data_dir: Path = DATA_DIR) -> Lexicon:
    """Parse and validate the three data files (uncached; use `lexicon()`)."""
    entries: list[Entry] = []
    codes: set[str] = set()
    path = data_dir / RISK_FILE
    for number, row in read_rows(path, ("code", "category", "severity", "pattern", "label", "note")):
        if row["code"] in codes:
            raise LexiconError(f"{path.name}:{number}: duplicate code {row['code']}")
        if row["category"] not in CATEGORIES:
            raise LexiconError(f"{path.name}:{number}: unknown category {row['category']}")
        if row["severity"] not in SEVERITIES:
            raise LexiconError(f"{path.name}:{number}: unknown severity {row['severity']}")
        codes.add(row["code"])
        entries.append(
            Entry(
                row["code"],
                row["category"],
                row["severity"],
                _pattern(path, number, row["pattern"]),
                row["label"],
                row["note"],
            )
        )
    markers: list[Marker] = []
    path = data_dir / CONTEXT_FILE
    for number, row in read_rows(path, ("kind", "pattern", "note")):
        if row["kind"] not in CONTEXT_KINDS:
            raise LexiconError(f"{path.name}:{number}: unknown kind {row['kind']}")
        markers.append(Marker(row["kind"], _pattern(path, number, row["pattern"]), row["note"]))
    rules: list[LookalikeRule] = []
    path = data_dir / LOOKALIKE_FILE
    header = ("code", "applies_to", "scope", "pattern", "message", "note")
    for number, row in read_rows(path, header):
        if row["scope"] not in SCOPES:
            raise LexiconError(f"{path.name}:{number}: unknown scope {row['scope']}")
        targets = frozenset(t.strip() for t in row["applies_to"].split(",") if t.strip())
        for target in targets:
            known = target in CATEGORIES or target in codes
            known = known or (target.endswith("*") and any(c.startswith(target[:-1]) for c in codes))
            if not known:
                raise LexiconError(f"{path.name}:{number}: applies_to names unknown {target}")
        try:
            conj = compile_conjunction(row["pattern"])
        except PatternError as exc:
            raise LexiconError(f"{path.name}:{number}: {exc}") from None
        rules.append(LookalikeRule(row["code"], targets, row["scope"], conj, row["message"], row["note"]))
    return Lexicon(tuple(entries), tuple(markers), tuple(rules))


_lock = threading.Lock()
_cached: Lexicon | None = None


def lexicon() -> Lexicon:
    """The process-wide lexicon, parsed on first use."""
    global _cached
    if _cached is None:
        with _lock:
            if _cached is None:
                _cached = load_lexicon()
    return _cached
