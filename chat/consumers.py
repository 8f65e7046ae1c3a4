"""WebSocket adapters for chat rooms (consultations, peer circles): parse -> authorise -> service -> reply.

Protocol: docs/protocol.md. Messages reach a client in seq order without gaps: a doorbell that
arrives out of order (or never) is repaired from the database before anything is forwarded.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from channels.db import DatabaseSyncToAsync
from channels.generic.websocket import AsyncWebsocketConsumer
from django.db import InterfaceError, OperationalError

from accounts.audit import audit_record
from accounts.models import User
from accounts.sockets import user_group
from chat import services
from chat.auth import verified_user
from chat.circles import circle_group, circle_message_send, circle_messages_after
from chat.events import staff_group
from chat.limits import TokenBucket, user_allows_send
from chat.models import BODY_MAX_LENGTH
from helpdesk.events import consultation_group
from helpdesk.selectors import ChatRole, chat_role_for
from peer.circles import circle_role_for
from peer.services import activity_seen

logger = logging.getLogger(__name__)


def database_sync_to_async(func: Callable[..., Any]) -> Any:
    """Run ORM work in the thread pool, not on Django's one shared thread.

    Channels' default (thread_sensitive) runs every consumer's database work of a process on a
    single thread, which serialises all sends behind each other's commits (measured in bench/:
    the project saturated at about 100 deliveries/s). Each pool thread keeps its own connection,
    and every call here is one self-contained transaction, so running them side by side is safe.
    """
    return DatabaseSyncToAsync(func, thread_sensitive=False)


CLOSE_FORBIDDEN = 4403
CLOSE_SESSION_ENDED = 4401
# A database that is down or unreachable. Other database errors are bugs: they still crash loudly.
# Where a failure would leave access or delivery unchecked (the session or role re-check, resume, a
# gap repair) the socket is closed with CLOSE_TRY_AGAIN: the client reconnects with backoff, resumes
# and resends its outbox, and the connect re-authorises. Sends and read receipts get `unavailable`.
DATABASE_DOWN = (OperationalError, InterfaceError)
# The database was unreachable at connect: try again later (autobahn allows only 1000 and 3000-4999).
CLOSE_TRY_AGAIN = 4503
SESSION_RECHECK_SECONDS = 30
MAX_FRAME_CHARS = BODY_MAX_LENGTH * 2 + 500


class RoomConsumer(AsyncWebsocketConsumer):
    """The protocol shared by every room; subclasses say who may join and where messages live."""

    room_key = "room"  # the frame key naming the room ("consultation", "circle")
    url_kwarg = "room_id"
    object_type = ""
    user: User | None = None
    role: str | None = None
    consultation_id: int = 0  # the room's id (kept under this name for the consultation room)
    last_seq: int | None = None  # None until the client's first resume: nothing live before that
    last_whisper_seq: int | None = None

    # --- what a subclass provides (sync: run through database_sync_to_async) -------------------
    def lookup_role(self) -> str | None:
        raise NotImplementedError

    def room_group(self) -> str:
        raise NotImplementedError

    def extra_groups(self) -> list[str]:
        return []

    def store(self, client_id: uuid.UUID, body: str, whisper: bool) -> services.Sent:
        raise NotImplementedError

    def fetch_after(self, after: int, whispers: bool) -> list[dict[str, Any]]:
        raise NotImplementedError

    def mark_read(self, seq: int) -> int:
        raise NotImplementedError

    async def connect(self) -> None:
        self.consultation_id = int(self.scope["url_route"]["kwargs"][self.url_kwarg])
        self.user, self.role = None, None
        try:
            self.user = await database_sync_to_async(verified_user)(self.scope.get("session"))
            if self.user is not None:
                self.role = await database_sync_to_async(self.lookup_role)()
        except DATABASE_DOWN as error:  # the database is down: "try again later", the client reconnects
            logger.error("chat connect failed: %s", type(error).__name__)
            self.user, self.role = None, None
            await self.accept()
            await self.close(code=CLOSE_TRY_AGAIN)
            return
        if self.user is None or self.role is None:
            await self.accept()
            await database_sync_to_async(audit_record)(
                action="chat_refused",
                actor=self.user,
                object_type=self.object_type,
                object_id=self.consultation_id,
            )
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.send_bucket = TokenBucket(rate=1.0, burst=10)
        self.other_bucket = TokenBucket(rate=4.0, burst=20)
        self.session_checked = time.monotonic()
        self.groups_joined = [self.room_group(), user_group(self.user.pk), *self.extra_groups()]
        try:  # join before accepting, so that nothing sent after the handshake is missed
            for group in self.groups_joined:
                await self.channel_layer.group_add(group, self.channel_name)
        except Exception as error:  # noqa: BLE001 - no doorbell: the client still resumes from the database
            logger.warning("chat group join failed: %s", type(error).__name__)
        await self.accept()
        await self._presence("online")

    async def disconnect(self, code: int) -> None:
        for group in getattr(self, "groups_joined", []):
            try:
                await self.channel_layer.group_discard(group, self.channel_name)
            except Exception as error:  # noqa: BLE001
                logger.warning("chat group leave failed: %s", type(error).__name__)
        if self.role is not None:
            await self._presence("offline")

    # --- inbound frames ----------------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.role is None or self.user is None:
            return
        if bytes_data is not None or text_data is None:
            await self._error("binary_not_supported", "テキスト（JSON）で送ってください。")
            return
        if len(text_data) > MAX_FRAME_CHARS:
            await self._error("too_long", "フレームが大きすぎます。")
            return
        try:
            if not await self._session_still_valid():
                return
        except DATABASE_DOWN as error:  # cannot check the session now: fail closed, the client comes back
            logger.warning("chat session re-check failed: %s", type(error).__name__)
            await self.close(code=CLOSE_TRY_AGAIN)
            return
        try:
            frame = json.loads(text_data)
        except (ValueError, RecursionError):  # RecursionError: brackets nested thousands deep
            await self._error("invalid_json", "JSON として読めません。")
            return
        if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
            await self._error("invalid_frame", "type を持つ JSON オブジェクトを送ってください。")
            return
        handlers: dict[str, Callable[[dict[str, Any]], Awaitable[None]]] = {
            "send": self._on_send,
            "whisper": self._on_whisper,
            "resume": self._on_resume,
            "typing": self._on_typing,
            "read": self._on_read,
        }
        handler = handlers.get(frame["type"])
        if handler is None:
            await self._error("unknown_type", "未対応の type です。")
            return
        if frame["type"] in ("send", "whisper"):
            if not self.send_bucket.take() or not await database_sync_to_async(user_allows_send)(
                self.user.pk
            ):
                await self._error("rate_limited", "送信が多すぎます。少し待ってから送ってください。")
                return
        elif not self.other_bucket.take():
            await self._error("rate_limited", "操作が多すぎます。少し待ってください。")
            return
        try:
            await database_sync_to_async(activity_seen)(self.user)
        except DATABASE_DOWN as error:  # best effort: typing and presence need no database
            logger.warning("chat activity update failed: %s", type(error).__name__)
        try:
            await handler(frame)
        except DATABASE_DOWN as error:
            logger.error("chat %s failed: %s", frame["type"], type(error).__name__)
            if frame["type"] == "resume":  # unresumed, the socket would drop every doorbell: reconnect
                await self.close(code=CLOSE_TRY_AGAIN)
            else:  # a read receipt: the next one carries the same information
                await self._error("unavailable", "一時的に処理できません。少し待ってからお試しください。")

    async def _on_send(self, frame: dict[str, Any], whisper: bool = False) -> None:
        client_id, body = frame.get("client_id"), frame.get("body")
        try:
            parsed_id = uuid.UUID(str(client_id))
        except ValueError:
            await self._error("invalid_client_id", "client_id は UUID で指定してください。")
            return
        if not isinstance(body, str):
            await self._error("invalid_body", "body は文字列で指定してください。")
            return
        assert self.user is not None
        try:
            sent = await database_sync_to_async(self.store)(parsed_id, body, whisper)
        except services.ChatError as refused:
            await self._error(refused.code, refused.detail, client_id=str(parsed_id))
            return
        except Exception as error:  # noqa: BLE001 - e.g. the database is down: the client keeps it in its outbox
            logger.error("chat send failed: %s", type(error).__name__)
            await self._error(
                "unavailable", "一時的に送信できません。自動で再送します。", client_id=str(parsed_id)
            )
            return
        await self._send_json(
            {"type": "ack", "client_id": str(parsed_id), "seq": sent.message.seq, "whisper": whisper}
        )

    async def _on_whisper(self, frame: dict[str, Any]) -> None:
        await self._on_send(frame, whisper=True)

    async def _on_resume(self, frame: dict[str, Any]) -> None:
        after = frame.get("after_seq", 0)
        if not isinstance(after, int) or isinstance(after, bool) or after < 0:
            await self._error("invalid_seq", "after_seq は0以上の整数です。")
            return
        await self._deliver_from(after)
        if self.role in (ChatRole.RESPONDER, ChatRole.OBSERVER):
            after_whisper = frame.get("after_whisper_seq", 0)
            if isinstance(after_whisper, int) and not isinstance(after_whisper, bool) and after_whisper >= 0:
                await self._deliver_from(after_whisper, whispers=True)

    async def _on_typing(self, frame: dict[str, Any]) -> None:
        assert self.user is not None
        await self._group_send(
            {"type": "chat.typing", "sender": self.channel_name, "role": self._public_role()}
        )

    async def _on_read(self, frame: dict[str, Any]) -> None:
        seq = frame.get("seq")
        if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
            await self._error("invalid_seq", "seq は0以上の整数です。")
            return
        assert self.user is not None
        stored = await database_sync_to_async(self.mark_read)(seq)
        await self._group_send({"type": "chat.read", "role": self._public_role(), "seq": stored})

    # --- group events ------------------------------------------------------------------------

    async def chat_frame(self, event: dict[str, Any]) -> None:
        frame = event["frame"]
        whispers = frame.get("type") == "whisper"
        last = self.last_whisper_seq if whispers else self.last_seq
        if last is None or frame["seq"] <= last:
            return  # not resumed yet, or already delivered
        if frame["seq"] == last + 1:
            await self._send_json(frame)
            self._advance(frame["seq"], whispers)
            return
        try:
            await self._deliver_from(last, whispers=whispers)  # a doorbell was lost: repair from the database
        except DATABASE_DOWN as error:  # a gap the client cannot see: reconnecting resumes past it
            logger.warning("chat repair failed: %s", type(error).__name__)
            await self.close(code=CLOSE_TRY_AGAIN)

    async def chat_typing(self, event: dict[str, Any]) -> None:
        if event.get("sender") != self.channel_name:
            await self._send_json(
                {"type": "typing", self.room_key: self.consultation_id, "role": event["role"]}
            )

    async def chat_read(self, event: dict[str, Any]) -> None:
        await self._send_json(
            {"type": "read", self.room_key: self.consultation_id, "role": event["role"], "seq": event["seq"]}
        )

    async def chat_presence(self, event: dict[str, Any]) -> None:
        if event.get("sender") == self.channel_name:
            return
        await self._send_json(
            {
                "type": "presence",
                self.room_key: self.consultation_id,
                "role": event["role"],
                "state": event["state"],
            }
        )
        if event["state"] == "online" and event.get("ask", False):
            await self._presence("online", ask=False)  # tell the newcomer who is already here

    async def notify(self, event: dict[str, Any]) -> None:
        """A consultation change from helpdesk: forward it, then re-check this person's access."""
        payload = event.get("payload", {})
        if self.room_key != "consultation":
            return
        if payload.get("type") == "status" and payload.get("consultation") == self.consultation_id:
            await self._send_json(
                {k: payload[k] for k in ("type", "consultation", "status", "change") if k in payload}
            )
            assert self.user is not None
            try:
                role = await database_sync_to_async(self.lookup_role)()
            except DATABASE_DOWN as error:  # access may have been lost: fail closed, the connect re-checks
                logger.warning("chat access re-check failed: %s", type(error).__name__)
                await self.close(code=CLOSE_TRY_AGAIN)
                return
            if role is None:
                await self.close(code=CLOSE_FORBIDDEN)

    async def session_ended(self, event: dict[str, Any]) -> None:
        await self.close(code=CLOSE_SESSION_ENDED)

    # --- helpers -----------------------------------------------------------------------------

    def _public_role(self) -> str:
        return "worker" if self.role == ChatRole.WORKER else (self.user.role if self.user else "")

    def _advance(self, seq: int, whispers: bool) -> None:
        if whispers:
            self.last_whisper_seq = max(self.last_whisper_seq or 0, seq)
        else:
            self.last_seq = max(self.last_seq or 0, seq)

    async def _deliver_from(self, after: int, whispers: bool = False) -> None:
        assert self.user is not None
        while True:
            try:
                frames = await database_sync_to_async(self.fetch_after)(after, whispers)
            except services.ChatError:  # access was lost meanwhile
                await self.close(code=CLOSE_FORBIDDEN)
                return
            for frame in frames:
                await self._send_json(frame)
                after = frame["seq"]
            self._advance(after, whispers)
            if len(frames) < 500:
                return

    async def _presence(self, state: str, ask: bool = True) -> None:
        await self._group_send(
            {
                "type": "chat.presence",
                "sender": self.channel_name,
                "role": self._public_role(),
                "state": state,
                "ask": ask,
            }
        )

    async def _group_send(self, event: dict[str, Any]) -> None:
        """Typing, read and presence are best effort: a channel-layer outage must not drop the socket."""
        try:
            await self.channel_layer.group_send(self.room_group(), event)
        except Exception as error:  # noqa: BLE001
            logger.warning("chat group send failed: %s", type(error).__name__)

    async def _session_still_valid(self) -> bool:
        if time.monotonic() - self.session_checked < SESSION_RECHECK_SECONDS:
            return True
        self.session_checked = time.monotonic()
        user = await database_sync_to_async(verified_user)(self.scope.get("session"))
        if user is None or self.user is None or user.pk != self.user.pk:
            await self.close(code=CLOSE_SESSION_ENDED)
            return False
        return True

    async def _send_json(self, frame: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(frame, ensure_ascii=False))

    async def _error(self, code: str, detail: str, **extra: Any) -> None:
        await self._send_json({"type": "error", "code": code, "detail": detail, **extra})


class ConsultationChatConsumer(RoomConsumer):
    room_key = "consultation"
    url_kwarg = "consultation_id"
    object_type = "helpdesk.consultation"

    def lookup_role(self) -> str | None:
        assert self.user is not None
        return chat_role_for(actor=self.user, consultation_id=self.consultation_id)

    def room_group(self) -> str:
        return consultation_group(self.consultation_id)

    def extra_groups(self) -> list[str]:
        staff = self.role in (ChatRole.RESPONDER, ChatRole.OBSERVER)
        return [staff_group(self.consultation_id)] if staff else []

    def store(self, client_id: uuid.UUID, body: str, whisper: bool) -> services.Sent:
        assert self.user is not None
        return services.message_send(
            actor=self.user,
            consultation_id=self.consultation_id,
            client_id=client_id,
            body=body,
            whisper=whisper,
        )

    def fetch_after(self, after: int, whispers: bool) -> list[dict[str, Any]]:
        assert self.user is not None
        return services.messages_after(
            actor=self.user, consultation_id=self.consultation_id, after_seq=after, whispers=whispers
        )

    def mark_read(self, seq: int) -> int:
        assert self.user is not None
        return services.read_mark(actor=self.user, consultation_id=self.consultation_id, seq=seq)


class CircleChatConsumer(RoomConsumer):
    """ピア・サークル: the same protocol and guarantees; no whispers, no read marks stored."""

    room_key = "circle"
    url_kwarg = "circle_id"
    object_type = "peer.circle"

    def lookup_role(self) -> str | None:
        assert self.user is not None
        return circle_role_for(actor=self.user, circle_id=self.consultation_id)

    def room_group(self) -> str:
        return circle_group(self.consultation_id)

    def store(self, client_id: uuid.UUID, body: str, whisper: bool) -> services.Sent:
        assert self.user is not None
        if whisper:
            raise services.ChatError("forbidden", "サークルではささやきは使えません。")
        return circle_message_send(
            actor=self.user, circle_id=self.consultation_id, client_id=client_id, body=body
        )

    def fetch_after(self, after: int, whispers: bool) -> list[dict[str, Any]]:
        assert self.user is not None
        if whispers:
            return []
        return circle_messages_after(actor=self.user, circle_id=self.consultation_id, after_seq=after)

    def mark_read(self, seq: int) -> int:
        return max(seq, 0)
