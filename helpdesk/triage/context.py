"""Context rules: why a risk expression found in the text may not be a current risk.

Each rule looks at the clause or sentence around one match (token range [lo, hi)):
fiction, professional framing, hypothetical framing, past or resolved risk, a credible
negation, and look-alikes with a safe explanation. `Context.read` returns the first rule
that sets the match aside as (reason code, Japanese explanation, cue text), or None.
`Context.is_worker` decides whether the worker themself is the person at risk.
"""

from __future__ import annotations

from dataclasses import dataclass

from helpdesk.triage.lexicon import Entry, Lexicon, LookalikeRule
from helpdesk.triage.patterns import compile_pattern
from helpdesk.triage.text import CLAUSE_ENDS, Doc

WHY = {
    "fiction": "フィクション（作品の中）の出来事",
    "professional": "研修・資料・統計・法律など専門的な文脈",
    "hypothetical": "仮定の話",
    "past": "過去の出来事として書かれている",
    "experience": "過去の経験・調査回答としての記述",
    "resolved": "すでに解消・安定していると書かれている",
    "negated": "否定されている",
}
NEGATION_WINDOW = 10
LOOKALIKE_DENIAL_WINDOW = 6
_FUNCTION_POS0 = frozenset({"助詞", "助動詞", "補助記号", "接尾辞", "空白"})
_SKIP_AFTER_MATCH = frozenset({"の", "・"})
_NON_SUBJECT_PARTICLES = frozenset({"に", "へ", "を", "と", "から", "の", "より", "で"})
_LIST_POS0 = frozenset({"名詞", "補助記号", "接頭辞"})
# 死にたいんじゃないか (a question) / 心配しないで (a request): not denials
_QUESTION_AFTER_NEGATION = frozenset(
    {"か", "かな", "かしら", "でしょう", "だろう", "でしょ", "だろ", "で", "ください"}
)
# 今日は / 今回は in the clause of a risk: a contrast with the usual, safe explanation.
_CONTRAST = compile_pattern("今日|今回|今度|今朝|今夜|昨日|昨夜 は|も")

Span = tuple[int, int]


@dataclass(frozen=True, slots=True)
class Reading:
    why: str  # key of WHY, or "lookalike"
    message: str  # Japanese explanation
    cue: str  # the words in the text that triggered the rule ("" if none)


class Context:
    def __init__(self, doc: Doc, lex: Lexicon) -> None:
        self.doc = doc
        self.lex = lex
        self.by_clause: dict[str, dict[int, list[Span]]] = {}
        self.by_sent: dict[str, dict[int, list[Span]]] = {}
        toks = doc.tokens
        for marker, spans in zip(lex.markers, lex.marker_set.find_all(doc), strict=True):
            clauses = self.by_clause.setdefault(marker.kind, {})
            sents = self.by_sent.setdefault(marker.kind, {})
            for lo, hi in spans:
                clauses.setdefault(toks[lo].clause, []).append((lo, hi))
                sents.setdefault(toks[lo].sent, []).append((lo, hi))
        self._head_slots = [m.pattern.slots[0] for m in lex.markers if m.kind == "negation_head"]
        self._part_spans: list[list[Span]] | None = None  # look-alike parts, matched on first use
        self._part_offset: list[int] = []
        offset = 0
        for rule in lex.lookalikes:
            self._part_offset.append(offset)
            offset += len(rule.pattern.parts)
        self._contrast = {doc.tokens[lo].clause for lo, _ in _CONTRAST.find_all(doc)}
        third = [span for spans in self.by_sent.get("third_person", {}).values() for span in spans]
        self.mentions_other = bool(third)
        self.whole_text_frame = [
            span for spans in self.by_sent.get("prof_text", {}).values() for span in spans
        ]

    # --- helpers -------------------------------------------------------------------------------
    def _in_clause(self, kind: str, clause: int) -> list[Span]:
        return self.by_clause.get(kind, {}).get(clause, [])

    def _in_sentence(self, kind: str, sent: int) -> list[Span]:
        return self.by_sent.get(kind, {}).get(sent, [])

    def cue(self, span: Span) -> str:
        return self.doc.span_text(*span)

    def _outside_quote(self, spans: list[Span], quote: int) -> Span | None:
        for span in spans:
            q = self.doc.tokens[span[0]].quote
            if quote == 0 or q != quote:
                return span
        return None

    # --- rules ---------------------------------------------------------------------------------
    def read(self, entry: Entry, lo: int, hi: int, worker: bool) -> Reading | None:
        tok = self.doc.tokens[lo]
        for rule in (self._fiction, self._professional, self._hypothetical, self._negation, self._time):
            found = rule(lo, hi, tok.sent, tok.clause, tok.quote, worker)
            if found is not None:
                return found
        return self._lookalike(entry, lo, hi)

    def _fiction(self, lo: int, hi: int, sent: int, clause: int, quote: int, worker: bool) -> Reading | None:
        media = self._in_sentence("fiction_medium", sent)
        if media and self._in_sentence("fiction_content", sent):
            return Reading("fiction", WHY["fiction"], self.cue(media[0]))
        return None

    def _professional(
        self, lo: int, hi: int, sent: int, clause: int, quote: int, worker: bool
    ) -> Reading | None:
        toks = self.doc.tokens
        nxt = hi + 1 if hi < len(toks) and toks[hi].surface in _SKIP_AFTER_MATCH else hi
        for span in self._in_sentence("prof_adjacent", sent):
            if span[0] == lo + 1 < hi or (span[0] == nxt and toks[nxt].sent == sent):
                return Reading("professional", WHY["professional"], self.cue((lo, max(hi, span[1]))))
        frame = self._in_sentence("professional", sent) or self.whole_text_frame
        if frame and not (worker and self.says_self(lo)) and not self._in_sentence("now", sent):
            return Reading("professional", WHY["professional"], self.cue(frame[0]))
        return None

    def _hypothetical(
        self, lo: int, hi: int, sent: int, clause: int, quote: int, worker: bool
    ) -> Reading | None:
        frame = self._outside_quote(self._in_sentence("hypothetical", sent), quote)
        if frame is not None:
            return Reading("hypothetical", WHY["hypothetical"], self.cue(frame))
        planning = bool(self._in_sentence("response", sent))
        for span in self._in_sentence("conditional", sent):
            if span[0] < hi or self.doc.tokens[span[0]].clause != clause:
                continue
            reported = quote != 0 and self.doc.tokens[span[0]].quote != quote
            if planning or reported:
                return Reading("hypothetical", WHY["hypothetical"], self.cue((lo, span[1])))
        return None

    def _time(self, lo: int, hi: int, sent: int, clause: int, quote: int, worker: bool) -> Reading | None:
        for span in self._in_clause("resolution", clause):
            if not self._negated_marker(span):
                return Reading("resolved", WHY["resolved"], self.cue(span))
        # 倒れて入院したが、今は回復している: a recovery in a later clause of the sentence
        for span in self._in_sentence("recovery", sent):
            if self.doc.tokens[span[0]].clause >= clause and not self._negated_marker(span):
                return Reading("resolved", WHY["resolved"], self.cue(span))
        if self._in_clause("current", clause) or self._ongoing(hi, clause):
            return None
        experience = self._in_clause("experience", clause)
        if experience:
            return Reading("experience", WHY["experience"], self.cue(experience[0]))
        past = self._in_clause("past", clause)
        if past:
            return Reading("past", WHY["past"], self.cue(past[0]))
        # A past marker earlier in the sentence carries over until a clause says 今 / 最近 …
        first_clause = self.doc.tokens[self.doc.sentence_bounds[sent][0]].clause
        for c in range(clause - 1, first_clause - 1, -1):
            if self._in_clause("current", c):
                return None
            past = self._in_clause("past", c)
            if past:
                return Reading("past", WHY["past"], self.cue(past[0]))
        return None

    def _ongoing(self, hi: int, clause: int) -> bool:
        """…と言っている / 続けている (present progressive, not …ていた) after the match."""
        toks = self.doc.tokens
        end = self.doc.clause_bounds[clause][1]
        for i in range(hi, end):
            tok = toks[i]
            if tok.dform in {"いる", "てる", "おる"} and tok.pos0 in {"動詞", "助動詞"} and i > hi:
                if toks[i - 1].surface in {"て", "で"} or tok.dform == "てる":
                    following = [t.dform for t in toks[i + 1 : min(end, i + 3)]]
                    return "た" not in following
        return False

    def _denied(self, span: Span, own: Span) -> bool:
        """就職も引っ越しの予定もない: an explanation that the text itself denies."""
        toks = self.doc.tokens
        clause = toks[span[0]].clause
        end = min(len(toks), span[1] + LOOKALIKE_DENIAL_WINDOW)
        if own[0] >= span[1]:
            end = min(end, own[0])  # the risk expression's own negation (食事がとれない) does not count
        for i in range(span[1], end):
            if toks[i].clause != clause:
                return False
            if toks[i].negator:
                return True
        return False

    def _negated_marker(self, span: Span) -> bool:
        """改善しない / 回復の見込みがない: a resolution word that is itself negated."""
        toks = self.doc.tokens
        clause = toks[span[0]].clause
        for i in range(span[1], min(len(toks), span[1] + 4)):
            if toks[i].clause != clause:
                break
            if toks[i].negator:
                return True
        return False

    def _negation(self, lo: int, hi: int, sent: int, clause: int, quote: int, worker: bool) -> Reading | None:
        toks = self.doc.tokens
        i = hi
        limit = min(len(toks), hi + NEGATION_WINDOW)
        while i < limit and toks[i].sent == sent:
            tok = toks[i]
            if tok.surface in CLAUSE_ENDS:
                # 暴力、自傷の既往はない: a list of nouns shares the negation
                listed = toks[i - 1].pos0 == "名詞" and i + 1 < len(toks) and toks[i + 1].pos0 == "名詞"
                if not listed:
                    return None
            elif tok.surface in {"。", "\n"}:
                return None
            elif tok.negator:
                if toks[i - 1].surface == "しか":  # 死ぬしかない: "only", not a negation
                    return None
                if i + 1 < len(toks) and toks[i + 1].surface in _QUESTION_AFTER_NEGATION:
                    return None  # 死にたいんじゃないか: a question, not a denial
                head = self._head(lo, i)
                listed = all(t.pos0 in _LIST_POS0 for t in toks[hi:i])  # 暴力・自傷・希死念慮：なし
                if head is not None and (head < hi or listed or self._credible_head(head)):
                    return Reading("negated", WHY["negated"], self.doc.span_text(lo, i + 1))
                return None
            i += 1
        return None

    def _head(self, lo: int, negator: int) -> int | None:
        """The word the negation attaches to, skipping particles, auxiliaries and いる/おる."""
        for j in range(negator - 1, lo - 1, -1):
            tok = self.doc.tokens[j]
            if tok.pos0 not in _FUNCTION_POS0 and not (tok.light and j > lo):
                return j
        return None

    def _credible_head(self, index: int) -> bool:
        tok = self.doc.tokens[index]
        return any(slot.accepts(tok) for slot in self._head_slots)

    def _lookalike(self, entry: Entry, lo: int, hi: int) -> Reading | None:
        doc = self.doc
        tok = doc.tokens[lo]
        if tok.clause in self._contrast:
            return None
        for index, rule in enumerate(self.lex.lookalikes):
            if not rule.applies(entry.code, entry.category):
                continue
            if rule.scope == "clause":
                bounds = doc.clause_bounds[tok.clause]
            elif rule.scope == "sentence":
                bounds = doc.sentence_bounds[tok.sent]
            elif rule.scope == "near":
                bounds = (doc.sentence_bounds[max(0, tok.sent - 1)][0], doc.sentence_bounds[tok.sent][1])
            else:
                bounds = (0, len(doc.tokens))
            cue = self._rule_found(index, rule, bounds, (lo, hi))
            if cue is not None:
                return Reading("lookalike", rule.message, cue)
        return None

    def _rule_found(self, index: int, rule: LookalikeRule, bounds: Span, own: Span) -> str | None:
        cues: list[str] = []
        if self._part_spans is None:
            self._part_spans = self.lex.lookalike_set.find_all(self.doc)
        for part_index in range(len(rule.pattern.parts)):
            spans = self._part_spans[self._part_offset[index] + part_index]
            hit = next(
                (
                    s
                    for s in spans
                    if bounds[0] <= s[0]
                    and s[1] <= bounds[1]
                    and (s[1] <= own[0] or s[0] >= own[1])
                    and not self._denied(s, own)
                ),
                None,
            )
            if hit is None:
                return None
            cues.append(self.cue(hit))
        return "・".join(cues)

    def says_resolved(self) -> bool:
        """The text says a risk is past or settled somewhere (以前 / 既往 / 現在は安定)."""
        if self.by_clause.get("past"):
            return True
        spans = [
            s
            for kind in ("resolution", "recovery")
            for group in self.by_clause.get(kind, {}).values()
            for s in group
        ]
        return any(not self._negated_marker(span) for span in spans)

    # --- who is at risk ----------------------------------------------------------------------
    def is_worker(self, lo: int) -> bool:
        """The worker themself: 自分も死にたい, or a text about nobody else (casual chat)."""
        return not self.mentions_other or self.says_self(lo)

    def says_self(self, lo: int) -> bool:
        """An explicit first person (自分も / 私は) in the clause, outside quotations."""
        toks = self.doc.tokens
        clause = toks[lo].clause
        if self._in_clause("third_person", clause):
            return False
        for span in self._in_clause("first_person", clause):
            first = toks[span[0]]
            after = toks[span[1]].surface if span[1] < len(toks) else ""
            if first.quote == 0 and after not in _NON_SUBJECT_PARTICLES:
                return True
        return False
