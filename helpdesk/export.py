"""helpdesk's part of a person's download (chat.export assembles the whole; accounts.export and
peer.export hold the other parts): what the person wrote in after care."""

from __future__ import annotations

from typing import Any

from accounts.export import iso
from helpdesk.models import Consultation, DebriefRequest, Feedback, FollowUp, Reflection


def care_texts_of(*, user_id: int) -> dict[str, list[dict[str, Any]]]:
    """What the person wrote in after care: feedback and follow-ups on the consultations they filed,
    reflections and debrief requests as a responder. JSON-ready; a read."""

    filed = Consultation.objects.filter(worker_id=user_id).values("pk")
    return {
        "feedback": [
            {
                "consultation": row.consultation_id,
                "helpfulness": row.helpfulness,
                "comment": row.comment,
                "created_at": iso(row.created_at),
            }
            for row in Feedback.objects.filter(consultation__in=filed).order_by("created_at", "pk")
        ],
        "follow_ups": [
            {
                "consultation": row.consultation_id,
                "outcome": row.outcome,
                "answer": row.answer,
                "answered_at": iso(row.answered_at),
            }
            for row in FollowUp.objects.filter(consultation__in=filed).order_by("answered_at", "pk")
        ],
        "reflections": [
            {"consultation": row.consultation_id, "body": row.body, "created_at": iso(row.created_at)}
            for row in Reflection.objects.filter(author_id=user_id).order_by("created_at", "pk")
        ],
        "debrief_requests": [
            {
                "consultation": row.consultation_id,
                "note": row.note,
                "state": row.state,
                "created_at": iso(row.created_at),
                "closed_at": iso(row.closed_at),
            }
            for row in DebriefRequest.objects.filter(requested_by_id=user_id).order_by("created_at", "pk")
        ],
    }
