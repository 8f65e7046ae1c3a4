"""The retention purge: texts of consultations closed longer than the period are blanked; aggregates stay.

Lives in chat because it blanks chat bodies and may import helpdesk (house rule: chat → helpdesk →
peer → accounts); helpdesk.retention blanks the consultation's own texts. One audit row per purged
consultation (action "retention_purge", no free text). Running it twice changes nothing the second time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from accounts.audit import audit_record
from chat.models import Message
from helpdesk import retention

AUDIT_ACTION = "retention_purge"


@dataclass
class PurgeReport:
    consultations: list[int] = field(default_factory=list)
    messages: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"purged_consultations": len(self.consultations), "purged_messages": self.messages}


def message_bodies_purge(*, consultation_id: int) -> int:
    """Blank the bodies of every message and whisper of a consultation; rows, seqs and times stay."""
    return Message.objects.filter(consultation_id=consultation_id).exclude(body="").update(body="")


def purge_expired(*, now: datetime | None = None, days: int | None = None) -> PurgeReport:
    """Blank chat bodies and consultation texts of consultations resolved or closed `days` ago or more.

    `days` defaults to settings.RETENTION_DAYS (one year). A consultation whose conversation went on
    after the cutoff (a message in a resolved consultation) waits for its own period.
    """
    now = now or timezone.now()
    period = days if days is not None else retention.retention_days()
    cutoff = retention.retention_cutoff(now=now, days=period)
    bodies = Q(Exists(Message.objects.filter(consultation=OuterRef("pk")).exclude(body="")))
    candidates = retention.expired_consultation_ids(cutoff=cutoff, also_holding=bodies)
    still_talking = set(
        Message.objects.filter(consultation_id__in=candidates, created_at__gt=cutoff).values_list(
            "consultation_id", flat=True
        )
    )
    report = PurgeReport()
    for consultation_id in candidates:
        if consultation_id in still_talking:
            continue
        with transaction.atomic():
            consultation = retention.expired_consultation_lock(consultation_id=consultation_id, cutoff=cutoff)
            if consultation is None:  # reopened meanwhile
                continue
            blanked = retention.consultation_texts_purge(consultation=consultation)
            messages = message_bodies_purge(consultation_id=consultation_id)
            if blanked or messages:
                audit_record(action=AUDIT_ACTION, target=consultation)
                report.consultations.append(consultation_id)
                report.messages += messages
    return report


def run_retention() -> dict[str, int]:
    """The background worker's job (see docs/operations.md)."""
    return purge_expired().as_dict()
