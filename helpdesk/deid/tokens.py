"""Sudachi morphemes in a compact form, plus cached dictionary look-ups and script tests."""

from __future__ import annotations

import re
import threading
from typing import NamedTuple

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


class Tok(NamedTuple):
    """One morpheme: offsets into the text, surface, part of speech and precomputed tests.

    A NamedTuple because tokens are created by the thousand per text: building one from a
    cached tail tuple is much cheaper than setting slots one by one.
    """

    b: int
    e: int
    s: str
    pos: tuple[str, ...]
    oov: bool
    person: bool
    place: bool
    country: bool
    proper: bool
    noun: bool
    numeral: bool
    particle: bool
    symbol: bool
    space: bool
    unknown_word: bool  # out of vocabulary, and not a number, symbol or Latin text

    def __repr__(self) -> str:  # no surface: tokens must never leak into logs
        return f"Tok({self.b},{self.e},{'/'.join(self.pos[:3])})"


_Tail = tuple[tuple[str, ...], bool, bool, bool, bool, bool, bool, bool, bool, bool, bool, bool]
_TAILS: dict[tuple[int, str], _Tail] = {}
_TAILS_LIMIT = 100_000
_new = tuple.__new__


def _tail(pos: tuple[str, ...], s: str, oov: bool) -> _Tail:
    numeral = pos[1] == "数詞" or s.isdigit()
    symbol = pos[0] in ("補助記号", "空白", "記号")
    return (
        pos,
        oov,
        pos[1] == "固有名詞" and pos[2] == "人名",  # person
        pos[2] == "地名" and pos[3] != "国",  # place
        pos[2] == "地名" and pos[3] == "国",  # country
        pos[1] == "固有名詞",  # proper
        pos[0] == "名詞",  # noun
        numeral,
        pos[0] == "助詞",  # particle
        symbol,
        pos[0] == "空白" or s in (" ", "\u3000"),  # space
        oov and not numeral and not symbol and not s.isascii(),  # unknown_word
    )


def tokenize(text: str) -> list[Tok]:
    dictionary = nlp.dictionary()
    out: list[Tok] = []
    tails = _TAILS
    for chunk_start, chunk in _chunks(text):
        first = len(out)
        b = chunk_start
        morphemes = nlp.tokenize(chunk)
        for m in morphemes:
            s = m.surface()  # surfaces tile the input, so offsets follow from their lengths
            key = (m.part_of_speech_id(), s)  # a surface with one POS is either always OOV or never
            tail = tails.get(key)
            if tail is None:
                pos = _POS.get(key[0])
                if pos is None:
                    pos = _POS[key[0]] = tuple(dictionary.pos_of(key[0]))
                tail = _tail(pos, s, m.is_oov())
                if len(tails) < _TAILS_LIMIT:
                    tails[key] = tail
            e = b + len(s)
            out.append(_new(Tok, (b, e, s, *tail)))
            b = e
        if b != chunk_start + len(chunk):  # never seen; fall back to the reported offsets
            for i, m in enumerate(morphemes, first):
                bb, ee = chunk_start + m.begin(), chunk_start + m.end()
                out[i] = out[i]._replace(b=bb, e=ee, s=text[bb:ee])
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
