"""Baseline B1: the Channels tutorial chat consumer, bare (group_send, no persistence, no auth).

Served by daphne with the bench settings, so it uses the project's channel layer (the Redis
pub/sub layer) and server. Route: /ws/b1/<room>/; a frame {"message": ...} goes to the room.
"""

from __future__ import annotations

import json
import os
from typing import Any

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
django_asgi_app = get_asgi_application()

from channels.generic.websocket import AsyncWebsocketConsumer  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path  # noqa: E402


class TutorialChatConsumer(AsyncWebsocketConsumer):
    """As in the Channels tutorial (part 3), without the auth middleware."""

    room_group_name = ""

    async def connect(self) -> None:
        room = self.scope["url_route"]["kwargs"]["room"]
        self.room_group_name = f"b1.{int(room)}"
        await self.channel_layer.group_add(self.room_group_name, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(self.room_group_name, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        message = json.loads(text_data or "{}")["message"]
        await self.channel_layer.group_send(
            self.room_group_name, {"type": "chat.message", "message": message}
        )

    async def chat_message(self, event: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps({"message": event["message"]}))


application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": URLRouter([path("ws/b1/<int:room>/", TutorialChatConsumer.as_asgi())]),
    }
)
