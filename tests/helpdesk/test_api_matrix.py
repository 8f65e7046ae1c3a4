"""Who may call which endpoint: every endpoint × every role, and 404s that reveal nothing.

The world of each case: a worker ("owner") of one organisation files a burnout consultation that
the rules route to the peer queue. Around it: another worker, two peers (the one who works on it
in the states that need an assignee, and a second one who can see it but does not hold it), an
expert, a supervisor, an admin, a peer of the owner's own organisation and an anonymous caller.
Everyone but the anonymous caller uses a personal access token.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from accounts import tokens
from accounts.models import Organisation, Role, User
from helpdesk import workflow
from helpdesk.choices import Status
from helpdesk.models import Consultation, Queue, Transfer
from helpdesk.services import CaseFacts, consultation_create
from peer.models import ResponderProfile

API = "/api/v1"
MISSING = 987654321


@dataclass
class World:
    users: dict[str, User]
    consultation: Consultation
    transfer: Transfer | None = None


def _on_duty(user: User) -> User:
    ResponderProfile.objects.create(user=user, on_duty=True, capacity=5)
    return user


@pytest.fixture
def world(make_user: Callable[..., User], make_org: Callable[..., Organisation]) -> World:
    home = make_org()
    users = {
        "owner": make_user(Role.WORKER, organisation=home),
        "other_worker": make_user(Role.WORKER),
        "peer": _on_duty(make_user(Role.PEER)),
        "peer2": _on_duty(make_user(Role.PEER)),
        "expert": _on_duty(make_user(Role.EXPERT)),
        "supervisor": _on_duty(make_user(Role.SUPERVISOR)),
        "admin": make_user(Role.ADMIN),
        "own_org_peer": _on_duty(make_user(Role.PEER, organisation=home)),
    }
    consultation = consultation_create(
        actor=users["owner"],
        facts=CaseFacts(category="burnout", question="疲れが抜けません。", requested_responder="peer"),
    )
    assert consultation.queue is not None and consultation.queue.slug == "peer"
    return World(users=users, consultation=consultation)


# --- States the endpoints need --------------------------------------------------------------


def _received(world: World) -> None:
    pass


def _claimed(world: World) -> None:
    workflow.claim(actor=world.users["peer"], consultation_id=world.consultation.pk)


def _resolved(world: World) -> None:
    _claimed(world)
    workflow.status_set(
        actor=world.users["peer"], consultation_id=world.consultation.pk, status=Status.RESOLVED
    )


def _transfer_pending(world: World) -> None:
    _claimed(world)
    world.transfer = workflow.transfer_request(
        actor=world.users["peer"],
        consultation_id=world.consultation.pk,
        reason="専門職へ",
        to_queue=Queue.objects.get(slug="expert-general"),
    )


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    path: str  # {c}: the consultation, {t}: the pending transfer, {k}: the caller's own token
    body: dict[str, Any] | None
    setup: Callable[[World], None]


# The matrix. Columns: the caller; rows: the endpoint. 404 means "missing or not visible to you".
MATRIX = """
endpoint      owner other_worker peer peer2 expert supervisor admin own_org_peer anonymous
preview         200          200  403   403    403        403   403          403       401
create          201          201  403   403    403        403   403          403       401
list            200          200  200   200    200        200   200          200       401
detail          200          404  200   200    404        404   404          404       401
queue           403          403  200   200    200        200   403          200       401
next            403          403  200   200    404        404   403          404       401
claim           404          404  200   200    404        404   404          404       401
release         404          404  200   403    404        404   404          404       401
transfer        404          404  201   403    404        404   404          404       401
escalate        404          404  201   403    404        404   404          404       401
status          404          404  200   403    404        404   404          404       401
reopen          200          404  200   404    404        404   404          404       401
note            404          404  201   201    404        404   404          404       401
accept          404          404  404   404    200        200   404          404       401
decline         404          404  404   404    200        200   404          404       401
token_create    403          403  403   403    403        403   403          403       401
token_list      403          403  403   403    403        403   403          403       401
token_revoke    403          403  403   403    403        403   403          403       401
metrics         403          403  403   403    403        200   403          403       401
"""
# token_*: a token never manages tokens; the verified session does (tests/helpdesk/test_api.py).


def _parse(table: str) -> dict[str, dict[str, int]]:
    header, *rows = (line.split() for line in table.strip().splitlines())
    return {name: dict(zip(header[1:], map(int, codes), strict=True)) for name, *codes in rows}


EXPECTED = _parse(MATRIX)
ROLES = tuple(next(iter(EXPECTED.values())))

ENDPOINTS = [
    Endpoint("preview", "post", "/consultations/preview/", {"text": "疲れています。"}, _received),
    Endpoint(
        "create", "post", "/consultations/", {"category": "burnout", "question": "相談です。"}, _received
    ),
    Endpoint("list", "get", "/consultations/", None, _received),
    Endpoint("detail", "get", "/consultations/{c}/", None, _received),
    Endpoint("queue", "get", "/queue/", None, _received),
    Endpoint("next", "post", "/queue/next/", None, _received),
    Endpoint("claim", "post", "/consultations/{c}/claim/", None, _received),
    Endpoint("release", "post", "/consultations/{c}/release/", {"reason": "戻します"}, _claimed),
    Endpoint(
        "transfer",
        "post",
        "/consultations/{c}/transfer/",
        {"to_queue": "expert-general", "reason": "専門職へ"},
        _claimed,
    ),
    Endpoint("escalate", "post", "/consultations/{c}/escalate/", {"reason": "難しい"}, _claimed),
    Endpoint("status", "post", "/consultations/{c}/status/", {"status": "waiting"}, _claimed),
    Endpoint("reopen", "post", "/consultations/{c}/reopen/", {"reason": "再開"}, _resolved),
    Endpoint("note", "post", "/consultations/{c}/notes/", {"body": "メモ"}, _received),
    Endpoint("accept", "post", "/transfers/{t}/accept/", None, _transfer_pending),
    Endpoint("decline", "post", "/transfers/{t}/decline/", {"reason": "担当外"}, _transfer_pending),
    Endpoint("token_create", "post", "/tokens/", {"name": "x"}, _received),
    Endpoint("token_list", "get", "/tokens/", None, _received),
    Endpoint("token_revoke", "delete", "/tokens/{k}/", None, _received),
    Endpoint("metrics", "get", "/metrics", None, _received),
]


def test_the_matrix_has_one_row_per_endpoint() -> None:
    assert [e.name for e in ENDPOINTS] == list(EXPECTED)


def _call(client: Client, endpoint: Endpoint, path: str) -> Any:
    method = getattr(client, endpoint.method)
    if endpoint.body is None:
        return method(f"{API}{path}")
    return method(f"{API}{path}", json.dumps(endpoint.body), content_type="application/json")


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
def test_permission_matrix(world: World, endpoint: Endpoint, role: str) -> None:
    # given the consultation in the state the endpoint needs, and a caller in that role
    endpoint.setup(world)
    client, token_id = Client(), 0
    if role != "anonymous":
        token, raw = tokens.token_create(actor=world.users[role], name="matrix", session_verified=True)
        client, token_id = Client(headers={"Authorization": f"Bearer {raw}"}), token.pk
    path = endpoint.path.format(
        c=world.consultation.pk, t=world.transfer.pk if world.transfer else MISSING, k=token_id
    )
    # when the caller calls it
    response = _call(client, endpoint, path)
    # then the status is the one the matrix promises, and every error is JSON with a code
    assert response.status_code == EXPECTED[endpoint.name][role], response.content.decode()[:500]
    if response.status_code >= 400:
        assert response["Content-Type"].startswith("application/json")
        assert set(response.json()) >= {"code", "detail"}


def test_the_matrix_covers_every_path_of_the_schema() -> None:
    from config.api import api

    schema = api.get_openapi_schema(path_prefix="")
    operations = {(method, path) for path, item in schema["paths"].items() for method in item}
    covered = {
        (
            e.method,
            e.path.replace("{c}", "{consultation_id}")
            .replace("{t}", "{transfer_id}")
            .replace("{k}", "{token_id}"),
        )
        for e in ENDPOINTS
    }
    assert operations == covered


# Every (endpoint taking an id, role) pair the matrix answers with 404.
HIDDEN = [
    pytest.param(e, role, id=f"{e.name}-{role}")
    for e in ENDPOINTS
    if "{c}" in e.path or "{t}" in e.path
    for role in ROLES
    if EXPECTED[e.name][role] == 404
]


@pytest.mark.parametrize(("endpoint", "role"), HIDDEN)
def test_a_forbidden_id_answers_exactly_like_a_missing_one(
    world: World, endpoint: Endpoint, role: str
) -> None:
    # given a consultation (and transfer) the caller may not see
    endpoint.setup(world)
    _token, raw = tokens.token_create(actor=world.users[role], name="probe", session_verified=True)
    client = Client(headers={"Authorization": f"Bearer {raw}"})
    real = endpoint.path.format(c=world.consultation.pk, t=world.transfer.pk if world.transfer else 0, k=0)
    missing = endpoint.path.format(c=MISSING, t=MISSING, k=0)
    # when it asks for the real id and for one that does not exist
    forbidden_response = _call(client, endpoint, real)
    missing_response = _call(client, endpoint, missing)
    # then nothing tells them apart
    assert forbidden_response.status_code == missing_response.status_code == 404
    assert forbidden_response.content == missing_response.content
    assert forbidden_response.json() == {"code": "not_found", "detail": "見つかりません。"}
