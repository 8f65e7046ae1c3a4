"""Consultation reads, always scoped to the actor."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.models import Role, User
from helpdesk import routing
from helpdesk.models import ConferenceInvite, Consultation

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
