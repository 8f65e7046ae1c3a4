"""Closing a person's open WebSockets (logout, deactivation) from wherever that happens."""

from __future__ import annotations

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)


def user_group(user_id: int) -> str:
    return f"user.{int(user_id)}"


def disconnect_user_on_commit(user_id: int) -> None:
    """Every consumer of this user has joined user_group(id); tell them to close after commit."""

    def send() -> None:
        layer = get_channel_layer()
        if layer is None:
            return
        try:
            async_to_sync(layer.group_send)(user_group(user_id), {"type": "session.ended"})
        except Exception as error:  # noqa: BLE001 - consumers also re-check the session periodically
            logger.warning("could not signal socket disconnect: %s", type(error).__name__)

    transaction.on_commit(send)
