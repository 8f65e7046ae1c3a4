"""NFKC normalisation with an index map back to the original text, and kanji numerals.

Regexes run over the NFKC form (full-width digits and Latin letters become ASCII, the
ideographic space becomes a space), but every span must point into the ORIGINAL string.
NFKC is applied character by character so that each normalised character knows which
original character produced it; a few characters expand (``㈱`` -> ``(株)``, ``①`` -> ``1``,
``℡`` -> ``TEL``), so the map is not always the identity.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right

_CACHE: dict[str, str] = {}
_CACHE_LIMIT = 20_000


def _nfkc(ch: str) -> str:
    out = _CACHE.get(ch)
    if out is None:
        out = unicodedata.normalize("NFKC", ch)
        if len(_CACHE) < _CACHE_LIMIT:
            _CACHE[ch] = out
    return out


_IRREGULAR: re.Pattern[str] | None = None


def _irregular() -> re.Pattern[str]:
    """Characters whose NFKC form is not exactly one character, or that may compose with a
    neighbour (combining marks, Hangul jamo), plus everything outside the BMP. Built once."""
    global _IRREGULAR
    if _IRREGULAR is None:
        ranges: list[tuple[int, int]] = []
        for cp in range(0x80, 0x10000):
            ch = chr(cp)
            out = ch if 0xD800 <= cp <= 0xDFFF else unicodedata.normalize("NFKC", ch)
            odd = (
                len(out) != 1
                or 0xD800 <= cp <= 0xDFFF
                or unicodedata.combining(ch)
                or unicodedata.combining(out)
                or 0x1100 <= ord(out) <= 0x11FF
                or 0xA960 <= ord(out) <= 0xA97F
                or 0xD7B0 <= ord(out) <= 0xD7FF
            )
            if odd:
                if ranges and ranges[-1][1] == cp - 1:
                    ranges[-1] = (ranges[-1][0], cp)
                else:
                    ranges.append((cp, cp))
        body = "".join(f"\\u{a:04x}-\\u{b:04x}" for a, b in ranges)
        _IRREGULAR = re.compile(f"[{body}\\U00010000-\\U0010ffff]")
    return _IRREGULAR


class Normalized:
    """``norm`` is the NFKC form of ``orig``, built piecewise so that ``span()`` maps offsets back.

    Runs of "regular" characters (one character in, one out, nothing composing) are normalised
    as a whole and map linearly; each irregular character is normalised on its own and every
    character it expands to maps back to it. The map is a short list of segments.
    """

    __slots__ = ("_linear", "_norm_starts", "_orig_starts", "norm", "orig")

    def __init__(self, text: str) -> None:
        self.orig = text
        self._norm_starts: list[int] | None = None
        self._orig_starts: list[int] = []
        self._linear: list[bool] = []
        if text.isascii():
            self.norm = text
            return
        irregular = list(_irregular().finditer(text))
        if not irregular:
            norm = unicodedata.normalize("NFKC", text)
            if len(norm) == len(text):
                self.norm = norm
                return
        pieces: list[str] = []
        norm_starts: list[int] = []
        done = 0  # characters of ``text`` consumed
        size = 0  # characters of the normalised text produced

        def piece(part: str, orig_start: int, linear: bool) -> None:
            nonlocal size
            if part:
                pieces.append(part)
                norm_starts.append(size)
                self._orig_starts.append(orig_start)
                self._linear.append(linear)
                size += len(part)

        for m in irregular:
            if m.start() > done:
                chunk = text[done : m.start()]
                out = unicodedata.normalize("NFKC", chunk)
                if len(out) == len(chunk):
                    piece(out, done, True)
                else:  # not expected for regular characters; stay exact anyway
                    for i, ch in enumerate(chunk, done):
                        piece(_nfkc(ch), i, False)
            piece(_nfkc(m.group()), m.start(), False)
            done = m.end()
        if done < len(text):
            piece(unicodedata.normalize("NFKC", text[done:]), done, True)
        self.norm = "".join(pieces)
        if len(self.norm) == len(text) and all(self._linear):
            return
        self._norm_starts = norm_starts

    def pos(self, index: int) -> int:
        """Original index of normalised index ``index`` (``len(norm)`` maps to ``len(orig)``)."""
        starts = self._norm_starts
        if starts is None:
            return index
        if index >= len(self.norm):
            return len(self.orig)
        k = bisect_right(starts, index) - 1
        if self._linear[k]:
            return self._orig_starts[k] + index - starts[k]
        return self._orig_starts[k]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Original (start, end) covering normalised [start, end)."""
        if self._norm_starts is None:
            return start, end
        if end <= start:
            p = self.pos(start)
            return p, p
        return self.pos(start), self.pos(end - 1) + 1


KANJI_DIGITS = {ch: i for i, ch in enumerate("〇一二三四五六七八九")} | {"零": 0}
KANJI_UNITS = {"十": 10, "百": 100, "千": 1000}


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
