"""A person's own data as one JSON document, and an administrator's erasure of an account.

Here rather than in accounts because it reads consultations and messages (house rule: chat → helpdesk
→ peer → accounts). The download holds the account (accounts.export), the consultations the person
filed with their de-identified texts and the history they may see, the messages they wrote (in
consultations and in peer circles) and their peer-support data (peer.export: profile, shifts, training,
self-checks, circles). It never holds other people's messages, private notes, triage reasons, secrets
or hashes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts import export as account_export
from accounts.audit import audit_record
from accounts.export import iso
from accounts.models import User
from chat.models import CircleMessage, Message
from chat.retention import message_bodies_purge
from helpdesk import export as helpdesk_export
from helpdesk import retention, selectors
from helpdesk.models import Consultation
from peer.export import peer_data_erase, peer_export_for

FORMAT = "soudan-export/1"
DATA_EXPORTED = "data_exported"
ERASURE_PURGE = "erasure_purge"

# What erasing an account deletes and what it keeps, as the admin's confirmation page and the
# erase_account command state it (docs/security.md, "Deleting an account", says the same).
ERASURE_DELETES: tuple[Promise, ...] = (
    _("The texts of every consultation the person filed, and every message in those consultations."),
    _("What they wrote in peer circles."),
    _("Their reflections and debrief requests as a responder, also on other workers' consultations."),
    _("Their self-checks, weekly shifts and responder profile."),
    _(
        "Username (becomes deleted-<id>), display name, pseudonym, e-mail, professions and specialties; "
        "the name in the admin history."
    ),
    _(
        "Password, two-factor devices, access tokens, sessions and lockout records; "
        "open connections are closed."
    ),
)
ERASURE_KEEPS: tuple[Promise, ...] = (
    _(
        "The account row (id, role, organisation, date joined), so that consultations, events, "
        "response targets, feedback scores and audit records still add up."
    ),
    _("The consultations the person filed, with codes and timestamps only."),
    _(
        "What they wrote as a responder in other workers' consultations (messages, private notes, "
        "handover and status reasons) stays in those records under the name deleted-<id> until the "
        "retention period ends."
    ),
    _("Training records (level, course, dates) and circle memberships, under the anonymous account."),
    _("Audit records of the erasure, without any text."),
)


def _consultation(consultation: Consultation, viewer: User) -> dict[str, Any]:
    events = selectors.events_visible_to(actor=viewer, consultation=consultation)
    return {
        "id": consultation.pk,
        "reference": consultation.reference,
        "category": consultation.category,
        "subtype": consultation.subtype,
        "status": consultation.status,
        "priority": consultation.priority,
        "worker_urgency": consultation.worker_urgency,
        "requested_responder": consultation.requested_responder,
        "requested_profession": consultation.requested_profession,
        "pseudonymous": consultation.pseudonymous,
        "age_band": consultation.age_band,
        "gender": consultation.gender,
        "withdrawal_duration": consultation.withdrawal_duration,
        "household": consultation.household,
        "agencies": list(consultation.agencies),
        "question": consultation.question,
        "summary": consultation.summary,
        "created_at": iso(consultation.created_at),
        "claimed_at": iso(consultation.claimed_at),
        "first_response_at": iso(consultation.first_response_at),
        "resolved_at": iso(consultation.resolved_at),
        "events": [
            {
                "kind": event["kind"],
                "from_status": event["from_status"],
                "to_status": event["to_status"],
                "reason": event["reason"],
                "created_at": iso(event["created_at"]),
            }
            for event in events
        ],
    }


def export_for(user: User) -> dict[str, Any]:
    """Everything the service holds that this person gave it, JSON-ready (a read: nothing is written)."""
    filed = Consultation.objects.filter(worker=user).order_by("created_at", "pk")
    messages = Message.objects.filter(author=user).order_by("consultation_id", "kind", "seq")
    return {
        "format": FORMAT,
        "generated_at": timezone.now().isoformat(),
        "account": account_export.account_export_for(user=user),
        "consultations": [_consultation(consultation, user) for consultation in filed],
        "messages": [
            {
                "consultation": message.consultation_id,
                "kind": message.kind,
                "seq": message.seq,
                "client_id": str(message.client_id),
                "body": message.body,
                "created_at": iso(message.created_at),
            }
            for message in messages
        ],
        "circle_messages": [
            {
                "circle": message.circle_id,
                "seq": message.seq,
                "client_id": str(message.client_id),
                "body": message.body,
                "created_at": iso(message.created_at),
            }
            for message in CircleMessage.objects.filter(author=user).order_by("circle_id", "seq")
        ],
        "after_care": helpdesk_export.care_texts_of(user_id=user.pk),
        "peer": peer_export_for(user=user),
    }


def data_export(*, actor: User) -> dict[str, Any]:
    """The download of one's own data (the view calls this): audited, then assembled."""
    audit_record(action=DATA_EXPORTED, actor=actor, target=actor)
    return export_for(actor)


@dataclass
class ErasureReport:
    consultations: list[int] = field(default_factory=list)
    messages: int = 0
    circle_messages: int = 0
    care_texts: int = 0
    self_checks: int = 0
    shifts: int = 0


def account_erase(*, actor: User, user: User) -> ErasureReport:
    """An administrator deletes an account: its consultations' texts and chats, then the account itself.

    Kept for the record: the consultation rows with codes and timestamps, message rows with their
    sequence numbers and times, events, audit rows, and the anonymised account (accounts.export).
    Messages the person wrote in consultations filed by others stay with those consultations (they
    are part of the other person's record) until the retention period ends, under "deleted-<id>".
    What they wrote in peer circles (their own disclosures among supporters) and their reflections and
    debrief notes as a responder (their own wellbeing) are blanked; their
    self-checks, shifts and responder profile are deleted (peer.export.peer_data_erase).
    """
    account_export.account_delete_check(actor=actor, user=user)
    report = ErasureReport()
    with transaction.atomic():
        for consultation_id in retention.consultation_ids_filed_by(worker_id=user.pk):
            consultation = retention.consultation_lock(consultation_id=consultation_id)
            retention.consultation_texts_purge(consultation=consultation)
            report.messages += message_bodies_purge(consultation_id=consultation_id)
            audit_record(action=ERASURE_PURGE, actor=actor, target=consultation)
            report.consultations.append(consultation_id)
        report.circle_messages = (
            CircleMessage.objects.filter(author_id=user.pk).exclude(body="").update(body="")
        )
        report.care_texts = retention.care_texts_written_by_purge(user_id=user.pk)
        peer = peer_data_erase(actor=actor, user=user)
        report.self_checks, report.shifts = peer.self_checks, peer.shifts
        account_export.account_delete(actor=actor, user=user)
    return report
