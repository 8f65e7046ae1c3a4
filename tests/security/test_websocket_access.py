"""WebSocket access: who may connect and which frames each member may send; sockets close when access ends.

Over the real ASGI application (origin check, session middleware, consumer) with an in-process channel
layer, so that other test runs sharing the Redis server cannot ring these sockets' bells.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.sessions.models import Session
from django.test import Client

from accounts.models import User
from config.asgi import application
from helpdesk import workflow
from helpdesk.models import Queue
from tests.security.conftest import ROLES, Cast, claimed, verify

pytestmark = pytest.mark.django_db(transaction=True)
ORIGIN = "http://localhost"


@pytest.fixture(autouse=True)
def memory_layer(settings: Any) -> None:
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


def cookie_for(user: User, client: Client | None = None) -> str:
    client = verify(client or Client(), user)
    return f"sessionid={client.cookies['sessionid'].value}"


def socket(path: str, cookie: str | None, origin: str | None = ORIGIN) -> WebsocketCommunicator:
    headers = []
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    if cookie:
        headers.append((b"cookie", cookie.encode()))
    return WebsocketCommunicator(application, path, headers=headers)


async def close_code(comm: WebsocketCommunicator, timeout: float = 3) -> int:
    """Read until the server closes the socket; the close code."""
    while True:
        output = await comm.receive_output(timeout=timeout)
        if output["type"] == "websocket.close":
            return int(output["code"])


async def next_frame(
    comm: WebsocketCommunicator, kinds: tuple[str, ...], timeout: float = 3
) -> dict[str, Any]:
    while True:
        frame = await comm.receive_json_from(timeout=timeout)
        if frame["type"] in kinds:
            return frame


async def answer(comm: WebsocketCommunicator) -> str | int:
    """ "open" when a read receipt comes back, an error code, or the close code if the server hung up."""
    while True:
        output = await comm.receive_output(timeout=3)
        if output["type"] == "websocket.close":
            return int(output["code"])
        frame = json.loads(output["text"])
        if frame["type"] in ("read", "error"):
            return "open" if frame["type"] == "read" else str(frame["code"])


def chat_path(cast: Cast) -> str:
    return f"/ws/consultations/{cast.consultation.pk}/"


def escalated(cast: Cast) -> None:
    """Claimed by the peer, then escalated: the supervisors observe, the peer still holds it."""
    claimed(cast)
    workflow.transfer_request(
        actor=cast.users["peer"],
        consultation_id=cast.consultation.pk,
        reason="判断に迷うため",
        to_queue=Queue.objects.get(slug="expert-general"),
        escalation=True,
    )


# Who gets in: "open" (accepted and stays), 4403 (accepted then closed: refused, as if it did not exist).
CONNECT = {
    "claimed": {
        "owner": "open",
        "colleague": 4403,
        "outsider": 4403,
        "peer": "open",
        "peer2": 4403,
        "expert": 4403,
        "supervisor": 4403,
        "admin": 4403,
        "own_org_peer": 4403,
        "anonymous": 4403,
    },
    "escalated": {
        "owner": "open",
        "colleague": 4403,
        "outsider": 4403,
        "peer": "open",
        "peer2": 4403,
        "expert": 4403,
        "supervisor": "open",
        "admin": 4403,
        "own_org_peer": 4403,
        "anonymous": 4403,
    },
}
STATES: dict[str, Callable[[Cast], None]] = {"claimed": claimed, "escalated": escalated}


@pytest.mark.parametrize("state", list(CONNECT))
async def test_who_may_join_a_consultation_chat(cast: Cast, state: str) -> None:
    # given the consultation in that state
    await database_sync_to_async(STATES[state])(cast)
    outcome: dict[str, str | int] = {}
    for role in ROLES:
        # when each caller opens the chat socket with its session (none for the stranger)
        cookie = None if role == "anonymous" else await database_sync_to_async(cookie_for)(cast.users[role])
        comm = socket(chat_path(cast), cookie)
        connected, _ = await comm.connect()
        assert connected
        await comm.send_json_to({"type": "resume", "after_seq": 0})
        await comm.send_json_to({"type": "read", "seq": 0})
        outcome[role] = await answer(comm)
        await comm.disconnect()
    # then it stays open for members only, and everyone else is closed with 4403
    assert outcome == CONNECT[state]


def open_circle(cast: Cast) -> int:
    """A peer circle moderated by the supervisor, with the owner as a member."""
    from peer import circles

    supervisor = cast.users["supervisor"]
    room = circles.circle_create(actor=supervisor, name="夜勤明けの会", moderator=supervisor)
    circles.circle_member_add(actor=supervisor, circle_id=room.pk, user=cast.users["owner"])
    return room.pk


async def test_who_may_join_a_peer_circle(cast: Cast) -> None:
    # given a circle of two: its moderator (a supervisor) and the owner
    circle_id = await database_sync_to_async(open_circle)(cast)
    outcome: dict[str, str | int] = {}
    for role in ROLES:
        # when each caller opens the circle's socket, and the owner's colleague tries a missing circle
        cookie = None if role == "anonymous" else await database_sync_to_async(cookie_for)(cast.users[role])
        comm = socket(f"/ws/circles/{circle_id}/", cookie)
        assert (await comm.connect())[0]
        await comm.send_json_to({"type": "resume", "after_seq": 0})
        await comm.send_json_to({"type": "read", "seq": 0})
        outcome[role] = await answer(comm)
        await comm.disconnect()
    # then only the two members stay
    assert outcome == {role: "open" if role in ("owner", "supervisor") else 4403 for role in ROLES}


async def test_a_missing_consultation_is_refused_like_a_forbidden_one(cast: Cast) -> None:
    cookie = await database_sync_to_async(cookie_for)(cast.users["outsider"])
    codes = []
    for path in (chat_path(cast), "/ws/consultations/987654321/"):
        comm = socket(path, cookie)
        assert (await comm.connect())[0]
        codes.append(await close_code(comm))
    assert codes == [4403, 4403]


FOREIGN_ORIGINS = [
    "https://evil.example",
    "http://localhost.evil.example",
    "http://evil.example:80",
    "null",
    "",
    None,  # no Origin header at all
]


async def test_a_foreign_or_missing_origin_is_refused_at_the_handshake(cast: Cast) -> None:
    # given a verified member's session, as a cross-site page would carry it
    await database_sync_to_async(claimed)(cast)
    circle_id = await database_sync_to_async(open_circle)(cast)
    cookie = await database_sync_to_async(cookie_for)(cast.users["owner"])
    accepted = []
    for origin in FOREIGN_ORIGINS:
        for path in (chat_path(cast), "/ws/notifications/", f"/ws/circles/{circle_id}/"):
            # when the handshake comes from another origin (or none)
            comm = socket(path, cookie, origin=origin)
            connected, _ = await comm.connect()
            if connected:
                accepted.append((origin, path))
            await comm.disconnect()
    # then the server refuses every upgrade
    assert accepted == []
    # while the same session from the service's own origin gets in
    comm = socket(chat_path(cast), cookie)
    assert (await comm.connect())[0]
    await comm.disconnect()


async def test_an_unverified_session_is_refused_on_every_socket(cast: Cast) -> None:
    # given a password-only session (no second factor yet) of the owner
    await database_sync_to_async(claimed)(cast)

    def password_only() -> str:
        client = Client()
        client.force_login(cast.users["owner"])
        return f"sessionid={client.cookies['sessionid'].value}"

    cookie = await database_sync_to_async(password_only)()
    circle_id = await database_sync_to_async(open_circle)(cast)
    for path in (chat_path(cast), "/ws/notifications/", f"/ws/circles/{circle_id}/"):
        comm = socket(path, cookie)
        assert (await comm.connect())[0]
        assert await close_code(comm) == 4403, path


# Frames by member: what a worker, the assignee and an observing supervisor may send.
FRAMES = {
    "send": {"owner": "ack", "peer": "ack", "supervisor": "forbidden"},
    "whisper": {"owner": "forbidden", "peer": "forbidden", "supervisor": "ack"},
}


async def test_what_each_member_may_send(cast: Cast) -> None:
    # given an escalated consultation: the owner, the assignee and an observing supervisor are members
    await database_sync_to_async(escalated)(cast)
    replies: dict[str, dict[str, str]] = {}
    for role in ("owner", "peer", "supervisor"):
        comm = socket(chat_path(cast), await database_sync_to_async(cookie_for)(cast.users[role]))
        assert (await comm.connect())[0]
        await comm.send_json_to({"type": "resume", "after_seq": 0})
        replies[role] = {}
        for kind in FRAMES:
            # when the member sends that kind of frame
            await comm.send_json_to({"type": kind, "client_id": str(uuid.uuid4()), "body": "確認です"})
            reply = await next_frame(comm, ("ack", "error"))
            replies[role][kind] = reply.get("code", reply["type"])
        await comm.disconnect()
    # then it is stored only when the role may send it
    assert replies == {role: {kind: FRAMES[kind][role] for kind in FRAMES} for role in replies}


async def test_a_whisper_never_reaches_the_worker(cast: Cast) -> None:
    await database_sync_to_async(escalated)(cast)
    cookies = {
        role: await database_sync_to_async(cookie_for)(cast.users[role]) for role in ("owner", "supervisor")
    }
    worker, supervisor = (
        socket(chat_path(cast), cookies["owner"]),
        socket(chat_path(cast), cookies["supervisor"]),
    )
    for comm in (worker, supervisor):
        assert (await comm.connect())[0]
        await comm.send_json_to({"type": "resume", "after_seq": 0, "after_whisper_seq": 0})
    await supervisor.send_json_to({"type": "whisper", "client_id": str(uuid.uuid4()), "body": "内密の助言"})
    assert (await next_frame(supervisor, ("ack",)))["whisper"] is True
    # the worker asks for whispers too, and hears only the next ordinary message
    await worker.send_json_to({"type": "resume", "after_seq": 0, "after_whisper_seq": 0})
    await worker.send_json_to({"type": "send", "client_id": str(uuid.uuid4()), "body": "ありがとう"})
    seen = []
    while True:
        frame = await worker.receive_json_from(timeout=3)
        seen.append(frame["type"])
        if frame["type"] == "message":
            break
    assert "whisper" not in seen and "内密" not in json.dumps(seen, ensure_ascii=False)
    for comm in (worker, supervisor):
        await comm.disconnect()


async def test_logging_out_closes_the_open_sockets_of_that_person(cast: Cast) -> None:
    # given the owner's chat and notification sockets, opened with the browser's session
    await database_sync_to_async(claimed)(cast)
    browser = Client()
    cookie = await database_sync_to_async(cookie_for)(cast.users["owner"], browser)
    chat, notifications = socket(chat_path(cast), cookie), socket("/ws/notifications/", cookie)
    for comm in (chat, notifications):
        assert (await comm.connect())[0]
    await chat.send_json_to({"type": "resume", "after_seq": 0})
    # when the person logs out in that browser
    response = await sync_to_async(browser.post)("/accounts/logout/")
    assert response.status_code == 302
    # then both sockets are closed with 4401
    assert await close_code(chat) == 4401
    assert await close_code(notifications) == 4401


async def test_deactivating_an_account_in_the_admin_closes_its_sockets(cast: Cast) -> None:
    # given the peer's open chat socket
    await database_sync_to_async(claimed)(cast)
    peer = cast.users["peer"]
    comm = socket(chat_path(cast), await database_sync_to_async(cookie_for)(peer))
    assert (await comm.connect())[0]
    await comm.send_json_to({"type": "resume", "after_seq": 0})

    # when an administrator unticks "active" in the admin
    def deactivate() -> int:
        admin = verify(Client(), cast.users["admin"])
        form = {
            "username": peer.username,
            "display_name": peer.display_name,
            "role": peer.role,
            "organisation": peer.organisation_id,
            "email": "",
            "professions": "[]",
            "specialties": "[]",
            "pseudonym": "",
        }
        return admin.post(f"/admin/accounts/user/{peer.pk}/change/", form).status_code

    assert await database_sync_to_async(deactivate)() == 302
    # then the socket closes with 4401, and the account cannot come back
    assert await close_code(comm) == 4401
    again = socket(chat_path(cast), await database_sync_to_async(cookie_for)(peer))
    assert (await again.connect())[0]
    assert await close_code(again) == 4403


async def test_the_periodic_recheck_closes_sockets_whose_session_ended_without_a_bell(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given three members' open sockets, re-checked on their next frame (the 30 s timer, elapsed)
    await database_sync_to_async(escalated)(cast)
    members = {role: cast.users[role] for role in ("owner", "peer", "supervisor")}
    cookies = {role: await database_sync_to_async(cookie_for)(user) for role, user in members.items()}
    sockets = {role: socket(chat_path(cast), cookie) for role, cookie in cookies.items()}
    for comm in sockets.values():
        assert (await comm.connect())[0]
        await comm.send_json_to({"type": "resume", "after_seq": 0})
    monkeypatch.setattr("chat.consumers.SESSION_RECHECK_SECONDS", 0)

    # when each session ends with no doorbell (another process did it, the channel layer was down):
    # the owner's session row is deleted, the peer's password changes, the supervisor is deactivated
    def end_sessions() -> None:
        Session.objects.filter(session_key=cookies["owner"].split("=", 1)[1]).delete()
        members["peer"].set_password("an-entirely-new-passphrase-77")
        members["peer"].save()
        User.objects.filter(pk=members["supervisor"].pk).update(is_active=False)

    await database_sync_to_async(end_sessions)()
    codes = {}
    for role, comm in sockets.items():
        kind = "whisper" if role == "supervisor" else "send"
        await comm.send_json_to({"type": kind, "client_id": str(uuid.uuid4()), "body": "まだ届く？"})
        codes[role] = await close_code(comm)
    # then the next frame closes every socket with 4401 and nothing is stored
    assert codes == {"owner": 4401, "peer": 4401, "supervisor": 4401}
    from chat.models import Message

    assert await database_sync_to_async(Message.objects.filter(consultation=cast.consultation).count)() == 0
