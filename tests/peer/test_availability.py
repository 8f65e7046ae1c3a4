"""Shifts on the Asia/Tokyo clock, the duty switch, automatic 'away', and eligibility at the minute."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import AuditEvent, Role, User
from helpdesk import routing, workflow
from helpdesk.models import Consultation
from peer import selectors, services
from peer.models import ResponderProfile
from peer.services import Shift
from tests.peer.helpers import MONDAY, tokyo


def weekday_shift(start: str, end: str, weekday: int = 0) -> Shift:
    return Shift(weekday, time.fromisoformat(start), time.fromisoformat(end))


def test_an_expert_going_off_shift_stops_receiving_consultations_at_that_minute(
    responder: Callable[..., User],
    make_user: Callable[..., User],
    file_consultation: Callable[..., Consultation],
) -> None:
    # Given an on-duty expert whose Monday shift is 09:00-17:00 Tokyo, and a waiting hard case
    expert = responder(Role.EXPERT)
    services.shifts_set(actor=expert, shifts=[weekday_shift("09:00", "17:00")])
    with time_machine.travel(tokyo(*MONDAY, 16, 30), tick=False):
        waiting = file_consultation(
            make_user(Role.WORKER), category="hard_case", subtype="other", question="支援方針の相談"
        )
    # At 16:59 it is offered and the expert may take it
    with time_machine.travel(tokyo(*MONDAY, 16, 59), tick=False):
        assert routing.claimable_for(expert).filter(pk=waiting.pk).exists()
        assert routing.may_take(expert, waiting)
    # At 17:00 it is not offered any more, "next" gives nothing and taking it is refused
    with time_machine.travel(tokyo(*MONDAY, 17, 0), tick=False):
        assert not routing.claimable_for(expert).exists()
        assert workflow.claim_next(actor=expert) is None
        assert routing.take_refusal(expert, waiting) == "off_shift"
        # ... although the switch still says "on duty" until the background job runs
        assert ResponderProfile.objects.get(user=expert).on_duty


def test_no_shift_pattern_means_whenever_on_duty(
    responder: Callable[..., User],
    make_user: Callable[..., User],
    file_consultation: Callable[..., Consultation],
) -> None:
    peer = responder(Role.PEER)
    away = responder(Role.PEER, on_duty=False)
    consultation = file_consultation(make_user(Role.WORKER))
    with time_machine.travel(tokyo(2026, 3, 8, 3, 0), tick=False):  # Sunday, 03:00
        assert routing.claimable_for(peer).filter(pk=consultation.pk).exists()
        assert not routing.claimable_for(away).exists()
        assert routing.take_refusal(away, consultation) == "off_duty"


@pytest.mark.parametrize(
    ("when", "inside"),
    [
        (tokyo(2026, 3, 6, 21, 59), False),  # Friday before the shift
        (tokyo(2026, 3, 6, 22, 0), True),  # Friday 22:00: starts
        (tokyo(2026, 3, 7, 0, 0), True),  # Saturday midnight: still Friday's shift
        (tokyo(2026, 3, 7, 5, 59), True),
        (tokyo(2026, 3, 7, 6, 0), False),  # Saturday 06:00: ended
        (tokyo(2026, 3, 7, 22, 30), False),  # Saturday night: no shift
    ],
)
def test_an_overnight_shift_runs_past_midnight(
    responder: Callable[..., User], when: datetime, inside: bool
) -> None:
    night_owl = responder(Role.PEER)
    services.shifts_set(actor=night_owl, shifts=[weekday_shift("22:00", "06:00", weekday=4)])
    assert selectors.duty_state_for(night_owl, when).available is inside


def test_shifts_follow_tokyo_time_whatever_the_instants_zone(responder: Callable[..., User]) -> None:
    peer = responder(Role.PEER)
    services.shifts_set(actor=peer, shifts=[weekday_shift("09:00", "10:00")])
    # 00:30 UTC on Monday is 09:30 in Tokyo; 09:30 UTC is 18:30 there
    assert selectors.duty_state_for(peer, datetime(2026, 3, 2, 0, 30, tzinfo=UTC)).available
    assert not selectors.duty_state_for(peer, datetime(2026, 3, 2, 9, 30, tzinfo=UTC)).available


def test_several_shifts_a_week(responder: Callable[..., User]) -> None:
    peer = responder(Role.PEER)
    services.shifts_set(
        actor=peer,
        shifts=[
            weekday_shift("09:00", "12:00", 0),
            weekday_shift("13:00", "17:00", 0),
            weekday_shift("09:00", "12:00", 2),
        ],
    )
    assert selectors.duty_state_for(peer, tokyo(*MONDAY, 11, 0)).available
    assert not selectors.duty_state_for(peer, tokyo(*MONDAY, 12, 30)).available
    assert selectors.duty_state_for(peer, tokyo(*MONDAY, 16, 59)).available
    assert not selectors.duty_state_for(peer, tokyo(2026, 3, 3, 10, 0)).available  # Tuesday
    assert selectors.duty_state_for(peer, tokyo(2026, 3, 4, 10, 0)).available  # Wednesday
    # Replacing the pattern with nothing means "whenever on duty"
    services.shifts_set(actor=peer, shifts=[])
    assert selectors.duty_state_for(peer, tokyo(2026, 3, 3, 10, 0)).available


def test_available_profiles_is_one_query_for_any_number_of_responders(responder: Callable[..., User]) -> None:
    for n in range(6):
        peer = responder(Role.PEER)
        if n % 2:
            services.shifts_set(actor=peer, shifts=[weekday_shift("09:00", "17:00")])
    with CaptureQueriesContext(connection) as queries:
        inside = len(selectors.available_profiles(tokyo(*MONDAY, 10, 0)))
        outside = selectors.available_responders(tokyo(*MONDAY, 18, 0)).count()
    assert (inside, outside) == (6, 3)
    assert len(queries) == 2


def test_the_background_job_switches_to_away_at_the_end_of_a_shift(responder: Callable[..., User]) -> None:
    worker_bee = responder(Role.EXPERT)
    free = responder(Role.EXPERT)
    services.shifts_set(actor=worker_bee, shifts=[weekday_shift("09:00", "17:00")])
    services.activity_seen(worker_bee, now=tokyo(*MONDAY, 16, 50))
    services.activity_seen(free, now=tokyo(*MONDAY, 16, 50))
    assert services.apply_shift_boundaries(tokyo(*MONDAY, 16, 59)) == {"off_shift": 0, "idle": 0}
    assert services.apply_shift_boundaries(tokyo(*MONDAY, 17, 0)) == {"off_shift": 1, "idle": 0}
    profile = ResponderProfile.objects.get(user=worker_bee)
    assert not profile.on_duty and profile.status_changed_at == tokyo(*MONDAY, 17, 0)
    assert ResponderProfile.objects.get(user=free).on_duty
    assert AuditEvent.objects.filter(action="duty_off_off_shift", object_id=str(profile.pk)).count() == 1
    # Idempotent: a second run changes nothing
    assert services.apply_shift_boundaries(tokyo(*MONDAY, 17, 1)) == {"off_shift": 0, "idle": 0}


def test_inactivity_switches_to_away_after_the_configured_minutes(
    responder: Callable[..., User], settings: Any
) -> None:
    settings.PEER_INACTIVITY_MINUTES = 30
    peer = responder(Role.PEER, on_duty=False)
    with time_machine.travel(tokyo(*MONDAY, 9, 0), tick=False):
        services.duty_set(actor=peer, on_duty=True)  # going on duty counts as activity
    services.activity_seen(peer, now=tokyo(*MONDAY, 9, 20))
    assert services.apply_shift_boundaries(tokyo(*MONDAY, 9, 49)) == {"off_shift": 0, "idle": 0}
    assert services.apply_shift_boundaries(tokyo(*MONDAY, 9, 51)) == {"off_shift": 0, "idle": 1}
    assert not ResponderProfile.objects.get(user=peer).on_duty


def test_activity_seen_writes_at_most_once_a_minute_and_ignores_workers(
    responder: Callable[..., User], make_user: Callable[..., User]
) -> None:
    peer = responder(Role.PEER)
    services.activity_seen(peer, now=tokyo(*MONDAY, 9, 0))
    services.activity_seen(peer, now=tokyo(*MONDAY, 9, 0) + timedelta(seconds=30))
    assert ResponderProfile.objects.get(user=peer).last_active_at == tokyo(*MONDAY, 9, 0)
    services.activity_seen(peer, now=tokyo(*MONDAY, 9, 2))
    assert ResponderProfile.objects.get(user=peer).last_active_at == tokyo(*MONDAY, 9, 2)
    worker = make_user(Role.WORKER)
    with CaptureQueriesContext(connection) as queries:
        services.activity_seen(worker)
    assert len(queries) == 0


def test_duty_switch_is_for_responders_only_and_audited(
    responder: Callable[..., User], make_user: Callable[..., User]
) -> None:
    peer = responder(Role.PEER, on_duty=False)
    services.duty_set(actor=peer, on_duty=True)
    services.duty_set(actor=peer, on_duty=True)  # no change, no second audit row
    assert AuditEvent.objects.filter(action="duty_on", actor=peer).count() == 1
    with pytest.raises(PermissionError):
        services.duty_set(actor=make_user(Role.WORKER), on_duty=True)


def test_languages_are_validated(responder: Callable[..., User]) -> None:
    peer = responder(Role.PEER)
    assert services.languages_set(actor=peer, languages=["ja", "en", "ja"]).languages == ["en", "ja"]
    with pytest.raises(ValidationError):
        services.languages_set(actor=peer, languages=["klingon"])


def test_two_shifts_cannot_start_at_the_same_minute(responder: Callable[..., User]) -> None:
    peer = responder(Role.PEER)
    with pytest.raises(ValidationError):
        services.shifts_set(
            actor=peer, shifts=[weekday_shift("09:00", "12:00"), weekday_shift("09:00", "10:00")]
        )
    with pytest.raises(ValidationError):
        services.shifts_set(actor=peer, shifts=[weekday_shift("09:00", "09:00")])
