"""The helpdesk part of the JSON API: schema -> one service or selector call -> response.

Authentication (bearer token or two-factor verified session with CSRF) and the error bodies are
configured once in config/api.py; every view here receives an authenticated account as
`request.auth`. Permissions live in the services and selectors: a consultation the actor may not
see answers exactly like a missing one (404).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Router, Status
from ninja.pagination import LimitOffsetPagination, paginate

from accounts.models import Role, User
from helpdesk import intake, routing, selectors, services, workflow
from helpdesk.api_schemas import (
    ConsultationDetailOut,
    ConsultationIn,
    ConsultationOut,
    ErrorOut,
    EscalateIn,
    NoteIn,
    NoteOut,
    PreviewIn,
    PreviewOut,
    QueueItemOut,
    ReasonIn,
    StatusIn,
    TransferIn,
    TransferOut,
)
from helpdesk.dashboard.selectors import metrics_for
from helpdesk.models import Consultation, PrivateNote, Queue, Transfer

router = Router()

PAGE_LIMIT = 100
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


def _actor(request: HttpRequest) -> User:
    user = getattr(request, "auth", None)
    assert isinstance(user, User)  # config.api authenticates every operation
    return user


def _require_role(actor: User, roles: Collection[str]) -> None:
    if actor.role not in roles:
        raise PermissionDenied("not available to this role")


def _queue_by_slug(slug: str) -> Queue:
    queue = Queue.objects.filter(slug=slug, is_active=True).first()
    if queue is None:
        raise workflow.WorkflowError("引き継ぎ先のキューが見つかりません。", code="unknown_queue")
    return queue


def _person_by_id(user_id: int) -> User:
    # An unknown id becomes an inactive stand-in that the workflow refuses as "target_not_eligible"
    # after its own permission checks, so the answer never tells whether an account exists.
    return User.objects.filter(pk=user_id, is_active=True).first() or User(is_active=False)


# --- Filing ---------------------------------------------------------------------------------


@router.post(
    "/consultations/preview/",
    response={200: PreviewOut, **ERRORS},
    tags=["consultations"],
    summary="De-identification preview (workers)",
)
def consultation_preview(request: HttpRequest, payload: PreviewIn) -> intake.Review:
    """Detect identifiers in a draft text. Nothing is stored or logged."""
    _require_role(_actor(request), {Role.WORKER})
    return intake.review(payload.text, unmarked=set(), marks=[])


@router.post(
    "/consultations/",
    response={201: ConsultationDetailOut, **ERRORS},
    tags=["consultations"],
    summary="File a consultation (workers)",
)
def consultation_create(request: HttpRequest, payload: ConsultationIn) -> Status[Consultation]:
    consultation = services.consultation_create(
        actor=_actor(request),
        facts=payload.to_facts(),
        not_personal=payload.not_personal,
        risks_acknowledged=payload.risks_acknowledged,
        replaced=payload.replaced,
    )
    return Status(201, consultation)


# --- Reading --------------------------------------------------------------------------------


# PostgreSQL's OFFSET is a bigint: a larger offset is a DataError (a 500). Nobody pages that far; the
# bound below makes such a request the usual 422 `invalid`.
MAX_OFFSET = 1_000_000_000


class Page(LimitOffsetPagination):
    class Input(LimitOffsetPagination.Input):
        offset: int = Field(0, ge=0, le=MAX_OFFSET)


@router.get(
    "/consultations/", response=list[ConsultationOut], tags=["consultations"], summary="My consultations"
)
@paginate(Page, max_limit=PAGE_LIMIT)
def consultation_list(request: HttpRequest) -> QuerySet[Consultation]:
    """A worker's own consultations; a responder's eligible queues and assignments."""
    return selectors.consultation_list_for(actor=_actor(request))


@router.get(
    "/consultations/{consultation_id}/",
    response={200: ConsultationDetailOut, **ERRORS},
    tags=["consultations"],
    summary="One consultation with its history",
)
def consultation_detail(request: HttpRequest, consultation_id: int) -> Consultation:
    return selectors.consultation_get_for(actor=_actor(request), consultation_id=consultation_id)


# --- The queue ------------------------------------------------------------------------------


@router.get(
    "/queue/", response=list[QueueItemOut], tags=["queue"], summary="Claimable consultations (responders)"
)
@paginate(Page, max_limit=PAGE_LIMIT)
def queue_list(request: HttpRequest) -> QuerySet[Consultation]:
    """Most urgent first, then longest waiting."""
    actor = _actor(request)
    _require_role(actor, selectors.RESPONDER_ROLES)
    return routing.claimable_for(actor).select_related("worker__organisation", "queue", "assignee")


@router.post(
    "/queue/next/",
    response={200: ConsultationDetailOut, **ERRORS},
    tags=["queue"],
    summary="次の相談へ: claim the most urgent consultation (responders)",
)
def queue_next(request: HttpRequest) -> Consultation:
    actor = _actor(request)
    _require_role(actor, selectors.RESPONDER_ROLES)
    consultation = workflow.claim_next(actor=actor)
    if consultation is None:
        raise workflow.NotFound("対応できる相談はありません。", code="queue_empty")
    return consultation


# --- Working on a consultation --------------------------------------------------------------


@router.post(
    "/consultations/{consultation_id}/claim/",
    response={200: ConsultationDetailOut, **ERRORS},
    tags=["workflow"],
    summary="Claim (担当する)",
)
def consultation_claim(request: HttpRequest, consultation_id: int) -> Consultation:
    return workflow.claim(actor=_actor(request), consultation_id=consultation_id)


@router.post(
    "/consultations/{consultation_id}/release/",
    response={200: ConsultationDetailOut, **ERRORS},
    tags=["workflow"],
    summary="Return to the queue",
)
def consultation_release(request: HttpRequest, consultation_id: int, payload: ReasonIn) -> Consultation:
    return workflow.release(actor=_actor(request), consultation_id=consultation_id, reason=payload.reason)


@router.post(
    "/consultations/{consultation_id}/transfer/",
    response={201: TransferOut, **ERRORS},
    tags=["workflow"],
    summary="Hand over to a queue or a person",
)
def consultation_transfer(
    request: HttpRequest, consultation_id: int, payload: TransferIn
) -> Status[Transfer]:
    transfer = workflow.transfer_request(
        actor=_actor(request),
        consultation_id=consultation_id,
        reason=payload.reason,
        to_queue=_queue_by_slug(payload.to_queue) if payload.to_queue is not None else None,
        to_user=_person_by_id(payload.to_user) if payload.to_user is not None else None,
    )
    return Status(201, transfer)


@router.post(
    "/consultations/{consultation_id}/escalate/",
    response={201: TransferOut, **ERRORS},
    tags=["workflow"],
    summary="Escalate (default: the next tier)",
)
def consultation_escalate(
    request: HttpRequest, consultation_id: int, payload: EscalateIn
) -> Status[Transfer]:
    actor = _actor(request)
    if payload.to_queue is not None:
        target: Queue | None = _queue_by_slug(payload.to_queue)
    else:
        current = selectors.consultation_get_for(actor=actor, consultation_id=consultation_id)
        target = routing.next_tier(current.queue)
    if target is None:
        raise workflow.WorkflowError("エスカレーション先のキューがありません。", code="no_escalation_target")
    transfer = workflow.transfer_request(
        actor=actor, consultation_id=consultation_id, reason=payload.reason, to_queue=target, escalation=True
    )
    return Status(201, transfer)


@router.post(
    "/consultations/{consultation_id}/status/",
    response={200: ConsultationDetailOut, **ERRORS},
    tags=["workflow"],
    summary="Change the status",
)
def consultation_status(request: HttpRequest, consultation_id: int, payload: StatusIn) -> Consultation:
    return workflow.status_set(
        actor=_actor(request), consultation_id=consultation_id, status=payload.status, reason=payload.reason
    )


@router.post(
    "/consultations/{consultation_id}/reopen/",
    response={200: ConsultationDetailOut, **ERRORS},
    tags=["workflow"],
    summary="Reopen a resolved consultation (the worker or the last assignee)",
)
def consultation_reopen(request: HttpRequest, consultation_id: int, payload: ReasonIn) -> Consultation:
    return workflow.reopen(actor=_actor(request), consultation_id=consultation_id, reason=payload.reason)


@router.post(
    "/consultations/{consultation_id}/notes/",
    response={201: NoteOut, **ERRORS},
    tags=["workflow"],
    summary="Add a private note (内部メモ, responders)",
)
def consultation_note(request: HttpRequest, consultation_id: int, payload: NoteIn) -> Status[PrivateNote]:
    note = workflow.note_add(actor=_actor(request), consultation_id=consultation_id, body=payload.body)
    return Status(201, note)


# --- Handovers ------------------------------------------------------------------------------


@router.post(
    "/transfers/{transfer_id}/accept/",
    response={200: TransferOut, **ERRORS},
    tags=["transfers"],
    summary="Accept a handover addressed to me or my queue",
)
def transfer_accept(request: HttpRequest, transfer_id: int) -> Transfer:
    return workflow.transfer_decide(actor=_actor(request), transfer_id=transfer_id, accept=True)


@router.post(
    "/transfers/{transfer_id}/decline/",
    response={200: TransferOut, **ERRORS},
    tags=["transfers"],
    summary="Decline a handover",
)
def transfer_decline(request: HttpRequest, transfer_id: int, payload: ReasonIn) -> Transfer:
    return workflow.transfer_decide(
        actor=_actor(request), transfer_id=transfer_id, accept=False, reason=payload.reason
    )


# --- Supervision ----------------------------------------------------------------------------


@router.get(
    "/metrics",
    response={200: dict[str, Any], **ERRORS},
    tags=["dashboard"],
    summary="The supervisor dashboard's numbers (same filters as the page: period, start, end, queue, ...)",
)
def dashboard_metrics(request: HttpRequest) -> dict[str, Any]:
    return metrics_for(_actor(request), request.GET.dict())
