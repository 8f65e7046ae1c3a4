"""PERSON candidates from Sudachi morphemes plus context.

Evidence used, strongest first:
  * a name-capable chunk right before an honorific (さん/様/くん/ちゃん/氏/先生…); the chunk may be
    kanji, katakana (with ・) or hiragana (given names in kana are often unknown to the dictionary);
  * Sudachi's 固有名詞,人名 tags (surname + given name joined into one span, across one space);
  * a proper noun after a person context (担当の秋津, 女性の秋津);
  * name slots of notes and names in 「」 (see ``slots``).
"""

from __future__ import annotations

from . import slots
from .lexicon import (
    HONORIFICS,
    HOUSE_SUFFIXES,
    KANA_NON_NAMES,
    PERSON_CONTEXT_BEFORE,
    ROLE_PREFIXES,
    ROLE_WORDS,
    TITLE_WORDS,
)
from .patterns import Cand
from .tokens import Tok, can_be_name, entries, is_hiragana, is_kanji, is_kanji_name, is_katakana

P_PERSON = 50
_MUNICIPAL_END = ("市", "区", "町", "村", "郡", "県", "都", "府", "道")
_CLOSED = frozenset({"動詞", "助動詞", "形容詞", "副詞", "接続詞", "連体詞", "感動詞", "助詞"})
_ROLE_ENDINGS = tuple("者員師士手家屋長人官医生主役係方様族親母父兄姉弟妹子娘夫妻婦嫁婿孫客")
_ROLE_SUFFIXES = tuple(w for w in ROLE_WORDS if len(w) >= 2)
_EPONYM_HEADS = frozenset("病症型式")
_PARTICLES = frozenset(("が", "は", "も", "を", "に", "と", "の", "へ", "で"))
_CLAUSE_START = frozenset("。、\n：:・「（( 　")
_COORDINATION = frozenset({"と", "や", "、", "・"})
_CONTEXT_LINKS = frozenset({"の", "：", ":"})
_FUNCTION_KANJI = frozenset("方上中下前後今本大小高長所先次間元皆他各同当")


def _surnameish(t: Tok) -> bool:
    """Could be the family-name half of a full name."""
    if t.s in ROLE_WORDS or not is_kanji_name(t.s):
        return False
    if t.person:
        return t.pos[3] != "名" or "sei" in entries(t.s)
    if t.place or t.proper or t.unknown_word:
        return len(t.s) >= 2 and not t.s.endswith(_MUNICIPAL_END)
    return len(t.s) >= 2 and "sei" in entries(t.s)


def _kanji_name_piece(t: Tok) -> bool:
    """A kanji token that can be (part of) a name before an honorific."""
    if t.s in ROLE_WORDS or not is_kanji_name(t.s):
        return False
    if t.person or t.unknown_word:
        return True
    if t.place or (t.proper and not t.country):
        return not t.s.endswith(_MUNICIPAL_END)
    return t.noun and t.s not in _FUNCTION_KANJI and can_be_name(t.s)


def _given_end(text: str, toks: list[Tok], k: int) -> int | None:
    """If toks[k] starts a given name (after a surname), return its end offset."""
    n = len(toks)
    t = toks[k]
    if t.s in ROLE_WORDS:
        return None
    if t.person:
        end = t.e
        while k + 2 < n and toks[k + 1].s == "・" and is_katakana(toks[k + 2].s):
            k += 2
            end = toks[k].e
        return end
    if (t.place or t.proper or t.noun) and is_kanji_name(t.s) and len(t.s) >= 2 and "mei" in entries(t.s):
        return t.e
    nxt = toks[k + 1].s if k + 1 < n else ""
    boundary = nxt == "" or nxt in HONORIFICS or nxt[:1] in "（(、。，,）)\n 　"
    after_space = k >= 1 and toks[k - 1].space
    if (
        is_kanji(t.s)
        and len(t.s) <= 3
        and (t.unknown_word or ((boundary or nxt in _PARTICLES) and t.noun and after_space))
    ):
        return t.e  # 宮城 学が…: a one- to three-kanji given name after the surname and a space
    if is_katakana(t.s) and len(t.s) <= 5 and t.s not in ROLE_WORDS and boundary:
        return t.e
    if is_hiragana(t.s) and t.s not in HONORIFICS and t.pos[0] not in _CLOSED and t.pos[0] != "接尾辞":
        j = k
        while j + 1 < n and is_hiragana(toks[j + 1].s) and toks[j + 1].s not in HONORIFICS:
            j += 1
        nxt = toks[j + 1].s if j + 1 < n else ""
        boundary = nxt == "" or nxt in HONORIFICS or nxt[:1] in "（(、。，,）)\n 　"
        if 2 <= toks[j].e - t.b <= 4 and boundary:
            return toks[j].e
    return None


def _hiragana_start(text: str, toks: list[Tok], i: int) -> int | None:
    """Start of a hiragana given name ending right before honorific token ``i``."""
    end = toks[i].b
    k = i
    while k - 1 >= 0 and is_hiragana(toks[k - 1].s) and end - toks[k - 1].b <= 7:
        k -= 1
    if k == i:
        return None
    run_start = toks[k].b
    # the whole run, or a suffix at a token boundary, known as a name
    for j in range(k, i):
        cand = text[toks[j].b : end]
        if len(cand) >= 2 and can_be_name(cand):
            return toks[j].b
    # drop leading function words (particles, verb endings) glued to the run
    j = k
    while j < i - 1 and toks[j].pos[0] in _CLOSED and not toks[j].person:
        j += 1
    start = toks[j].b
    if start == run_start and len(text[start:end]) >= 3 and text[start] in "のをへ":
        start += 1
    name = text[start:end]
    if len(name) < 2 or name in KANA_NON_NAMES or name in ROLE_WORDS:
        return None
    return start


def _rare_surname(t: Tok, honorific: str) -> bool:
    """A kanji common noun used as a name: 四十物さん, and for children 空ちゃん; not a role noun
    or an occupation."""
    s = t.s
    if len(s) == 1 and honorific in ("くん", "ちゃん", "君") and t.noun and is_kanji(s) and not t.person:
        return s not in ROLE_WORDS and s not in _FUNCTION_KANJI and s not in _ROLE_ENDINGS
    if not (t.noun and is_kanji(s) and 2 <= len(s) <= 4) or t.person or can_be_name(s):
        return False
    if (
        s in ROLE_WORDS
        or s.endswith(_ROLE_ENDINGS)
        or honorific not in ("さん", "様", "氏", "くん", "ちゃん")
    ):
        return False
    return t.pos[2] not in ("副詞可能", "助数詞可能") and not t.numeral


def _before_honorific(text: str, toks: list[Tok], i: int) -> tuple[int, int] | None:
    j = i - 1
    if j < 0 or toks[j].e != toks[i].b:
        return None
    if text[max(0, toks[i].b - 8) : toks[i].b].endswith(_ROLE_SUFFIXES):
        return None  # 保健師さん even when Sudachi splits it as 保 + 健師
    p = toks[j]
    end = p.e
    if is_hiragana(p.s):
        start = _hiragana_start(text, toks, i)
        if start is None:
            return None
        k = next(x for x in range(j, -1, -1) if toks[x].b == start)
    elif is_katakana(p.s):
        if p.s in ROLE_WORDS or p.s in KANA_NON_NAMES:
            return None
        k = j
        while k - 1 >= 0 and is_katakana(toks[k - 1].s) and toks[k - 1].e == toks[k].b:
            k -= 1
        while toks[k].s in ("・", "･") and k < j:
            k += 1
        surface = text[toks[k].b : end]
        if surface in ROLE_WORDS or toks[k].s in ("・", "･"):
            return None
        start = toks[k].b
    elif _rare_surname(p, toks[i].s):
        k = j
        start = p.b
    elif _kanji_name_piece(p):
        k = j
        while k - 1 >= 0 and j - k < 2 and _kanji_name_piece(toks[k - 1]) and end - toks[k - 1].b <= 6:
            k -= 1
        start = toks[k].b
        if text[start:end] in ROLE_WORDS or (len(p.s) == 1 and p.s in _ROLE_ENDINGS and not p.person):
            return None
        start = _trim_role_prefix(text, start, end)
    else:
        return None
    # full name across one space: 勘解由小路 ひなたさん, 森 トメさん
    if k - 2 >= 0 and toks[k - 1].space and len(toks[k - 1].s) == 1 and _surnameish(toks[k - 2]):
        start = toks[k - 2].b
    return start, end


def _trim_role_prefix(text: str, start: int, end: int) -> int:
    """祖母原 -> 原: Sudachi sometimes glues a kinship word onto a surname."""
    s = text[start:end]
    for pre in ROLE_PREFIXES:
        if s.startswith(pre) and len(s) > len(pre) and "sei" in entries(s[len(pre) :].split()[0] or "-"):
            return start + len(pre)
    return start


def _kana_join(toks: list[Tok], sep: int, other: int) -> bool:
    o = toks[other]
    if not is_katakana(o.s) or o.s in ("・", "･"):
        return False
    if toks[sep].s in ("・", "･", "="):
        return True
    return toks[sep].space and len(toks[sep].s) == 1 and (o.person or o.unknown_word)


def _person_token_ok(toks: list[Tok], i: int) -> bool:
    """Is a 人名-tagged morpheme a name here? Surnames are trusted; a given name that is also an
    ordinary word (大地, 勇気, さくら) and any one-character name need support: an honorific or a
    title, a person context, an age in parentheses, a neighbouring name."""
    t = toks[i]
    s = t.s
    if s in ROLE_WORDS:
        return False
    n = len(toks)
    nxt = toks[i + 1] if i + 1 < n else None
    if nxt is not None and (nxt.s in HONORIFICS or nxt.s in HOUSE_SUFFIXES or nxt.s in TITLE_WORDS):
        return True
    if _after_person_context(toks, i):
        return True
    k = i + 2 if nxt is not None and nxt.space else i + 1
    if k < n and (toks[k].person or (toks[k].s in ("（", "(") and k + 1 < n and toks[k + 1].numeral)):
        return True  # 光（22歳）, a full name
    if is_katakana(s) and (
        (i + 2 < n and _kana_join(toks, i + 1, i + 2)) or (i >= 2 and _kana_join(toks, i - 1, i - 2))
    ):
        return True  # ヤン・ミンジュン
    if i + 2 < n and toks[i + 1].s in _COORDINATION and toks[i + 2].person:
        return True  # 桑田と栗林で訪問
    if i >= 2 and toks[i - 1].s in _COORDINATION and toks[i - 2].person:
        return True
    if len(s) == 1 or (is_hiragana(s) and len(s) < 3):
        return False
    return t.pos[3] == "姓" or is_katakana(s) or "common" not in entries(s)


def _after_person_context(toks: list[Tok], i: int) -> bool:
    """担当の秋津 / 担当：秋津 / 女性の秋津."""
    if i - 1 < 0:
        return False
    prev = toks[i - 1]
    if prev.s in PERSON_CONTEXT_BEFORE:
        return True
    return i - 2 >= 0 and prev.s in ("の", "：", ":") and toks[i - 2].s in PERSON_CONTEXT_BEFORE


def _extend_full_name(text: str, toks: list[Tok], i: int, end: int) -> int:
    """Surname at toks[i] (ending at ``end``): join a following given name, across one space."""
    n = len(toks)
    k = i + 1
    if k < n and toks[k].space and len(toks[k].s) == 1:
        k += 1
    if k < n and (k == i + 1 or _surnameish(toks[i])):
        given = _given_end(text, toks, k)
        if given is not None:
            return given
    return end


def find(text: str, toks: list[Tok]) -> list[Cand]:
    out: list[Cand] = []
    n = len(toks)
    for i, t in enumerate(toks):
        s = t.s
        if s in HONORIFICS and i > 0:
            got = _before_honorific(text, toks, i)
            if got is not None:
                out.append(Cand(got[0], got[1], "PERSON", P_PERSON))
            continue
        if t.person:
            nxt = toks[i + 1].s if i + 1 < n else ""
            if nxt[:1] in _EPONYM_HEADS:  # ハンチントン病, アルツハイマー型, クレペリン式
                continue
            if text[max(0, t.e - 8) : t.e].endswith(_ROLE_SUFFIXES):
                continue
            start = t.b
            if i >= 2 and toks[i - 1].space and len(toks[i - 1].s) == 1 and _surnameish(toks[i - 2]):
                start = toks[i - 2].b  # 大和田 葵: surname the dictionary files as a place
            elif not _person_token_ok(toks, i):
                continue
            start = _trim_role_prefix(text, start, t.e)
            end = t.e
            if t.pos[3] == "姓" or _surnameish(t):
                end = _extend_full_name(text, toks, i, end)
            # katakana names joined with ・ (or one space between two name parts), either direction
            if is_katakana(s):
                j = i
                while j - 2 >= 0 and _kana_join(toks, j - 1, j - 2):
                    j -= 2
                start = min(start, toks[j].b)
                j = i
                while j + 2 < n and _kana_join(toks, j + 1, j + 2):
                    j += 2
                end = max(end, toks[j].e)
            out.append(Cand(start, end, "PERSON", P_PERSON))
            continue
        if not t.noun:
            continue
        nxt = toks[i + 1].s if i + 1 < n else ""
        prev = toks[i - 1].s if i > 0 else "。"
        titled = nxt in HOUSE_SUFFIXES or nxt in TITLE_WORDS
        aged = nxt in ("（", "(") and i + 2 < n and toks[i + 2].numeral  # 光（22歳）
        if not titled and not aged and prev not in PERSON_CONTEXT_BEFORE and prev not in _CONTEXT_LINKS:
            continue
        if is_kanji_name(s) and s not in ROLE_WORDS and s not in _FUNCTION_KANJI:
            house = titled and "sei" in entries(s)
            nameish = ((t.place or t.proper) and can_be_name(s)) or "sei" in entries(s)
            if aged and can_be_name(s) and prev[-1:] in _CLAUSE_START:
                nameish = house = True
            if (house or _after_person_context(toks, i)) and nameish:
                end = _extend_full_name(text, toks, i, t.e)
                out.append(Cand(t.b, end, "PERSON", P_PERSON))
    out.extend(slots.find(text, toks))
    return out
