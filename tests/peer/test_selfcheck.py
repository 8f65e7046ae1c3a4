"""The burnout self-check: published CBI scoring, one's own trend only, suppressed aggregates."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.test import Client

from accounts.models import Organisation, OrganisationType, Role, User
from peer import inventory, selectors, services
from peer.models import SelfCheck
from tests.peer.helpers import login, tokyo

pytestmark = pytest.mark.urls("tests.peer.urls")

ALWAYS, OFTEN, SOMETIMES, SELDOM, NEVER = 100, 75, 50, 25, 0


def answers(personal: Sequence[int | None], work: Sequence[int | None]) -> dict[str, int]:
    given = {f"p{n}": v for n, v in enumerate(personal, 1)} | {f"w{n}": v for n, v in enumerate(work, 1)}
    return {code: value for code, value in given.items() if value is not None}


@pytest.mark.parametrize(
    ("personal", "expected"),
    [
        ([ALWAYS] * 6, 100.0),
        ([NEVER] * 6, 0.0),
        ([ALWAYS, OFTEN, SOMETIMES, SELDOM, NEVER, SOMETIMES], 50.0),
        ([OFTEN, OFTEN, OFTEN, None, None, None], 75.0),  # three of six answered: scored on those
        ([OFTEN, OFTEN, None, None, None, None], None),  # fewer than half: no score
    ],
)
def test_personal_scale_is_the_mean_of_its_answered_items(
    personal: list[int | None], expected: float | None
) -> None:
    assert inventory.score(answers(personal, [])).personal == expected


def test_work_scale_reverses_energy_for_family_and_friends() -> None:
    # Always exhausted at work, but *always* enough energy for family and friends: (6 x 100 + 0) / 7
    assert inventory.score(answers([], [ALWAYS] * 7)).work == pytest.approx(600 / 7)
    # ... and never enough energy for them scores 100 on that item
    assert inventory.score(answers([], [ALWAYS] * 6 + [NEVER])).work == 100.0
    assert inventory.score(answers([], [NEVER] * 6 + [ALWAYS])).work == 0.0
    assert inventory.score(answers([], [SOMETIMES] * 7)).work == 50.0


def test_work_scale_needs_four_of_seven_items() -> None:
    assert inventory.score(answers([], [OFTEN, OFTEN, OFTEN, OFTEN])).work == 75.0
    assert inventory.score(answers([], [OFTEN, OFTEN, OFTEN])).work is None


def test_unknown_items_and_values_count_as_unanswered() -> None:
    raw: dict[str, object] = {"p1": 60, "p2": "100", "p3": True, "p4": 100, "x9": 100}
    assert inventory.clean_answers(raw) == {"p4": 100}


def test_a_high_score_is_fifty_or_more_on_either_scale() -> None:
    assert inventory.Scores(personal=50.0, work=None).high
    assert inventory.Scores(personal=10.0, work=57.1).high
    assert not inventory.Scores(personal=49.9, work=25.0).high
    assert not inventory.Scores(personal=None, work=None).high


def test_the_questionnaire_has_six_personal_and_seven_work_items() -> None:
    assert [len(inventory.PERSONAL), len(inventory.WORK)] == [6, 7]
    assert [i.code for i in inventory.ITEMS.values() if i.reverse] == ["w7"]


def test_submitting_stores_scores_with_an_organisation_snapshot(make_user: Callable[..., User]) -> None:
    worker = make_user(Role.WORKER)
    check = services.selfcheck_submit(actor=worker, answers=answers([OFTEN] * 6, [SOMETIMES] * 7))
    assert (check.personal_score, check.work_score) == (75.0, 50.0)
    assert (
        check.organisation_id == worker.organisation_id and check.prefecture == worker.organisation.prefecture
    )
    with pytest.raises(ValidationError):
        services.selfcheck_submit(actor=worker, answers={"p1": 100})


def _post_form(values: dict[str, int]) -> dict[str, str]:
    return {code: str(value) for code, value in values.items()}


def test_the_trend_is_an_inline_svg_visible_to_its_owner_only(
    enrolled: Callable[..., User], verified_client: Callable[[User], Client], make_user: Callable[..., User]
) -> None:
    worker = enrolled(Role.WORKER)
    for day, level in ((1, SELDOM), (8, SOMETIMES), (15, OFTEN)):
        with time_machine.travel(tokyo(2026, 3, day, 12, 0), tick=False):
            services.selfcheck_submit(actor=worker, answers=answers([level] * 6, [level] * 7))
    client = verified_client(worker)
    page = client.get("/peer/self-check/").content.decode()
    svg = re.search(r"<svg id=\"trend\".*?</svg>", page, re.S)
    assert svg is not None
    polylines = re.findall(r'<polyline class="(\w+)" fill="none" points="([^"]*)"', svg.group(0))
    assert [name for name, _ in polylines] == ["personal", "work"]
    assert all(len(points.split()) == 3 for _, points in polylines)
    assert "http" not in svg.group(0).replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "<script" not in page.split('<main id="main">')[1]
    assert "consultations/new/?category=burnout" in page  # the latest is 75: the one-click offer

    # Somebody else (a supervisor) sees their own empty page and has no way to ask for the worker's
    supervisor = enrolled(Role.SUPERVISOR, organisation=worker.organisation)
    other_page = login(supervisor).get("/peer/self-check/").content.decode()
    assert "<svg" not in other_page and "75.0" not in other_page
    assert selectors.selfcheck_list_for(actor=supervisor) == []


def test_a_low_score_offers_no_consultation_link_and_posting_works(
    enrolled: Callable[..., User], verified_client: Callable[[User], Client]
) -> None:
    worker = enrolled(Role.WORKER)
    client = verified_client(worker)
    response = client.post("/peer/self-check/", _post_form(answers([SELDOM] * 6, [SELDOM] * 6 + [OFTEN])))
    assert response.status_code == 302
    check = SelfCheck.objects.get(user=worker)
    assert (check.personal_score, check.work_score) == (25.0, 25.0)
    page = client.get("/peer/self-check/").content.decode()
    assert "category=burnout" not in page
    assert client.post("/peer/self-check/", {"p1": "100"}).status_code == 400


@pytest.fixture
def centre(make_org: Callable[..., Organisation]) -> Organisation:
    return make_org(prefecture="14")


def _people_check(
    make_user: Callable[..., User], organisation: Organisation, count: int, score: int, month: int = 3
) -> None:
    for _ in range(count):
        person = make_user(Role.WORKER, organisation=organisation)
        with time_machine.travel(tokyo(2026, month, 10, 12, 0), tick=False):
            services.selfcheck_submit(actor=person, answers=answers([score] * 6, [score] * 7))


def test_aggregates_suppress_months_with_fewer_than_five_people(
    make_user: Callable[..., User], make_org: Callable[..., Organisation], centre: Organisation
) -> None:
    supervisor = make_user(Role.SUPERVISOR, organisation=centre)
    _people_check(make_user, centre, 4, OFTEN)  # March: four people
    # One of them checks again: still four people
    repeat = SelfCheck.objects.filter(organisation=centre).first()
    assert repeat is not None
    with time_machine.travel(tokyo(2026, 3, 20, 12, 0), tick=False):
        services.selfcheck_submit(actor=repeat.user, answers=answers([ALWAYS] * 6, []))
    _people_check(make_user, centre, 5, SOMETIMES, month=4)  # April: five people
    since = tokyo(2026, 1, 1)
    march, april = selectors.selfcheck_aggregates_for(actor=supervisor, scope="organisation", since=since)
    assert (march.personal, march.personal_people, march.work) == (None, None, None)
    assert (april.personal, april.personal_people, april.work, april.work_people) == (50.0, 5, 50.0, 5)


def test_each_person_counts_once_a_month_by_their_own_mean(
    make_user: Callable[..., User], centre: Organisation
) -> None:
    supervisor = make_user(Role.SUPERVISOR, organisation=centre)
    _people_check(make_user, centre, 5, NEVER)
    first = SelfCheck.objects.order_by("id").first()
    assert first is not None
    with time_machine.travel(tokyo(2026, 3, 11, 12, 0), tick=False):
        services.selfcheck_submit(actor=first.user, answers=answers([ALWAYS] * 6, [ALWAYS] * 6 + [NEVER]))
    (march,) = selectors.selfcheck_aggregates_for(
        actor=supervisor, scope="prefecture", since=tokyo(2026, 1, 1)
    )
    assert march.personal_people == 5 and march.personal == 10.0  # (50 + 0 x 4) / 5


def test_month_boundaries_follow_tokyo_time(make_user: Callable[..., User], centre: Organisation) -> None:
    supervisor = make_user(Role.SUPERVISOR, organisation=centre)
    _people_check(make_user, centre, 5, OFTEN)
    # 2026-04-01 00:30 in Tokyo is still March 31 in UTC: it belongs to April
    SelfCheck.objects.update(taken_at=tokyo(2026, 4, 1, 0, 30))
    (cell,) = selectors.selfcheck_aggregates_for(
        actor=supervisor, scope="organisation", since=tokyo(2026, 1, 1)
    )
    assert (cell.month.year, cell.month.month) == (2026, 4)


@pytest.mark.parametrize(
    ("role", "org_type", "scopes"),
    [
        (Role.WORKER, OrganisationType.PREFECTURE_CENTRE, []),
        (Role.PEER, OrganisationType.PREFECTURE_CENTRE, []),
        (Role.SUPERVISOR, OrganisationType.PREFECTURE_CENTRE, ["organisation", "prefecture"]),
        (Role.SUPERVISOR, OrganisationType.NATIONAL, ["organisation", "prefecture", "all"]),
    ],
)
def test_who_sees_which_aggregates(
    make_user: Callable[..., User],
    make_org: Callable[..., Organisation],
    role: str,
    org_type: str,
    scopes: list[str],
) -> None:
    actor = make_user(role, organisation=make_org(org_type=org_type))
    assert selectors.scopes_for(actor) == scopes
    if not scopes:
        with pytest.raises(PermissionError):
            selectors.selfcheck_aggregates_for(actor=actor, scope="organisation", since=tokyo(2026, 1, 1))


def test_the_overview_page_is_for_supervisors_and_hides_small_cells(
    enrolled: Callable[..., User],
    verified_client: Callable[[User], Client],
    make_user: Callable[..., User],
    centre: Organisation,
) -> None:
    _people_check(make_user, centre, 3, ALWAYS)
    SelfCheck.objects.update(taken_at=tokyo(2026, 3, 10, 12, 0))
    supervisor = enrolled(Role.SUPERVISOR, organisation=centre)
    with time_machine.travel(tokyo(2026, 3, 20, 12, 0), tick=True):
        client = verified_client(supervisor)
        page = client.get("/peer/self-check/overview/?scope=organisation").content.decode()
    table = re.search(r'<table class="list" id="aggregates">.*?</table>', page, re.S)
    assert table is not None and "2026/03" in table.group(0)
    assert "100.0" not in table.group(0) and "&lt;5" in table.group(0)


def test_workers_cannot_open_the_overview(
    enrolled: Callable[..., User], verified_client: Callable[[User], Client]
) -> None:
    assert verified_client(enrolled(Role.WORKER)).get("/peer/self-check/overview/").status_code == 403


def test_the_questionnaire_page_lists_every_item(
    enrolled: Callable[..., User], verified_client: Callable[[User], Client], settings: Any
) -> None:
    settings.LANGUAGE_CODE = "en"
    page = (
        verified_client(enrolled(Role.WORKER))
        .get("/peer/self-check/", HTTP_ACCEPT_LANGUAGE="en")
        .content.decode()
    )
    assert page.count('type="radio"') == 13 * 5
