"""Regex layer: structured identifiers (phone, e-mail, URL, postal code, handle, ID, date, age).

All patterns run over the NFKC form of the text (``textnorm.Normalized``) and every match is
mapped back to offsets in the original string. Patterns are compiled once at import time.
Japanese text has no word boundaries, so instead of ``\\b`` the patterns use explicit
look-arounds on ASCII characters.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import NamedTuple

from stdnum.jp import in_ as mynumber

from .textnorm import Normalized, parse_number

Emit = Callable[[int, int, str, int], None]


class Cand(NamedTuple):
    start: int
    end: int
    label: str
    prio: int


# Priorities: structured matches beat dictionary-based ones; within a tier, higher wins first.
P_ID_CONTEXT = 96
P_EMAIL = 94
P_URL = 93
P_PHONE = 90
P_POSTAL = 89
P_ID = 88
P_HANDLE = 86
P_DATE = 85
P_AGE = 84
P_HANDLE_WEAK = 70
STRUCTURED_MIN_PRIO = 70

DASH = r"[\-‐‑‒–—―−ーｰ─━]"
_SEP = rf"(?:[ \t]?{DASH}[ \t]?|[ \t]{{1,2}}|[.・])?"

PHONE_RE = re.compile(
    r"(?<![0-9_@/.+\-])"  # letters may touch it: TEL03-…
    + r"(?:"
    + rf"\+[ \t]?81[ \t]?(?:{DASH}[ \t]?)?(?:\(0\)[ \t]?)?\(?0?\d{{1,4}}\)?{_SEP}\d{{1,4}}{_SEP}\d{{3,4}}"
    + rf"|\(0\d{{1,4}}\)[ \t]?\d{{1,4}}{_SEP}\d{{3,4}}"
    + r"|0\d{1,4}[ \t]?\(\d{1,4}\)[ \t]?\d{3,4}"
    + rf"|0\d{{1,4}}{_SEP}\d{{1,4}}{_SEP}\d{{3,4}}"
    + r"|0\d{9,10}"
    + r")(?![0-9A-Za-z_])"
)
LOCAL_PHONE_RE = re.compile(
    rf"(?:電話|TEL|Tel|tel|携帯|連絡先|FAX|Fax|fax)[^\d\n]{{0,6}}?(?<!\d)(\d{{2,4}}{DASH}\d{{4}})(?!\d|{DASH}\d)"
)
EMAIL_RE = re.compile(
    r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9][A-Za-z0-9._%+\-]*@"
    r"[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?)+"
)
_URL_CHARS = r"[A-Za-z0-9\-._~:/?#\[\]@!$&'*+,;=%]"
URL_RE = re.compile(rf"(?:(?:https?|ftp)://|www\.){_URL_CHARS}+")
BARE_URL_RE = re.compile(
    r"(?<![A-Za-z0-9@._\-/])(?:[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?\.)+"
    r"(?:com|net|org|info|biz|jp|io|co|me|tv|app|dev|xyz|site|online|blog|link|page)(?![A-Za-z0-9\-@])"
    r"(?:/[A-Za-z0-9\-._~/?#=&%+]*)?"
)
POSTAL_RE = re.compile(rf"〒[ \t]?\d{{3}}(?:{DASH}|[ \t])?\d{{4}}(?!\d)")
POSTAL_CONTEXT_RE = re.compile(rf"(?:郵便番号|郵便|ZIP|zip)[:\s]{{0,3}}(\d{{3}}{DASH}?\d{{4}})(?!\d)")
POSTAL_BARE_RE = re.compile(
    rf"(\d(?<![\d\-.]\d)\d{{2}}{DASH}\d{{4}})(?![\d\-])"
    r"(?=[ \t]?[一-龥ぁ-んァ-ヶ]{1,6}?(?:都|道|府|県|市|区|町|村|郡))"
)
HANDLE_AT_RE = re.compile(r"(?<![A-Za-z0-9._%+\-@])@[A-Za-z0-9_](?:[A-Za-z0-9_.]*[A-Za-z0-9_])?")
DISCORD_RE = re.compile(r"(?<![A-Za-z0-9_.])[A-Za-z0-9_.]{2,32}#\d{4}(?!\d)")
HANDLE_CONTEXT_RE = re.compile(
    r"(?:LINE|ライン|Discord|ディスコード|ディスコ|(?<![A-Za-z])X(?![A-Za-z])|Twitter|ツイッター|インスタグラム|"
    r"インスタ|Instagram|TikTok|ティックトック|Threads|Facebook|フェイスブック|YouTube|ユーチューブ|Steam|"
    r"PSN|フレンドコード|フレコ|アカウント名?|裏アカ|ハンドルネーム|ハンドル名?|ユーザー?名|(?<![A-Za-z])ID|"
    r"ゲーム内の名前|ゲーム名|ニックネーム|プレイヤー名)"
    r"([^\n。A-Za-z0-9]{0,10}?)([A-Za-z0-9][A-Za-z0-9_.\-]{2,31})(?![A-Za-z0-9_@])"
)
UNDERSCORE_HANDLE_RE = re.compile(
    r"(?<![A-Za-z0-9_.@/\-])[A-Za-z0-9][A-Za-z0-9.]*_[A-Za-z0-9_.]*[A-Za-z0-9_](?![A-Za-z0-9_@])"
)
_HANDLE_STOP = frozenset(
    {"LINE", "OK", "NG", "ID", "URL", "SNS", "DM", "PC", "ASD", "ADHD", "NPO", "OD", "DV"}
)

ID_CONTEXT_RE = re.compile(
    r"(番号|ナンバー|No\.?|NO\.?|(?<![A-Za-z])ID|記号|被保険者証?|受給者証|手帳|学籍|診察券|カルテ)"
    r"[ \t:=#＃は（(\[「]{0,4}"
    rf"((?:No\.?[ \t]?)?第?[A-Za-z0-9]"
    rf"(?:[A-Za-z0-9]|{DASH}(?=[A-Za-z0-9])|/(?=[A-Za-z0-9])|[ \t](?=\d{{3}}))*号?)"
)
_ID_CONTEXT_SKIP = re.compile(
    r"(?:電話|携帯|FAX|ファックス|ファクス|郵便|部屋|内線|LINE|ライン|Discord|ゲーム|アカウント"
    r"|ユーザー?)[ \t]*$"
)
ORDINAL_ID_RE = re.compile(r"第\d{3,}号")
MYNUMBER_RE = re.compile(r"\d(?<![\d\-]\d)\d{3}[ \t\-]?\d{4}[ \t\-]?\d{4}(?![\d\-])")
_MYNUMBER_CONTEXT = re.compile(r"(?:マイナンバー|個人番号)")

_KNUM = r"(?:\d{1,2}|[一二三四五六七八九十]{1,3})"
ERA_DATE_RE = re.compile(
    rf"(?:令和|平成|昭和|大正|明治)[ \t]?(?:元|\d{{1,2}}|[一二三四五六七八九十]{{1,3}})年[ \t]?{_KNUM}月"
    rf"(?:[ \t]?{_KNUM}日)?"
)
AD_DATE_RE = re.compile(
    rf"(?<!\d)(?:1[89]\d{{2}}|20\d{{2}}|[一二][〇一二三四五六七八九]{{3}})年"
    rf"[ \t]?{_KNUM}月(?:[ \t]?{_KNUM}日)?"
)
NUMERIC_DATE_RE = re.compile(
    r"((?:1(?<![\d/.\-]1)9|2(?<![\d/.\-]2)0)\d{2})([/.\-])(\d{1,2})(?:\2(\d{1,2}))?(?![\d/]|[.\-]\d)"
)
ABBR_DATE_RE = re.compile(
    r"(?<![A-Za-z0-9])[HhRrSs][ \t]?(\d{1,2})([./])(\d{1,2})(?:\2(\d{1,2}))?(?![\d]|[./]\d)"
)
MD_DATE_RE = re.compile(rf"(?<![\d年/.月])({_KNUM})月[ \t]?({_KNUM})日")
RELATIVE_DAY_RE = re.compile(rf"(?:先月|今月|来月|前月|翌月)({_KNUM})日")
MD_SLASH_RE = re.compile(
    r"(\d(?<![\d/.\-A-Za-z週]\d)(?<!\d:\d)(?:(?<=1)[0-2]|(?<=0)[1-9]|(?<=[1-9])))/(3[01]|[12]\d|0?[1-9])(?![\d/])"
    r"(?![ \t]?(?:回|人|件|名|程度|くらい|ぐらい|以上|以下|ほど|割|倍|の割合|世帯))"
)
# Patterns that must not start right after some character first match one character and then
# look behind over two (\d(?<![…]\d)): a leading look-behind would stop the regex engine from
# skipping quickly to candidate characters.
_AGE_NOT = (
    r"(?![ \t]?(?:以上|以下|未満|超|を超|を過ぎ|前後|代|くらい|ぐらい|位|程度|頃|ごろ|以降|まで|児|近"
    r"|[~〜\-]|から\d))"
)
AGE_RE = re.compile(rf"(?:満[ \t]?)?(\d(?<![\d.,~〜\-]\d)\d{{0,2}})[ \t]?(?:歳|才){_AGE_NOT}")
KANJI_AGE_RE = re.compile(
    rf"([一二三四五六七八九十百](?<![〇一二三四五六七八九十百何].)[一二三四五六七八九十百]{{0,3}})(?:歳|才){_AGE_NOT}"
)


_LATIN_RE = re.compile("[A-Za-z]")
_DIGIT_RE = re.compile("[0-9]")


_ROLE_AGE_RE = re.compile(
    r"(?:本人|長男|次男|三男|長女|次女|三女|息子|娘|母親?|父親?|兄|姉|弟|妹|祖母|祖父|夫|妻|相談者|対象者)"
    r"(?:さん|様|くん|ちゃん)?\([ \t]?(?:(?:男性|女性|男|女)[・、,]?)?(\d{1,3})[ \t]?(?=[)、,・])"
)


def _valid_md(month: str, day: str | None) -> bool:
    m = parse_number(month)
    if m is None or not 1 <= m <= 12:
        return False
    if day is None:
        return True
    d = parse_number(day)
    return d is not None and 1 <= d <= 31


def _phone_ok(s: str) -> bool:
    digits = "".join(ch for ch in s if ch.isdigit())
    if s.lstrip().startswith("+"):
        national = digits[2:]
        if national.startswith("0"):
            national = national[1:]
        return 9 <= len(national) <= 10
    return digits.startswith("0") and 10 <= len(digits) <= 11


def find(norm: Normalized) -> list[Cand]:
    """All regex-layer candidates, in original offsets (may overlap; resolved later)."""
    n = norm.norm
    out: list[Cand] = []

    def add(s: int, e: int, label: str, prio: int) -> None:
        os_, oe = norm.span(s, e)
        if oe > os_:
            out.append(Cand(os_, oe, label, prio))

    # cheap presence tests keep most patterns from scanning texts they cannot match
    latin = _LATIN_RE.search(n) is not None
    digits = _DIGIT_RE.search(n) is not None
    if "@" in n:
        for m in EMAIL_RE.finditer(n):
            add(m.start(), m.end(), "EMAIL", P_EMAIL)
    if latin and ("." in n or "://" in n):
        for rx in (URL_RE, BARE_URL_RE):
            for m in rx.finditer(n):
                s, e = m.start(), m.end()
                while e > s and n[e - 1] in ".,;:!?'":
                    e -= 1
                add(s, e, "URL", P_URL)
    if digits:
        for m in PHONE_RE.finditer(n):
            if _phone_ok(m.group()):
                add(m.start(), m.end(), "PHONE", P_PHONE)
        for m in LOCAL_PHONE_RE.finditer(n):
            add(m.start(1), m.end(1), "PHONE", P_PHONE - 1)
        if "〒" in n:
            for m in POSTAL_RE.finditer(n):
                add(m.start(), m.end(), "POSTAL", P_POSTAL)
        for rx in (POSTAL_CONTEXT_RE, POSTAL_BARE_RE):
            for m in rx.finditer(n):
                add(m.start(1), m.end(1), "POSTAL", P_POSTAL)
        _ids(n, add)
    if latin:
        _handles(n, add)
    _dates(n, add, digits, latin)
    if digits and "(" in n:  # news style after a role word: 娘さん(17)
        for m in _ROLE_AGE_RE.finditer(n):
            if int(m.group(1)) <= 120:
                add(m.start(1), m.end(1), "AGE", P_AGE)
    if "歳" in n or "才" in n:
        for rx in (AGE_RE, KANJI_AGE_RE):
            for m in rx.finditer(n):
                value = parse_number(m.group(1))
                if value is not None and value <= 120:
                    add(m.start(), m.end(), "AGE", P_AGE)
    return out


def _handles(n: str, emit: Emit) -> None:
    if "@" in n:
        for m in HANDLE_AT_RE.finditer(n):
            if m.end() - m.start() >= 3:
                emit(m.start(), m.end(), "HANDLE", P_HANDLE)
    if "#" in n:
        for m in DISCORD_RE.finditer(n):
            emit(m.start(), m.end(), "HANDLE", P_HANDLE)
    for m in HANDLE_CONTEXT_RE.finditer(n):
        gap, token = m.group(1), m.group(2)
        if token.upper() in _HANDLE_STOP or not any(ch.isalpha() for ch in token):
            continue
        direct = gap.strip(" \t:：は") == ""
        if any(ch in "_.0123456789" for ch in token) or (direct and len(token) >= 4):
            emit(m.start(2), m.end(2), "HANDLE", P_HANDLE)
    if "_" in n:
        for m in UNDERSCORE_HANDLE_RE.finditer(n):
            emit(m.start(), m.end(), "HANDLE", P_HANDLE_WEAK)


def _ids(n: str, emit: Emit) -> None:
    for m in ID_CONTEXT_RE.finditer(n):
        token = m.group(2)
        if sum(ch.isdigit() for ch in token) < 3:
            continue
        if _ID_CONTEXT_SKIP.search(n, max(0, m.start() - 6), m.start()):
            continue
        if m.group(1) == "ID" and "_" in token:
            continue
        emit(m.start(2), m.end(2), "ID", P_ID_CONTEXT)
    if "第" in n:
        for m in ORDINAL_ID_RE.finditer(n):
            emit(m.start(), m.end(), "ID", P_ID)
    for m in MYNUMBER_RE.finditer(n):
        digits = "".join(ch for ch in m.group() if ch.isdigit())
        if _MYNUMBER_CONTEXT.search(n, max(0, m.start() - 20), m.start()):
            emit(m.start(), m.end(), "ID", P_ID_CONTEXT)
        elif mynumber.is_valid(digits):
            emit(m.start(), m.end(), "ID", P_ID)


def _dates(n: str, emit: Emit, digits: bool, latin: bool) -> None:
    if "年" in n:
        for rx in (ERA_DATE_RE, AD_DATE_RE):
            for m in rx.finditer(n):
                emit(m.start(), m.end(), "DATE", P_DATE)
    if digits:
        for m in NUMERIC_DATE_RE.finditer(n):
            if _valid_md(m.group(3), m.group(4)):
                emit(m.start(), m.end(), "DATE", P_DATE)
        if latin:
            for m in ABBR_DATE_RE.finditer(n):
                if _valid_md(m.group(3), m.group(4)):
                    emit(m.start(), m.end(), "DATE", P_DATE)
        if "/" in n:
            for m in MD_SLASH_RE.finditer(n):
                emit(m.start(), m.end(), "DATE", P_DATE)
    if "月" in n and "日" in n:
        for m in MD_DATE_RE.finditer(n):
            if _valid_md(m.group(1), m.group(2)):
                emit(m.start(), m.end(), "DATE", P_DATE)
        for m in RELATIVE_DAY_RE.finditer(n):
            if _valid_md("1", m.group(1)):
                emit(m.start(), m.end(), "DATE", P_DATE)
