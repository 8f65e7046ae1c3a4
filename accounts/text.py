"""Normalising what a person typed before it is stored (chat, names, case texts, notes, reasons).

Bidi overrides and zero-width characters can disguise links and reorder a line on screen (a name that
reads as something else, "請求書\u202eexe.pdf" showing as "請求書fdp.exe"); control characters and lone
surrogates cannot be shown or stored. Every service that stores free text passes it through
`clean_text` (accounts is the lowest app, so every other app may import it).
"""

from __future__ import annotations

import unicodedata

INVISIBLE = frozenset({"\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"})
BIDI = frozenset({chr(c) for c in range(0x202A, 0x202F)} | {chr(c) for c in range(0x2066, 0x206A)})


def clean_text(text: str) -> str:
    """No control (except newline and tab), bidi, zero-width or surrogate characters; newlines are \\n."""
    kept = []
    for char in text.replace("\r\n", "\n").replace("\r", "\n"):
        if char in INVISIBLE or char in BIDI:
            continue
        category = unicodedata.category(char)
        if (category == "Cc" and char not in "\n\t") or category == "Cs":  # lone surrogates cannot be stored
            continue
        kept.append(char)
    return "".join(kept)


def clean_line(text: str) -> str:
    """clean_text for one-line fields (names, reasons): also no line breaks or tabs, trimmed."""
    return " ".join(clean_text(text).split()) if text else ""
