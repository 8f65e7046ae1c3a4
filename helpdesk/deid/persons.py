"""PERSON candidates from Sudachi morphemes plus context.

Evidence used, strongest first:
  * a name-capable chunk right before an honorific (さん/様/くん/ちゃん/氏/先生…); the chunk may be
    kanji, katakana (with ・) or hiragana (given names in kana are often unknown to the dictionary);
  * Sudachi's 固有名詞,人名 tags (surname + given name joined into one span, across one space);
  * a proper noun after a person context (担当の松本, 女性の松本) or in a name slot of a note
    (・本人：つむぎ（19歳）, 祖母原 キヨ（91歳）);
  * a short name inside 「」 next to a naming word (呼び名「ミナト」, 「ルナ」と呼んで).
"""

from __future__ import annotations

import re

from .lexicon import (
    HONORIFICS,
    HOUSE_SUFFIXES,
    KANA_NON_NAMES,
    NAME_SLOT_WORDS,
    PERSON_CONTEXT_BEFORE,
    ROLE_PREFIXES,
    ROLE_WORDS,
)
from .patterns import Cand
from .tokens import Tok, can_be_name, entries, is_hiragana, is_kanji, is_kanji_name, is_katakana

P_PERSON = 50
P_PERSON_WEAK = 45
_MUNICIPAL_END = ("市", "区", "町", "村", "郡", "県", "都", "府", "道")
_CLOSED = frozenset({"動詞", "助動詞", "形容詞", "副詞", "接続詞", "連体詞", "感動詞", "助詞"})
_ROLE_ENDINGS = tuple("者員師士手家屋長人官医生主役係方様族親母父兄姉弟妹子娘夫妻婦嫁婿孫客")
_ROLE_SUFFIXES = tuple(w for w in ROLE_WORDS if len(w) >= 2)
_CONTEXT_LINKS = frozenset({"の", "：", ":"})
_KANA_NOT_NAMES = frozenset("なし ふめい みてい ひきこもり ふとうこう とくになし".split())
_FUNCTION_KANJI = frozenset("方上中下前後今本大小高長所先次間元皆他各同当")
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
    if (
        is_kanji(t.s)
        and len(t.s) <= 3
        and (t.unknown_word or (boundary and t.noun and k >= 1 and toks[k - 1].space))
    ):
        return t.e
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
    # full name across one space: 勘解由小路 ひなたさん, 原 キヨさん
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


def _person_token_ok(text: str, toks: list[Tok], i: int) -> bool:
    t = toks[i]
    s = t.s
    if s in ROLE_WORDS:
        return False
    nxt = toks[i + 1] if i + 1 < len(toks) else None
    if nxt is not None and (nxt.s in HONORIFICS or nxt.s in HOUSE_SUFFIXES):
        return True
    if is_hiragana(s):
        return len(s) >= 3
    if len(s) >= 2:
        return True
    return _after_person_context(toks, i)


def _after_person_context(toks: list[Tok], i: int) -> bool:
    """担当の松本 / 担当：松本 / 女性の松本."""
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
            if nxt[:1] in ("病", "症"):  # eponymous diseases: ハンチントン病, アスペルガー症候群
                continue
            if text[max(0, t.e - 8) : t.e].endswith(_ROLE_SUFFIXES):
                continue
            start = t.b
            if i >= 2 and toks[i - 1].space and len(toks[i - 1].s) == 1 and _surnameish(toks[i - 2]):
                start = toks[i - 2].b  # 大和田 葵: surname the dictionary files as a place
            elif not _person_token_ok(text, toks, i):
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
        if not t.noun or i == 0:
            continue
        nxt = toks[i + 1].s if i + 1 < n else ""
        prev = toks[i - 1].s
        if nxt not in HOUSE_SUFFIXES and prev not in PERSON_CONTEXT_BEFORE and prev not in _CONTEXT_LINKS:
            continue
        if is_kanji_name(s) and s not in ROLE_WORDS:
            house = nxt in HOUSE_SUFFIXES and "sei" in entries(s)
            nameish = ((t.place or t.proper) and can_be_name(s)) or (len(s) >= 2 and "sei" in entries(s))
            if (house or _after_person_context(toks, i)) and nameish:
                end = _extend_full_name(text, toks, i, t.e)
                out.append(Cand(t.b, end, "PERSON", P_PERSON))
    out.extend(_name_slots(text, toks))
    out.extend(_quoted(text, toks))
    out.extend(_regex_slots(text, toks))
    return out


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
            inside = [t for t in toks if m.start(1) <= t.b and t.e <= end]
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
        inside = [t for t in toks if m.start(1) <= t.b and t.e <= m.end(1)]
        all_person = bool(inside) and all(t.person for t in inside)
        scriptish = is_katakana(inner) or is_hiragana(inner) or is_kanji_name(inner)
        if all_person or (context and scriptish and len(inner) <= 6):
            out.append(Cand(m.start(1), m.end(1), "PERSON", P_PERSON))
    return out
