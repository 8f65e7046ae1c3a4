"""Supervisors correct triage decisions; each correction is a labelled example for the lexicons."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction

from accounts.audit import audit_record
from accounts.models import Role, User
from accounts.text import clean_line
from helpdesk import events, routing
from helpdesk.choices import Priority
from helpdesk.models import Consultation, ConsultationEvent, EventKind, TriageCorrection


def triage_correct(*, actor: User, consultation_id: int, level: str, reason: str) -> TriageCorrection:
    """Set the priority a supervisor judges right, with a reason; re-route when the lane changes."""
    if actor.role != Role.SUPERVISOR or not actor.is_active:
        raise PermissionDenied("only supervisors correct triage")
    reason = clean_line(reason)
    if not reason or len(reason) > 500:
        raise ValueError("reason_required")
    if level not in Priority.values:
        raise ValueError("invalid_level")
    with transaction.atomic():
        visible = routing.visible_to_responder(actor).filter(pk=consultation_id).values("pk")
        consultation = Consultation.objects.select_for_update().filter(pk__in=visible).first()
        if consultation is None:
            raise Consultation.DoesNotExist
        correction = TriageCorrection.objects.create(
            consultation=consultation,
            corrected_by=actor,
            original_level=consultation.priority,
            corrected_level=level,
            reason=reason,
        )
        if level != consultation.priority:
            consultation.priority = level
            rule = routing.rule_for(consultation)
            if consultation.assignee_id is None and rule is not None:
                consultation.queue = rule.queue
            consultation.save(update_fields=["priority", "queue", "updated_at"])
        ConsultationEvent.objects.create(
            consultation=consultation,
            kind=EventKind.TRIAGE_CORRECTED,
            actor=actor,
            queue=consultation.queue,
            reason=reason,
        )
        audit_record(action="triage_corrected", actor=actor, target=consultation)
        groups = [events.consultation_group(consultation.pk)]
        if consultation.queue_id:
            groups.append(events.queue_group(consultation.queue_id))
        if level == Priority.URGENT:
            groups.append(events.role_group(Role.EXPERT))
        events.broadcast_on_commit(
            groups, {"type": "queue", "change": "triage", "consultation": consultation.pk, "priority": level}
        )
    return correction


def corrections_as_examples(*, since: datetime | None = None) -> Iterator[str]:
    """JSON lines for the triage corpus: the stored (de-identified) texts with the corrected label."""
    rows = TriageCorrection.objects.select_related("consultation").order_by("created_at", "id")
    if since is not None:
        rows = rows.filter(created_at__gte=since)
    for correction in rows.iterator():
        consultation = correction.consultation
        text = "\n".join(part for part in (consultation.summary, consultation.question) if part)
        yield json.dumps(
            {
                "id": f"correction-{correction.pk}",
                "text": text,
                "subtype": consultation.subtype,
                "urgent": correction.corrected_level == Priority.URGENT,
                "level": correction.corrected_level,
                "original_level": correction.original_level,
                "why": correction.reason,
                "corrected_at": correction.created_at.isoformat(),
            },
            ensure_ascii=False,
        )
