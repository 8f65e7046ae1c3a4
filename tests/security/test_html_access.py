"""Every HTML page × every role, a stranger and other organisations; a hidden id answers like a missing one.

The world (tests/security/conftest.py): the owner, a worker of the owner's organisation, files a burnout
consultation that routing puts in the peer queue. "peer" holds it in the states that need an assignee,
"peer2" is another peer who may see the queue. 302 means the action ran (or a page sent the person on:
login for the anonymous caller, home for a logged-in person on the login page); 403 a role that may never
do this, whatever the id; 404 "missing or not yours".
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern

from accounts.models import Organisation, User
from helpdesk.services import CaseFacts, consultation_create
from tests.security.conftest import (
    MISSING,
    ROLES,
    Cast,
    claimed,
    client_for,
    comparable,
    received,
    transfer_pending,
)


def circle(cast: Cast) -> None:
    """A peer circle moderated by the supervisor, with the owner as a member."""
    from peer import circles

    opened = circles.circle_create(
        actor=cast.users["supervisor"], name="夜勤明けの会", moderator=cast.users["supervisor"]
    )
    circles.circle_member_add(actor=cast.users["supervisor"], circle_id=opened.pk, user=cast.users["owner"])
    cast.extra["circle"] = opened.pk


URL_MODULES = ("helpdesk.urls", "accounts.urls", "chat.urls")


@dataclass(frozen=True)
class Page:
    name: str  # the URL name (namespace:name); several rows may exercise one URL
    method: str
    path: str  # {c}: the consultation, {t}: the pending transfer
    data: dict[str, Any] | None
    setup: Callable[[Cast], None]
    label: str = ""

    @property
    def id(self) -> str:
        return self.label or self.name.split(":")[1]


MATRIX = """
page             owner colleague outsider peer peer2 expert supervisor admin own_org_peer anonymous
consultation_list  200       200      200  200   200    200        200   200          200       302
consultation_new   200       200      200  403   403    403        403   403          403       302
detail             200       404      404  200   200    404        404   404          404       302
message_check      200       404      404  200   404    404        404   404          404       302
queue              403       403      403  200   200    200        200   403          200       302
next               403       403      403  302   302    302        302   403          302       302
duty               403       403      403  302   302    302        302   403          302       302
leave              403       403      403  302   302    302        302   403          302       302
claim              403       403      403  302   302    404        404   403          404       302
note               403       403      403  302   302    404        404   403          404       302
status             403       403      403  302   403    404        404   403          404       302
escalate           403       403      403  302   403    404        404   403          404       302
unknown_action     403       403      403  403   403    403        403   403          403       302
transfer_decide    403       403      403  404   404    302        302   403          404       302
login              302       302      302  302   302    302        302   302          302       200
logout             302       302      302  302   302    302        302   302          302       302
enrol              302       302      302  302   302    302        302   302          302       302
backup_codes       200       200      200  200   200    200        200   200          200       302
invite             200       200      200  200   200    200        200   200          200       200
unread             200       200      200  200   200    200        200   200          200       302
check              200       200      200  200   200    200        200   200          200       302
circles            200       200      200  200   200    200        200   200          200       302
circle             200       404      404  404   404    404        200   404          404       302
my_data            200       200      200  200   200    200        200   200          200       302
"""


def _parse(table: str) -> dict[str, dict[str, int]]:
    header, *rows = (line.split() for line in table.strip().splitlines())
    assert tuple(header[1:]) == ROLES
    return {name: dict(zip(header[1:], map(int, codes), strict=True)) for name, *codes in rows}


EXPECTED = _parse(MATRIX)
C = "/consultations"
PAGES = [
    Page("helpdesk:consultation_list", "get", f"{C}/", None, received),
    Page("helpdesk:consultation_new", "get", f"{C}/new/", None, received),
    Page("helpdesk:consultation_detail", "get", f"{C}/{{c}}/", None, received, "detail"),
    Page("helpdesk:message_check", "post", f"{C}/{{c}}/check-message/", {"text": "夜勤明け"}, claimed),
    Page("helpdesk:queue", "get", f"{C}/queue/", None, received),
    Page("helpdesk:next", "post", f"{C}/queue/next/", {}, received),
    Page("helpdesk:duty", "post", f"{C}/queue/duty/", {"on_duty": "1"}, received),
    Page("helpdesk:leave", "post", f"{C}/queue/leave/", {"substitute": "{peer2}"}, claimed),
    Page("helpdesk:claim", "post", f"{C}/{{c}}/claim/", {}, received),
    Page("helpdesk:action", "post", f"{C}/{{c}}/note/", {"body": "内部メモ"}, received, "note"),
    Page("helpdesk:action", "post", f"{C}/{{c}}/status/", {"status": "waiting"}, claimed, "status"),
    Page(
        "helpdesk:action",
        "post",
        f"{C}/{{c}}/escalate/",
        {"queue": "expert-general", "reason": "専門職の助言が必要"},
        claimed,
        "escalate",
    ),
    Page("helpdesk:action", "post", f"{C}/{{c}}/frobnicate/", {}, claimed, "unknown_action"),
    Page(
        "helpdesk:transfer_decide",
        "post",
        f"{C}/transfers/{{t}}/",
        {"decision": "accept"},
        transfer_pending,
    ),
    Page("accounts:login", "get", "/accounts/login/", None, received),
    Page("accounts:logout", "post", "/accounts/logout/", {}, received),
    Page("accounts:enrol", "get", "/accounts/enrol/", None, received),
    Page("accounts:backup_codes", "get", "/accounts/backup-codes/", None, received),
    Page("accounts:invite", "get", "/accounts/invite/MQ/set-password/", None, received),
    Page("chat:unread", "get", "/chat/unread/", None, received),
    Page("chat:check", "post", "/chat/check/", {"text": "母の携帯は090-4417-2286です"}, received),
    Page("chat:circles", "get", "/chat/circles/", None, circle),
    Page("chat:circle", "get", "/chat/circles/{k}/", None, circle),
    Page("chat:my_data", "get", "/chat/my-data/", None, received),
]


def _format(
    page: Page, cast: Cast, consultation_id: int | None = None, transfer_id: int | None = None
) -> str:
    transfer = transfer_id if transfer_id is not None else (cast.transfer.pk if cast.transfer else MISSING)
    circle_id = MISSING if consultation_id == MISSING else cast.extra.get("circle", MISSING)
    return page.path.format(c=consultation_id or cast.consultation.pk, t=transfer, k=circle_id)


def _call(client: Client, page: Page, path: str, cast: Cast) -> Any:
    if page.method == "get":
        return client.get(path)
    data = {k: str(cast.users["peer2"].pk) if v == "{peer2}" else v for k, v in (page.data or {}).items()}
    return client.post(path, data)


def test_every_url_of_the_three_apps_has_a_row() -> None:
    # given every named URL of helpdesk, accounts and chat
    names = set()
    for module_name in URL_MODULES:
        module = importlib.import_module(module_name)
        names |= {
            f"{module.app_name}:{p.name}" for p in module.urlpatterns if isinstance(p, URLPattern) and p.name
        }
    # then the matrix has at least one row for each, and one expectation per row
    assert names == {page.name for page in PAGES}, "add a row to MATRIX and PAGES for the new URL"
    assert [page.id for page in PAGES] == list(EXPECTED)


def _hidden(page: Page, role: str) -> bool:
    """A refusal about an object the role may not see (not: a peer who reads it but may not change it)."""
    if not any(marker in page.path for marker in ("{c}", "{t}", "{k}")):
        return False
    code = EXPECTED[page.id][role]
    return code == 404 or (code == 403 and EXPECTED["detail"][role] != 200)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.id)
def test_html_permission_matrix(cast: Cast, page: Page, role: str) -> None:
    # given the consultation in the state the page needs, and a caller in that role
    page.setup(cast)
    client = client_for(cast, role)
    # when the caller opens or posts it
    path = _format(page, cast)
    response = _call(client, page, path, cast)
    # then the answer is the one the matrix promises
    assert response.status_code == EXPECTED[page.id][role], response.content.decode()[:300]
    if role == "anonymous" and response.status_code == 302:
        assert response["Location"].startswith("/accounts/login/")
    # and an object the caller may not see answers exactly like a missing one (but for the address)
    if _hidden(page, role):
        missing_path = _format(page, cast, consultation_id=MISSING, transfer_id=MISSING)
        missing = _call(client, page, missing_path, cast)
        assert missing.status_code == response.status_code
        assert comparable(missing.content, missing_path) == comparable(response.content, path)


def test_walking_sequential_ids_reveals_nothing(
    cast: Cast, make_user: Callable[..., User], make_org: Callable[..., Organisation]
) -> None:
    # given consultations of several organisations with consecutive ids
    others = [
        consultation_create(
            actor=make_user("worker"), facts=CaseFacts(category="burnout", question=f"相談{n}です。")
        )
        for n in range(4)
    ]
    ids = [cast.consultation.pk, *(c.pk for c in others)]
    guesser = client_for(cast, "outsider")
    baseline_path = f"{C}/{MISSING}/"
    baseline = comparable(guesser.get(baseline_path).content, baseline_path)
    # when a worker of another organisation walks the ids around them
    for consultation_id in range(max(min(ids) - 2, 1), max(ids) + 3):
        for method, path in (
            (guesser.get, f"{C}/{consultation_id}/"),
            (guesser.post, f"{C}/{consultation_id}/check-message/"),
        ):
            response = method(path)
            # then every answer is the missing-object answer
            assert response.status_code == 404, path
            assert comparable(response.content, path) == baseline, path
