"""Group names and realtime notifications. Persist, commit, then ring the bell."""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from accounts.sockets import user_group

__all__ = ["broadcast_on_commit", "consultation_group", "queue_group", "role_group", "user_group"]

logger = logging.getLogger(__name__)


def consultation_group(consultation_id: int) -> str:
    return f"consultation.{int(consultation_id)}"


def queue_group(queue_id: int) -> str:
    return f"queue.{int(queue_id)}"


def role_group(role: str) -> str:
    if role not in {"worker", "peer", "expert", "supervisor", "admin"}:
        raise ValueError("unknown role")
    return f"role.{role}"


def _send(group: str, payload: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, {"type": "notify", "payload": payload})
    except Exception as error:  # noqa: BLE001 - the database already holds the truth
        # At-most-once doorbell: clients re-read state on reconnect. Never log the payload.
        logger.warning("broadcast to %s failed: %s", group.split(".")[0], type(error).__name__)


def broadcast_on_commit(groups: list[str], payload: dict[str, Any]) -> None:
    """Send `payload` to every group once the surrounding transaction has committed."""

    def send_all() -> None:
        for group in dict.fromkeys(groups):
            _send(group, payload)

    transaction.on_commit(send_all)
