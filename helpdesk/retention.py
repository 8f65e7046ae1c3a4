"""Retention of consultation texts: which consultations have outlived the period, and blanking their texts.

What is purged: every free text attached to a consultation (question, summary, triage reasons, private
notes, event and transfer reasons, debrief notes, feedback comments, reflections, follow-up answers).
What stays: the rows themselves with their codes, counts and timestamps (category, subtype, priority,
status, queue, age band, agencies, risk codes, replacement counts, events and their times), so that
metrics and the audit trail still add up.

helpdesk never imports chat (house rule: chat → helpdesk → peer → accounts): chat.retention drives the
purge, blanks chat bodies itself and calls these functions for the consultation side.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Exists, OuterRef, Q

from helpdesk.choices import Status
from helpdesk.models import (
    Consultation,
    ConsultationEvent,
    DebriefRequest,
    Feedback,
    FollowUp,
    PrivateNote,
    Reflection,
    Transfer,
)

DEFAULT_RETENTION_DAYS = 365
DONE = (Status.RESOLVED, Status.CLOSED)


def retention_days() -> int:
    """settings.RETENTION_DAYS (default one year); refuses a period that would purge open work."""
    days = getattr(settings, "RETENTION_DAYS", DEFAULT_RETENTION_DAYS)
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise ImproperlyConfigured("RETENTION_DAYS must be a whole number of days, at least 1")
    return days


def retention_cutoff(*, now: datetime, days: int) -> datetime:
    if days < 1:
        raise ValueError("the retention period is at least one day")
    return now - timedelta(days=days)


def _expired(cutoff: datetime) -> Q:
    # Closed only ever follows resolved, so resolved_at is the moment the work ended; a row without it
    # (set by hand) falls back to its last change.
    return Q(status__in=DONE) & (
        Q(resolved_at__lte=cutoff) | Q(resolved_at__isnull=True, updated_at__lte=cutoff)
    )


def _holds_text() -> Q:
    """Some free text of the consultation is still there (so a purged one is not visited again)."""
    here = OuterRef("pk")
    return (
        ~Q(question="")
        | ~Q(summary="")
        | ~Q(triage_reasons=[])
        | Q(Exists(PrivateNote.objects.filter(consultation=here).exclude(body="")))
        | Q(Exists(ConsultationEvent.objects.filter(consultation=here).exclude(reason="")))
        | Q(Exists(Transfer.objects.filter(consultation=here).exclude(reason="")))
        | Q(Exists(DebriefRequest.objects.filter(consultation=here).exclude(note="")))
        | Q(Exists(Feedback.objects.filter(consultation=here).exclude(comment="")))
        | Q(Exists(Reflection.objects.filter(consultation=here).exclude(body="")))
        | Q(Exists(FollowUp.objects.filter(consultation=here).exclude(answer="")))
    )


def expired_consultation_ids(*, cutoff: datetime, also_holding: Q | None = None) -> list[int]:
    """Consultations resolved or closed before the cutoff that still hold text to purge.

    `also_holding` lets the caller add text that lives elsewhere (chat bodies), as a Q over an Exists
    on OuterRef("pk"); helpdesk itself never looks at chat.
    """
    holds = _holds_text() if also_holding is None else _holds_text() | also_holding
    expired = Consultation.objects.filter(_expired(cutoff)).filter(holds)
    return list(expired.order_by("pk").values_list("pk", flat=True))


def expired_consultation_lock(*, consultation_id: int, cutoff: datetime) -> Consultation | None:
    """Lock the consultation if it is still expired (a reopen may have raced); call inside a transaction."""
    return Consultation.objects.select_for_update().filter(_expired(cutoff), pk=consultation_id).first()


def consultation_ids_filed_by(*, worker_id: int) -> list[int]:
    return list(Consultation.objects.filter(worker_id=worker_id).order_by("pk").values_list("pk", flat=True))


def consultation_lock(*, consultation_id: int) -> Consultation:
    return Consultation.objects.select_for_update().get(pk=consultation_id)


def consultation_texts_purge(*, consultation: Consultation) -> int:
    """Blank every free text of a locked consultation; returns how many fields or rows were blanked.

    Uses queryset updates so that `updated_at` keeps the time of the last real change. Idempotent.
    """
    blanked = (
        Consultation.objects.filter(pk=consultation.pk)
        .exclude(question="", summary="")
        .update(question="", summary="")
    )
    blanked += (
        Consultation.objects.filter(pk=consultation.pk).exclude(triage_reasons=[]).update(triage_reasons=[])
    )
    related = consultation.pk
    blanked += PrivateNote.objects.filter(consultation_id=related).exclude(body="").update(body="")
    blanked += ConsultationEvent.objects.filter(consultation_id=related).exclude(reason="").update(reason="")
    blanked += Transfer.objects.filter(consultation_id=related).exclude(reason="").update(reason="")
    blanked += DebriefRequest.objects.filter(consultation_id=related).exclude(note="").update(note="")
    blanked += Feedback.objects.filter(consultation_id=related).exclude(comment="").update(comment="")
    blanked += Reflection.objects.filter(consultation_id=related).exclude(body="").update(body="")
    blanked += FollowUp.objects.filter(consultation_id=related).exclude(answer="").update(answer="")
    if blanked:
        consultation.question = consultation.summary = ""
        consultation.triage_reasons = []
    return blanked


# --- An administrator's erasure of an account (chat.export.account_erase) ----------------------


def care_texts_written_by_purge(*, user_id: int) -> int:
    """Blank the reflections and debrief notes the person wrote as a responder (their own wellbeing
    texts, also on other workers' consultations); rows, states and times stay. Idempotent."""
    blanked = Reflection.objects.filter(author_id=user_id).exclude(body="").update(body="")
    blanked += DebriefRequest.objects.filter(requested_by_id=user_id).exclude(note="").update(note="")
    return blanked
