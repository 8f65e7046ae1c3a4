"""Care for the carers: debrief requests, feedback, reflections and the follow-up question."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.template.loader import render_to_string
from django.test import Client

from accounts.models import AuditEvent, Role, User
from helpdesk import care, defaults, workflow
from helpdesk.choices import Status
from helpdesk.models import Consultation, DebriefRequest, Feedback, Queue, RoutingRule
from helpdesk.models.care import DebriefState
from peer.models import ResponderProfile
from tests.peer.helpers import login, tokyo

pytestmark = pytest.mark.urls("tests.peer.urls")
RESOLVED_AT = tokyo(2026, 3, 2, 15, 0)


@pytest.fixture(autouse=True)
def _queues(db: None) -> None:
    defaults.install(Queue, RoutingRule)


def _expert(make_user: Callable[..., User], **fields: Any) -> User:
    expert = make_user(Role.EXPERT, specialties=["family_violence", "mental_health"], **fields)
    # A generous heavy-case cap: these tests are about feedback, not about the weekly cap.
    ResponderProfile.objects.create(user=expert, on_duty=True, capacity=10, heavy_weekly_cap=10)
    return expert


def _resolved(
    file_consultation: Callable[..., Consultation], worker: User, responder: User, subtype: str = "abuse"
) -> Consultation:
    with time_machine.travel(RESOLVED_AT - timedelta(hours=2), tick=False):
        consultation = file_consultation(
            worker, category="hard_case", subtype=subtype, question="支援の進め方を相談したいです。"
        )
        workflow.claim(actor=responder, consultation_id=consultation.pk)
    with time_machine.travel(RESOLVED_AT, tick=False):
        workflow.status_set(actor=responder, consultation_id=consultation.pk, status=Status.RESOLVED)
    consultation.refresh_from_db()
    return consultation


@pytest.fixture
def heavy_case(
    make_user: Callable[..., User], file_consultation: Callable[..., Consultation]
) -> Consultation:
    return _resolved(file_consultation, make_user(Role.WORKER), _expert(make_user))


def test_resolving_a_heavy_case_offers_a_private_debrief_that_lands_with_supervisors(
    heavy_case: Consultation, make_user: Callable[..., User], django_capture_on_commit_callbacks: Any
) -> None:
    responder = heavy_case.assignee
    assert responder is not None
    assert care.prompts_for(actor=responder, consultation=heavy_case).debrief
    with django_capture_on_commit_callbacks() as bells:
        request = care.debrief_request(
            actor=responder, consultation_id=heavy_case.pk, note="佐藤さんの件で眠れません。"
        )
    assert len(bells) == 1  # one doorbell for the supervisors, after commit
    assert "佐藤" not in request.note and "【人物A】" in request.note
    assert not care.prompts_for(actor=responder, consultation=heavy_case).debrief
    with pytest.raises(care.CareError) as twice:
        care.debrief_request(actor=responder, consultation_id=heavy_case.pk)
    assert twice.value.code == "already_requested"
    supervisor = make_user(Role.SUPERVISOR)
    assert list(care.debrief_list_for(actor=supervisor)) == [request]
    for other in (make_user(Role.PEER), make_user(Role.EXPERT), heavy_case.worker, responder):
        assert not care.debrief_list_for(actor=other).exists()


def test_only_heavy_resolved_cases_of_ones_own_can_be_debriefed(
    make_user: Callable[..., User], file_consultation: Callable[..., Consultation]
) -> None:
    expert, worker = _expert(make_user), make_user(Role.WORKER)
    light = _resolved(file_consultation, worker, expert, subtype="other")
    with pytest.raises(care.CareError) as not_heavy:
        care.debrief_request(actor=expert, consultation_id=light.pk)
    assert not_heavy.value.code == "not_heavy"
    heavy = _resolved(file_consultation, worker, expert)
    with pytest.raises(care.NotFound):
        care.debrief_request(actor=_expert(make_user), consultation_id=heavy.pk)
    workflow.reopen(actor=worker, consultation_id=heavy.pk, reason="続きを相談したい")
    with pytest.raises(care.CareError) as open_again:
        care.debrief_request(actor=expert, consultation_id=heavy.pk)
    assert open_again.value.code == "not_resolved"


def test_a_supervisor_takes_and_closes_a_request(
    heavy_case: Consultation, make_user: Callable[..., User]
) -> None:
    assert heavy_case.assignee is not None
    request = care.debrief_request(actor=heavy_case.assignee, consultation_id=heavy_case.pk)
    first, second = make_user(Role.SUPERVISOR), make_user(Role.SUPERVISOR)
    care.debrief_advance(actor=first, request_id=request.pk, state=DebriefState.TAKEN)
    with pytest.raises(care.CareError) as taken:
        care.debrief_advance(actor=second, request_id=request.pk, state=DebriefState.CLOSED)
    assert taken.value.code == "taken"
    care.debrief_advance(actor=first, request_id=request.pk, state=DebriefState.CLOSED)
    request.refresh_from_db()
    assert request.state == DebriefState.CLOSED and request.closed_at is not None
    assert not care.debrief_list_for(actor=second).exists()
    assert AuditEvent.objects.filter(action="debrief_closed", actor=first).exists()


def test_feedback_is_the_workers_once_after_resolution_and_de_identified(
    heavy_case: Consultation, make_user: Callable[..., User]
) -> None:
    worker = heavy_case.worker
    with pytest.raises(care.NotFound):
        care.feedback_give(actor=make_user(Role.WORKER), consultation_id=heavy_case.pk, helpfulness=5)
    with pytest.raises(care.CareError):
        care.feedback_give(actor=worker, consultation_id=heavy_case.pk, helpfulness=6)
    feedback = care.feedback_give(
        actor=worker,
        consultation_id=heavy_case.pk,
        helpfulness=4,
        comment="山田さんに話を聞いてもらえて楽になりました。",
    )
    assert feedback.comment == "【人物A】さんに話を聞いてもらえて楽になりました。"
    with pytest.raises(care.CareError) as twice:
        care.feedback_give(actor=worker, consultation_id=heavy_case.pk, helpfulness=1)
    assert twice.value.code == "already_given"


def test_the_responder_writes_a_reflection_once(
    heavy_case: Consultation, make_user: Callable[..., User]
) -> None:
    responder = heavy_case.assignee
    assert responder is not None
    assert care.prompts_for(actor=responder, consultation=heavy_case).reflection
    care.reflection_write(actor=responder, consultation_id=heavy_case.pk, body="傾聴を優先できた。")
    assert not care.prompts_for(actor=responder, consultation=heavy_case).reflection
    with pytest.raises(care.CareError):
        care.reflection_write(actor=responder, consultation_id=heavy_case.pk, body="もう一度")
    with pytest.raises(care.NotFound):
        care.reflection_write(actor=heavy_case.worker, consultation_id=heavy_case.pk, body="相談者です")


def test_the_follow_up_is_due_two_to_four_weeks_after_resolution(heavy_case: Consultation) -> None:
    worker = heavy_case.worker
    due = lambda days: list(care.followups_due_for(worker, RESOLVED_AT + timedelta(days=days)))  # noqa: E731
    assert due(13) == [] and due(14) == [heavy_case] and due(27) == [heavy_case] and due(28) == []
    with pytest.raises(care.CareError) as early:
        care.followup_answer(
            actor=worker,
            consultation_id=heavy_case.pk,
            outcome="better",
            now=RESOLVED_AT + timedelta(days=10),
        )
    assert early.value.code == "not_due"
    answered_at = RESOLVED_AT + timedelta(days=15)
    follow_up = care.followup_answer(
        actor=worker,
        consultation_id=heavy_case.pk,
        outcome="better",
        answer="連携先が見つかりました。",
        now=answered_at,
    )
    assert follow_up.consultation == heavy_case and follow_up.answered_at == answered_at
    assert due(20) == []


def test_queue_averages_hide_small_cells_and_never_name_a_worker(
    make_user: Callable[..., User], file_consultation: Callable[..., Consultation]
) -> None:
    expert = _expert(make_user)
    cases = [_resolved(file_consultation, make_user(Role.WORKER), expert) for _ in range(5)]
    for case, rating in zip(cases[:4], (5, 4, 4, 3), strict=True):
        care.feedback_give(actor=case.worker, consultation_id=case.pk, helpfulness=rating)
    supervisor = make_user(Role.SUPERVISOR)
    since = RESOLVED_AT - timedelta(days=1)
    queue_name = cases[0].queue.name if cases[0].queue else ""
    (row,) = [r for r in care.feedback_by_queue(actor=supervisor, since=since) if r.queue == queue_name]
    assert (row.helpfulness, row.answers) == (None, None)
    care.feedback_give(actor=cases[4].worker, consultation_id=cases[4].pk, helpfulness=4)
    (row,) = [r for r in care.feedback_by_queue(actor=supervisor, since=since) if r.queue == queue_name]
    assert (row.helpfulness, row.answers) == (4.0, 5)
    assert set(vars(row)) == {"queue", "helpfulness", "answers", "reflections"}
    for role in (Role.WORKER, Role.PEER, Role.EXPERT):
        with pytest.raises(PermissionError):
            care.feedback_by_queue(actor=make_user(role), since=since)


def test_feedback_pages_through_the_browser(
    enrolled: Callable[..., User],
    verified_client: Callable[[User], Client],
    make_user: Callable[..., User],
    file_consultation: Callable[..., Consultation],
) -> None:
    worker = enrolled(Role.WORKER)
    case = _resolved(file_consultation, worker, _expert(make_user))
    client = verified_client(worker)
    assert client.get(f"/care/{case.pk}/feedback/").status_code == 200
    assert client.get(f"/care/{case.pk}/reflection/").status_code == 404  # not the worker's to write
    assert client.get(f"/care/{case.pk}/nonsense/").status_code == 404
    response = client.post(f"/care/{case.pk}/feedback/", {"helpfulness": "5", "comment": ""})
    assert response.status_code == 302
    assert Feedback.objects.get(consultation=case).helpfulness == 5
    assert client.get(f"/care/{case.pk}/feedback/").status_code == 404  # given: no longer offered
    prompts = care.prompts_for(actor=worker, consultation=case, now=RESOLVED_AT + timedelta(days=15))
    html = render_to_string("helpdesk/feedback_prompts.html", {"care": prompts, "consultation": case})
    assert f"/care/{case.pk}/follow-up/" in html and "/feedback/" not in html
    listing = render_to_string(
        "helpdesk/feedback_followups.html",
        {"followups": care.followups_due_for(worker, RESOLVED_AT + timedelta(days=15))},
    )
    assert f"/care/{case.pk}/follow-up/" in listing


def test_the_debrief_page_is_for_supervisors(
    enrolled: Callable[..., User], verified_client: Callable[[User], Client], heavy_case: Consultation
) -> None:
    assert heavy_case.assignee is not None
    request = care.debrief_request(actor=heavy_case.assignee, consultation_id=heavy_case.pk)
    assert login(enrolled(Role.PEER)).get("/care/debriefs/").status_code == 403
    client = verified_client(enrolled(Role.SUPERVISOR))
    page = client.get("/care/debriefs/").content.decode()
    assert heavy_case.reference in page and heavy_case.question not in page
    assert client.post("/care/debriefs/", {"id": request.pk, "state": "closed"}).status_code == 302
    assert DebriefRequest.objects.get(pk=request.pk).state == DebriefState.CLOSED
