"""The retention purge: texts of consultations closed longer than the period are blanked; aggregates stay.

Lives in chat because it blanks chat bodies and may import helpdesk (house rule: chat → helpdesk →
peer → accounts); helpdesk.retention blanks the consultation's own texts. One audit row per purged
consultation (action "retention_purge", no free text). Running it twice changes nothing the second time.

Peer circles never close, so their messages go one by one once they are older than the period; one audit
row per circle and run that blanked something (action "circle_retention_purge", no free text).
The background worker runs both through run_retention (settings.BACKGROUND_JOBS, hourly).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from accounts.audit import audit_record
from chat.models import CircleMessage, Message
from helpdesk import retention
from peer.models import Circle

AUDIT_ACTION = "retention_purge"
CIRCLE_AUDIT_ACTION = "circle_retention_purge"


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


@dataclass
class CirclePurgeReport:
    circles: list[int] = field(default_factory=list)
    messages: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"purged_circles": len(self.circles), "purged_circle_messages": self.messages}


def circle_messages_purge_expired(
    *, now: datetime | None = None, days: int | None = None
) -> CirclePurgeReport:
    """Blank the bodies of circle messages written `days` ago or more; rows, seqs, authors and times stay."""
    now = now or timezone.now()
    period = days if days is not None else retention.retention_days()
    cutoff = retention.retention_cutoff(now=now, days=period)
    expired = CircleMessage.objects.filter(created_at__lte=cutoff).exclude(body="")
    # order_by replaces Meta.ordering, whose seq would otherwise defeat distinct()
    circle_ids = list(expired.order_by("circle_id").values_list("circle_id", flat=True).distinct())
    report = CirclePurgeReport()
    for circle_id in circle_ids:
        with transaction.atomic():
            # Several worker replicas: the circle's row lock makes a second purger wait, then find nothing.
            circle = Circle.objects.select_for_update().filter(pk=circle_id).first()
            if circle is None:  # deleted meanwhile, with its messages
                continue
            blanked = expired.filter(circle_id=circle_id).update(body="")
            if blanked:
                audit_record(action=CIRCLE_AUDIT_ACTION, target=circle)
                report.circles.append(circle_id)
                report.messages += blanked
    return report


def run_retention() -> dict[str, int]:
    """The background worker's job (settings.BACKGROUND_JOBS; see docs/operations.md)."""
    now = timezone.now()
    return purge_expired(now=now).as_dict() | circle_messages_purge_expired(now=now).as_dict()
