"""PLACE and ORG candidates from Sudachi morphemes.

PLACE: runs of 地名 morphemes (a prefecture alone, a region or a country is not PII), extended
over a street address (丁目/番地/号, 4-12-8, full-width digits) and a building name; proper
nouns before 駅/団地/公園…

ORG: a facility head (病院, クリニック, 中学校, センター, 株式会社, 保健所…) and the nouns before
it, kept only when that name part is specific (a place, a person, a proper noun, an unknown word
or a kana name) rather than a generic descriptor (精神保健福祉センター, 通信制高校, 当センター);
and legal forms (NPO法人, 株式会社, 医療法人…) followed by a name.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from typing import NamedTuple

from .lexicon import (
    BUILDING_WORDS,
    GENERIC_DESCRIPTORS,
    LANDMARK_SUFFIXES,
    LEGAL_FORMS,
    ORG_SUFFIXES,
    ORG_WEAK_SUFFIXES,
    PREFECTURE_STEMS,
    PREFECTURES,
    REGIONS,
    ROLE_WORDS,
)
from .patterns import Cand
from .tokens import Tok, is_hiragana, is_kanji, is_katakana

P_ORG = 60
P_PLACE = 55

_D = "[0-9０-９]"
_NUM = "(?:[0-9０-９]+|[一二三四五六七八九十]+)"
_DASH = "[\\-‐‑‒–—―−ー－ｰ─]"
_UNIT = "(?:丁目|番地|番|条|号(?!室))"
ADDR_TAIL_RE = re.compile(
    rf"(?:(?:[東西南北]|字[一-龥]{{1,4}}|大字[一-龥]{{1,4}})?(?:{_D}+{_UNIT}?|[一二三四五六七八九十]+{_UNIT})"
    rf"(?:(?:{_DASH}|の)(?={_D}))?)+"
)
_ADDR_LEAD_RE = re.compile(f"(?:[東西南北中]{{1,2}}|字[一-龥]{{1,4}}|大字[一-龥]{{1,4}})(?={_NUM})")
BUILDING_RE = re.compile(
    rf"[ \u3000]?([ァ-ヺー一-龥A-Za-zＡ-Ｚａ-ｚ・]{{1,14}}?)({_D}{{1,4}}(?:号室|号)?)(?!{_D})"
)
_AZA_RE = re.compile("大?字[一-龥ァ-ヺー]{1,5}")
ROOM_RE = re.compile(rf"[ \u3000]?{_D}{{1,4}}号室")
LEGAL_RE = re.compile("|".join(re.escape(x) for x in (*LEGAL_FORMS, "（株）", "（有）", "㈱", "㈲")))
_GENERIC_ORGS = frozenset(
    """
    精神保健福祉センター 地域包括支援センター 社会福祉協議会 児童相談所 保健所 福祉事務所 医療センター
    保健センター 市役所 区役所 役所 役場 町役場 村役場 中央病院 大学病院 総合病院 家庭裁判所
    ハローワーク 地域若者サポートステーション サポステ 基幹相談支援センター 発達障害者支援センター
    """.split()
)
_FORWARD_STOP = frozenset(
    """
    事務局 代表 理事長 理事 職員 担当 担当者 所長 施設長 スタッフ 店長 社長 部長 課長 係長 主任 御中
    宛 事業 主催 共催 経由 内 側 利用 窓口 相談員 さん 様 氏 会員 会長 本部 支部 さま
    """.split()
)
_KANA_RUN_RE = re.compile("[ぁ-ゖー]+")
_KANA_FUNCTION = frozenset(
    "として における による などの などが では には での との から まで より など".split()
)
# nouns that may follow の inside a kana name: ひだまりの家, ひだまりの会
_NO_HEADS = frozenset(
    "家 会 森 里 杜 郷 園 舎 広場 部屋 場 庭 樹 丘 木 塾 村 街 まち 輪 風 星 空 道 灯 窓 港 花 泉".split()
)
_SCHOOLS_CLINICS = frozenset(
    "病院 クリニック 医院 診療所 学園 学院 高等部 中等部 中学部 小学部 学校 小学校 中学校 高校 高等学校 大学 "
    "短期大学 専門学校 幼稚園 保育園 作業所".split()
)
_ASCII_GENERIC = frozenset(
    "NPO DV LGBT LGBTQ SNS PTSD ASD ADHD LD HSP SST CBT ACT OT PT ST PSW MSW CW SSW SC IT AI PC OB OG".split()
)
_BRANCHES = frozenset("店 支店 営業所 工場 本社 支社 事業所 出張所".split())
_COMPANY = frozenset({"株式会社", "有限会社", "合同会社", "合資会社"})
_KATAKANA_OK = frozenset(
    "病院 クリニック 医院 学園 株式会社 有限会社 合同会社 製作所 商事 工業 運輸 建設 電機 産業 物産 "
    "商店 農園 工房 協会 ラウンジ".split()
)


def _alternation(words: tuple[str, ...]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_ORG_END_RE = re.compile(f"(?:{_alternation(ORG_SUFFIXES)})$")
_ORG_START_RE = re.compile(f"(?:{_alternation(tuple(x for x in ORG_SUFFIXES if len(x) >= 2))})")
_LANDMARK_END_RE = re.compile(f"(?:{_alternation(LANDMARK_SUFFIXES)})$")


_LAST_CHARS = frozenset(w[-1] for w in (*ORG_SUFFIXES, *LANDMARK_SUFFIXES))
_FIRST_CHARS = frozenset(w[0] for w in ORG_SUFFIXES)


class _Kind(NamedTuple):
    org: str | None  # facility head at the end of the surface (…病院)
    org_head: str | None  # facility head at the start of a compound (中学校卒業)
    landmark: str | None  # 駅, 団地, 公園… at the end
    generic_org: bool  # ハローワーク, 保健所…: generic on their own


_NO_KIND = _Kind(None, None, None, False)
_KINDS: dict[str, _Kind] = {}


def _kind(s: str) -> _Kind:
    """What a surface can head, cached: most tokens head nothing."""
    kind = _KINDS.get(s)
    if kind is not None:
        return kind
    org = landmark = head = None
    if s[-1:] in _LAST_CHARS:
        m = _ORG_END_RE.search(s)
        org = m.group() if m is not None else None
        m = _LANDMARK_END_RE.search(s)
        landmark = m.group() if m is not None else None
    if org is None and s[:1] in _FIRST_CHARS:
        m = _ORG_START_RE.match(s)
        head = m.group() if m is not None and m.end() < len(s) else None
    kind = _Kind(org, head, landmark, s in _GENERIC_ORGS)
    if kind == _NO_KIND:
        kind = _NO_KIND
    if len(_KINDS) < 50_000:
        _KINDS[s] = kind
    return kind


def _address_end(text: str, e: int) -> int:
    lead = _ADDR_LEAD_RE.match(text, e)
    m = ADDR_TAIL_RE.match(text, lead.end() if lead else e)
    if m is None:
        if text[e - 1 : e] in ("町", "村"):  # ニセコ町字曽我: an 字 (village section) without numbers
            aza = _AZA_RE.match(text, e)
            return aza.end() if aza is not None else e
        return e
    tail = text[e : m.end()]
    if not re.search(rf"丁目|番|号|条|{_DASH}", tail):
        return e
    while tail and tail[-1] in "の-‐‑‒–—―−ー－ｰ─":
        tail = tail[:-1]
    end = e + len(tail)
    b = BUILDING_RE.match(text, end)
    if b is not None and (any(w in b.group(1) for w in BUILDING_WORDS) or b.group(2).endswith("号室")):
        return b.end()
    r = ROOM_RE.match(text, end)
    return r.end() if r is not None else end


def _places(text: str, toks: list[Tok], kinds: list[_Kind]) -> list[Cand]:
    out: list[Cand] = []
    n = len(toks)
    i = 0
    while i < n:
        t = toks[i]
        if not (t.place or t.s in PREFECTURES):
            i += 1
            continue
        j = i
        while (
            j + 1 < n and (toks[j + 1].place or toks[j + 1].s in PREFECTURES) and toks[j + 1].b == toks[j].e
        ):
            j += 1
        b, e = t.b, toks[j].e
        surface = text[b:e]
        i = j + 1
        if surface.endswith(ORG_SUFFIXES):
            continue
        end = _address_end(text, e)
        if end == e:
            if (
                surface in PREFECTURES
                or surface in PREFECTURE_STEMS
                or surface in REGIONS
                or len(surface) == 1
            ):
                continue
        out.append(Cand(b, end, "PLACE", P_PLACE))
    for i, t in enumerate(toks):
        sfx = kinds[i].landmark
        if sfx is None:
            continue
        if t.s != sfx:  # one morpheme: 吉祥寺駅, 上野動物園 (not a surname such as 長谷川)
            if t.proper and not t.person and not t.s.startswith(("最寄", "各", "当")):
                out.append(Cand(t.b, t.e, "PLACE", P_PLACE + 1))
            continue
        k = i
        while k - 1 >= 0 and i - k < 3 and toks[k - 1].e == toks[k].b and _specific(toks[k - 1]):
            k -= 1
        if k < i:
            out.append(Cand(toks[k].b, t.e, "PLACE", P_PLACE + 1))
    return out


def _specific(t: Tok) -> bool:
    """A token that makes a facility name specific."""
    s = t.s
    if s in GENERIC_DESCRIPTORS or s in ROLE_WORDS or t.symbol or t.numeral:
        return False
    if t.proper or t.unknown_word:
        return s not in _GENERIC_ORGS and not t.country
    if is_hiragana(s) and len(s) >= 2 and t.noun and t.pos[2] != "副詞可能":
        return True
    if is_katakana(s) and t.pos[0] == "形状詞":  # ハートフル訪問看護ステーション
        return True
    return s.isascii() and s.isalpha() and s.upper() not in _ASCII_GENERIC


def _walkable(t: Tok) -> bool:
    if t.symbol:
        return t.s in ("・", "･")
    return t.noun or t.pos[0] in ("接頭辞", "接尾辞") or (t.pos[0] == "形状詞" and is_katakana(t.s))


def _walk_back(toks: list[Tok], i: int) -> int:
    """Index of the first token of the name part before the facility head toks[i]."""
    t = toks[i]
    k = i
    while k - 1 >= 0 and t.e - toks[k - 1].b <= 24 and toks[k - 1].e == toks[k].b:
        p = toks[k - 1]
        if p.s == "の" and k - 2 >= 0:
            q = toks[k - 2]  # こころのクリニック, ひだまりの家: の inside a kana name
            kana_noun = (is_hiragana(q.s) and len(q.s) >= 2 and q.pos[2] != "副詞可能") or is_katakana(q.s)
            if kana_noun and q.noun and not q.place and not q.country:
                k -= 1
                continue
            break
        if not _walkable(p) or p.pos[2] == "副詞可能":
            break
        if p.pos[2] == "助数詞可能" and k - 2 >= 0 and toks[k - 2].numeral:
            break  # a counter after a number (4月, 3年) is not part of a name
        if p.s in ("・", "･") and not (k - 2 >= 0 and is_katakana(toks[k - 2].s) and is_katakana(toks[k].s)):
            break
        k -= 1
    return k


def _named(name_toks: list[Tok], t: Tok, sfx: str, whole: bool) -> bool:
    """Does the name part make this facility specific (not 精神保健福祉センター, 通信制高校)?"""
    if any(_specific(x) for x in name_toks):
        return True
    if sfx in _COMPANY and whole:
        return any(x.s not in GENERIC_DESCRIPTORS and not x.symbol for x in name_toks)
    inner = t.s[: len(t.s) - len(sfx)] if whole else ""
    if inner and t.proper and t.s not in _GENERIC_ORGS and inner not in GENERIC_DESCRIPTORS:
        return True
    if sfx in _KATAKANA_OK and sfx not in ORG_WEAK_SUFFIXES:
        if any(is_katakana(x.s) and x.noun and x.s not in GENERIC_DESCRIPTORS for x in name_toks):
            return True
    if sfx in _SCHOOLS_CLINICS:  # 明星学園高等部, 青空病院: a plain kanji noun as the name
        return any(
            is_kanji(x.s)
            and len(x.s) >= 2
            and x.pos[1:3] == ("普通名詞", "一般")
            and x.s not in GENERIC_DESCRIPTORS
            and x.s not in ROLE_WORDS
            and not x.s.endswith(ORG_SUFFIXES)
            for x in name_toks
        )
    return False


def _orgs(text: str, toks: list[Tok], kinds: list[_Kind]) -> list[Cand]:
    out: list[Cand] = []
    n = len(toks)
    for i, t in enumerate(toks):
        kind = kinds[i]
        if kind is _NO_KIND:
            continue
        nxt = toks[i + 1] if i + 1 < n else None
        branch = nxt is not None and nxt.place and nxt.b == t.e  # ハローワーク池袋, 国際交流協会浜松
        if kind.generic_org and branch and nxt is not None:
            out.append(Cand(t.b, nxt.e, "ORG", P_ORG))
            continue
        sfx = kind.org
        org_end = t.e
        if sfx is None:
            sfx = kind.org_head  # SplitMode.C compounds: 中学校卒業, 高校中退, 病院受診
            if sfx is None or i == 0:
                continue
            org_end = t.b + len(sfx)
            branch = False
        k = _walk_back(toks, i)
        if sfx in _BRANCHES and k >= 2 and toks[k - 1].space and len(toks[k - 1].s) == 1:
            c = k - 2  # ドン・キホーテ 錦糸町店: the company before a branch name
            while c >= 0 and (toks[c].proper or is_katakana(toks[c].s)) and k - 2 - c < 4:
                c -= 1
            if c < k - 2:
                k = c + 1
        if branch and nxt is not None and sfx not in ORG_WEAK_SUFFIXES:
            out.append(Cand(toks[k].b, nxt.e, "ORG", P_ORG))
            continue
        if org_end == t.e:  # ワークセンターあさひ, 事業所 みのりの里: a kana name after the type
            at = i + 2 if nxt is not None and nxt.space and len(nxt.s) == 1 else i + 1
            if _kana_name_at(toks, at):
                j = _walk_forward(text, toks, at, kana_only=True)
                if j > at:
                    out.append(Cand(toks[k].b, toks[j - 1].e, "ORG", P_ORG))
                    continue
        if _named(toks[k:i], t, sfx, org_end == t.e):
            out.append(Cand(toks[k].b, org_end, "ORG", P_ORG))
    return out


def _walk_forward(text: str, toks: list[Tok], k: int, kana_only: bool = False) -> int:
    """Index just past a name that starts at toks[k] (ひだまりの家, はままつ多言語サポート)."""
    n = len(toks)
    origin = toks[k].b
    j = k
    run = None if kana_only else _KANA_RUN_RE.match(text, origin)  # kana names get cut into function words
    if run is not None and len(run.group()) >= 3 and run.group() not in _KANA_FUNCTION:
        while j < n and toks[j].e <= run.end():
            j += 1
        if j - 1 > k and toks[j - 1].particle:  # あさひは: the particle after the name
            j -= 1
    while j < n and toks[j].e - origin <= 24 and (j == k or toks[j].b == toks[j - 1].e):
        x = toks[j]
        if x.s in _FORWARD_STOP or x.s in ROLE_WORDS:
            break
        if x.s == "の":
            prev_ok = j - 1 >= k and (is_hiragana(toks[j - 1].s) or is_katakana(toks[j - 1].s))
            after = toks[j + 1].s if j + 1 < n else ""
            if prev_ok and (after in _NO_HEADS or after.endswith(ORG_SUFFIXES)):
                j += 2
                continue
            break
        if not _walkable(x) or (x.person and j > k):
            break
        if kana_only and not (is_hiragana(x.s) or is_katakana(x.s)):
            break
        j += 1
    return j


def _kana_name_at(toks: list[Tok], k: int) -> bool:
    """Does a kana facility name start at toks[k] (ワークセンターあさひ, グループホームさくら)?"""
    if k >= len(toks):
        return False
    x = toks[k]
    if is_hiragana(x.s):
        return len(x.s) >= 2 and x.noun and x.pos[2] != "副詞可能" and x.s not in _KANA_FUNCTION
    return is_katakana(x.s) and x.s not in ("・", "･") and (x.proper or x.unknown_word)


def _legal_forms(text: str, toks: list[Tok]) -> list[Cand]:
    """NPO法人ひだまりの家, 株式会社ひだまり農園, 社会福祉法人 共生会: a legal form and the name."""
    out: list[Cand] = []
    n = len(toks)
    if not any(w in text for w in ("法人", "会社", "株", "有)", "有）", "㈲")):
        return out
    begins = [t.b for t in toks]
    for m in LEGAL_RE.finditer(text):
        k = bisect_left(begins, m.end())
        if k >= n or begins[k] != m.end():
            continue
        before = bisect_left(begins, m.start()) - 1
        if before >= 0 and toks[before].e == m.start() and (toks[before].noun or toks[before].proper):
            continue  # 北星精機株式会社: the legal form closes a name (handled as a facility head)
        if toks[k].space and len(toks[k].s) == 1:
            k += 1
        if k >= n:
            continue
        j = _walk_forward(text, toks, k)
        if j > k:
            out.append(Cand(m.start(), toks[j - 1].e, "ORG", P_ORG + 1))
    return out


def find(text: str, toks: list[Tok]) -> list[Cand]:
    cached = _KINDS.get
    kinds = [cached(t.s) or _kind(t.s) for t in toks]
    return _places(text, toks, kinds) + _orgs(text, toks, kinds) + _legal_forms(text, toks)
