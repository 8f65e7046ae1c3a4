"""The bench data as the scenarios see it: rooms, their members and their session cookies.

Plain dataclasses, importable before Django is set up (bench/fixtures.py fills them in).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Member:
    user_id: int
    role: str
    cookie: str  # the Cookie header of a two-factor verified session


@dataclass
class Room:
    consultation_id: int
    members: list[Member]  # worker, claiming peer, then invited experts


@dataclass
class Fixtures:
    rooms: list[Room] = field(default_factory=list)
    claim_peers: list[int] = field(default_factory=list)
    claim_queue: list[int] = field(default_factory=list)
    group_members: list[Member] = field(default_factory=list)  # peers on notification sockets
    other_members: list[Member] = field(default_factory=list)  # workers on notification sockets
    peer_queue_id: int = 0
