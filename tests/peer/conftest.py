from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from accounts.models import Role, User
from helpdesk import defaults
from helpdesk.models import Queue, RoutingRule
from peer.models import QueueGate, ResponderProfile


@pytest.fixture
def responder(make_user: Callable[..., User]) -> Callable[..., User]:
    """A responder with a profile: on duty by default, capacity 10 (so caps, not capacity, bind)."""

    def make(role: str = Role.PEER, *, on_duty: bool = True, **profile: Any) -> User:
        user_fields = {k: profile.pop(k) for k in ("organisation", "specialties") if k in profile}
        user = make_user(role, **user_fields)
        profile.setdefault("capacity", 10)
        ResponderProfile.objects.create(user=user, on_duty=on_duty, **profile)
        return user

    return make


@pytest.fixture(autouse=True)
def _routing_data(db: None) -> None:
    """Default queues, rules and the 緊急 lane gate, even after a transactional test flushed them."""
    defaults.install(Queue, RoutingRule)
    QueueGate.objects.get_or_create(queue_slug="urgent", defaults={"min_training_level": "leader"})
