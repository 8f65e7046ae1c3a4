"""A tiny pattern language over morphemes, used by every lexicon data file.

A pattern is a sequence of slots separated by spaces; `|` separates alternatives in a slot:

    消える たい                 消えたい / 消えてしまいたい / 消えちゃいたい / 消えたく…
    薬 .. ためる|溜める|集める     薬をためる / 薬ためてある / 睡眠薬を少しずつ貯めている
    連絡 取れる|つく NEG        連絡が取れない / 連絡がつかず / 連絡が取れません

An alternative is
- `word`   a token whose surface, dictionary form or normalised form equals `word`;
- `~part`  a token whose surface or dictionary form contains `part` (for compounds);
- `^word`  a token whose surface is exactly `word` (死ぬ, but not 死のう);
- `NEG`    a negating token (ない, なく, なかっ, ず, ぬ/ん, なし …);
- `NUM`    a number (名詞-数詞).
A slot ending in `?` is optional; a slot starting with `=` must follow the previous one
directly. Otherwise, between two slots up to three "light" tokens
(particles, auxiliaries, suffixes, non-independent verbs such as しまう / いる / おる)
may be skipped; a `..` slot allows up to four tokens of any kind, `...` up to ten.
No match crosses a sentence end. Several patterns joined by ` && ` (context rules only)
must all occur in the scope.
"""

from __future__ import annotations

from dataclasses import dataclass

from helpdesk.triage.text import SENTENCE_ENDS, Doc, Token

LIGHT_GAP = 3
SHORT_GAP = 4
LONG_GAP = 10


class PatternError(ValueError):
    """A malformed pattern in a data file (the message names the pattern, never consultation text)."""


@dataclass(frozen=True, slots=True)
class Slot:
    exact: frozenset[str]
    surface: frozenset[str]
    contains: tuple[str, ...]
    neg: bool
    num: bool
    optional: bool
    gap: int
    any_gap: bool

    def accepts(self, tok: Token) -> bool:
        exact = self.exact
        if tok.surface in exact or tok.dform in exact or tok.nform in exact or tok.surface in self.surface:
            return True
        if self.neg and tok.negator:
            return True
        if self.num and tok.pos1 == "数詞":
            return True
        if self.contains:
            return any(part in tok.surface or part in tok.dform for part in self.contains)
        return False


@dataclass(frozen=True, slots=True)
class Pattern:
    source: str
    slots: tuple[Slot, ...]
    anchors: frozenset[str] | None  # exact keys of the first slot, or None when it must scan

    def _match(self, toks: list[Token], k: int, i: int, sent: int) -> int:
        if k == len(self.slots):
            return i
        slot = self.slots[k]
        j = i
        skipped = 0
        n = len(toks)
        while j < n and toks[j].sent == sent:
            tok = toks[j]
            if slot.accepts(tok):
                end = self._match(toks, k + 1, j + 1, sent)
                if end >= 0:
                    return end
            if skipped >= slot.gap or tok.surface in SENTENCE_ENDS or "\n" in tok.surface:
                break
            if not slot.any_gap and not tok.light:
                break
            skipped += 1
            j += 1
        if slot.optional:
            return self._match(toks, k + 1, i, sent)
        return -1

    def candidates(self, doc: Doc) -> list[int]:
        if self.anchors is None:
            return list(range(len(doc.tokens)))
        found: set[int] = set()
        for key in self.anchors:
            found.update(doc.index.get(key, ()))
        return sorted(found)

    def find_all(self, doc: Doc) -> list[tuple[int, int]]:
        """Non-overlapping matches as token ranges [lo, hi), left to right."""
        return self.find_from(doc, self.candidates(doc))

    def find_from(self, doc: Doc, starts: list[int]) -> list[tuple[int, int]]:
        toks = doc.tokens
        first = self.slots[0]
        out: list[tuple[int, int]] = []
        last_end = -1
        for i in starts:
            if i < last_end or not first.accepts(toks[i]):
                continue
            end = self._match(toks, 1, i + 1, toks[i].sent)
            if end >= 0:
                out.append((i, end))
                last_end = end
        return out


class PatternSet:
    """Many patterns matched together: candidate starts come from one lookup per token key.

    The first slot of each pattern selects its candidate tokens: exact words through the text's
    key index, `~part` through a substring search of the text (surface only), NEG and NUM through
    the negating and number tokens. Only candidates are then matched.
    """

    def __init__(self, patterns: list[Pattern]) -> None:
        self.patterns = patterns
        self._by_key: dict[str, list[int]] = {}
        self._by_part: dict[str, list[int]] = {}
        self._neg: list[int] = []
        self._num: list[int] = []
        for number, pattern in enumerate(patterns):
            first = pattern.slots[0]
            for key in first.exact | first.surface:
                self._by_key.setdefault(key, []).append(number)
            for part in first.contains:
                self._by_part.setdefault(part, []).append(number)
            if first.neg:
                self._neg.append(number)
            if first.num:
                self._num.append(number)

    def find_all(self, doc: Doc) -> list[list[tuple[int, int]]]:
        """Matches of every pattern, in the order of `patterns`."""
        starts: dict[int, set[int]] = {}
        by_key = self._by_key
        for key, positions in doc.index.items():
            for number in by_key.get(key, ()):
                starts.setdefault(number, set()).update(positions)
        for part, numbers in self._by_part.items():
            positions = doc.containing(part)
            if positions:
                for number in numbers:
                    starts.setdefault(number, set()).update(positions)
        for numbers, positions in ((self._neg, doc.negators), (self._num, doc.numbers)):
            if positions:
                for number in numbers:
                    starts.setdefault(number, set()).update(positions)
        out: list[list[tuple[int, int]]] = []
        for number, pattern in enumerate(self.patterns):
            found = starts.get(number)
            out.append(pattern.find_from(doc, sorted(found)) if found else [])
        return out


def _parse_slot(raw: str, gap: int, any_gap: bool, source: str) -> Slot:
    if raw.startswith("=") and len(raw) > 1:
        raw, gap, any_gap = raw[1:], 0, False
    optional = raw.endswith("?") and len(raw) > 1
    body = raw[:-1] if optional else raw
    exact: set[str] = set()
    surface: set[str] = set()
    contains: list[str] = []
    neg = num = False
    for alt in body.split("|"):
        if not alt:
            raise PatternError(f"empty alternative in pattern {source!r}")
        if alt == "NEG":
            neg = True
        elif alt == "NUM":
            num = True
        elif alt[0] in "~^":
            if len(alt) == 1:
                raise PatternError(f"empty {alt} alternative in pattern {source!r}")
            (contains.append if alt[0] == "~" else surface.add)(alt[1:])
        else:
            exact.add(alt)
    return Slot(frozenset(exact), frozenset(surface), tuple(contains), neg, num, optional, gap, any_gap)


def compile_pattern(source: str) -> Pattern:
    parts = source.split()
    if not parts:
        raise PatternError("empty pattern")
    slots: list[Slot] = []
    gap, any_gap = LIGHT_GAP, False
    for raw in parts:
        if raw in {"..", "..."}:
            if not slots:
                raise PatternError(f"pattern {source!r} starts with a gap")
            gap, any_gap = (SHORT_GAP if raw == ".." else LONG_GAP), True
            continue
        slots.append(_parse_slot(raw, 0 if not slots else gap, any_gap, source))
        gap, any_gap = LIGHT_GAP, False
    if raw in {"..", "..."}:
        raise PatternError(f"pattern {source!r} ends with a gap")
    first = slots[0]
    if first.optional:
        raise PatternError(f"pattern {source!r} starts with an optional slot")
    anchors = None if (first.contains or first.neg or first.num) else first.exact | first.surface
    return Pattern(source, tuple(slots), anchors)


@dataclass(frozen=True, slots=True)
class Conjunction:
    """Context patterns joined with ` && `: all of them must occur within the scope."""

    source: str
    parts: tuple[Pattern, ...]


def compile_conjunction(source: str) -> Conjunction:
    parts = tuple(compile_pattern(p) for p in source.split("&&"))
    return Conjunction(source, parts)
