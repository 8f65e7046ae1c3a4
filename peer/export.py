"""A person's peer-support data for their download, and its part in an administrator's erasure.

chat.export assembles the whole download and runs the erasure; this module only knows peer's own
tables. What erasure keeps is stated in docs/security.md ("Deleting an account").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from accounts.export import account_delete_check, iso
from accounts.models import User
from peer.models import CircleMembership, ResponderProfile, SelfCheck, ShiftSlot, TrainingRecord


def peer_export_for(*, user: User) -> dict[str, Any]:
    """The person's responder profile, weekly shifts, training records, self-checks and circles.

    A read. Who recorded a course is left out (another person's name); so are the circles' other members.
    """
    profile = ResponderProfile.objects.filter(user=user).first()
    return {
        "responder_profile": None
        if profile is None
        else {
            "on_duty": profile.on_duty,
            "capacity": profile.capacity,
            "training_level": profile.training_level,
            "languages": list(profile.languages),
            "heavy_weekly_cap": profile.heavy_weekly_cap,
            "status_changed_at": iso(profile.status_changed_at),
            "last_active_at": iso(profile.last_active_at),
        },
        "shifts": [
            {"weekday": slot.weekday, "start": slot.start.isoformat(), "end": slot.end.isoformat()}
            for slot in ShiftSlot.objects.filter(profile__user=user).order_by("weekday", "start")
        ],
        "training_records": [
            {
                "level": record.level,
                "course": record.course,
                "completed_on": iso(record.completed_on),
                "recorded_at": iso(record.recorded_at),
            }
            for record in TrainingRecord.objects.filter(user=user).order_by("completed_on", "pk")
        ],
        "self_checks": [
            {
                "taken_at": iso(check.taken_at),
                "prefecture": check.prefecture,
                "answers": dict(check.answers),
                "personal_score": check.personal_score,
                "work_score": check.work_score,
            }
            for check in SelfCheck.objects.filter(user=user).order_by("taken_at", "pk")
        ],
        "circles": [
            {
                "circle": membership.circle_id,
                "name": membership.circle.name,
                "moderator": membership.circle.moderator_id == user.pk,
                "joined_at": iso(membership.joined_at),
            }
            for membership in CircleMembership.objects.filter(user=user)
            .select_related("circle")
            .order_by("joined_at", "pk")
        ],
    }


@dataclass(frozen=True)
class PeerErasure:
    self_checks: int
    shifts: int
    responder_profiles: int


def peer_data_erase(*, actor: User, user: User) -> PeerErasure:
    """Delete what peer holds about the person alone; call inside chat.export.account_erase's transaction.

    Gone: every self-check (answers and scores are health data, so the rows go and the supervisors'
    monthly means no longer count them), the weekly shifts and the responder profile (duty status,
    capacity, languages). Kept: training records (level, course, dates) under the anonymised account,
    so the number of people trained to each level still adds up; circle memberships, equally anonymous.
    A second call deletes nothing.
    """
    account_delete_check(actor=actor, user=user)
    self_checks, _ = SelfCheck.objects.filter(user_id=user.pk).delete()
    shifts, _ = ShiftSlot.objects.filter(profile__user_id=user.pk).delete()
    profiles, _ = ResponderProfile.objects.filter(user_id=user.pk).delete()
    return PeerErasure(self_checks=self_checks, shifts=shifts, responder_profiles=profiles)
