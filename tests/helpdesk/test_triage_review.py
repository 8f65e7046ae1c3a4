"""Supervisors correct triage decisions; corrections are exported as labelled examples."""

from __future__ import annotations

import io
import json
from collections.abc import Callable

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.test import Client

from accounts.models import Role, User
from helpdesk.models import Consultation, ConsultationEvent, EventKind
from helpdesk.triage_review import triage_correct


def test_a_supervisor_raises_a_missed_case_to_the_urgent_lane_and_it_is_exported(
    make_user: Callable[..., User], file_consultation: Callable[..., Consultation]
) -> None:
    consultation = file_consultation(
        make_user(Role.WORKER), category="hard_case", subtype="other", question="最近、連絡がつきません。"
    )
    supervisor = make_user(Role.SUPERVISOR)
    consultation.status = "escalated"  # supervisors see escalated, urgent and supervisor-queue cases
    consultation.save()
    triage_correct(actor=supervisor, consultation_id=consultation.pk, level="urgent", reason="連絡途絶は緊急")
    consultation.refresh_from_db()
    assert consultation.priority == "urgent"
    assert consultation.queue is not None and consultation.queue.slug == "urgent"
    assert ConsultationEvent.objects.filter(
        consultation=consultation, kind=EventKind.TRIAGE_CORRECTED
    ).exists()

    out, err = io.StringIO(), io.StringIO()
    call_command("triage_export", stdout=out, stderr=err)
    (line,) = out.getvalue().splitlines()
    example = json.loads(line)
    assert example["urgent"] is True and example["original_level"] != "urgent"
    assert "連絡がつきません" in example["text"]
    assert "1 correction(s)" in err.getvalue()


def test_only_supervisors_correct_and_a_reason_is_required(
    make_user: Callable[..., User], file_consultation: Callable[..., Consultation]
) -> None:
    consultation = file_consultation(make_user(Role.WORKER))
    with pytest.raises(PermissionDenied):
        triage_correct(
            actor=make_user(Role.EXPERT), consultation_id=consultation.pk, level="urgent", reason="x"
        )
    with pytest.raises(ValueError):
        triage_correct(
            actor=make_user(Role.SUPERVISOR), consultation_id=consultation.pk, level="urgent", reason=" "
        )


def test_the_detail_page_offers_the_correction_to_supervisors_only(
    make_user: Callable[..., User],
    enrolled: Callable[..., User],
    verified_client: Callable[[User], Client],
    file_consultation: Callable[..., Consultation],
) -> None:
    consultation = file_consultation(make_user(Role.WORKER), summary="本人が「もう消えたい」と話している。")
    supervisor = enrolled(Role.SUPERVISOR)
    client = verified_client(supervisor)
    page = client.get(f"/consultations/{consultation.pk}/").content.decode()
    assert 'name="level"' in page
    response = client.post(
        f"/consultations/{consultation.pk}/triage/", {"level": "high", "reason": "過去の話と確認できた"}
    )
    assert response.status_code == 302
    consultation.refresh_from_db()
    assert consultation.priority == "high"


def test_export_rejects_a_bad_date(db: None) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("triage_export", "--since", "yesterday", stdout=io.StringIO(), stderr=io.StringIO())
