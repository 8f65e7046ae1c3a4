"""WebSocket routes; the chat issue adds /ws/consultations/<id>/ here."""

from typing import Any

websocket_urlpatterns: list[Any] = []
