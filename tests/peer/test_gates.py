"""Training levels gate queues as data; training records are written by admins and supervisors."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import AuditEvent, OrganisationType, Role, User
from helpdesk import routing
from helpdesk.models import Consultation, Queue
from peer import services
from peer.models import QueueGate, ResponderProfile, TrainingLevel

RISKY = "本人が「死にたい」と繰り返し、刃物を持ち出した。"  # fictional; the triage's own test sentence


def test_the_urgent_lane_is_for_experts_and_leader_peers(
    responder: Callable[..., User], make_user: Callable[..., User], file_consultation: Callable[..., Any]
) -> None:
    urgent = file_consultation(make_user(Role.WORKER), summary=RISKY)
    assert urgent.priority == "urgent" and urgent.queue is not None and urgent.queue.slug == "urgent"
    novice = responder(Role.PEER, training_level=TrainingLevel.NOVICE)
    middle = responder(Role.PEER, training_level=TrainingLevel.INTERMEDIATE)
    leader = responder(Role.PEER, training_level=TrainingLevel.LEADER)
    expert = responder(Role.EXPERT)
    assert [
        routing.claimable_for(u).filter(pk=urgent.pk).exists() for u in (novice, middle, leader, expert)
    ] == [
        False,
        False,
        True,
        True,
    ]
    assert routing.queues_for(leader).filter(slug="urgent").exists()
    assert not routing.queues_for(middle).filter(slug="urgent").exists()
    # The admin edits the gate as data: intermediate peers join the lane
    QueueGate.objects.filter(queue_slug="urgent").update(min_training_level=TrainingLevel.INTERMEDIATE)
    assert routing.claimable_for(middle).filter(pk=urgent.pk).exists()
    assert not routing.claimable_for(novice).filter(pk=urgent.pk).exists()


def test_peer_queues_keep_their_own_minimum_level(
    responder: Callable[..., User], make_user: Callable[..., User], file_consultation: Callable[..., Any]
) -> None:
    Queue.objects.filter(slug="peer").update(min_training_level=TrainingLevel.INTERMEDIATE)
    consultation = file_consultation(make_user(Role.WORKER))
    assert consultation.queue is not None and consultation.queue.slug == "peer"
    novice = responder(Role.PEER, training_level=TrainingLevel.NOVICE)
    middle = responder(Role.PEER, training_level=TrainingLevel.INTERMEDIATE)
    assert not routing.claimable_for(novice).filter(pk=consultation.pk).exists()
    assert routing.claimable_for(middle).filter(pk=consultation.pk).exists()


def test_urgent_consultations_in_a_peer_queue_need_the_urgent_gate(
    responder: Callable[..., User], make_user: Callable[..., User], file_consultation: Callable[..., Any]
) -> None:
    urgent = file_consultation(make_user(Role.WORKER), summary=RISKY)
    Consultation.objects.filter(pk=urgent.pk).update(queue=Queue.objects.get(slug="peer"))
    middle = responder(Role.PEER, training_level=TrainingLevel.INTERMEDIATE)
    leader = responder(Role.PEER, training_level=TrainingLevel.LEADER)
    assert not routing.visible_to_responder(middle).filter(pk=urgent.pk).exists()
    assert routing.visible_to_responder(leader).filter(pk=urgent.pk).exists()


@pytest.fixture
def kanagawa_peer(responder: Callable[..., User], make_org: Callable[..., Any]) -> User:
    return responder(Role.PEER, organisation=make_org(prefecture="14"))


@pytest.mark.parametrize(
    ("role", "org", "allowed"),
    [
        (Role.ADMIN, {"prefecture": "13"}, True),
        (Role.SUPERVISOR, {"prefecture": "14"}, True),
        (Role.SUPERVISOR, {"prefecture": "13"}, False),
        (Role.SUPERVISOR, {"prefecture": "13", "org_type": OrganisationType.NATIONAL}, True),
        (Role.PEER, {"prefecture": "14"}, False),
        (Role.EXPERT, {"prefecture": "14"}, False),
        (Role.WORKER, {"prefecture": "14"}, False),
    ],
)
def test_only_admins_and_supervisors_record_training(
    kanagawa_peer: User,
    make_user: Callable[..., User],
    make_org: Callable[..., Any],
    role: str,
    org: dict[str, Any],
    allowed: bool,
) -> None:
    actor = make_user(role, organisation=make_org(**org))
    record = lambda: services.training_record(  # noqa: E731
        actor=actor,
        responder=kanagawa_peer,
        level="intermediate",
        completed_on=date(2026, 1, 20),
        course="中級研修",
    )
    if allowed:
        assert record().recorded_by == actor
        assert ResponderProfile.objects.get(user=kanagawa_peer).training_level == "intermediate"
        assert AuditEvent.objects.filter(action="training_recorded", actor=actor).exists()
    else:
        with pytest.raises(PermissionError):
            record()
        assert ResponderProfile.objects.get(user=kanagawa_peer).training_level == "novice"


def test_the_newest_course_sets_the_level_and_the_future_is_refused(
    kanagawa_peer: User, make_user: Callable[..., User]
) -> None:
    admin = make_user(Role.ADMIN)
    services.training_record(
        actor=admin,
        responder=kanagawa_peer,
        level="leader",
        completed_on=date(2026, 2, 1),
        course="指導者研修",
    )
    services.training_record(  # an older course entered late does not lower the level
        actor=admin,
        responder=kanagawa_peer,
        level="novice",
        completed_on=date(2025, 4, 1),
        course="初任者研修",
    )
    assert ResponderProfile.objects.get(user=kanagawa_peer).training_level == "leader"
    with pytest.raises(ValidationError):
        services.training_record(
            actor=admin,
            responder=kanagawa_peer,
            level="leader",
            completed_on=timezone.localdate() + timedelta(days=1),
            course="未来の研修",
        )


def test_a_supervisor_cannot_record_their_own_training(make_user: Callable[..., User]) -> None:
    supervisor = make_user(Role.SUPERVISOR)
    with pytest.raises(PermissionError):
        services.training_record(
            actor=supervisor,
            responder=supervisor,
            level="leader",
            completed_on=date(2026, 1, 1),
            course="研修",
        )
