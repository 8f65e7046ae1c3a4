"""Chat writes and reads. Persist, commit, then ring the bell; the database is the source of truth."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import F

from accounts.models import User
from accounts.text import clean_text
from chat import events
from chat.models import BODY_MAX_LENGTH, CircleMessage, Message, MessageKind, ReadMark, Thread
from chat.render import render_html
from helpdesk import selectors, workflow
from helpdesk.choices import Status
from helpdesk.models import Consultation
from helpdesk.selectors import ChatRole

CLOSED = (Status.CLOSED,)


class ChatError(Exception):
    def __init__(self, code: str, detail: str) -> None:
        super().__init__(code)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class Sent:
    message: Message | CircleMessage
    created: bool


def author_display(*, message: Message, consultation: Consultation) -> dict[str, str]:
    """The same author block for every member: the worker appears under their pseudonym if they asked."""
    author = message.author
    if author.pk == consultation.worker_id:
        display = selectors.worker_display_for(consultation=consultation, viewer=author)
        if consultation.pseudonymous:
            display = author.pseudonym or "匿名の相談者"
        return {"display": display, "role": "worker"}
    return {"display": author.get_full_name(), "role": author.role}


def message_frame(message: Message, consultation: Consultation) -> dict[str, Any]:
    return {
        "type": "message" if message.kind == MessageKind.MESSAGE else "whisper",
        "consultation": consultation.pk,
        "seq": message.seq,
        "client_id": str(message.client_id),
        "author": author_display(message=message, consultation=consultation),
        "body_html": render_html(message.body),
        "created_at": message.created_at.isoformat(),
    }


def message_send(
    *, actor: User, consultation_id: int, client_id: uuid.UUID, body: str, whisper: bool = False
) -> Sent:
    """Store a message once per client_id with the next gap-free seq, then broadcast after commit."""
    body = clean_text(body).strip()
    if not body:
        raise ChatError("empty", "メッセージが空です。")
    if len(body) > BODY_MAX_LENGTH:
        raise ChatError("too_long", f"メッセージは{BODY_MAX_LENGTH}文字までです。")
    role = selectors.chat_role_for(actor=actor, consultation_id=consultation_id)
    if role is None:
        raise ChatError("forbidden", "この相談には参加できません。")
    if whisper and role != ChatRole.OBSERVER:
        raise ChatError("forbidden", "ささやきはスーパーバイザーだけが送れます。")
    if not whisper and role == ChatRole.OBSERVER:
        raise ChatError("forbidden", "見守り中は担当者へのささやきだけを送れます。")
    kind = MessageKind.WHISPER if whisper else MessageKind.MESSAGE
    with transaction.atomic():
        consultation = Consultation.objects.select_related("worker", "worker__organisation").get(
            pk=consultation_id
        )
        if consultation.status in CLOSED:
            raise ChatError("closed", "この相談はクローズされています。")
        thread, _ = Thread.objects.select_for_update().get_or_create(consultation=consultation)
        # Under the thread lock: a resend of the same client_id finds the first copy.
        existing = Message.objects.filter(consultation=consultation, client_id=client_id).first()
        if existing is not None:
            if existing.author_id != actor.pk:
                raise ChatError("duplicate_client_id", "client_id は既に使われています。")
            return Sent(existing, created=False)
        counter = "last_whisper_seq" if whisper else "last_seq"
        Thread.objects.filter(pk=thread.pk).update(**{counter: F(counter) + 1})
        thread.refresh_from_db(fields=[counter])
        message = Message.objects.create(
            consultation=consultation,
            seq=getattr(thread, counter),
            client_id=client_id,
            author=actor,
            kind=kind,
            body=body,
        )
        message.author = actor
        frame = message_frame(message, consultation)
        events.broadcast_message_on_commit(consultation.pk, frame, whisper=whisper)
        if not whisper:
            if role == ChatRole.WORKER:
                workflow.worker_replied(consultation_id=consultation.pk)
            elif role in (ChatRole.RESPONDER, ChatRole.MEMBER):
                workflow.responder_replied(consultation_id=consultation.pk, actor=actor)
    return Sent(message, created=True)


def messages_after(
    *, actor: User, consultation_id: int, after_seq: int, whispers: bool = False, limit: int = 500
) -> list[dict[str, Any]]:
    role = selectors.chat_role_for(actor=actor, consultation_id=consultation_id)
    if role is None:
        raise ChatError("forbidden", "この相談には参加できません。")
    if whispers and role not in (ChatRole.RESPONDER, ChatRole.OBSERVER):
        return []
    consultation = Consultation.objects.select_related("worker", "worker__organisation").get(
        pk=consultation_id
    )
    kind = MessageKind.WHISPER if whispers else MessageKind.MESSAGE
    rows = (
        Message.objects.filter(consultation_id=consultation_id, kind=kind, seq__gt=after_seq)
        .select_related("author")
        .order_by("seq")[:limit]
    )
    return [message_frame(message, consultation) for message in rows]


def last_seq(*, consultation_id: int) -> int:
    thread = Thread.objects.filter(pk=consultation_id).only("last_seq").first()
    return thread.last_seq if thread else 0


def read_mark(*, actor: User, consultation_id: int, seq: int) -> int:
    """Record how far this person has read (never backwards); returns the stored mark."""
    if selectors.chat_role_for(actor=actor, consultation_id=consultation_id) is None:
        raise ChatError("forbidden", "この相談には参加できません。")
    seq = min(max(seq, 0), last_seq(consultation_id=consultation_id))
    with transaction.atomic():
        mark, _ = ReadMark.objects.select_for_update().get_or_create(
            consultation_id=consultation_id, user=actor, defaults={"seq": 0}
        )
        if seq > mark.seq:
            mark.seq = seq
            mark.save(update_fields=["seq", "updated_at"])
    return mark.seq


def unread_counts(*, actor: User, consultation_ids: list[int]) -> dict[int, int]:
    marks = dict(
        ReadMark.objects.filter(user=actor, consultation_id__in=consultation_ids).values_list(
            "consultation_id", "seq"
        )
    )
    threads = dict(Thread.objects.filter(pk__in=consultation_ids).values_list("pk", "last_seq"))
    return {cid: max(threads.get(cid, 0) - marks.get(cid, 0), 0) for cid in consultation_ids}
