"""PERSON candidates from the layout of notes and from quotes.

  * name slots: ・本人：つむぎ（19歳）, 本人岬（26歳）, 母：汐里（47歳）, 本人（あおい、20歳）;
  * names in 「」 next to a naming word (呼び名「モモ」, 「ルナ」と呼んで, 「かなで」って呼んで).

Kana names are often cut into function words by the tokenizer, so some rules read the text.
"""

from __future__ import annotations

import re
from bisect import bisect_left

from .lexicon import HONORIFICS, KANA_NON_NAMES, NAME_SLOT_WORDS, ROLE_WORDS
from .patterns import Cand
from .tokens import Tok, can_be_name, entries, is_hiragana, is_kanji_name, is_katakana

P_PERSON = 50
P_PERSON_WEAK = 45
_CLOSED = frozenset({"動詞", "助動詞", "形容詞", "副詞", "接続詞", "連体詞", "感動詞", "助詞"})
_KANA_NOT_NAMES = frozenset("なし ふめい みてい ひきこもり ふとうこう とくになし".split())
_HONORIFIC_TAIL = sorted(HONORIFICS, key=len, reverse=True)
_SLOT_PAREN_RE = re.compile(
    "(?:"
    + "|".join(sorted(NAME_SLOT_WORDS, key=len, reverse=True))
    + ")"
    + r"[（(]([^、，,（）()0-9０-９\s]{2,10}?)[、，,）)]"
)
_SLOT_COLON_RE = re.compile(
    "(?:"
    + "|".join(sorted(NAME_SLOT_WORDS, key=len, reverse=True))
    + ")"
    + r"[：:][ 　]?([^、，,（）()0-9０-９\s：:]{2,10}?)(?=[（(、，,\n]|$)"
)
_CALL_ME_RE = re.compile(r"「([^「」\s、。]{1,8}?)(?:って|と)(?:呼|名乗)")
_QUOTE_RE = re.compile(r"「([^「」\s、。，．！？!?・]{1,8})」")
_NICKNAME_CONTEXT = re.compile(r"呼|名乗|あだ名|ニックネーム|通称|名前|ハンドル|愛称")


def find(text: str, toks: list[Tok]) -> list[Cand]:
    return _name_slots(text, toks) + _quoted(text, toks) + _regex_slots(text, toks)


def _name_slots(text: str, toks: list[Tok]) -> list[Cand]:
    """・本人：つむぎ（19歳） / 本人岬（26歳） / 母：汐里（47歳）."""
    out: list[Cand] = []
    n = len(toks)
    for i, t in enumerate(toks):
        if t.s not in NAME_SLOT_WORDS:
            continue
        k = i + 1
        if k < n and toks[k].s in ("：", ":", " ", "\u3000"):
            k += 1
        if k >= n:
            continue
        j = k
        while j < n and toks[j].e - toks[k].b <= 10 and not toks[j].symbol and toks[j].s not in HONORIFICS:
            if toks[j].pos[0] in _CLOSED or toks[j].numeral:
                break
            j += 1
        if j == k or j >= n or toks[j].s not in ("（", "(", "、", "\n"):
            continue
        chunk = text[toks[k].b : toks[j - 1].e]
        pieces = toks[k:j]
        if chunk in ROLE_WORDS or any(p.s in ROLE_WORDS for p in pieces):
            continue
        nameish = (
            (
                is_hiragana(chunk)
                and 2 <= len(chunk) <= 6
                and chunk not in KANA_NON_NAMES
                and not _common_kana(chunk)
            )
            or (is_katakana(chunk) and len(chunk) >= 2)
            or all(p.person or p.unknown_word or can_be_name(p.s) for p in pieces)
        )
        if nameish:
            out.append(Cand(toks[k].b, toks[j - 1].e, "PERSON", P_PERSON_WEAK))
    return out


def _within(toks: list[Tok], start: int, end: int) -> list[Tok]:
    """Tokens lying inside [start, end) (toks are sorted by offset)."""
    k = bisect_left(toks, start, key=lambda t: t.b)
    out: list[Tok] = []
    while k < len(toks) and toks[k].e <= end:
        out.append(toks[k])
        k += 1
    return out


def _common_kana(chunk: str) -> bool:
    """A hiragana word that is an ordinary noun rather than a name (ひきこもり, なし)."""
    if chunk in _KANA_NOT_NAMES:
        return True
    kinds = entries(chunk)
    return len(chunk) >= 4 and "common" in kinds and not can_be_name(chunk)


def _regex_slots(text: str, toks: list[Tok]) -> list[Cand]:
    """本人（あおい、20歳） / ・本人：そうた（14歳）: a name slot after a role noun, read from the text
    because kana names are often cut into function words by the tokenizer."""
    out: list[Cand] = []
    for rx in (_SLOT_PAREN_RE, _SLOT_COLON_RE):
        for m in rx.finditer(text):
            chunk = m.group(1)
            end = m.end(1)
            for h in _HONORIFIC_TAIL:
                if chunk.endswith(h) and len(chunk) > len(h) + 1:
                    chunk = chunk[: -len(h)]
                    end -= len(h)
                    break
            if chunk in ROLE_WORDS or chunk in KANA_NON_NAMES:
                continue
            inside = _within(toks, m.start(1), end)
            ok = (
                (is_hiragana(chunk) and len(chunk) <= 6 and not _common_kana(chunk))
                or (is_katakana(chunk) and chunk.strip("・") == chunk and chunk not in ROLE_WORDS)
                or (
                    bool(inside)
                    and all(t.person or t.unknown_word or can_be_name(t.s) or t.space for t in inside)
                )
            )
            if ok and not any(t.s in ROLE_WORDS for t in inside):
                out.append(Cand(m.start(1), end, "PERSON", P_PERSON_WEAK))
    return out


def _quoted(text: str, toks: list[Tok]) -> list[Cand]:
    out: list[Cand] = []
    for m in _CALL_ME_RE.finditer(text):
        inner = m.group(1)
        if inner not in ROLE_WORDS and inner not in KANA_NON_NAMES:
            if is_katakana(inner) or is_hiragana(inner) or is_kanji_name(inner):
                out.append(Cand(m.start(1), m.end(1), "PERSON", P_PERSON))
    for m in _QUOTE_RE.finditer(text):
        inner = m.group(1)
        if inner in ROLE_WORDS or inner in KANA_NON_NAMES:
            continue
        before = text[max(0, m.start() - 8) : m.start()]
        after = text[m.end() : m.end() + 8]
        context = _NICKNAME_CONTEXT.search(before) or _NICKNAME_CONTEXT.search(after)
        inside = _within(toks, m.start(1), m.end(1))
        all_person = bool(inside) and all(t.person for t in inside)
        scriptish = is_katakana(inner) or is_hiragana(inner) or is_kanji_name(inner)
        if all_person or (context and scriptish and len(inner) <= 6):
            out.append(Cand(m.start(1), m.end(1), "PERSON", P_PERSON))
    return out
