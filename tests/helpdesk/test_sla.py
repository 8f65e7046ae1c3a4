"""SLA clocks on business hours, warnings and breaches exactly once, even with two workers."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection, connections

from accounts.models import Role, User
from helpdesk import defaults, workflow
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
from helpdesk.sla import BUSINESS_CALENDAR, sla_tick
from peer.models import ResponderProfile

TOKYO = ZoneInfo("Asia/Tokyo")


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=TOKYO)


def first_response(consultation: Consultation) -> SLATimer:
    return SLATimer.objects.get(
        consultation=consultation, kind=TimerKind.FIRST_RESPONSE, stopped_at__isnull=True
    )


def test_a_normal_target_runs_on_business_hours_across_golden_week(
    make_user: Callable[..., User], file_consultation: Callable[..., Consultation]
) -> None:
    # Friday 2026-05-01 16:00; 8 business hours: 1 h on Friday, then 5/2-5/6 are closed
    with time_machine.travel(at(2026, 5, 1, 16, 0), tick=False):
        consultation = file_consultation(make_user(Role.WORKER))
    timer = first_response(consultation)
    assert timer.due_at == at(2026, 5, 7, 16, 0)
    assert timer.warn_at == at(2026, 5, 7, 14, 0)  # 75 % of 8 h = 6 h


def test_an_urgent_target_runs_around_the_clock(
    make_user: Callable[..., User], file_consultation: Callable[..., Consultation]
) -> None:
    with time_machine.travel(at(2026, 5, 2, 23, 50), tick=False):  # a Saturday night in Golden Week
        consultation = file_consultation(
            make_user(Role.WORKER), summary="「もう死にたい」と話し、薬をためている。"
        )
    assert consultation.priority == "urgent"
    assert first_response(consultation).due_at == at(2026, 5, 3, 0, 5)


def test_breach_escalates_exactly_once(
    make_user: Callable[..., User], file_consultation: Callable[..., Consultation]
) -> None:
    with time_machine.travel(at(2026, 6, 15, 9, 0), tick=False):  # Monday
        consultation = file_consultation(make_user(Role.WORKER))
    assert consultation.queue is not None and consultation.queue.slug == "peer"
    early = sla_tick(now=at(2026, 6, 15, 14, 0))
    assert early.as_dict() == {"warned": 0, "breached": 0}
    warned = sla_tick(now=at(2026, 6, 15, 15, 30))
    assert warned.as_dict()["warned"] >= 1
    breached = sla_tick(now=at(2026, 6, 15, 17, 1))
    assert breached.as_dict()["breached"] >= 1
    again = sla_tick(now=at(2026, 6, 15, 17, 2))
    assert again.breached == [] and again.warned == []
    consultation.refresh_from_db()
    assert consultation.status == Status.ESCALATED
    assert consultation.queue is not None and consultation.queue.slug == "expert-general"
    escalations = ConsultationEvent.objects.filter(consultation=consultation, kind=EventKind.ESCALATED)
    assert escalations.count() == 1
    assert (
        ConsultationEvent.objects.filter(consultation=consultation, kind=EventKind.SLA_WARNING).count() >= 1
    )


def test_waiting_for_the_worker_pauses_the_clock(
    make_user: Callable[..., User], file_consultation: Callable[..., Consultation]
) -> None:
    peer = make_user(Role.PEER)
    ResponderProfile.objects.create(user=peer, on_duty=True)
    with time_machine.travel(at(2026, 6, 15, 9, 0), tick=False):
        consultation = file_consultation(make_user(Role.WORKER))
        workflow.claim(actor=peer, consultation_id=consultation.pk)
        workflow.responder_replied(consultation_id=consultation.pk, actor=peer)
    resolution_due = SLATimer.objects.get(consultation=consultation, kind=TimerKind.RESOLUTION).due_at
    with time_machine.travel(at(2026, 6, 15, 10, 0), tick=False):
        workflow.status_set(actor=peer, consultation_id=consultation.pk, status=Status.WAITING)
    with time_machine.travel(at(2026, 6, 16, 10, 0), tick=False):  # one business day later
        workflow.worker_replied(consultation_id=consultation.pk)
    resumed = SLATimer.objects.get(
        consultation=consultation, kind=TimerKind.RESOLUTION, stopped_at__isnull=True
    )
    # paused Monday 10:00 to Tuesday 10:00: eight business hours later than before
    assert resumed.due_at == BUSINESS_CALENDAR.add(resolution_due, timedelta(hours=8))


def test_an_unanswered_claim_returns_to_the_queue(
    make_user: Callable[..., User], file_consultation: Callable[..., Consultation]
) -> None:
    peer = make_user(Role.PEER)
    ResponderProfile.objects.create(user=peer, on_duty=True)
    with time_machine.travel(at(2026, 6, 15, 9, 0), tick=False):
        consultation = file_consultation(make_user(Role.WORKER))
        workflow.claim(actor=peer, consultation_id=consultation.pk)
    sla_tick(now=at(2026, 6, 15, 13, 1))  # the normal return timer is 4 business hours
    consultation.refresh_from_db()
    assert consultation.assignee is None
    assert consultation.status == Status.RECEIVED
    assert ConsultationEvent.objects.filter(consultation=consultation, kind=EventKind.RELEASED).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_sla_workers_escalate_each_consultation_once(make_user: Callable[..., User]) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SKIP LOCKED is a PostgreSQL property; make test runs on PostgreSQL")
    defaults.install(Queue, RoutingRule)
    from helpdesk.services import CaseFacts, consultation_create

    worker = make_user(Role.WORKER)
    with time_machine.travel(at(2026, 6, 15, 9, 0), tick=False):
        consultations = [
            consultation_create(actor=worker, facts=CaseFacts(category="burnout", question=f"相談{n}"))
            for n in range(30)
        ]
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def run_worker() -> None:
        try:
            barrier.wait(timeout=30)
            for minute in range(3):
                sla_tick(now=at(2026, 6, 15, 17, 1 + minute), batch=7)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run_worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    for consultation in consultations:
        events = ConsultationEvent.objects.filter(consultation=consultation)
        assert events.filter(kind=EventKind.ESCALATED).count() == 1
        assert events.filter(kind=EventKind.SLA_BREACH, reason=TimerKind.FIRST_RESPONSE).count() == 1
