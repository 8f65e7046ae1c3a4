"""The chat protocol fuzzed with hypothesis-generated frames over the real ASGI application.

Every example opens a member's socket, sends a burst of generated frames (arbitrary text, arbitrary JSON,
and frames of every known type with wrong, missing, huge or hostile fields), then a probe. The consumer
must never crash or close the socket, and every reply must be a documented server frame; an error must
carry a documented code. Two inputs hypothesis found (nested brackets, a lone surrogate) are pinned
below as regression tests.
"""

from __future__ import annotations

import json
import uuid
from typing import Any, cast

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chat.models import Message
from config.asgi import application
from tests.chat.conftest import session_cookie

pytestmark = pytest.mark.django_db(transaction=True)

SERVER_FRAMES = {"message", "whisper", "ack", "typing", "read", "presence", "status", "error"}
ERROR_CODES = {
    "invalid_json",
    "invalid_frame",
    "unknown_type",
    "binary_not_supported",
    "too_long",
    "invalid_client_id",
    "invalid_body",
    "empty",
    "invalid_seq",
    "rate_limited",
    "forbidden",
    "closed",
    "duplicate_client_id",
}  # "unavailable" is documented too, but only for a database that is down: here it is up
TYPES = ["send", "whisper", "resume", "typing", "read"]

# Any code point, lone surrogates included (they travel as \ud800 escapes in JSON).
ANY_CHARACTER = st.characters(exclude_categories=cast(Any, ()))
text = st.text(alphabet=ANY_CHARACTER, max_size=60)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    text,
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
    max_leaves=12,
)
client_ids = st.one_of(
    st.uuids().map(str), st.just("00000000-0000-0000-0000-000000000000"), scalars, json_values
)
bodies = st.one_of(
    text,
    st.text(alphabet=ANY_CHARACTER, min_size=3990, max_size=4010),
    st.sampled_from(["", " ", "\x00", "\u202e\u200b", "<script>alert(1)</script>", "\r\n" * 5]),
    scalars,
)
seqs = st.one_of(st.integers(min_value=-(2**70), max_value=2**70), scalars)
known = st.fixed_dictionaries(
    {"type": st.sampled_from(TYPES)},
    optional={
        "client_id": client_ids,
        "body": bodies,
        "after_seq": seqs,
        "after_whisper_seq": seqs,
        "seq": seqs,
        "consultation": seqs,
        "extra": json_values,
    },
)
frames = st.one_of(
    known.map(json.dumps),
    known.map(lambda frame: json.dumps(frame, ensure_ascii=False)),
    json_values.map(json.dumps),
    text,
    st.binary(max_size=40),
)


@pytest.fixture
def local_cache(settings: Any) -> None:
    # The per-person send window lives in the cache: a private one, emptied between examples.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


async def exchange(
    consultation_id: int, cookie: str, burst: list[str | bytes]
) -> tuple[list[dict[str, Any]], str]:
    comm = WebsocketCommunicator(
        application,
        f"/ws/consultations/{consultation_id}/",
        headers=[(b"origin", b"http://localhost"), (b"cookie", cookie.encode())],
    )
    connected, _ = await comm.connect()
    assert connected
    await comm.send_json_to({"type": "resume", "after_seq": 0})
    for frame in burst:
        key = "bytes" if isinstance(frame, bytes) else "text"
        await comm.send_input({"type": "websocket.receive", key: frame})
    # the probe: at most eight sends came before it, so the per-socket burst of ten still admits it
    probe = str(uuid.uuid4())
    await comm.send_json_to({"type": "send", "client_id": probe, "body": "まだつながっていますか"})
    outputs = []
    while True:
        output = await comm.receive_output(timeout=10)  # raises if the consumer crashed
        outputs.append(output)
        if output["type"] != "websocket.send":
            break
        reply = json.loads(output["text"])
        if reply.get("client_id") == probe and reply["type"] in ("ack", "error"):
            break
    while not await comm.receive_nothing(timeout=0.05):
        outputs.append(await comm.receive_output())
    await comm.disconnect()
    return outputs, probe


@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(burst=st.lists(frames, min_size=1, max_size=8))
def test_generated_frames_never_crash_or_close_the_socket(
    room: dict[str, Any], local_cache: None, burst: list[str | bytes]
) -> None:
    from django.core.cache import cache

    cache.clear()
    cookie = session_cookie(room["worker"])
    outputs, probe = async_to_sync(exchange)(room["consultation"].pk, cookie, burst)
    # the socket stayed open: no close, and every output is a text frame
    assert [o["type"] for o in outputs if o["type"] != "websocket.send"] == []
    replies = [json.loads(o["text"]) for o in outputs]
    for reply in replies:
        assert reply["type"] in SERVER_FRAMES, reply
        if reply["type"] == "error":
            assert reply["code"] in ERROR_CODES, reply
    # and it still works: the probe was stored
    answers = [r for r in replies if r.get("client_id") == probe and r["type"] in ("ack", "error")]
    assert [r["type"] for r in answers] == ["ack"], answers
    # and the sequence stays gap-free whatever was thrown at it
    seqs = list(
        Message.objects.filter(consultation=room["consultation"], kind="message").values_list(
            "seq", flat=True
        )
    )
    assert sorted(seqs) == list(range(1, len(seqs) + 1))


async def first_reply(consultation_id: int, cookie: str, frame: str) -> dict[str, Any]:
    comm = WebsocketCommunicator(
        application,
        f"/ws/consultations/{consultation_id}/",
        headers=[(b"origin", b"http://localhost"), (b"cookie", cookie.encode())],
    )
    assert (await comm.connect())[0]
    await comm.send_input({"type": "websocket.receive", "text": frame})
    output = await comm.receive_output(timeout=3)
    await comm.disconnect()
    return {"close": output["code"]} if output["type"] == "websocket.close" else json.loads(output["text"])


def test_deeply_nested_json_is_refused_politely(room: dict[str, Any], local_cache: None) -> None:
    reply = async_to_sync(first_reply)(
        room["consultation"].pk, session_cookie(room["worker"]), "[" * 4000 + "]" * 4000
    )
    assert reply == {"type": "error", "code": "invalid_json", "detail": reply.get("detail")}


def test_a_lone_surrogate_in_a_body_is_refused_not_reported_as_an_outage(
    room: dict[str, Any], local_cache: None
) -> None:
    frame = json.dumps({"type": "send", "client_id": str(uuid.uuid4()), "body": "こんにちは\ud800"})
    reply = async_to_sync(first_reply)(room["consultation"].pk, session_cookie(room["worker"]), frame)
    assert reply.get("type") in ("ack", "error")
    assert reply.get("code") != "unavailable", reply
