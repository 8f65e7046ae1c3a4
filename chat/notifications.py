"""/ws/notifications/: live queue changes, urgent alerts, SLA warnings and handovers for a person."""

from __future__ import annotations

import json
import logging
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from accounts.models import User
from accounts.sockets import user_group
from chat.auth import verified_user
from chat.consumers import CLOSE_TRY_AGAIN, DATABASE_DOWN
from helpdesk import routing
from helpdesk.events import queue_group, role_group

CLOSE_FORBIDDEN = 4403
logger = logging.getLogger(__name__)


def _groups_for(user: User) -> list[str]:
    groups = [user_group(user.pk), role_group(user.role)]
    if user.is_responder:
        groups += [queue_group(pk) for pk in routing.queues_for(user).values_list("pk", flat=True)]
    return groups


class NotificationConsumer(AsyncWebsocketConsumer):
    joined: list[str]

    async def connect(self) -> None:
        self.joined = []
        try:
            user = await database_sync_to_async(verified_user)(self.scope.get("session"))
            groups = await database_sync_to_async(_groups_for)(user) if user is not None else []
        except DATABASE_DOWN as error:  # try again later, like the chat sockets
            logger.error("notification connect failed: %s", type(error).__name__)
            await self.accept()
            await self.close(code=CLOSE_TRY_AGAIN)
            return
        await self.accept()
        if user is None:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.joined = groups
        for group in self.joined:
            await self.channel_layer.group_add(group, self.channel_name)

    async def disconnect(self, code: int) -> None:
        for group in self.joined:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        await self.send(
            text_data=json.dumps({"type": "error", "code": "read_only", "detail": "通知専用です。"})
        )

    async def notify(self, event: dict[str, Any]) -> None:
        payload = event.get("payload", {})
        # Ids, kinds and priorities only: never case text.
        allowed = {"type", "change", "consultation", "priority", "status", "level", "id", "queue"}
        await self.send(text_data=json.dumps({k: v for k, v in payload.items() if k in allowed}))

    async def session_ended(self, event: dict[str, Any]) -> None:
        await self.close(code=4401)

    async def chat_frame(self, event: dict[str, Any]) -> None:  # not joined to chat groups; ignore
        return
