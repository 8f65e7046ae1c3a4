"""Chat doorbells. Group names come from helpdesk.events (integer ids only)."""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from helpdesk.events import consultation_group

logger = logging.getLogger(__name__)


def staff_group(consultation_id: int) -> str:
    """Assignee and observing supervisors: whispers go here only."""
    return f"{consultation_group(consultation_id)}.staff"


def broadcast_message_on_commit(consultation_id: int, frame: dict[str, Any], *, whisper: bool) -> None:
    group = staff_group(consultation_id) if whisper else consultation_group(consultation_id)
    broadcast_on_commit(group, frame)


def broadcast_on_commit(group: str, frame: dict[str, Any]) -> None:
    """Ring the room's bell after commit; a lost bell is repaired from the database by the consumer."""

    def send() -> None:
        layer = get_channel_layer()
        if layer is None:
            return
        try:
            async_to_sync(layer.group_send)(group, {"type": "chat.frame", "frame": frame})
        except Exception as error:  # noqa: BLE001 - clients detect the gap and resume from the database
            logger.warning("chat broadcast failed: %s", type(error).__name__)

    transaction.on_commit(send)
