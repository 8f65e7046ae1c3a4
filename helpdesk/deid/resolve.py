"""Turn overlapping candidates into sorted, non-overlapping spans, then apply span context.

Selection is greedy: structured matches (regex layer) first by priority, then dictionary-based
matches longest first (杉並区保健所 beats 杉並区, 光が丘団地 beats 光が丘). After selection:
  * a reading in （ひらがな） right after a name is a PERSON too;
  * a news-style age （33） right after a name is an AGE;
  * other occurrences of an accepted name (e.g. 「モモ」 then モモ) are PERSON, when they sit on
    morpheme boundaries (so ordinary words that merely contain the name are left alone);
  * ORG + ORG separated by nothing or one space merge (医療法人桜心会 さくら病院).
"""

from __future__ import annotations

import re
from bisect import bisect_left

from .lexicon import HONORIFICS
from .patterns import STRUCTURED_MIN_PRIO, Cand
from .tokens import Tok, entries, is_hiragana, is_katakana
from .types import Span

_HONORIFIC_RE = re.compile("|".join(sorted(HONORIFICS, key=len, reverse=True)))
_READING_RE = re.compile(r"[（(]([ぁ-ゖァ-ヺー]{2,8}(?:[ 　][ぁ-ゖァ-ヺー]{1,8})?)(?=[）)、,])")
_NEWS_AGE_RE = re.compile(r"[（(][ 　]?(?:(?:男性|女性|男|女)[・、,]?)?([0-9０-９]{1,3})[ 　]?(?=[）)、,・])")
_SPLIT_RE = re.compile(r"[ 　・]")
_CLOSED = frozenset({"動詞", "助動詞", "助詞", "形容詞", "副詞", "接続詞", "連体詞"})


def _key(c: Cand) -> tuple[int, int, int, int]:
    length = c.end - c.start
    if c.prio >= STRUCTURED_MIN_PRIO:
        return (0, -c.prio, -length, c.start)
    return (1, -length, -c.prio, c.start)


def _select(n: int, cands: list[Cand]) -> list[Cand]:
    taken = bytearray(n)
    chosen: list[Cand] = []
    for c in sorted(cands, key=_key):
        if c.end <= c.start:
            continue
        if any(taken[c.start : c.end]):
            if c.prio >= STRUCTURED_MIN_PRIO or taken[c.end - 1]:
                continue
            # a dictionary span that runs into an earlier structured one keeps its free tail
            start = c.end - 1
            while start > c.start and not taken[start - 1]:
                start -= 1
            if c.end - start < 2:
                continue
            c = Cand(start, c.end, c.label, c.prio)
        taken[c.start : c.end] = b"\x01" * (c.end - c.start)
        chosen.append(c)
    return chosen


def _after_name(text: str, end: int) -> int:
    m = _HONORIFIC_RE.match(text, end)
    return m.end() if m else end


def _occupancy(n: int, spans: list[Cand]) -> bytearray:
    taken = bytearray(n)
    for c in spans:
        taken[c.start : c.end] = b"\x01" * (c.end - c.start)
    return taken


def _take(taken: bytearray, c: Cand, out: list[Cand]) -> None:
    """Add ``c`` unless it overlaps something already taken."""
    if not any(taken[c.start : c.end]):
        taken[c.start : c.end] = b"\x01" * (c.end - c.start)
        out.append(c)


def _name_context(text: str, chosen: list[Cand], taken: bytearray) -> list[Cand]:
    extra: list[Cand] = []
    for c in chosen:
        if c.label != "PERSON":
            continue
        at = _after_name(text, c.end)
        m = _READING_RE.match(text, at)
        if m is not None and not entries(m.group(1)) & {"place", "country", "common"}:  # not （ベトナム）
            _take(taken, Cand(m.start(1), m.end(1), "PERSON", c.prio), extra)
            continue
        m = _NEWS_AGE_RE.match(text, at)
        if m is not None and int(m.group(1).translate(_FW_DIGITS)) <= 120:
            _take(taken, Cand(m.start(1), m.end(1), "AGE", c.prio), extra)
    return extra


_FW_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")


def _name_use(text: str, name: str, end: int) -> bool:
    """Is this further occurrence used as a name? A name that is also an ordinary word (勇気,
    さくら, 平和) counts only with an honorific after it; katakana nicknames (モモ) count."""
    if is_katakana(name) or "common" not in entries(name):
        return True
    return _HONORIFIC_RE.match(text, end) is not None


def _propagate(text: str, toks: list[Tok], chosen: list[Cand], taken: bytearray) -> list[Cand]:
    names: set[str] = set()
    for c in chosen:
        if c.label != "PERSON":
            continue
        surface = text[c.start : c.end]
        names.add(surface)
        names.update(p for p in _SPLIT_RE.split(surface) if p)
    # one-character names (光, 翼) are too often ordinary words to be looked for elsewhere
    names = {x for x in names if len(x) >= 2 and not (is_hiragana(x) and len(x) < 3)}
    if not names:
        return []
    begins = [t.b for t in toks]
    ends = {t.e for t in toks}
    extra: list[Cand] = []
    for name in sorted(names, key=len, reverse=True):
        start = text.find(name)
        while start != -1:
            end = start + len(name)
            k = bisect_left(begins, start)
            aligned = k < len(toks) and begins[k] == start and end in ends
            if aligned and not any(taken[start:end]):
                first = toks[k]
                if first.pos[0] not in _CLOSED and first.pos[0] != "動詞" and _name_use(text, name, end):
                    _take(taken, Cand(start, end, "PERSON", 40), extra)
            start = text.find(name, end)
    return extra


def _merge(text: str, chosen: list[Cand]) -> list[Cand]:
    merged: list[Cand] = []
    for c in sorted(chosen):
        if merged:
            last = merged[-1]
            gap = text[last.end : c.start]
            if last.label == c.label == "ORG" and gap in ("", " ", "\u3000"):
                merged[-1] = Cand(last.start, c.end, "ORG", max(last.prio, c.prio))
                continue
            if last.label == c.label and c.label in ("PLACE", "PERSON") and gap == "":
                merged[-1] = Cand(last.start, c.end, c.label, max(last.prio, c.prio))
                continue
        merged.append(c)
    return merged


def resolve(text: str, toks: list[Tok], cands: list[Cand]) -> list[Span]:
    chosen = _select(len(text), cands)
    taken = _occupancy(len(text), chosen)
    chosen += _name_context(text, chosen, taken)
    chosen += _propagate(text, toks, chosen, taken)
    return [Span(c.start, c.end, c.label) for c in _merge(text, chosen)]
