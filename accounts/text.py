"""Normalising what a person typed before it is stored (chat, names, case texts, notes, reasons).

Invisible characters can disguise links and reorder a line on screen (a name that reads as something
else: "請求書" + RIGHT-TO-LEFT OVERRIDE + "exe.pdf" shows as "請求書fdp.exe"), and they can split a name
or a phone number so that the de-identifier does not see it (a soft hyphen pasted from a web page
inside "090-12­34-5678"). Control characters and lone surrogates cannot be shown or stored. Every
service that stores free text passes it through `clean_text` (accounts is the lowest app, so every
other app may import it); the de-identification preview cleans before it detects.

Dropped: every format character (Unicode category Cf: bidi controls and marks, zero-width spaces and
joiners, soft hyphen, word joiner, invisible operators, tag characters, BOM, ...), controls other
than newline and tab, surrogates, and the invisible characters that are not Cf (fillers, the
combining grapheme joiner, variation selectors). Line and paragraph separators become newlines.
"""

from __future__ import annotations

import unicodedata

# Invisible, but not in category Cf (so listed by hand).
INVISIBLE = frozenset(
    {"\u034f", "\u115f", "\u1160", "\u17b4", "\u17b5", "\u180b", "\u180c", "\u180d", "\u180f", "\u3164"}
    | {"\uffa0"}
    | {chr(c) for c in range(0xFE00, 0xFE10)}  # variation selectors 1-16
    | {chr(c) for c in range(0xE0100, 0xE01F0)}  # variation selectors 17-256 (ideographic variants)
)
_NEWLINES = str.maketrans({"\r": "\n", "\x85": "\n", "\u2028": "\n", "\u2029": "\n"})


def _kept(char: str) -> bool:
    if char in "\n\t":
        return True
    if char in INVISIBLE:
        return False
    return unicodedata.category(char) not in ("Cc", "Cf", "Cs")


def clean_text(text: str) -> str:
    """No invisible, format, control (except newline and tab) or surrogate characters; newlines are \\n."""
    if text.isascii() and text.isprintable():  # the common case: nothing to drop
        return text
    unified = text.replace("\r\n", "\n").translate(_NEWLINES)
    return "".join(char for char in unified if _kept(char))


def clean_line(text: str) -> str:
    """clean_text for one-line fields (names, reasons): also no line breaks or tabs, trimmed."""
    return " ".join(clean_text(text).split()) if text else ""
