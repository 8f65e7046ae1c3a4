"""The availability and training pages (thin adapters over the services)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from accounts.models import Organisation, Role, User
from peer.models import ResponderProfile, ShiftSlot, TrainingRecord
from tests.peer.helpers import login

pytestmark = pytest.mark.urls("tests.peer.urls")


def _shift_post(rows: list[tuple[str, str, str]], initial: int = 0) -> dict[str, str]:
    data = {
        "part": "shifts",
        "shift-TOTAL_FORMS": str(len(rows)),
        "shift-INITIAL_FORMS": str(initial),
        "shift-MIN_NUM_FORMS": "0",
        "shift-MAX_NUM_FORMS": "28",
    }
    for n, (weekday, start, end) in enumerate(rows):
        data |= {f"shift-{n}-weekday": weekday, f"shift-{n}-start": start, f"shift-{n}-end": end}
    return data


def test_a_responder_sets_shifts_languages_and_duty(
    enrolled: Callable[..., User], verified_client: Callable[[User], Client]
) -> None:
    peer = enrolled(Role.PEER)
    client = verified_client(peer)
    assert client.get("/peer/availability/").status_code == 200
    response = client.post(
        "/peer/availability/", _shift_post([("0", "09:00", "17:00"), ("4", "22:00", "06:00"), ("", "", "")])
    )
    assert response.status_code == 302
    assert sorted(ShiftSlot.objects.filter(profile__user=peer).values_list("weekday", flat=True)) == [0, 4]
    client.post("/peer/availability/", {"part": "languages", "languages": ["ja", "en"]})
    client.post("/peer/availability/", {"part": "duty", "on_duty": "1"})
    profile = ResponderProfile.objects.get(user=peer)
    assert profile.languages == ["en", "ja"] and profile.on_duty and profile.last_active_at is not None
    # A shift that starts and ends at the same minute is refused and nothing changes
    bad = client.post("/peer/availability/", _shift_post([("1", "10:00", "10:00")]))
    assert bad.status_code == 200 and ShiftSlot.objects.filter(profile__user=peer).count() == 2


def test_workers_have_no_availability_page(
    enrolled: Callable[..., User], verified_client: Callable[[User], Client]
) -> None:
    assert verified_client(enrolled(Role.WORKER)).get("/peer/availability/").status_code == 403


def test_a_supervisor_records_training_for_a_responder_of_their_prefecture(
    enrolled: Callable[..., User],
    verified_client: Callable[[User], Client],
    make_user: Callable[..., User],
    make_org: Callable[..., Organisation],
) -> None:
    kanagawa, tokyo_org = make_org(prefecture="14"), make_org(prefecture="13")
    near = make_user(Role.PEER, organisation=kanagawa)
    far = make_user(Role.PEER, organisation=tokyo_org)
    client = verified_client(enrolled(Role.SUPERVISOR, organisation=make_org(prefecture="14")))
    listing = client.get("/peer/training/").content.decode()
    assert near.get_full_name() in listing and far.get_full_name() not in listing
    assert client.get(f"/peer/training/{far.pk}/").status_code == 404
    form: dict[str, Any] = {"level": "leader", "completed_on": "2026-02-01", "course": "指導者養成研修"}
    assert client.post(f"/peer/training/{near.pk}/", form).status_code == 302
    assert TrainingRecord.objects.get(user=near).course == "指導者養成研修"
    assert ResponderProfile.objects.get(user=near).training_level == "leader"
    # A peer cannot open the page at all
    assert login(enrolled(Role.PEER)).get(f"/peer/training/{near.pk}/").status_code == 404
    assert login(enrolled(Role.PEER)).get("/peer/training/").status_code == 403
