"""Urgent-lane triage: lexicon matches read in context, then combined into a level.

1. The summary and question are tokenised once (helpdesk.nlp via text.analyse).
2. Every lexicon pattern is matched; a match inside a longer match of the same category
   (リストカット inside リストカット痕) or overlapping a look-alike phrase (ロープ in
   ロープワーク, 死ぬ… in 死ぬまでに) is dropped.
3. Each remaining match is read in context (context.Context.read): set aside when it is
   fictional, professional, hypothetical, past/resolved, credibly negated, or a look-alike.
   A denial inside a quotation does not hold when the same text shows current signs of the
   same kind (「死にたいとかじゃなくて、消えたいだけ」 next to fresh cuts).
4. Level: urgent when any urgent-severity match stands, when two different concerns of
   high severity meet, when the subtype is suicidal_self_harm without the risk being
   clearly past, or when the worker chose urgent. The worker's choice only raises the level.
"""

from __future__ import annotations

from dataclasses import dataclass

from helpdesk.triage.context import Context, Reading
from helpdesk.triage.lexicon import Entry, Lexicon, lexicon
from helpdesk.triage.model import LEVELS, Reason, TriageResult
from helpdesk.triage.text import Doc, analyse

SUBTYPES = frozenset(
    {
        "support_refusal",
        "domestic_violence",
        "problem_8050",
        "suspected_mental_illness",
        "developmental",
        "suicidal_self_harm",
        "poverty",
        "abuse",
        "legal",
        "other",
        "",
    }
)
SUBTYPE_HIGH = frozenset({"domestic_violence", "abuse"})
WORKER_CATEGORIES = frozenset({"suicide", "self_harm", "farewell"})
DENIAL_GROUPS = (
    frozenset({"suicide", "self_harm", "farewell"}),
    frozenset({"violence", "abuse_neglect"}),
    frozenset({"medical"}),
)
PAST_READINGS = frozenset({"past", "resolved", "experience"})


@dataclass(slots=True)
class Hit:
    entry: Entry
    lo: int
    hi: int
    expression: str
    worker: bool = False
    reading: Reading | None = None
    denial_overridden: bool = False

    @property
    def active(self) -> bool:
        return self.reading is None or self.denial_overridden


def _matches(doc: Doc, lex: Lexicon) -> list[Hit]:
    found: list[tuple[int, int, int, Entry]] = []
    for order, (entry, spans) in enumerate(zip(lex.entries, lex.entry_set.find_all(doc), strict=True)):
        for lo, hi in spans:
            found.append((lo, hi, order, entry))
    found.sort(key=lambda m: (m[0], -(m[1] - m[0]), m[2]))
    lookalikes = [(lo, hi) for lo, hi, _, entry in found if entry.severity == "lookalike"]
    kept: list[tuple[int, int, int, Entry]] = []
    for lo, hi, order, entry in found:
        if entry.severity != "lookalike" and any(l_lo < hi and lo < l_hi for l_lo, l_hi in lookalikes):
            continue  # 死ぬまでに行きたい場所: a look-alike phrase hides any risk match it overlaps
        covered = any(
            k_lo <= lo and hi <= k_hi and k_entry.category == entry.category
            for k_lo, k_hi, _, k_entry in kept
        )
        if not covered:
            kept.append((lo, hi, order, entry))
    return [Hit(entry, lo, hi, doc.span_text(lo, hi)) for lo, hi, _, entry in kept]


def _combination_key(code: str) -> str:
    """absence.contact.unreachable and absence.contact.no_reply are one concern."""
    parts = code.split(".")
    return ".".join(parts[:2])


def _active_reason(hit: Hit) -> Reason:
    entry = hit.entry
    label = entry.label
    category = entry.category
    if hit.worker:
        category = "worker_self"
        label = f"支援者自身の{label}"
    message = f"{label}: 「{hit.expression}」"
    if hit.denial_overridden:
        message += "（否定しているが、同じ文脈に現在の危険サインがある）"
    return Reason(entry.code, category, hit.expression, message)


def _discounted_reason(hit: Hit) -> Reason:
    entry = hit.entry
    if entry.severity == "lookalike":
        return Reason(entry.code, entry.category, hit.expression, f"「{hit.expression}」 — {entry.label}")
    reading = hit.reading
    if reading is None:
        raise RuntimeError("an active match is not a discounted reason")
    cue = f"（「{reading.cue}」）" if reading.cue else ""
    category = "worker_self" if hit.worker else entry.category
    message = f"{entry.label}: 「{hit.expression}」 — {reading.message}{cue}"
    return Reason(entry.code, category, hit.expression, message)


def _unique(reasons: list[Reason]) -> tuple[Reason, ...]:
    seen: set[tuple[str, str]] = set()
    out: list[Reason] = []
    for reason in reasons:
        key = (reason.code, reason.expression)
        if key not in seen:
            seen.add(key)
            out.append(reason)
    return tuple(out)


def _validate(summary: object, question: object, subtype: object, worker_urgency: object) -> None:
    if not isinstance(summary, str) or not isinstance(question, str):
        raise TypeError("summary and question must be str")
    if subtype not in SUBTYPES:
        raise ValueError("unknown subtype code")
    if worker_urgency not in LEVELS:
        raise ValueError(f"worker_urgency must be one of {', '.join(LEVELS)}")


def triage(
    *, summary: str, question: str = "", subtype: str = "", worker_urgency: str = "normal"
) -> TriageResult:
    """Decide whether a consultation goes to the urgent lane (緊急), with reasons.

    Never logs the text; exception messages carry no text.
    """
    _validate(summary, question, subtype, worker_urgency)
    subtype, worker_urgency = str(subtype), str(worker_urgency)  # plain str, also for TextChoices members
    lex = lexicon()
    text = f"{summary}\n{question}" if question.strip() else summary
    doc = analyse(text)
    ctx = Context(doc, lex)
    hits = _matches(doc, lex)
    for hit in hits:
        if hit.entry.severity == "lookalike":
            continue
        if hit.entry.category in WORKER_CATEGORIES:
            hit.worker = ctx.is_worker(hit.lo)
        hit.reading = ctx.read(hit.entry, hit.lo, hit.hi, hit.worker)
    risk_hits = [h for h in hits if h.entry.severity != "lookalike"]
    # A denial in someone's own words does not hold against current signs of the same kind.
    for hit in risk_hits:
        if hit.reading is None or hit.reading.why != "negated" or doc.tokens[hit.lo].quote == 0:
            continue
        group = next((g for g in DENIAL_GROUPS if hit.entry.category in g), frozenset())
        if any(o is not hit and o.reading is None and o.entry.category in group for o in risk_hits):
            hit.denial_overridden = True

    active = [h for h in risk_hits if h.active]
    reasons = [_active_reason(h) for h in active]
    discounted = [_discounted_reason(h) for h in hits if h.entry.severity == "lookalike" or not h.active]
    urgent = any(h.entry.severity == "urgent" for h in active)
    concerns = {_combination_key(h.entry.code) for h in active if h.entry.severity == "high"}
    level = "urgent" if urgent else ("high" if concerns else "normal")
    if level != "urgent" and len(concerns) >= 2:
        level = "urgent"
        reasons.append(
            Reason(
                "combination.multiple_concerns",
                "combination",
                "",
                f"複数の懸念サインが重なっている（{len(concerns)}種類）",
            )
        )
    level = _apply_subtype(subtype, level, risk_hits, ctx, reasons, discounted)
    if LEVELS.index(worker_urgency) > LEVELS.index(level):
        level = worker_urgency
        label = "緊急" if worker_urgency == "urgent" else "高"
        reasons.append(
            Reason(
                f"worker_choice.{worker_urgency}",
                "worker_choice",
                worker_urgency,
                f"担当者が緊急度「{label}」を選択",
            )
        )
    return TriageResult(level == "urgent", level, _unique(reasons), _unique(discounted))


def _apply_subtype(
    subtype: str, level: str, hits: list[Hit], ctx: Context, reasons: list[Reason], discounted: list[Reason]
) -> str:
    if subtype == "suicidal_self_harm":
        self_harm = [h for h in hits if h.entry.category in {"suicide", "self_harm"}]
        if any(h.active for h in self_harm):
            return level
        past = [h for h in self_harm if h.reading is not None and h.reading.why in PAST_READINGS]
        said_past = bool(past) or ctx.says_resolved()
        if said_past:
            discounted.append(
                Reason(
                    "subtype.suicidal_self_harm",
                    "subtype",
                    subtype,
                    "相談種別「自殺・自傷」 — 本文にリスクは過去のもの・安定していると明記",
                )
            )
            return level
        reasons.append(
            Reason(
                "subtype.suicidal_self_harm",
                "subtype",
                subtype,
                "相談種別が「自殺・自傷」（リスクが過去のものとは明記されていない）",
            )
        )
        return "urgent"
    if subtype in SUBTYPE_HIGH and level == "normal":
        label = "家庭内暴力" if subtype == "domestic_violence" else "虐待"
        reasons.append(Reason(f"subtype.{subtype}", "subtype", subtype, f"相談種別が「{label}」"))
        return "high"
    return level
