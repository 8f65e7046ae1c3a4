"""The chat protocol over the real ASGI application: delivery, idempotency, resume, access, bad input."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from channels.db import database_sync_to_async

from accounts.models import Role
from accounts.sockets import user_group
from chat.models import Message, Thread
from helpdesk import workflow
from tests.chat.conftest import communicator, receive_until, session_cookie

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def cookies(room: dict[str, Any]) -> dict[str, str]:
    return {"worker": session_cookie(room["worker"]), "peer": session_cookie(room["peer"])}


async def joined(consultation_id: int, cookie: str, after: int = 0) -> Any:
    comm = communicator(consultation_id, cookie)
    connected, _ = await comm.connect()
    assert connected
    await comm.send_json_to({"type": "resume", "after_seq": after})
    return comm


async def test_a_message_is_stored_acked_and_delivered_once_in_order(
    room: dict[str, Any], cookies: dict[str, str]
) -> None:
    cid = room["consultation"].pk
    worker = await joined(cid, cookies["worker"])
    peer = await joined(cid, cookies["peer"])
    client_id = str(uuid.uuid4())
    await worker.send_json_to({"type": "send", "client_id": client_id, "body": "こんばんは\n眠れません <b>"})
    ack = await receive_until(worker, "ack")
    assert ack == {"type": "ack", "client_id": client_id, "seq": 1, "whisper": False}
    for comm in (worker, peer):
        message = await receive_until(comm, "message")
        assert message["seq"] == 1 and message["client_id"] == client_id
        assert message["body_html"] == "こんばんは<br>眠れません &lt;b&gt;"
        assert message["author"] == {"display": "あおば", "role": "worker"}
    # the same client_id again: same seq, no second row
    await worker.send_json_to({"type": "send", "client_id": client_id, "body": "こんばんは\n眠れません <b>"})
    assert (await receive_until(worker, "ack"))["seq"] == 1
    assert await database_sync_to_async(Message.objects.filter(consultation_id=cid).count)() == 1
    await worker.disconnect()
    await peer.disconnect()


async def test_resume_replays_everything_after_the_given_seq(
    room: dict[str, Any], cookies: dict[str, str]
) -> None:
    cid = room["consultation"].pk
    peer = await joined(cid, cookies["peer"])
    for n in range(5):
        await peer.send_json_to({"type": "send", "client_id": str(uuid.uuid4()), "body": f"返信{n}"})
        await receive_until(peer, "ack")
    await peer.disconnect()
    worker = await joined(cid, cookies["worker"], after=2)
    seqs = [(await receive_until(worker, "message"))["seq"] for _ in range(3)]
    assert seqs == [3, 4, 5]
    await worker.disconnect()


async def test_a_lost_doorbell_is_repaired_from_the_database(
    room: dict[str, Any], cookies: dict[str, str]
) -> None:
    cid = room["consultation"].pk
    worker = await joined(cid, cookies["worker"])

    def store_silently() -> None:  # as if the channel layer had dropped the broadcast
        Thread.objects.update_or_create(consultation_id=cid, defaults={"last_seq": 1})
        Message.objects.create(consultation_id=cid, seq=1, author=room["peer"], body="届かなかった通知")

    await database_sync_to_async(store_silently)()
    peer = await joined(cid, cookies["peer"], after=1)
    await peer.send_json_to({"type": "send", "client_id": str(uuid.uuid4()), "body": "次のメッセージ"})
    first = await receive_until(worker, "message")
    second = await receive_until(worker, "message")
    assert (first["seq"], second["seq"]) == (1, 2)
    await worker.disconnect()
    await peer.disconnect()


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("not json", "invalid_json"),
        ("[1, 2]", "invalid_frame"),
        ('{"type": "dance"}', "unknown_type"),
        ('{"type": "send", "body": "x"}', "invalid_client_id"),
        ('{"type": "send", "client_id": "c3a1f1f6-0000-4000-8000-000000000000"}', "invalid_body"),
        ('{"type": "send", "client_id": "c3a1f1f6-0000-4000-8000-000000000001", "body": "   "}', "empty"),
        ('{"type": "resume", "after_seq": -1}', "invalid_seq"),
        ('{"type": "read", "seq": "x"}', "invalid_seq"),
    ],
)
async def test_bad_input_gets_an_error_frame_and_the_connection_stays(
    room: dict[str, Any], cookies: dict[str, str], frame: str, code: str
) -> None:
    comm = await joined(room["consultation"].pk, cookies["worker"])
    await comm.send_to(text_data=frame)
    error = await receive_until(comm, "error")
    assert error["code"] == code
    await comm.send_json_to({"type": "send", "client_id": str(uuid.uuid4()), "body": "まだつながっている"})
    assert (await receive_until(comm, "ack"))["seq"] == 1
    await comm.disconnect()


async def test_binary_and_oversized_frames_are_refused_politely(
    room: dict[str, Any], cookies: dict[str, str]
) -> None:
    comm = await joined(room["consultation"].pk, cookies["worker"])
    await comm.send_to(bytes_data=b"\x00\x01")
    assert (await receive_until(comm, "error"))["code"] == "binary_not_supported"
    body = "あ" * 4001
    await comm.send_json_to({"type": "send", "client_id": str(uuid.uuid4()), "body": body})
    assert (await receive_until(comm, "error"))["code"] == "too_long"
    await comm.disconnect()


async def test_flooding_is_rate_limited(room: dict[str, Any], cookies: dict[str, str]) -> None:
    comm = await joined(room["consultation"].pk, cookies["worker"])
    codes = []
    for n in range(30):
        await comm.send_json_to({"type": "send", "client_id": str(uuid.uuid4()), "body": f"連投{n}"})
    for _ in range(30):
        frame = await comm.receive_json_from(timeout=3)
        while frame["type"] not in ("ack", "error"):
            frame = await comm.receive_json_from(timeout=3)
        codes.append(frame.get("code", "ack"))
    # a burst of 10, then about one a second: most of a 30-message flood is refused
    assert codes.count("rate_limited") >= 10
    assert 10 <= codes.count("ack") <= 20
    await comm.disconnect()


XSS = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "javascript:alert(1)",
    '<a href="javascript:alert(1)">click</a>',
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    '<svg onload="alert(1)"><circle/></svg>',
    "<iframe src=//example.com></iframe>",
    '"><script>alert(1)</script>',
    "\u202eevil\u202c https://example.jp/\u200bpath",
    "<scr<script>ipt>alert(1)</script>",
]


async def test_xss_payloads_render_inert(room: dict[str, Any], cookies: dict[str, str]) -> None:
    comm = await joined(room["consultation"].pk, cookies["worker"])
    for payload in XSS:
        await comm.send_json_to({"type": "send", "client_id": str(uuid.uuid4()), "body": payload})
        html = (await receive_until(comm, "message"))["body_html"]
        assert "<script" not in html and "<img" not in html and "<svg" not in html and "<iframe" not in html
        assert '<a href="javascript' not in html and '<a href="data' not in html
        assert "\u202e" not in html and "\u200b" not in html
    await comm.disconnect()


async def test_strangers_and_unverified_sessions_are_closed_with_4403(
    room: dict[str, Any], make_user: Any
) -> None:
    cid = room["consultation"].pk

    def cookies_for_outsiders() -> list[str | None]:
        other_worker = make_user(Role.WORKER)
        other_peer = make_user(Role.PEER)
        return [
            session_cookie(other_worker),
            session_cookie(other_peer),
            session_cookie(room["worker"], verified=False),
            None,
        ]

    for cookie in await database_sync_to_async(cookies_for_outsiders)():
        comm = communicator(cid, cookie)
        connected, _ = await comm.connect()
        assert connected
        closed = await comm.receive_output(timeout=3)
        assert closed == {"type": "websocket.close", "code": 4403}


async def test_a_foreign_origin_is_refused(room: dict[str, Any], cookies: dict[str, str]) -> None:
    comm = communicator(room["consultation"].pk, cookies["worker"], origin="https://evil.example")
    connected, _ = await comm.connect()
    assert not connected


async def test_typing_and_read_receipts_reach_the_other_member(
    room: dict[str, Any], cookies: dict[str, str]
) -> None:
    cid = room["consultation"].pk
    worker = await joined(cid, cookies["worker"])
    peer = await joined(cid, cookies["peer"])
    await worker.send_json_to({"type": "typing"})
    assert (await receive_until(peer, "typing"))["role"] == "worker"
    await peer.send_json_to({"type": "send", "client_id": str(uuid.uuid4()), "body": "お疲れさまです"})
    await receive_until(worker, "message")
    await worker.send_json_to({"type": "read", "seq": 1})
    assert (await receive_until(peer, "read"))["seq"] == 1
    await worker.disconnect()
    await peer.disconnect()


async def test_logout_closes_open_sockets(room: dict[str, Any], cookies: dict[str, str]) -> None:
    comm = await joined(room["consultation"].pk, cookies["worker"])
    from channels.layers import get_channel_layer

    await get_channel_layer().group_send(user_group(room["worker"].pk), {"type": "session.ended"})
    while True:
        output = await comm.receive_output(timeout=3)
        if output["type"] == "websocket.close":
            assert output["code"] == 4401
            break


async def test_access_is_rechecked_when_the_consultation_changes_hands(
    room: dict[str, Any], cookies: dict[str, str]
) -> None:
    peer = await joined(room["consultation"].pk, cookies["peer"])
    await database_sync_to_async(workflow.release)(
        actor=room["peer"], consultation_id=room["consultation"].pk, reason="担当交代"
    )
    while True:
        output = await peer.receive_output(timeout=3)
        if output["type"] == "websocket.close":
            assert output["code"] == 4403
            break
        assert json.loads(output["text"])["type"] in ("status", "presence", "message")


async def test_sequence_numbers_stay_gap_free_under_concurrent_senders(
    room: dict[str, Any], cookies: dict[str, str]
) -> None:
    cid = room["consultation"].pk
    worker = await joined(cid, cookies["worker"])
    peer = await joined(cid, cookies["peer"])
    for n in range(8):
        await worker.send_json_to({"type": "send", "client_id": str(uuid.uuid4()), "body": f"w{n}"})
        await peer.send_json_to({"type": "send", "client_id": str(uuid.uuid4()), "body": f"p{n}"})
    seen = [(await receive_until(worker, "message", timeout=5))["seq"] for _ in range(16)]
    assert seen == list(range(1, 17))
    rows = await database_sync_to_async(
        lambda: list(
            Message.objects.filter(consultation_id=cid).order_by("seq").values_list("seq", flat=True)
        )
    )()
    assert rows == list(range(1, 17))
    await worker.disconnect()
    await peer.disconnect()
