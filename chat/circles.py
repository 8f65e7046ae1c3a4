"""Peer-circle messages: the same guarantees as consultation chat (gap-free seq, idempotent resend)."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction
from django.db.models import F

from accounts.models import User
from accounts.text import clean_text
from chat.events import broadcast_on_commit
from chat.models import BODY_MAX_LENGTH, CircleMessage, CircleThread
from chat.render import render_html
from chat.services import ChatError, Sent
from peer.circles import circle_role_for


def circle_group(circle_id: int) -> str:
    return f"circle.{int(circle_id)}"


def circle_frame(message: CircleMessage) -> dict[str, Any]:
    author = message.author
    return {
        "type": "message",
        "circle": message.circle_id,
        "seq": message.seq,
        "client_id": str(message.client_id),
        # Circles are among supporters: the pseudonym if set, never the organisation.
        "author": {"display": author.pseudonym or author.get_full_name(), "role": author.role},
        "body_html": render_html(message.body),
        "created_at": message.created_at.isoformat(),
    }


def circle_message_send(*, actor: User, circle_id: int, client_id: uuid.UUID, body: str) -> Sent:
    body = clean_text(body).strip()
    if not body:
        raise ChatError("empty", "メッセージが空です。")
    if len(body) > BODY_MAX_LENGTH:
        raise ChatError("too_long", f"メッセージは{BODY_MAX_LENGTH}文字までです。")
    if circle_role_for(actor=actor, circle_id=circle_id) is None:
        raise ChatError("forbidden", "このサークルには参加していません。")
    with transaction.atomic():
        thread, _ = CircleThread.objects.select_for_update().get_or_create(circle_id=circle_id)
        existing = CircleMessage.objects.filter(circle_id=circle_id, client_id=client_id).first()
        if existing is not None:
            if existing.author_id != actor.pk:
                raise ChatError("duplicate_client_id", "client_id は既に使われています。")
            return Sent(existing, created=False)
        CircleThread.objects.filter(pk=thread.pk).update(last_seq=F("last_seq") + 1)
        thread.refresh_from_db(fields=["last_seq"])
        message = CircleMessage.objects.create(
            circle_id=circle_id, seq=thread.last_seq, client_id=client_id, author=actor, body=body
        )
        broadcast_on_commit(circle_group(circle_id), circle_frame(message))
    return Sent(message, created=True)


def circle_messages_after(
    *, actor: User, circle_id: int, after_seq: int, limit: int = 500
) -> list[dict[str, Any]]:
    if circle_role_for(actor=actor, circle_id=circle_id) is None:
        raise ChatError("forbidden", "このサークルには参加していません。")
    rows = (
        CircleMessage.objects.filter(circle_id=circle_id, seq__gt=after_seq)
        .select_related("author")
        .order_by("seq")[:limit]
    )
    return [circle_frame(message) for message in rows]
