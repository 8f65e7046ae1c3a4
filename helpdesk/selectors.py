"""Consultation reads, always scoped to the actor."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.models import Role, User
from helpdesk import routing
from helpdesk.models import ConferenceInvite, Consultation, EventKind, PrivateNote

RESPONDER_ROLES = {Role.PEER, Role.EXPERT, Role.SUPERVISOR}


def consultation_list_for(*, actor: User) -> QuerySet[Consultation]:
    """A worker's own consultations; a responder's eligible queues and assignments."""
    related = ("worker", "worker__organisation", "queue", "assignee")
    if not actor.is_active:
        return Consultation.objects.none()
    if actor.role == Role.WORKER:
        return Consultation.objects.filter(worker=actor).select_related(*related)
    if actor.role in RESPONDER_ROLES:
        return routing.visible_to_responder(actor).select_related(*related)
    return Consultation.objects.none()


def consultation_get_for(*, actor: User, consultation_id: int) -> Consultation:
    """The same answer (404) for a missing consultation and one the actor may not see."""
    try:
        return consultation_list_for(actor=actor).get(pk=consultation_id)
    except Consultation.DoesNotExist:
        raise Http404 from None


def worker_display_for(*, consultation: Consultation, viewer: User) -> str:
    """What a viewer sees of the worker: a pseudonym toward responders when asked for."""
    worker = consultation.worker
    if viewer.pk == worker.pk or not consultation.pseudonymous:
        return f"{worker.get_full_name()}（{worker.organisation.name}）"
    return worker.pseudonym or "匿名の相談者"


class ChatRole:
    WORKER = "worker"
    RESPONDER = "responder"
    OBSERVER = "observer"  # a supervisor watching an escalated or urgent consultation
    MEMBER = "member"  # an expert invited to a case conference, until the invitation expires


def chat_role_for(*, actor: User, consultation_id: int) -> str | None:
    """Who may join a consultation's chat, and as what; None means refuse (as if it did not exist)."""
    if not actor.is_active:
        return None
    consultation = Consultation.objects.filter(pk=consultation_id).only("worker_id", "assignee_id").first()
    if consultation is None:
        return None
    if consultation.worker_id == actor.pk:
        return ChatRole.WORKER
    if consultation.assignee_id == actor.pk:
        return ChatRole.RESPONDER
    if (
        actor.role == Role.SUPERVISOR
        and routing.visible_to_responder(actor).filter(pk=consultation_id).exists()
    ):
        return ChatRole.OBSERVER
    invited = ConferenceInvite.objects.filter(
        consultation_id=consultation_id, invitee=actor, revoked_at__isnull=True, expires_at__gt=timezone.now()
    )
    if actor.role == Role.EXPERT and invited.exists():
        return ChatRole.MEMBER
    return None


# Workers see the changes of state, never the internal handover traffic between responders.
WORKER_EVENT_KINDS = frozenset(
    {
        EventKind.CREATED,
        EventKind.CLAIMED,
        EventKind.RELEASED,
        EventKind.STATUS,
        EventKind.ESCALATED,
        EventKind.TRANSFER_ACCEPTED,
    }
)


def events_visible_to(*, actor: User, consultation: Consultation) -> list[dict[str, Any]]:
    """The consultation's history as this person may see it (call after consultation_get_for)."""
    responder = actor.role in RESPONDER_ROLES
    shown: list[dict[str, Any]] = []
    for event in consultation.events.select_related("queue").all():
        if not responder and event.kind not in WORKER_EVENT_KINDS:
            continue
        # Reasons are written by responders for each other; a worker sees only their own.
        own = event.actor_id is not None and event.actor_id == actor.pk
        shown.append(
            {
                "kind": event.kind,
                "kind_display": event.get_kind_display(),
                "from_status": event.from_status,
                "to_status": event.to_status,
                "to_status_display": event.get_to_status_display() if event.to_status else "",
                "queue": event.queue.name if event.queue else "",
                "created_at": event.created_at,
                "reason": event.reason if responder or own else "",
            }
        )
    return shown


def notes_visible_to(*, actor: User, consultation: Consultation) -> list[PrivateNote] | None:
    """Private notes (内部メモ): responders and supervisors only; None for everyone else."""
    if actor.role not in RESPONDER_ROLES:
        return None
    return list(consultation.notes.select_related("author"))
