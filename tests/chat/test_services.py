"""Chat services: roles, whispers, case conferences, read marks and unread counts."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from accounts.models import Role, User
from chat import services
from helpdesk import workflow
from helpdesk.models import Consultation, Queue
from helpdesk.selectors import ChatRole, chat_role_for
from peer.models import ResponderProfile


@pytest.fixture
def claimed(
    make_user: Callable[..., User], file_consultation: Callable[..., Consultation]
) -> dict[str, object]:
    worker = make_user(Role.WORKER)
    expert = make_user(Role.EXPERT)
    ResponderProfile.objects.create(user=expert, on_duty=True)
    consultation = file_consultation(worker, category="hard_case", subtype="other", question="助言がほしい")
    workflow.claim(actor=expert, consultation_id=consultation.pk)
    return {"worker": worker, "expert": expert, "consultation": consultation}


def send(user: User, consultation: Consultation, body: str = "テスト", whisper: bool = False) -> Any:
    return services.message_send(
        actor=user, consultation_id=consultation.pk, client_id=uuid.uuid4(), body=body, whisper=whisper
    ).message


def test_whispers_have_their_own_sequence_and_are_never_replayed_to_the_worker(
    claimed: dict[str, object], make_user: Callable[..., User]
) -> None:
    consultation, worker, expert = claimed["consultation"], claimed["worker"], claimed["expert"]
    assert isinstance(consultation, Consultation) and isinstance(worker, User) and isinstance(expert, User)
    workflow.transfer_request(
        actor=expert,
        consultation_id=consultation.pk,
        reason="SVに相談",
        to_queue=Queue.objects.get(slug="supervisor"),
        escalation=True,
    )
    supervisor = make_user(Role.SUPERVISOR)
    assert chat_role_for(actor=supervisor, consultation_id=consultation.pk) == ChatRole.OBSERVER
    send(worker, consultation, "相談者の発言")
    whisper = send(supervisor, consultation, "まず共感を", whisper=True)
    assert whisper.seq == 1
    with pytest.raises(services.ChatError):
        send(supervisor, consultation, "相談者に直接")  # observers only whisper
    with pytest.raises(services.ChatError):
        send(worker, consultation, "ささやき", whisper=True)
    assert (
        services.messages_after(actor=worker, consultation_id=consultation.pk, after_seq=0, whispers=True)
        == []
    )
    staff = services.messages_after(actor=expert, consultation_id=consultation.pk, after_seq=0, whispers=True)
    assert [frame["type"] for frame in staff] == ["whisper"]
    seen_by_worker = services.messages_after(actor=worker, consultation_id=consultation.pk, after_seq=0)
    assert [frame["seq"] for frame in seen_by_worker] == [1]


def test_a_case_conference_invitation_expires(
    claimed: dict[str, object], make_user: Callable[..., User]
) -> None:
    consultation, expert = claimed["consultation"], claimed["expert"]
    assert isinstance(consultation, Consultation) and isinstance(expert, User)
    colleague = make_user(Role.EXPERT)
    assert chat_role_for(actor=colleague, consultation_id=consultation.pk) is None
    workflow.conference_invite(actor=expert, consultation_id=consultation.pk, invitee=colleague, hours=2)
    assert chat_role_for(actor=colleague, consultation_id=consultation.pk) == ChatRole.MEMBER
    send(colleague, consultation, "ケース会議での意見")
    with time_machine.travel(timezone.now() + timedelta(hours=3)):
        assert chat_role_for(actor=colleague, consultation_id=consultation.pk) is None


def test_read_marks_never_move_backwards_and_unread_counts_follow(claimed: dict[str, object]) -> None:
    consultation, worker, expert = claimed["consultation"], claimed["worker"], claimed["expert"]
    assert isinstance(consultation, Consultation) and isinstance(worker, User) and isinstance(expert, User)
    for n in range(4):
        send(expert, consultation, f"返信{n}")
    assert services.unread_counts(actor=worker, consultation_ids=[consultation.pk]) == {consultation.pk: 4}
    assert services.read_mark(actor=worker, consultation_id=consultation.pk, seq=3) == 3
    assert services.read_mark(actor=worker, consultation_id=consultation.pk, seq=1) == 3
    assert services.read_mark(actor=worker, consultation_id=consultation.pk, seq=99) == 4
    assert services.unread_counts(actor=worker, consultation_ids=[consultation.pk]) == {consultation.pk: 0}


def test_the_unread_endpoint_counts_only_visible_consultations(
    claimed: dict[str, object], verified_client: Callable[[User], Client], enrolled: Callable[..., User]
) -> None:
    consultation, expert = claimed["consultation"], claimed["expert"]
    assert isinstance(consultation, Consultation) and isinstance(expert, User)
    send(expert, consultation, "お返事です")
    stranger = enrolled(Role.WORKER)
    assert verified_client(stranger).get("/chat/unread/").json() == {"unread": {}}


def test_a_closed_consultation_takes_no_more_messages(claimed: dict[str, object]) -> None:
    consultation, worker, expert = claimed["consultation"], claimed["worker"], claimed["expert"]
    assert isinstance(consultation, Consultation) and isinstance(worker, User) and isinstance(expert, User)
    workflow.status_set(actor=expert, consultation_id=consultation.pk, status="resolved")
    workflow.status_set(actor=expert, consultation_id=consultation.pk, status="closed")
    with pytest.raises(services.ChatError) as refused:
        send(worker, consultation, "まだ話したい")
    assert refused.value.code == "closed"


def test_the_first_responder_message_meets_the_first_response_target(claimed: dict[str, object]) -> None:
    consultation, expert = claimed["consultation"], claimed["expert"]
    assert isinstance(consultation, Consultation) and isinstance(expert, User)
    send(expert, consultation, "はじめまして")
    consultation.refresh_from_db()
    assert consultation.first_response_at is not None
    assert not consultation.timers.filter(kind="first_response", stopped_at__isnull=True).exists()
