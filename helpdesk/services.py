"""Consultation writes: atomic, audited, and enforcing de-identification on the server."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from django.core.exceptions import PermissionDenied
from django.db import transaction

from accounts.audit import audit_record
from accounts.models import Role, User
from accounts.text import clean_text
from helpdesk import actions, deid, triage, workflow
from helpdesk.choices import PRIORITY_ORDER, Category, Priority
from helpdesk.models import Consultation, ConsultationEvent, EventKind


@dataclass(frozen=True)
class CaseFacts:
    """The structured, safe-by-construction part of a consultation."""

    category: str
    question: str
    summary: str = ""
    subtype: str = ""
    worker_urgency: str = Priority.NORMAL
    requested_responder: str = "either"
    requested_profession: str = ""
    pseudonymous: bool = True
    age_band: str = "unknown"
    gender: str = "unknown"
    withdrawal_duration: str = "unknown"
    household: str = "unknown"
    agencies: tuple[str, ...] = ()


@dataclass(frozen=True)
class FoundIdentifier:
    field: str
    start: int
    end: int
    label: str


class IdentifiersRemain(Exception):
    """The final text still holds identifiers the worker did not mark as not personal."""

    def __init__(self, found: list[FoundIdentifier]) -> None:
        # Positions and labels only: the message never carries the text itself.
        super().__init__(f"{len(found)} identifier(s) remain")
        self.found = found


class RisksNotAcknowledged(Exception):
    def __init__(self, codes: list[str]) -> None:
        super().__init__("re-identification warnings need acknowledgement: " + ", ".join(codes))
        self.codes = codes


@dataclass
class _Check:
    found: list[FoundIdentifier] = field(default_factory=list)
    risks: list[str] = field(default_factory=list)


def _check_texts(texts: dict[str, str], not_personal: set[str]) -> _Check:
    check = _Check()
    for name, text in texts.items():
        for span in deid.remaining_identifiers(text):
            if text[span.start : span.end] not in not_personal:
                check.found.append(FoundIdentifier(name, span.start, span.end, span.label))
        check.risks.extend(flag.code for flag in deid.reidentification_risks(text))
    return check


def _priority(facts: CaseFacts) -> tuple[str, list[str]]:
    result = triage.triage(
        summary=facts.summary,
        question=facts.question,
        subtype=facts.subtype,
        worker_urgency=facts.worker_urgency,
    )
    level = result.level
    if PRIORITY_ORDER[Priority(facts.worker_urgency)] > PRIORITY_ORDER[Priority(level)]:
        level = facts.worker_urgency  # the worker's own choice can only raise the level
    return level, [reason.message for reason in result.reasons]


def consultation_create(
    *,
    actor: User,
    facts: CaseFacts,
    not_personal: Sequence[str] = (),
    risks_acknowledged: bool = False,
    replaced: int = 0,
) -> Consultation:
    """File a consultation from already de-identified texts; re-checks them first."""
    if actor.role != Role.WORKER or not actor.is_active:
        raise PermissionDenied("only support workers file consultations")
    facts = replace(facts, question=clean_text(facts.question), summary=clean_text(facts.summary))
    check = _check_texts({"summary": facts.summary, "question": facts.question}, set(not_personal))
    if check.found:
        audit_record(
            action=actions.CONSULTATION_REFUSED_IDENTIFIERS, actor=actor, object_type="helpdesk.consultation"
        )
        raise IdentifiersRemain(check.found)
    if check.risks and not risks_acknowledged:
        raise RisksNotAcknowledged(sorted(set(check.risks)))
    priority, reasons = _priority(facts)
    consultation = Consultation(
        worker=actor,
        category=facts.category,
        subtype=facts.subtype if facts.category == Category.HARD_CASE else "",
        worker_urgency=facts.worker_urgency,
        priority=priority,
        requested_responder=facts.requested_responder,
        requested_profession=facts.requested_profession,
        pseudonymous=facts.pseudonymous,
        age_band=facts.age_band,
        gender=facts.gender,
        withdrawal_duration=facts.withdrawal_duration,
        household=facts.household,
        agencies=sorted(set(facts.agencies)),
        summary=facts.summary,
        question=facts.question,
        deid_replacements=replaced,
        deid_kept=len(set(not_personal)),
        risk_flags=sorted(set(check.risks)),
        triage_reasons=reasons,
    )
    consultation.full_clean()
    with transaction.atomic():
        consultation.save()
        audit_record(action=actions.CONSULTATION_CREATED, actor=actor, target=consultation)
        ConsultationEvent.objects.create(
            consultation=consultation, kind=EventKind.CREATED, actor=actor, to_status=consultation.status
        )
        workflow.route(consultation=consultation)
    return consultation
