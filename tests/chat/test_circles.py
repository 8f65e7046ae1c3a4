"""Peer circles: membership decides who joins; a message reaches every member once, in order."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.core.exceptions import PermissionDenied
from django.test import Client

from accounts.models import Role, User
from chat.models import CircleMessage
from peer import circles
from peer.models import Circle, ResponderProfile
from tests.chat.conftest import receive_until, session_cookie


def _moderator(make_user: Callable[..., User]) -> User:
    peer = make_user(Role.PEER, display_name="試験 モデレーター")
    ResponderProfile.objects.create(user=peer, training_level="leader")
    return peer


def test_only_supervisors_open_circles_with_a_trained_moderator(make_user: Callable[..., User]) -> None:
    supervisor = make_user(Role.SUPERVISOR)
    novice = make_user(Role.PEER)
    ResponderProfile.objects.create(user=novice, training_level="novice")
    with pytest.raises(PermissionDenied):
        circles.circle_create(actor=make_user(Role.PEER), name="語り場", moderator=_moderator(make_user))
    with pytest.raises(ValueError):
        circles.circle_create(actor=supervisor, name="語り場", moderator=novice)
    circle = circles.circle_create(actor=supervisor, name="語り場", moderator=_moderator(make_user))
    assert circles.circle_role_for(actor=circle.moderator, circle_id=circle.pk) == circles.MODERATOR


def test_the_circle_page_is_for_members_only(
    make_user: Callable[..., User], enrolled: Callable[..., User], verified_client: Callable[[User], Client]
) -> None:
    circle = circles.circle_create(
        actor=make_user(Role.SUPERVISOR), name="夜の語り場", moderator=_moderator(make_user)
    )
    member, outsider = enrolled(Role.WORKER), enrolled(Role.WORKER)
    circles.circle_member_add(actor=circle.moderator, circle_id=circle.pk, user=member)
    page = verified_client(member).get(f"/chat/circles/{circle.pk}/")
    assert page.status_code == 200 and f"/ws/circles/{circle.pk}/" in page.content.decode()
    assert Client().get(f"/chat/circles/{circle.pk}/").status_code == 302
    client = verified_client(outsider)
    assert client.get(f"/chat/circles/{circle.pk}/").status_code == 404


@pytest.mark.django_db(transaction=True)
async def test_a_circle_message_reaches_every_member_once(make_user: Any) -> None:
    def setup() -> tuple[Circle, list[str], str]:
        supervisor = make_user(Role.SUPERVISOR)
        circle = circles.circle_create(actor=supervisor, name="ピアの輪", moderator=_moderator(make_user))
        members = [make_user(Role.PEER) for _ in range(3)]
        for member in members:
            circles.circle_member_add(actor=circle.moderator, circle_id=circle.pk, user=member)
        cookies = [session_cookie(circle.moderator)] + [session_cookie(m) for m in members]
        return circle, cookies, session_cookie(make_user(Role.PEER))

    circle, cookies, outsider_cookie = await database_sync_to_async(setup)()
    from channels.testing import WebsocketCommunicator

    from config.asgi import application

    def socket(cookie: str) -> WebsocketCommunicator:
        headers = [(b"origin", b"http://localhost"), (b"cookie", cookie.encode())]
        return WebsocketCommunicator(application, f"/ws/circles/{circle.pk}/", headers=headers)

    sockets = [socket(cookie) for cookie in cookies]
    for comm in sockets:
        assert (await comm.connect())[0]
        await comm.send_json_to({"type": "resume", "after_seq": 0})
    for n in range(3):  # three members write at once
        frame = {"type": "send", "client_id": str(uuid.uuid4()), "body": f"分かち合い{n}"}
        await sockets[n].send_json_to(frame)
    for comm in sockets:  # every member sees each message exactly once, in order
        seqs = [(await receive_until(comm, "message"))["seq"] for _ in range(3)]
        assert seqs == [1, 2, 3]
    assert await database_sync_to_async(CircleMessage.objects.filter(circle=circle).count)() == 3

    outsider = socket(outsider_cookie)
    assert (await outsider.connect())[0]
    assert await outsider.receive_output(timeout=3) == {"type": "websocket.close", "code": 4403}
    for comm in sockets:
        await comm.disconnect()
