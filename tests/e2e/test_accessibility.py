"""axe-core on the main pages: no serious or critical violations (issue 9, "Look and feel")."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from accounts.models import Role, User
from helpdesk import defaults, services, workflow
from helpdesk.models import Consultation, Queue, RoutingRule
from peer.models import ResponderProfile
from tests.conftest import PASSWORD, totp_for
from tests.e2e.helpers import Actor, axe_violations, describe, fill_consultation, preview

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

OpenActor = Callable[[str], Actor]
MakeUser = Callable[..., User]


@pytest.fixture(autouse=True)
def _queues() -> None:
    defaults.install(Queue, RoutingRule)


def assert_accessible(person: Actor) -> None:
    violations = axe_violations(person.page)
    assert not violations, f"{person.page.url}\n{describe(violations)}"


def file_and_claim(worker: User, peer: User) -> Consultation:
    consultation = services.consultation_create(
        actor=worker,
        facts=services.CaseFacts(
            category="burnout",
            requested_responder="peer",
            question="夜になると仕事のことが頭から離れません。",
        ),
    )
    workflow.claim(actor=peer, consultation_id=consultation.pk)
    return consultation


def test_login_page(actor: OpenActor) -> None:
    person = actor("visitor")
    person.page.goto("/accounts/login/")
    assert_accessible(person)


def test_enrolment_page(actor: OpenActor, make_user: MakeUser) -> None:
    person = actor("new worker")
    person.submit_login(make_user(Role.WORKER).username, code="")
    person.page.wait_for_url("**/accounts/enrol/")
    assert_accessible(person)


def test_home_page(actor: OpenActor, enrolled: MakeUser) -> None:
    person = actor("worker")
    person.login(enrolled(Role.WORKER, display_name="試験 相談者"))
    person.page.goto("/")
    assert_accessible(person)


def test_new_consultation_page(actor: OpenActor, enrolled: MakeUser) -> None:
    person = actor("worker")
    person.login(enrolled(Role.WORKER))
    person.page.goto("/consultations/new/")
    assert_accessible(person)


def test_preview_page(actor: OpenActor, enrolled: MakeUser) -> None:
    person = actor("worker")
    person.login(enrolled(Role.WORKER))
    fill_consultation(
        person.page,
        question="本人との関わり方に迷っています。",
        summary="本人の山田 一郎さんは相模原市緑区で母と暮らす。母の連絡先は045-000-1234。",
    )
    preview(person.page)
    person.page.wait_for_selector("#final-summary")
    assert_accessible(person)


@pytest.mark.parametrize("viewer", ["worker", "responder"])
def test_consultation_page_with_chat(actor: OpenActor, enrolled: MakeUser, viewer: str) -> None:
    worker = enrolled(Role.WORKER, display_name="試験 相談者", pseudonym="そよかぜ")
    peer = enrolled(Role.PEER, display_name="試験 ピア")
    ResponderProfile.objects.create(user=peer, on_duty=True)
    consultation = file_and_claim(worker, peer)
    person = actor(viewer)
    person.login(worker if viewer == "worker" else peer)
    person.page.goto(f"/consultations/{consultation.pk}/")
    person.wait_socket_open("/ws/consultations/")
    person.chat_send("今日はお話を聞かせてください。")
    person.wait_chat_message("お話を聞かせてください")
    assert_accessible(person)


def test_queue_page(actor: OpenActor, enrolled: MakeUser) -> None:
    peer = enrolled(Role.PEER)
    ResponderProfile.objects.create(user=peer, on_duty=True)
    services.consultation_create(
        actor=enrolled(Role.WORKER),
        facts=services.CaseFacts(
            category="burnout", requested_responder="peer", question="眠れない日が続きます。"
        ),
    )
    person = actor("peer")
    person.login(peer)
    person.page.goto("/consultations/queue/")
    person.page.wait_for_selector("#waiting")
    assert_accessible(person)


def test_keyboard_only_login_with_visible_focus(actor: OpenActor, enrolled: MakeUser) -> None:
    """Username, password and code by keyboard alone; the focused button shows a focus ring."""
    user = enrolled(Role.WORKER)
    person = actor("keyboard user")
    page = person.page
    page.goto("/accounts/login/")
    assert page.evaluate("document.activeElement.id") == "id_username"  # autofocus
    page.keyboard.type(user.username)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Tab")
    page.keyboard.type(totp_for(user).now())
    page.keyboard.press("Tab")
    focused = page.evaluate(
        "() => { const e = document.activeElement, s = getComputedStyle(e);"
        " return [e.tagName, e.type, s.outlineStyle, parseFloat(s.outlineWidth)]; }"
    )
    assert focused[:2] == ["BUTTON", "submit"], focused
    assert focused[2] != "none" and focused[3] >= 2, f"no visible focus ring: {focused}"
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/accounts/" not in url)


def test_consultation_page_has_a_short_plain_title(actor: OpenActor, enrolled: MakeUser) -> None:
    """WCAG 2.4.2: the chat panel and the responder actions once landed inside <title> (fixed in 4c3e5ae)."""
    worker = enrolled(Role.WORKER)
    consultation = services.consultation_create(
        actor=worker, facts=services.CaseFacts(category="burnout", question="疲れが抜けません。")
    )
    person = actor("worker")
    person.login(worker)
    person.page.goto(f"/consultations/{consultation.pk}/")
    title = person.page.title()
    assert "<" not in title and len(title) <= 80, title[:200]
    assert consultation.reference in title
