"""Request and response shapes of the helpdesk JSON API (explicit fields, never a model dump).

What a viewer may see is decided here from the authenticated actor (`context["request"].auth`):
workers never get private notes, triage reasons, internal handover events or responders' reasons;
responders see a pseudonymous worker only by pseudonym (selectors.worker_display_for).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from django.utils import timezone
from ninja import Field, Schema
from pydantic import AfterValidator

from accounts.models import Profession, User
from helpdesk import intake, selectors
from helpdesk.choices import (
    AgeBand,
    Agency,
    Category,
    Gender,
    Household,
    Priority,
    ResponderType,
    Subtype,
    WithdrawalDuration,
)
from helpdesk.models import (
    QUESTION_MAX_LENGTH,
    SUMMARY_MAX_LENGTH,
    Consultation,
    PrivateNote,
    Transfer,
)
from helpdesk.services import CaseFacts

REASON_MAX_LENGTH = 500
NOTE_MAX_LENGTH = 2000


def _no_nul(value: str) -> str:
    # PostgreSQL text cannot hold NUL; refuse it here instead of failing in the database.
    if "\x00" in value:
        raise ValueError("NUL characters are not allowed")
    return value


Text = Annotated[str, AfterValidator(_no_nul)]
# A queue's slug as the admin writes it: anything else (a NUL, which PostgreSQL cannot even compare) is 422.
Slug = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]+$")]


def _viewer(context: Any) -> User:
    user = getattr(context["request"], "auth", None)
    assert isinstance(user, User)  # every operation of this API is authenticated
    return user


def _is_responder(context: Any) -> bool:
    return _viewer(context).role in selectors.RESPONDER_ROLES


# --- Errors (documentation of the bodies that config.api's handlers render) ------------------


class ErrorOut(Schema):
    code: str
    detail: str


# --- De-identification preview --------------------------------------------------------------


class PreviewIn(Schema):
    text: Text = Field(max_length=SUMMARY_MAX_LENGTH)


class SpanOut(Schema):
    start: int
    end: int
    label: str
    label_name: str
    placeholder: str


class RiskOut(Schema):
    code: str
    message: str
    start: int
    end: int


class PreviewOut(Schema):
    """The detector's proposal: spans of the (cleaned) submitted text, the text with every span replaced."""

    text: str = Field(description="The submitted text without invisible characters; spans index into it.")
    spans: list[SpanOut]
    redacted: str
    risks: list[RiskOut]

    @staticmethod
    def resolve_spans(review: intake.Review) -> list[dict[str, Any]]:
        spans = []
        for segment in review.segments:
            if not segment.key:
                continue
            start, end = (int(part) for part in segment.key.split("-"))
            spans.append(
                {
                    "start": start,
                    "end": end,
                    "label": segment.label,
                    "label_name": segment.label_name,
                    "placeholder": segment.placeholder,
                }
            )
        return spans

    @staticmethod
    def resolve_redacted(review: intake.Review) -> str:
        return review.final_text


# --- Consultations --------------------------------------------------------------------------


class ConsultationIn(Schema):
    """A new consultation. Texts must already be de-identified; the server checks them again."""

    category: Category
    subtype: Subtype | Literal[""] = ""
    worker_urgency: Priority = Priority.NORMAL
    question: Text = Field(min_length=1, max_length=QUESTION_MAX_LENGTH)
    summary: Text = Field("", max_length=SUMMARY_MAX_LENGTH)
    requested_responder: ResponderType = ResponderType.EITHER
    requested_profession: Profession | Literal[""] = ""
    pseudonymous: bool = True
    age_band: AgeBand = AgeBand.UNKNOWN
    gender: Gender = Gender.UNKNOWN
    withdrawal_duration: WithdrawalDuration = WithdrawalDuration.UNKNOWN
    household: Household = Household.UNKNOWN
    agencies: list[Agency] = Field(default_factory=list, max_length=len(Agency))
    not_personal: list[Annotated[Text, Field(min_length=1, max_length=100)]] = Field(
        default_factory=list,
        max_length=100,
        description="Detected phrases the worker confirms are not personal (kept as written).",
    )
    risks_acknowledged: bool = Field(False, description="The worker read the re-identification warnings.")
    replaced: int = Field(
        0, ge=0, le=1000, description="How many identifiers the client replaced (statistics)."
    )

    def to_facts(self) -> CaseFacts:
        return CaseFacts(
            category=self.category,
            subtype=self.subtype,
            worker_urgency=self.worker_urgency,
            question=self.question,
            summary=self.summary,
            requested_responder=self.requested_responder,
            requested_profession=self.requested_profession,
            pseudonymous=self.pseudonymous,
            age_band=self.age_band,
            gender=self.gender,
            withdrawal_duration=self.withdrawal_duration,
            household=self.household,
            agencies=tuple(self.agencies),
        )


class QueueOut(Schema):
    slug: str
    name: str
    kind: str


class PersonOut(Schema):
    id: int
    name: str


class ConsultationOut(Schema):
    id: int
    reference: str
    category: str
    subtype: str
    status: str
    priority: str
    worker_urgency: str
    requested_responder: str
    requested_profession: str
    pseudonymous: bool
    worker: str = Field(description="Name and organisation, or only the pseudonym toward responders.")
    queue: QueueOut | None
    is_assigned: bool
    assignee: PersonOut | None = Field(description="Responders only; null for workers.")
    escalation_level: int
    created_at: datetime
    updated_at: datetime
    claimed_at: datetime | None
    first_response_at: datetime | None
    resolved_at: datetime | None

    @staticmethod
    def resolve_worker(obj: Consultation, context: Any) -> str:
        return selectors.worker_display_for(consultation=obj, viewer=_viewer(context))

    @staticmethod
    def resolve_is_assigned(obj: Consultation) -> bool:
        return obj.assignee_id is not None

    @staticmethod
    def resolve_assignee(obj: Consultation, context: Any) -> dict[str, Any] | None:
        if obj.assignee is None or not _is_responder(context):
            return None
        return {"id": obj.assignee.pk, "name": obj.assignee.get_full_name()}


class QueueItemOut(ConsultationOut):
    waited_seconds: int

    @staticmethod
    def resolve_waited_seconds(obj: Consultation) -> int:
        return max(0, int((timezone.now() - obj.created_at).total_seconds()))


class EventOut(Schema):
    kind: str
    from_status: str
    to_status: str
    created_at: datetime
    reason: str


class NoteOut(Schema):
    id: int
    author: str
    body: str
    created_at: datetime

    @staticmethod
    def resolve_author(obj: PrivateNote) -> str:
        return obj.author.get_full_name()


class ConsultationDetailOut(ConsultationOut):
    question: str
    summary: str
    age_band: str
    gender: str
    withdrawal_duration: str
    household: str
    agencies: list[str]
    risk_flags: list[str]
    triage_reasons: list[str] | None = Field(description="Responders only; null for workers.")
    events: list[EventOut]
    notes: list[NoteOut] | None = Field(description="Private notes: responders only; null for workers.")

    @staticmethod
    def resolve_triage_reasons(obj: Consultation, context: Any) -> list[str] | None:
        return list(obj.triage_reasons) if _is_responder(context) else None

    @staticmethod
    def resolve_events(obj: Consultation, context: Any) -> list[dict[str, Any]]:
        return selectors.events_visible_to(actor=_viewer(context), consultation=obj)

    @staticmethod
    def resolve_notes(obj: Consultation, context: Any) -> list[PrivateNote] | None:
        return selectors.notes_visible_to(actor=_viewer(context), consultation=obj)


# --- Workflow -------------------------------------------------------------------------------


class ReasonIn(Schema):
    reason: Text = Field("", max_length=REASON_MAX_LENGTH)


class StatusIn(Schema):
    status: Literal["in_progress", "waiting", "resolved", "closed"]
    reason: Text = Field("", max_length=REASON_MAX_LENGTH)


class TransferIn(Schema):
    """Exactly one target: a queue (slug) or a person (account id)."""

    to_queue: Slug | None = Field(None, max_length=64)
    to_user: int | None = Field(None, ge=1)
    reason: Text = Field(max_length=REASON_MAX_LENGTH)


class EscalateIn(Schema):
    to_queue: Slug | None = Field(
        None, max_length=64, description="Default: the next tier of the current queue."
    )
    reason: Text = Field(max_length=REASON_MAX_LENGTH)


class TransferOut(Schema):
    id: int
    consultation_id: int
    to_queue: str | None = Field(description="Queue slug, when handed to a queue.")
    to_user_id: int | None
    is_escalation: bool
    reason: str
    state: str
    created_at: datetime
    decided_at: datetime | None

    @staticmethod
    def resolve_to_queue(obj: Transfer) -> str | None:
        return obj.to_queue.slug if obj.to_queue is not None else None


class NoteIn(Schema):
    body: Text = Field(max_length=NOTE_MAX_LENGTH)


__all__ = [
    "ConsultationDetailOut",
    "ConsultationIn",
    "ConsultationOut",
    "ErrorOut",
    "EscalateIn",
    "NoteIn",
    "NoteOut",
    "PreviewIn",
    "PreviewOut",
    "QueueItemOut",
    "ReasonIn",
    "StatusIn",
    "TransferIn",
    "TransferOut",
]
