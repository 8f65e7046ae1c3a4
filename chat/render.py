"""The one place where user text becomes HTML: escaped, line breaks kept, plain links made clickable."""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

import bleach
from bleach.linkifier import Linker

from accounts.text import clean_text


def _safe_link(attrs: MutableMapping[tuple[str | None, str], str], new: bool = False) -> Any:
    href = attrs.get((None, "href"), "")
    if not href.startswith(("http://", "https://")):
        return None  # javascript:, data: and friends are not turned into links
    attrs[(None, "rel")] = "noopener noreferrer nofollow"
    attrs[(None, "target")] = "_blank"
    return attrs


_LINKER = Linker(callbacks=[_safe_link], parse_email=False)


def render_html(text: str) -> str:
    """Escape everything, then add <br> and safe <a> only."""
    escaped = bleach.clean(clean_text(text), tags=set(), attributes={}, strip=False)
    linked = _LINKER.linkify(escaped)
    return linked.replace("\n", "<br>")
