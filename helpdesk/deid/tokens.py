"""Sudachi morphemes in a compact form, plus cached dictionary look-ups and script tests."""

from __future__ import annotations

import re
import threading

from helpdesk import nlp

_POS: dict[int, tuple[str, ...]] = {}
_ENTRIES: dict[str, frozenset[str]] = {}
_ENTRIES_LIMIT = 50_000
_lock = threading.Lock()
CHUNK = 4000  # characters; well below Sudachi's input limit (about 49k bytes)

HIRAGANA_RE = re.compile(r"[ぁ-ゖー]+")
KATAKANA_RE = re.compile(r"[ァ-ヺー・･]+")
KANJI_RE = re.compile(r"[一-龥々〆ヶヵ]+")
KANJI_NAME_RE = re.compile(r"[一-龥々〆ヶヵノ之]+")


_Flags = tuple[bool, bool, bool, bool, bool, bool, bool, bool]
_FLAGS: dict[int, _Flags] = {}


def _flags(pos: tuple[str, ...]) -> _Flags:
    return (
        pos[1] == "固有名詞" and pos[2] == "人名",  # person
        pos[2] == "地名" and pos[3] != "国",  # place
        pos[2] == "地名" and pos[3] == "国",  # country
        pos[1] == "固有名詞",  # proper
        pos[0] == "名詞",  # noun
        pos[1] == "数詞",  # numeral (by part of speech)
        pos[0] == "助詞",  # particle
        pos[0] in ("補助記号", "空白", "記号"),  # symbol
    )


class Tok:
    """One morpheme: offsets, surface, part of speech and precomputed tests on it."""

    __slots__ = tuple(
        "b country e noun numeral oov particle person place pos proper s space symbol unknown_word".split()
    )

    def __init__(self, b: int, e: int, s: str, pos: tuple[str, ...], oov: bool, flags: _Flags) -> None:
        self.b = b
        self.e = e
        self.s = s
        self.pos = pos
        self.oov = oov
        self.person, self.place, self.country, self.proper, self.noun, numeral, self.particle, self.symbol = (
            flags
        )
        self.numeral = numeral or s.isdigit()
        self.space = pos[0] == "空白" or s in (" ", "\u3000")
        # an out-of-vocabulary word that is not a number, symbol or Latin text
        self.unknown_word = oov and not self.numeral and not self.symbol and not s.isascii()

    def __repr__(self) -> str:  # no surface: tokens must never leak into logs
        return f"Tok({self.b},{self.e},{'/'.join(self.pos[:3])})"


def tokenize(text: str) -> list[Tok]:
    dictionary = nlp.dictionary()
    out: list[Tok] = []
    for chunk_start, chunk in _chunks(text):
        first = len(out)
        b = chunk_start
        morphemes = nlp.tokenize(chunk)
        for m in morphemes:
            pid = m.part_of_speech_id()
            pos = _POS.get(pid)
            if pos is None:
                pos = tuple(dictionary.pos_of(pid))
                _POS[pid] = pos
                _FLAGS[pid] = _flags(pos)
            s = m.surface()  # surfaces tile the input, so offsets follow from their lengths
            e = b + len(s)
            out.append(Tok(b, e, s, pos, m.is_oov(), _FLAGS[pid]))
            b = e
        if b != chunk_start + len(chunk):  # never seen; fall back to the reported offsets
            for tok, m in zip(out[first:], morphemes, strict=True):
                tok.b = chunk_start + m.begin()
                tok.e = chunk_start + m.end()
                tok.s = chunk[m.begin() : m.end()]
    return out


def _chunks(text: str) -> list[tuple[int, str]]:
    """Sudachi limits the input size: feed long texts in pieces cut after 。 or a newline."""
    if len(text) <= CHUNK:
        return [(0, text)]
    out: list[tuple[int, str]] = []
    start = 0
    while start < len(text):
        end = min(len(text), start + CHUNK)
        if end < len(text):
            cut = max(text.rfind("\n", start, end), text.rfind("。", start, end))
            if cut > start:
                end = cut + 1
        out.append((start, text[start:end]))
        start = end
    return out


def entries(surface: str) -> frozenset[str]:
    """Kinds of dictionary entries for this exact surface: sei, mei, jinmei, place, proper, common."""
    found = _ENTRIES.get(surface)
    if found is not None:
        return found
    kinds: set[str] = set()
    for m in nlp.dictionary().lookup(surface):
        pos = m.part_of_speech()
        if pos[1] == "固有名詞":
            if pos[2] == "人名":
                kinds.add({"姓": "sei", "名": "mei"}.get(pos[3], "jinmei"))
            elif pos[2] == "地名":
                kinds.add("place" if pos[3] != "国" else "country")
            else:
                kinds.add("proper")
        elif pos[0] == "名詞":
            kinds.add("common")
        else:
            kinds.add("other")
    found = frozenset(kinds)
    with _lock:
        if len(_ENTRIES) < _ENTRIES_LIMIT:
            _ENTRIES[surface] = found
    return found


def can_be_name(surface: str) -> bool:
    return bool(entries(surface) & {"sei", "mei", "jinmei"})


def is_hiragana(s: str) -> bool:
    return bool(s) and HIRAGANA_RE.fullmatch(s) is not None


def is_katakana(s: str) -> bool:
    return bool(s) and KATAKANA_RE.fullmatch(s) is not None


def is_kanji(s: str) -> bool:
    return bool(s) and KANJI_RE.fullmatch(s) is not None


def is_kanji_name(s: str) -> bool:
    return bool(s) and KANJI_NAME_RE.fullmatch(s) is not None
