"""A consultation text tokenised once, with sentence, clause and quotation structure.

Everything the rules need is computed here in a single pass over the morphemes that
`helpdesk.nlp.tokenize` returns: the lookup keys of each token (surface, dictionary form
and normalised form, so that 消えたい / 消えてしまいたい / 消えちゃいたい and 貯める / 溜める
meet), whether it is a "light" function token that patterns may skip, and the index of
its sentence, clause and innermost quotation (「…」『…』“…”).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field

from helpdesk import nlp

OPEN_QUOTES = frozenset("「『“〝")
CLOSE_QUOTES = frozenset("」』”〟")
SENTENCE_ENDS = frozenset({"。", "！", "？", "!", "?", "．"})
CLAUSE_ENDS = frozenset({"、", "，", ",", "；", ";", "…", "‥"})
# Surfaces of negating auxiliaries/adjectives (ない, なく, なかっ, ず, ぬ/ん, なし …).
NEGATOR_SURFACES = frozenset(
    {
        "ない",
        "なく",
        "なかっ",
        "なけれ",
        "なきゃ",
        "なし",
        "無い",
        "無く",
        "無かっ",
        "無し",
        "ず",
        "ぬ",
        "ん",
        "ねえ",
        "ねー",
        "ねぇ",
    }
)
_LIGHT_POS0 = frozenset({"助詞", "助動詞", "接尾辞"})
# Sudachi refuses inputs over 49149 UTF-8 bytes; long texts are tokenised in chunks.
_MAX_CHUNK_BYTES = 30_000


@dataclass(slots=True)
class Token:
    surface: str
    dform: str
    nform: str
    pos0: str
    pos1: str
    start: int
    end: int
    light: bool
    negator: bool
    sent: int = 0
    clause: int = 0
    quote: int = 0  # id of the innermost quotation the token is in; 0 = narrative text

    def keys(self) -> tuple[str, ...]:
        return (self.surface, self.dform, self.nform)


@dataclass(slots=True)
class Doc:
    text: str
    tokens: list[Token]
    sentence_bounds: list[tuple[int, int]] = field(default_factory=list)  # token ranges [lo, hi)
    clause_bounds: list[tuple[int, int]] = field(default_factory=list)
    index: dict[str, list[int]] = field(default_factory=dict)  # key -> token positions
    _clause_starts: list[int] = field(default_factory=list)
    _token_starts: list[int] = field(default_factory=list)
    negators: list[int] = field(default_factory=list)
    numbers: list[int] = field(default_factory=list)

    def sentence_range(self, i: int) -> tuple[int, int]:
        return self.sentence_bounds[self.tokens[i].sent]

    def clause_range(self, i: int) -> tuple[int, int]:
        return self.clause_bounds[self.tokens[i].clause]

    def span_text(self, lo: int, hi: int) -> str:
        """Original text of tokens [lo, hi)."""
        return self.text[self.tokens[lo].start : self.tokens[hi - 1].end]

    def clause_at(self, i: int) -> int:
        return bisect_right(self._clause_starts, i) - 1

    def containing(self, part: str) -> list[int]:
        """Tokens whose surface contains `part`."""
        found: list[int] = []
        text, starts, toks = self.text, self._token_starts, self.tokens
        at = text.find(part)
        while at != -1:
            i = bisect_right(starts, at) - 1
            if i >= 0 and at + len(part) <= toks[i].end and (not found or found[-1] != i):
                found.append(i)
            at = text.find(part, at + 1)
        return found


def _chunks(text: str) -> list[tuple[int, str]]:
    if len(text.encode("utf-8")) <= _MAX_CHUNK_BYTES:
        return [(0, text)]
    out: list[tuple[int, str]] = []
    pos = 0
    step = _MAX_CHUNK_BYTES // 4  # at most 4 bytes a character
    while pos < len(text):
        end = min(len(text), pos + step)
        if end < len(text):
            cut = max(text.rfind("\n", pos, end), text.rfind("。", pos, end))
            if cut > pos:
                end = cut + 1
        out.append((pos, text[pos:end]))
        pos = end
    return out


def _make_token(m: object, offset: int) -> Token:
    pos = m.part_of_speech()  # type: ignore[attr-defined]
    surface = m.surface()  # type: ignore[attr-defined]
    pos0, pos1 = pos[0], pos[1]
    negator = surface in NEGATOR_SURFACES and (pos0 in {"助動詞", "形容詞"} or surface in {"なし", "無し"})
    negator = negator or surface == "ないし"  # 意味ないし: Sudachi may read it as 乃至
    light = pos0 in _LIGHT_POS0 or (pos1 == "非自立可能" and pos0 in {"動詞", "形容詞"})
    return Token(
        surface=surface,
        dform=m.dictionary_form(),  # type: ignore[attr-defined]
        nform=m.normalized_form(),  # type: ignore[attr-defined]
        pos0=pos0,
        pos1=pos1,
        start=m.begin() + offset,  # type: ignore[attr-defined]
        end=m.end() + offset,  # type: ignore[attr-defined]
        light=light,
        negator=negator,
    )


def analyse(text: str) -> Doc:
    """Tokenise `text` once and annotate sentences, clauses and quotations."""
    tokens: list[Token] = []
    for offset, chunk in _chunks(text):
        tokens.extend(_make_token(m, offset) for m in nlp.tokenize(chunk))
    tokens = [t for t in tokens if t.surface.strip() or "\n" in t.surface]
    doc = Doc(text=text, tokens=tokens)
    sent = clause = 0
    sent_lo = clause_lo = 0
    quote_stack: list[int] = []
    next_quote = 1
    for i, tok in enumerate(tokens):
        if "\n" in tok.surface:
            quote_stack.clear()
        tok.quote = quote_stack[-1] if quote_stack else 0
        tok.sent, tok.clause = sent, clause
        surface = tok.surface
        if surface in OPEN_QUOTES:
            quote_stack.append(next_quote)
            next_quote += 1
            continue
        if surface in CLOSE_QUOTES:
            if quote_stack:
                quote_stack.pop()
            continue
        ends_sentence = "\n" in surface or (surface in SENTENCE_ENDS and not quote_stack)
        ends_clause = ends_sentence or surface in CLAUSE_ENDS or surface in SENTENCE_ENDS
        if ends_clause:
            doc.clause_bounds.append((clause_lo, i + 1))
            clause += 1
            clause_lo = i + 1
        if ends_sentence:
            doc.sentence_bounds.append((sent_lo, i + 1))
            sent += 1
            sent_lo = i + 1
    if clause_lo < len(tokens) or not doc.clause_bounds:
        doc.clause_bounds.append((clause_lo, len(tokens)))
    if sent_lo < len(tokens) or not doc.sentence_bounds:
        doc.sentence_bounds.append((sent_lo, len(tokens)))
    doc._clause_starts = [lo for lo, _ in doc.clause_bounds]
    index = doc.index
    for i, tok in enumerate(tokens):
        for key in {tok.surface, tok.dform, tok.nform}:
            index.setdefault(key, []).append(i)
        if tok.negator:
            doc.negators.append(i)
        if tok.pos1 == "数詞":
            doc.numbers.append(i)
    doc._token_starts = [tok.start for tok in tokens]
    return doc
