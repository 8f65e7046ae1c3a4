"""Japanese morphology (SudachiPy + sudachidict-core), loaded once per process.

Both de-identification and triage use the same tokenizer. Loading the dictionary
costs a few hundred milliseconds and ~100 MB, so it happens lazily, once, under a
lock; tokenising is thread-safe per tokenizer object only when not shared across
threads, so each thread gets its own tokenizer over the one shared dictionary.
"""

from __future__ import annotations

import threading
from typing import Any

from sudachipy import Dictionary, SplitMode

_lock = threading.Lock()
_dictionary: Dictionary | None = None
_local = threading.local()

SPLIT_MODE = SplitMode.C


def dictionary() -> Dictionary:
    global _dictionary
    if _dictionary is None:
        with _lock:
            if _dictionary is None:
                _dictionary = Dictionary(dict="core")
    return _dictionary


def tokenizer() -> Any:
    """This thread's tokenizer over the shared dictionary."""
    current = getattr(_local, "tokenizer", None)
    if current is None:
        current = dictionary().tokenizer(mode=SPLIT_MODE)
        _local.tokenizer = current
    return current


def tokenize(text: str, mode: SplitMode | None = None) -> Any:
    """Morphemes of `text` (a sudachipy MorphemeList); offsets are str indices into `text`."""
    if mode is None:
        return tokenizer().tokenize(text)
    return tokenizer().tokenize(text, mode)
