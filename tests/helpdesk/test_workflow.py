"""Routing, claiming, capacity, transfers and the state machine."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections

from accounts.models import Organisation, Role, User
from helpdesk import defaults, routing, workflow
from helpdesk.choices import Status
from helpdesk.models import (
    Consultation,
    ConsultationEvent,
    EventKind,
    Queue,
    RoutingRule,
    SLATimer,
    TimerKind,
)
from helpdesk.models.routing import TransferState
from peer.models import ResponderProfile


def on_duty(user: User, capacity: int = 3, level: str = "novice") -> User:
    ResponderProfile.objects.update_or_create(
        user=user, defaults={"on_duty": True, "capacity": capacity, "training_level": level}
    )
    return user


@pytest.fixture
def responder(make_user: Callable[..., User]) -> Callable[..., User]:
    def make(role: str = Role.EXPERT, **fields: Any) -> User:
        return on_duty(
            make_user(role, **fields), capacity=fields.pop("capacity", 3) if "capacity" in fields else 3
        )

    return make


def test_new_consultations_are_routed_by_the_rules(
    make_user: Callable[..., User], file_consultation: Callable[..., Consultation]
) -> None:
    worker = make_user(Role.WORKER)
    burnout = file_consultation(worker)
    legal = file_consultation(worker, category="hard_case", subtype="legal", question="相続の相談です。")
    assert burnout.queue is not None and burnout.queue.slug == "peer"
    assert legal.queue is not None and legal.queue.slug == "expert-law"
    assert SLATimer.objects.filter(consultation=burnout, kind=TimerKind.FIRST_RESPONSE).exists()
    assert list(ConsultationEvent.objects.filter(consultation=burnout).values_list("kind", flat=True)) == [
        EventKind.CREATED,
        EventKind.ROUTED,
    ]


def test_an_urgent_consultation_goes_to_the_urgent_lane(
    make_user: Callable[..., User], file_consultation: Callable[..., Consultation]
) -> None:
    consultation = file_consultation(
        make_user(Role.WORKER), summary="本人が「死にたい」と繰り返し、刃物を持ち出した。"
    )
    assert consultation.priority == "urgent"
    assert consultation.queue is not None and consultation.queue.slug == "urgent"


def test_routing_never_reaches_the_workers_own_organisation(
    make_user: Callable[..., User],
    make_org: Callable[..., Organisation],
    file_consultation: Callable[..., Consultation],
) -> None:
    home = make_org(municipality_code="141003")
    neighbour = make_org(municipality_code="141003")
    elsewhere = make_org(municipality_code="011002")
    consultation = file_consultation(make_user(Role.WORKER, organisation=home), pseudonymous=True)
    colleague = on_duty(make_user(Role.PEER, organisation=home))
    same_town = on_duty(make_user(Role.PEER, organisation=neighbour))
    stranger = on_duty(make_user(Role.PEER, organisation=elsewhere))
    assert not routing.claimable_for(colleague).filter(pk=consultation.pk).exists()
    assert not routing.claimable_for(same_town).filter(pk=consultation.pk).exists()
    assert routing.claimable_for(stranger).filter(pk=consultation.pk).exists()
    with pytest.raises(workflow.NotFound):
        workflow.claim(actor=colleague, consultation_id=consultation.pk)


def test_same_municipality_is_allowed_when_the_worker_is_not_pseudonymous(
    make_user: Callable[..., User],
    make_org: Callable[..., Organisation],
    file_consultation: Callable[..., Consultation],
) -> None:
    home = make_org(municipality_code="141003")
    neighbour = make_org(municipality_code="141003")
    consultation = file_consultation(make_user(Role.WORKER, organisation=home), pseudonymous=False)
    same_town = on_duty(make_user(Role.PEER, organisation=neighbour))
    assert routing.claimable_for(same_town).filter(pk=consultation.pk).exists()


def test_queue_order_is_priority_then_waiting_time(
    make_user: Callable[..., User], file_consultation: Callable[..., Consultation]
) -> None:
    worker = make_user(Role.WORKER)
    first = file_consultation(worker, category="hard_case", subtype="other", question="一件目")
    second = file_consultation(
        worker, category="hard_case", subtype="other", question="二件目", worker_urgency="high"
    )
    expert = on_duty(make_user(Role.EXPERT))
    ordered = list(routing.claimable_for(expert).values_list("pk", flat=True))
    assert ordered.index(second.pk) < ordered.index(first.pk)
    assert workflow.claim_next(actor=expert) == second


def test_claim_needs_duty_and_capacity(
    make_user: Callable[..., User], file_consultation: Callable[..., Consultation]
) -> None:
    worker = make_user(Role.WORKER)
    peer = make_user(Role.PEER)
    consultations = [file_consultation(worker, question=f"{n}件目") for n in range(3)]
    with pytest.raises(workflow.Conflict) as off:
        workflow.claim(actor=peer, consultation_id=consultations[0].pk)
    assert off.value.code == "off_duty"
    on_duty(peer, capacity=2)
    workflow.claim(actor=peer, consultation_id=consultations[0].pk)
    workflow.claim(actor=peer, consultation_id=consultations[1].pk)
    with pytest.raises(workflow.Conflict) as full:
        workflow.claim(actor=peer, consultation_id=consultations[2].pk)
    assert full.value.code == "over_capacity"


def test_heavy_cases_weigh_double(
    make_user: Callable[..., User], file_consultation: Callable[..., Consultation]
) -> None:
    worker = make_user(Role.WORKER)
    expert = on_duty(make_user(Role.EXPERT, specialties=["family_violence"]), capacity=2)
    heavy = file_consultation(
        worker, category="hard_case", subtype="domestic_violence", question="暴力の相談"
    )
    light = file_consultation(worker, category="hard_case", subtype="other", question="一般の相談")
    workflow.claim(actor=expert, consultation_id=heavy.pk)
    with pytest.raises(workflow.Conflict):
        workflow.claim(actor=expert, consultation_id=light.pk)


def test_a_second_claim_gets_a_clear_answer(
    make_user: Callable[..., User], file_consultation: Callable[..., Consultation]
) -> None:
    consultation = file_consultation(make_user(Role.WORKER))
    first, second = on_duty(make_user(Role.PEER)), on_duty(make_user(Role.PEER))
    workflow.claim(actor=first, consultation_id=consultation.pk)
    with pytest.raises(workflow.Conflict) as lost:
        workflow.claim(actor=second, consultation_id=consultation.pk)
    assert lost.value.code == "already_claimed"
    assert "担当" in lost.value.detail


def test_states_waiting_pauses_then_resolve_and_reopen(
    make_user: Callable[..., User], file_consultation: Callable[..., Consultation]
) -> None:
    worker = make_user(Role.WORKER)
    consultation = file_consultation(worker)
    peer = on_duty(make_user(Role.PEER))
    workflow.claim(actor=peer, consultation_id=consultation.pk)
    workflow.status_set(actor=peer, consultation_id=consultation.pk, status=Status.WAITING, reason="資料待ち")
    paused = SLATimer.objects.filter(consultation=consultation, stopped_at__isnull=True)
    assert paused.exists() and all(t.paused_at is not None for t in paused)
    workflow.worker_replied(consultation_id=consultation.pk)
    consultation.refresh_from_db()
    assert consultation.status == Status.IN_PROGRESS
    assert all(
        t.paused_at is None
        for t in SLATimer.objects.filter(consultation=consultation, stopped_at__isnull=True)
    )
    workflow.status_set(actor=peer, consultation_id=consultation.pk, status=Status.RESOLVED)
    assert not SLATimer.objects.filter(consultation=consultation, stopped_at__isnull=True).exists()
    with pytest.raises(workflow.Conflict):
        workflow.status_set(actor=peer, consultation_id=consultation.pk, status=Status.WAITING)
    workflow.reopen(actor=worker, consultation_id=consultation.pk, reason="再度相談したい")
    consultation.refresh_from_db()
    assert consultation.status == Status.IN_PROGRESS
    kinds = list(ConsultationEvent.objects.filter(consultation=consultation).values_list("kind", flat=True))
    assert kinds.count(EventKind.STATUS) == 4


def test_transfer_is_accepted_or_declined_by_its_target(
    make_user: Callable[..., User], file_consultation: Callable[..., Consultation]
) -> None:
    consultation = file_consultation(make_user(Role.WORKER))
    peer = on_duty(make_user(Role.PEER))
    expert = on_duty(make_user(Role.EXPERT))
    workflow.claim(actor=peer, consultation_id=consultation.pk)
    expert_queue = Queue.objects.get(slug="expert-general")
    with pytest.raises(workflow.WorkflowError):
        workflow.transfer_request(
            actor=peer, consultation_id=consultation.pk, reason="", to_queue=expert_queue
        )
    declined = workflow.transfer_request(
        actor=peer,
        consultation_id=consultation.pk,
        reason="専門的な助言が必要",
        to_queue=expert_queue,
        escalation=True,
    )
    workflow.transfer_decide(actor=expert, transfer_id=declined.pk, accept=False, reason="担当外")
    again = workflow.transfer_request(
        actor=peer, consultation_id=consultation.pk, reason="専門的な助言が必要", to_queue=expert_queue
    )
    workflow.transfer_decide(actor=expert, transfer_id=again.pk, accept=True)
    consultation.refresh_from_db()
    again.refresh_from_db()
    assert again.state == TransferState.ACCEPTED
    assert consultation.assignee == expert and consultation.queue == expert_queue
    with pytest.raises(workflow.NotFound):
        workflow.transfer_decide(actor=expert, transfer_id=again.pk, accept=True)


def test_private_notes_are_for_responders(
    make_user: Callable[..., User], file_consultation: Callable[..., Consultation]
) -> None:
    worker = make_user(Role.WORKER)
    consultation = file_consultation(worker)
    peer = on_duty(make_user(Role.PEER))
    note = workflow.note_add(actor=peer, consultation_id=consultation.pk, body="次回は家族支援の資源を紹介")
    assert note.consultation == consultation
    with pytest.raises(workflow.NotFound):
        workflow.note_add(actor=worker, consultation_id=consultation.pk, body="見えるはずがない")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_simultaneous_claims_have_exactly_one_winner(make_user: Callable[..., User]) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locking is a PostgreSQL property; make test runs on PostgreSQL")
    defaults.install(Queue, RoutingRule)
    from helpdesk.services import CaseFacts, consultation_create

    consultation = consultation_create(
        actor=make_user(Role.WORKER), facts=CaseFacts(category="burnout", question="眠れない日が続く")
    )
    peers = [on_duty(make_user(Role.PEER)) for _ in range(20)]
    barrier = threading.Barrier(len(peers))
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(peer: User) -> None:
        try:
            barrier.wait(timeout=30)
            workflow.claim(actor=peer, consultation_id=consultation.pk)
            result = "won"
        except workflow.Conflict as conflict:
            result = conflict.code
        finally:
            connections.close_all()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=attempt, args=(peer,)) for peer in peers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["already_claimed"] * 19 + ["won"]
    consultation.refresh_from_db()
    assert consultation.assignee in peers
    assert ConsultationEvent.objects.filter(consultation=consultation, kind=EventKind.CLAIMED).count() == 1


def test_going_on_leave_hands_everything_to_the_substitute(
    make_user: Callable[..., User],
    file_consultation: Callable[..., Consultation],
) -> None:
    worker = make_user(Role.WORKER)
    peer = on_duty(make_user(Role.PEER))
    substitute = on_duty(make_user(Role.PEER))
    first = file_consultation(worker, question="一件目")
    second = file_consultation(worker, question="二件目")
    for consultation in (first, second):
        workflow.claim(actor=peer, consultation_id=consultation.pk)
    colleague_of_worker = on_duty(make_user(Role.PEER, organisation=worker.organisation))
    moved, kept = workflow.leave_with_substitute(actor=peer, substitute=substitute)
    assert sorted(moved) == sorted([first.pk, second.pk]) and kept == []
    first.refresh_from_db()
    assert first.assignee == substitute
    assert not ResponderProfile.objects.get(user=peer).on_duty
    handover = ConsultationEvent.objects.filter(consultation=first, kind=EventKind.TRANSFER_ACCEPTED).get()
    assert handover.target == substitute and "交代" in handover.reason
    # a substitute from the worker's own organisation may not take the case: it stays, reported
    third = file_consultation(worker, question="三件目")
    workflow.claim(actor=substitute, consultation_id=third.pk)
    moved, kept = workflow.leave_with_substitute(actor=substitute, substitute=colleague_of_worker)
    assert kept and third.pk in kept
    with pytest.raises(workflow.WorkflowError):
        workflow.leave_with_substitute(actor=peer, substitute=worker)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_next_consultation_gives_each_responder_a_different_one(
    make_user: Callable[..., User],
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SKIP LOCKED is a PostgreSQL property; make test runs on it")
    defaults.install(Queue, RoutingRule)
    from helpdesk.services import CaseFacts, consultation_create

    worker = make_user(Role.WORKER)
    for n in range(6):
        consultation_create(actor=worker, facts=CaseFacts(category="burnout", question=f"相談{n}"))
    peers = [on_duty(make_user(Role.PEER)) for _ in range(6)]
    barrier = threading.Barrier(len(peers))
    taken: list[int | None] = []
    lock = threading.Lock()

    def pull(peer: User) -> None:
        try:
            barrier.wait(timeout=30)
            picked = workflow.claim_next(actor=peer)
        finally:
            connections.close_all()
        with lock:
            taken.append(picked.pk if picked else None)

    threads = [threading.Thread(target=pull, args=(peer,)) for peer in peers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert None not in taken
    assert len(set(taken)) == len(peers)
