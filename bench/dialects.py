"""How the load generator talks to each system: URL, frames sent, frames understood."""

from __future__ import annotations

import json

from bench.data import Room
from bench.loadgen import Dialect, Endpoint, Frame

ORIGIN = "http://127.0.0.1"
# Behind the production proxy every request arrives with this header (SECURE_PROXY_SSL_HEADER).
PROXY_HEADERS = {"X-Forwarded-Proto": "https"}


class ProjectDialect(Dialect):
    """The project's consumer (docs/protocol.md): authenticated, persisted, resumable."""

    name = "project"
    resumes = True

    def __init__(self, port: int, rooms: list[Room]) -> None:
        self.port = port
        self.rooms = rooms

    def endpoint(self, room: int, slot: int) -> Endpoint:
        member = self.rooms[room].members[slot]
        return Endpoint(
            f"ws://127.0.0.1:{self.port}/ws/consultations/{self.rooms[room].consultation_id}/",
            {"Cookie": member.cookie, **PROXY_HEADERS},
            ORIGIN,
        )

    def encode(self, token: str, client_id: str) -> str:
        return json.dumps({"type": "send", "client_id": client_id, "body": token})

    def decode(self, text: str) -> Frame:
        frame = json.loads(text)
        kind = frame.get("type")
        if kind == "message":
            return Frame("message", token=frame["body_html"], seq=int(frame["seq"]))
        if kind == "ack":
            return Frame("ack", client_id=frame["client_id"], seq=int(frame["seq"]))
        if kind == "error":
            return Frame("error", client_id=frame.get("client_id", ""), code=frame.get("code", "?"))
        return Frame("other")


class TutorialDialect(Dialect):
    """B1: the Channels tutorial consumer (bench/b1_asgi.py)."""

    name = "B1 tutorial consumer"

    def __init__(self, port: int) -> None:
        self.port = port

    def endpoint(self, room: int, slot: int) -> Endpoint:
        return Endpoint(f"ws://127.0.0.1:{self.port}/ws/b1/{room}/", dict(PROXY_HEADERS), ORIGIN)


class RelayDialect(Dialect):
    """B0: the bare websockets relay (bench/b0_relay.py)."""

    name = "B0 websockets relay"

    def __init__(self, port: int) -> None:
        self.port = port

    def endpoint(self, room: int, slot: int) -> Endpoint:
        return Endpoint(f"ws://127.0.0.1:{self.port}/{room}", {}, ORIGIN)
