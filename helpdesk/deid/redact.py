"""Replace detected spans with placeholders, consistently within one text.

* PERSON -> 【人物A】, 【人物B】…: the same surface maps to the same letter, and so does a surname
  or given name that is part of a full name seen earlier (or a full name that extends a surname
  seen earlier, unless that surname is already tied to a different full name).
* PLACE -> 【地名A】…, ORG -> 【機関A】… (same surface, same letter).
* AGE -> an age band (34歳 -> 30代, 二十歳 -> 20代, 9歳 -> 10歳未満).
* DATE -> year-month when a year is present (令和5年4月12日 -> 令和5年4月), otherwise 【日付】.
* PHONE/EMAIL/URL/POSTAL/HANDLE/ID -> a fixed placeholder.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from .textnorm import parse_number
from .types import LABELS, Redaction, Replacement, Span

FIXED = {
    "PHONE": "【電話番号】",
    "EMAIL": "【メール】",
    "URL": "【URL】",
    "POSTAL": "【郵便番号】",
    "HANDLE": "【SNS】",
    "ID": "【ID】",
}
LETTERED = {"PERSON": "人物", "PLACE": "地名", "ORG": "機関"}
PLACEHOLDER_RE = re.compile(
    r"【(?:人物|地名|機関)[A-Z]{1,3}】|【(?:電話番号|メール|URL|郵便番号|SNS|ID|日付|年齢)】"
)

_ERA_ABBR = {"H": "平成", "R": "令和", "S": "昭和", "T": "大正", "M": "明治"}
_YEAR_MONTH_RE = re.compile(
    r"^(?:令和|平成|昭和|大正|明治|(?:1[89]|20)\d\d|[一二][〇一二三四五六七八九]{3})[ \t]?"
    r"(?:元|\d{1,2}|[一二三四五六七八九十]{1,3})?年?[ \t]?(?:\d{1,2}|[一二三四五六七八九十]{1,3})月"
)
_NUMERIC_RE = re.compile(r"^((?:19|20)\d\d)[/.\-](\d{1,2})")
_ABBR_RE = re.compile(r"^([HhRrSsTtMm])[ \t]?(\d{1,2})[./](\d{1,2})")
_AGE_NUM_RE = re.compile(r"[0-9]+|[〇一二三四五六七八九十百]+")
_NAME_SEP_RE = re.compile(r"[\s・･=＝]")
_READING_GAP_RE = re.compile(r"(?:さん|様|さま|くん|君|ちゃん|氏|先生)?[（(]")
_KANA_RE = re.compile(r"[ぁ-ゖァ-ヺー 　]+")


def _letters(index: int) -> str:
    out = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(ord("A") + rem) + out
    return out


def generalize_date(surface: str) -> str:
    """令和5年4月12日 -> 令和5年4月, 2024/2/5 -> 2024年2月, H30.3.1 -> 平成30年3月, 4月12日 -> 【日付】."""
    norm = unicodedata.normalize("NFKC", surface).strip()
    if _YEAR_MONTH_RE.match(norm):
        cut = surface.find("月")
        return surface[: cut + 1] if cut >= 0 else "【日付】"
    m = _NUMERIC_RE.match(norm)
    if m:
        return f"{m.group(1)}年{int(m.group(2))}月"
    m = _ABBR_RE.match(norm)
    if m:
        return f"{_ERA_ABBR[m.group(1).upper()]}{int(m.group(2))}年{int(m.group(3))}月"
    return "【日付】"


def is_year_month(surface: str) -> bool:
    """A DATE surface that is already no finer than a month (kept as is by redaction)."""
    return generalize_date(surface) == surface


def age_band(surface: str) -> str:
    norm = unicodedata.normalize("NFKC", surface)
    m = _AGE_NUM_RE.search(norm)
    value = parse_number(m.group()) if m else None
    if value is None:
        return "【年齢】"
    if value < 10:
        return "10歳未満"
    if value >= 100:
        return "100歳以上"
    return f"{value // 10 * 10}代"


def _key(surface: str) -> str:
    return _NAME_SEP_RE.sub("", unicodedata.normalize("NFKC", surface))


class _People:
    """Letters for person names: exact surface, or part of / extension of an earlier name."""

    def __init__(self) -> None:
        self.groups: list[set[str]] = []

    def letter(self, surface: str) -> str:
        key = _key(surface) or surface
        for i, keys in enumerate(self.groups):
            if key in keys:
                return _letters(i)
        for i, keys in enumerate(self.groups):  # a part of an earlier full name
            if any(k.startswith(key) or k.endswith(key) for k in keys):
                keys.add(key)
                return _letters(i)
        for i, keys in enumerate(self.groups):  # a full name extending an earlier part
            longest = max(keys, key=len)
            if key.startswith(longest) or key.endswith(longest):
                keys.add(key)
                return _letters(i)
        self.groups.append({key})
        return _letters(len(self.groups) - 1)


def _check(text: str, spans: Sequence[Span]) -> list[Span]:
    ordered = sorted(spans, key=lambda s: (s.start, s.end))
    last_end = 0
    for s in ordered:
        if s.label not in LABELS:
            raise ValueError(f"unknown label {s.label!r}")
        if not (0 <= s.start < s.end <= len(text)):
            raise ValueError(f"span {s.start}:{s.end} out of range")
        if s.start < last_end:
            raise ValueError(f"overlapping spans at {s.start}")
        last_end = s.end
    return ordered


def redact_spans(text: str, spans: Sequence[Span]) -> Redaction:
    ordered = _check(text, spans)
    people = _People()
    lettered: dict[str, dict[str, str]] = {"PLACE": {}, "ORG": {}}
    parts: list[str] = []
    replacements: list[Replacement] = []
    pos = 0
    last_person: tuple[int, str] | None = None  # (end, letter) of the previous PERSON span
    for s in ordered:
        original = text[s.start : s.end]
        if s.label == "PERSON":
            between = text[last_person[0] : s.start] if last_person else ""
            if last_person and _READING_GAP_RE.fullmatch(between) and _KANA_RE.fullmatch(original):
                letter = last_person[1]  # 栗栖 茜（くりす あかね）: the reading is the same person
            else:
                letter = people.letter(original)
            last_person = (s.end, letter)
            placeholder = f"【人物{letter}】"
        elif s.label in lettered:
            seen = lettered[s.label]
            key = _key(original)
            if key not in seen:
                seen[key] = _letters(len(seen))
            placeholder = f"【{LETTERED[s.label]}{seen[key]}】"
        elif s.label == "AGE":
            placeholder = age_band(original)
        elif s.label == "DATE":
            placeholder = generalize_date(original)
        else:
            placeholder = FIXED[s.label]
        parts.append(text[pos : s.start])
        parts.append(placeholder)
        pos = s.end
        replacements.append(Replacement(s.start, s.end, s.label, original, placeholder))
    parts.append(text[pos:])
    return Redaction("".join(parts), tuple(replacements))
