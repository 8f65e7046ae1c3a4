"""The one place where user text becomes HTML: escaped, line breaks kept, plain links made clickable."""

from __future__ import annotations

import unicodedata
from collections.abc import MutableMapping
from typing import Any

import bleach
from bleach.linkifier import Linker

# Bidi overrides and zero-width characters can disguise links and reorder text on screen.
_INVISIBLE = {"\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"}
_BIDI = {chr(c) for c in range(0x202A, 0x202F)} | {chr(c) for c in range(0x2066, 0x206A)}


def _safe_link(attrs: MutableMapping[tuple[str | None, str], str], new: bool = False) -> Any:
    href = attrs.get((None, "href"), "")
    if not href.startswith(("http://", "https://")):
        return None  # javascript:, data: and friends are not turned into links
    attrs[(None, "rel")] = "noopener noreferrer nofollow"
    attrs[(None, "target")] = "_blank"
    return attrs


_LINKER = Linker(callbacks=[_safe_link], parse_email=False)


def clean_text(text: str) -> str:
    """Normalise what a person typed before it is stored: no control, bidi or zero-width characters."""
    kept = []
    for char in text.replace("\r\n", "\n").replace("\r", "\n"):
        if char in _INVISIBLE or char in _BIDI:
            continue
        category = unicodedata.category(char)
        if (category == "Cc" and char not in "\n\t") or category == "Cs":  # lone surrogates cannot be stored
            continue
        kept.append(char)
    return "".join(kept)


def render_html(text: str) -> str:
    """Escape everything, then add <br> and safe <a> only."""
    escaped = bleach.clean(clean_text(text), tags=set(), attributes={}, strip=False)
    linked = _LINKER.linkify(escaped)
    return linked.replace("\n", "<br>")
