"""Heavy-case accounting: a weekly cap (Asia/Tokyo week) on violence, abuse and suicide consultations."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import time_machine

from accounts.models import Role, User
from helpdesk import routing, workflow
from helpdesk.choices import Status
from helpdesk.models import Consultation, Queue
from tests.peer.helpers import MONDAY, tokyo

HEAVY = ("domestic_violence", "abuse", "suicidal_self_harm")


def _in_peer_queue(consultation: Consultation) -> Consultation:
    """As if an admin's routing rule sent it to the peers (the default rules send heavy cases to experts)."""
    Consultation.objects.filter(pk=consultation.pk).update(
        queue=Queue.objects.get(slug="peer"), priority="high"
    )
    consultation.refresh_from_db()
    return consultation


def _heavy(file_consultation: Callable[..., Consultation], worker: User, subtype: str) -> Consultation:
    consultation = file_consultation(
        worker, category="hard_case", subtype=subtype, question="家族間のことで支援方針に迷っています。"
    )
    return _in_peer_queue(consultation)


def _take_and_resolve(responder: User, consultation: Consultation) -> None:
    workflow.claim(actor=responder, consultation_id=consultation.pk)
    workflow.status_set(actor=responder, consultation_id=consultation.pk, status=Status.RESOLVED)


def test_a_peer_with_three_heavy_cases_this_week_is_not_offered_a_fourth(
    responder: Callable[..., User], make_user: Callable[..., User], file_consultation: Callable[..., Any]
) -> None:
    peer = responder(Role.PEER)
    worker = make_user(Role.WORKER)
    with time_machine.travel(tokyo(*MONDAY, 10, 0), tick=False):
        cases = [_heavy(file_consultation, worker, subtype) for subtype in (*HEAVY, "abuse")]
        light = _in_peer_queue(file_consultation(worker, question="最近眠れません。"))
    for day, case in zip((2, 3, 4), cases[:3], strict=True):  # Monday, Tuesday, Wednesday
        with time_machine.travel(tokyo(2026, 3, day, 11, 0), tick=False):
            assert routing.claimable_for(peer).filter(pk=case.pk).exists()
            _take_and_resolve(peer, case)
    fourth = cases[3]
    with time_machine.travel(tokyo(2026, 3, 5, 9, 0), tick=False):  # Thursday
        assert routing.heavy_cases_this_week(peer) == 3
        assert routing.heavy_cap_reached(peer)
        offered = set(routing.claimable_for(peer).values_list("pk", flat=True))
        assert fourth.pk not in offered and light.pk in offered
        assert routing.take_refusal(peer, fourth) == "heavy_cap"
        assert routing.may_take(peer, light)
        assert workflow.claim_next(actor=peer) == light  # "next" skips the heavy one


def test_the_cap_resets_at_monday_midnight_tokyo(
    responder: Callable[..., User], make_user: Callable[..., User], file_consultation: Callable[..., Any]
) -> None:
    peer = responder(Role.PEER, heavy_weekly_cap=1)
    worker = make_user(Role.WORKER)
    with time_machine.travel(tokyo(2026, 3, 8, 20, 0), tick=False):  # Sunday evening
        first, second = (_heavy(file_consultation, worker, "abuse") for _ in range(2))
        _take_and_resolve(peer, first)
    with time_machine.travel(tokyo(2026, 3, 8, 23, 59), tick=False):
        assert routing.heavy_cap_reached(peer)
        assert not routing.claimable_for(peer).filter(pk=second.pk).exists()
    with time_machine.travel(tokyo(2026, 3, 9, 0, 0), tick=False):  # Monday 00:00 Tokyo = Sunday 15:00 UTC
        assert routing.heavy_cases_this_week(peer) == 0
        assert routing.claimable_for(peer).filter(pk=second.pk).exists()


def test_the_cap_is_a_setting_with_a_per_profile_override(
    responder: Callable[..., User],
    make_user: Callable[..., User],
    file_consultation: Callable[..., Any],
    settings: Any,
) -> None:
    settings.PEER_HEAVY_WEEKLY_CAP = 1
    by_default = responder(Role.EXPERT, specialties=["family_violence"])
    generous = responder(Role.EXPERT, specialties=["family_violence"], heavy_weekly_cap=2)
    worker = make_user(Role.WORKER)
    with time_machine.travel(tokyo(*MONDAY, 10, 0), tick=False):
        cases = [
            file_consultation(worker, category="hard_case", subtype="abuse", question=f"相談{n}")
            for n in range(4)
        ]
        _take_and_resolve(by_default, cases[0])
        _take_and_resolve(generous, cases[1])
        assert routing.heavy_cap_reached(by_default)
        assert not routing.heavy_cap_reached(generous)
        assert {c.pk for c in routing.claimable_for(generous)} >= {cases[2].pk, cases[3].pk}
        assert not routing.claimable_for(by_default).filter(subtype="abuse").exists()


def test_taking_the_same_case_twice_counts_once_and_light_cases_not_at_all(
    responder: Callable[..., User], make_user: Callable[..., User], file_consultation: Callable[..., Any]
) -> None:
    peer = responder(Role.PEER)
    worker = make_user(Role.WORKER)
    with time_machine.travel(tokyo(*MONDAY, 10, 0), tick=False):
        heavy = _heavy(file_consultation, worker, "abuse")
        light = _in_peer_queue(file_consultation(worker, question="職場の人間関係がつらいです。"))
        workflow.claim(actor=peer, consultation_id=heavy.pk)
        workflow.release(actor=peer, consultation_id=heavy.pk, reason="引き継ぎのため")
        workflow.claim(actor=peer, consultation_id=heavy.pk)
        workflow.claim(actor=peer, consultation_id=light.pk)
        assert routing.heavy_cases_this_week(peer) == 1


def test_supervisors_are_capped_only_by_an_explicit_override(
    responder: Callable[..., User], make_user: Callable[..., User], file_consultation: Callable[..., Any]
) -> None:
    supervisor = responder(Role.SUPERVISOR)
    capped = responder(Role.SUPERVISOR, heavy_weekly_cap=0)
    case = _heavy(file_consultation, make_user(Role.WORKER), "suicidal_self_harm")
    assert routing.take_refusal(supervisor, case) is None
    assert routing.take_refusal(capped, case) == "heavy_cap"
