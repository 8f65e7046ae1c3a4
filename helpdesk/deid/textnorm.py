"""NFKC normalisation with an index map back to the original text, and kanji numerals.

Regexes run over the NFKC form (full-width digits and Latin letters become ASCII, the
ideographic space becomes a space), but every span must point into the ORIGINAL string.
NFKC is applied character by character so that each normalised character knows which
original character produced it; a few characters expand (``㈱`` -> ``(株)``, ``①`` -> ``1``,
``℡`` -> ``TEL``), so the map is not always the identity.
"""

from __future__ import annotations

import unicodedata

_CACHE: dict[str, str] = {}
_CACHE_LIMIT = 20_000


def _nfkc(ch: str) -> str:
    out = _CACHE.get(ch)
    if out is None:
        out = unicodedata.normalize("NFKC", ch)
        if len(_CACHE) < _CACHE_LIMIT:
            _CACHE[ch] = out
    return out


_WIDTH_TABLE = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_WIDTH_TABLE[0x3000] = 0x20


class Normalized:
    """``norm`` is the per-character NFKC form of ``orig``; ``span()`` maps offsets back."""

    __slots__ = ("_origin", "norm", "orig")

    def __init__(self, text: str) -> None:
        self.orig = text
        self._origin: list[int] | None = None
        if text.isascii():
            self.norm = text
            return
        fast = text.translate(_WIDTH_TABLE)  # the common 1:1 cases (全角英数字・記号, 全角空白)
        if unicodedata.is_normalized("NFKC", fast):
            self.norm = fast
            return
        parts = [_nfkc(ch) for ch in text]
        norm = "".join(parts)
        self.norm = norm
        if len(norm) == len(text) and all(len(p) == 1 for p in parts):
            return
        origin: list[int] = []
        for i, part in enumerate(parts):
            origin.extend([i] * len(part))
        origin.append(len(text))
        self._origin = origin

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Original (start, end) covering normalised [start, end)."""
        origin = self._origin
        if origin is None:
            return start, end
        if end <= start:
            return origin[start], origin[start]
        return origin[start], origin[end - 1] + 1

    def pos(self, index: int) -> int:
        """Original index of normalised index ``index`` (``len(norm)`` maps to ``len(orig)``)."""
        origin = self._origin
        return index if origin is None else origin[index]


KANJI_DIGITS = {ch: i for i, ch in enumerate("〇一二三四五六七八九")} | {"零": 0}
KANJI_UNITS = {"十": 10, "百": 100, "千": 1000}
KANJI_NUMERAL_CHARS = "".join(KANJI_DIGITS) + "".join(KANJI_UNITS)


def parse_number(token: str) -> int | None:
    """ASCII digits, kanji numerals (三十四, 二〇二三, 百二) or 元 (first era year) -> int."""
    if not token:
        return None
    if token.isdigit():
        try:
            return int(token)
        except ValueError:  # non-ASCII digits that str.isdigit() accepts
            return None
    if token == "元":  # noqa: S105 - 元年, the first year of an era (not a password)
        return 1
    if all(ch in KANJI_DIGITS for ch in token):  # positional: 二〇二三
        value = 0
        for ch in token:
            value = value * 10 + KANJI_DIGITS[ch]
        return value
    total = 0
    current = 0
    for ch in token:
        if ch in KANJI_DIGITS:
            current = KANJI_DIGITS[ch]
        elif ch in KANJI_UNITS:
            total += (current or 1) * KANJI_UNITS[ch]
            current = 0
        else:
            return None
    return total + current
