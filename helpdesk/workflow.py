"""Taking and handing over work: claim, next, release, transfer, escalate, wait, resolve, reopen.

"Assume every operation runs concurrently with itself": each service locks the consultation row,
re-checks the state under the lock, writes an event in the same transaction and broadcasts on commit.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from accounts.models import Role, User
from accounts.text import clean_line, clean_text
from helpdesk import events, mail, routing, sla
from helpdesk.choices import Priority, Status
from helpdesk.models import (
    ConferenceInvite,
    Consultation,
    ConsultationEvent,
    EventKind,
    PrivateNote,
    Queue,
    SLATimer,
    TimerKind,
)
from helpdesk.models.routing import Transfer, TransferState
from peer.models import ResponderProfile


class WorkflowError(Exception):
    """A refused action; `code` is stable for APIs, `detail` is for people."""

    code = "invalid"

    def __init__(self, detail: str, code: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        if code:
            self.code = code


class NotFound(WorkflowError):
    """Missing or not visible to the actor: the same answer for both."""

    code = "not_found"


class Conflict(WorkflowError):
    code = "conflict"


def _status_event(
    consultation: Consultation, kind: str, actor: User | None, old: str, **extra: object
) -> None:
    if isinstance(extra.get("reason"), str):  # every reason a person typed passes here
        extra["reason"] = clean_line(str(extra["reason"]))[:500]
    ConsultationEvent.objects.create(
        consultation=consultation,
        kind=kind,
        actor=actor,
        from_status=old,
        to_status=consultation.status,
        **extra,
    )


def _announce(consultation: Consultation, change: str) -> None:
    payload = {
        "type": "status",
        "consultation": consultation.pk,
        "change": change,
        "status": consultation.status,
        "priority": consultation.priority,
        "queue": consultation.queue_id,
        "assignee": consultation.assignee_id,
    }
    groups = [events.consultation_group(consultation.pk)]
    if consultation.queue_id:
        groups.append(events.queue_group(consultation.queue_id))
    events.broadcast_on_commit(groups, payload)


def _lock_visible(actor: User, consultation_id: int) -> Consultation:
    visible = routing.visible_to_responder(actor).filter(pk=consultation_id)
    consultation = Consultation.objects.select_for_update().filter(pk__in=visible.values("pk")).first()
    if consultation is None:
        raise NotFound("相談が見つかりません。")
    return consultation


def _lock_assigned(actor: User, consultation_id: int) -> Consultation:
    consultation = _lock_visible(actor, consultation_id)
    if consultation.assignee_id != actor.pk and actor.role != Role.SUPERVISOR:
        raise PermissionDenied("only the assignee or a supervisor may do this")
    return consultation


def route(*, consultation: Consultation, now: datetime | None = None) -> Consultation:
    """Put a new consultation in its queue, start its timers and ring the right bells."""
    now = now or timezone.now()
    rule = routing.rule_for(consultation)
    consultation.queue = rule.queue if rule else routing.next_tier(None)
    if rule is not None:
        consultation.priority = routing.raise_priority(consultation.priority, rule.min_priority)
    consultation.save(update_fields=["queue", "priority", "updated_at"])
    ConsultationEvent.objects.create(
        consultation=consultation, kind=EventKind.ROUTED, queue=consultation.queue
    )
    sla.timer_start(consultation=consultation, kind=TimerKind.FIRST_RESPONSE, now=now)
    sla.timer_start(consultation=consultation, kind=TimerKind.RESOLUTION, now=now)
    groups = [events.queue_group(consultation.queue_id)] if consultation.queue_id else []
    if consultation.priority == Priority.URGENT:
        groups += [events.role_group(Role.SUPERVISOR), events.role_group(Role.EXPERT)]
        mail.mail_on_commit(
            mail.on_duty_supervisors(),
            "緊急の相談が届きました",
            consultation.pk,
            "緊急の相談が受付キューに入りました。",
        )
    events.broadcast_on_commit(
        groups,
        {
            "type": "queue",
            "change": "new",
            "consultation": consultation.pk,
            "priority": consultation.priority,
        },
    )
    return consultation


def _check_capacity(actor: User, consultation: Consultation) -> None:
    profile, _ = ResponderProfile.objects.select_for_update().get_or_create(user=actor)
    if not profile.on_duty:
        raise Conflict("対応可能（オン）に切り替えてから担当してください。", code="off_duty")
    if refusal := routing.take_refusal(actor, consultation):
        raise Conflict(str(routing.REFUSALS[refusal]), code=refusal)
    if routing.load_of(actor) + routing.weight(consultation) > profile.capacity:
        raise Conflict("担当できる件数の上限に達しています。", code="over_capacity")


def _take(actor: User, consultation: Consultation, now: datetime) -> Consultation:
    """Assign a consultation whose row the caller has locked."""
    if consultation.assignee_id is not None or consultation.status not in routing.OPEN_FOR_CLAIM:
        raise Conflict("この相談はすでに他の人が担当しています。", code="already_claimed")
    _check_capacity(actor, consultation)
    old = consultation.status
    consultation.assignee = actor
    consultation.claimed_at = now
    consultation.status = Status.IN_PROGRESS
    consultation.save(update_fields=["assignee", "claimed_at", "status", "updated_at"])
    _status_event(consultation, EventKind.CLAIMED, actor, old)
    if consultation.first_response_at is None:
        sla.timer_start(consultation=consultation, kind=TimerKind.RETURN, now=now)
    _announce(consultation, "claimed")
    return consultation


def claim(*, actor: User, consultation_id: int, now: datetime | None = None) -> Consultation:
    """Atomically take a consultation: of many simultaneous claims exactly one wins."""
    now = now or timezone.now()
    with transaction.atomic():
        return _take(actor, _lock_visible(actor, consultation_id), now)


def claim_next(*, actor: User, now: datetime | None = None) -> Consultation | None:
    """次の相談へ: the most urgent, longest-waiting consultation this responder may take.

    The row is locked with SKIP LOCKED and claimed in the same transaction, so responders pulling
    at the same time each get a different consultation instead of racing for the same one.
    """
    now = now or timezone.now()
    with transaction.atomic():
        picked = sla._locked(routing.claimable_for(actor)).first()
        if picked is None:
            return None
        return _take(actor, picked, now)


def _release(consultation: Consultation, actor: User | None, reason: str, now: datetime) -> None:
    old = consultation.status
    consultation.assignee = None
    consultation.claimed_at = None
    consultation.status = Status.ESCALATED if consultation.escalation_level else Status.RECEIVED
    consultation.save(update_fields=["assignee", "claimed_at", "status", "updated_at"])
    sla.timer_stop(consultation=consultation, kinds=[TimerKind.RETURN], now=now)
    _status_event(consultation, EventKind.RELEASED, actor, old, reason=reason[:500])
    _announce(consultation, "released")


def release(*, actor: User, consultation_id: int, reason: str) -> Consultation:
    with transaction.atomic():
        consultation = _lock_assigned(actor, consultation_id)
        if consultation.assignee_id is None:
            raise Conflict("担当者がいません。", code="not_claimed")
        _release(consultation, actor, reason, timezone.now())
    return consultation


def responder_replied(*, consultation_id: int, actor: User, now: datetime | None = None) -> None:
    """Called after a responder's message is stored: first/next response targets are met."""
    now = now or timezone.now()
    with transaction.atomic():
        consultation = Consultation.objects.select_for_update().get(pk=consultation_id)
        if consultation.first_response_at is None:
            consultation.first_response_at = now
            consultation.save(update_fields=["first_response_at", "updated_at"])
        kinds = [TimerKind.FIRST_RESPONSE, TimerKind.NEXT_RESPONSE, TimerKind.RETURN]
        sla.timer_stop(consultation=consultation, kinds=kinds, now=now)


def worker_replied(*, consultation_id: int, now: datetime | None = None) -> None:
    """Called after the worker's message is stored: the next-response clock starts."""
    now = now or timezone.now()
    with transaction.atomic():
        consultation = Consultation.objects.select_for_update().get(pk=consultation_id)
        if consultation.status == Status.WAITING:
            _set_status(consultation, None, Status.IN_PROGRESS, "相談者から返信", now)
        if consultation.first_response_at is not None and consultation.status in routing.ACTIVE_STATUSES:
            sla.timer_start(consultation=consultation, kind=TimerKind.NEXT_RESPONSE, now=now)


def _set_status(
    consultation: Consultation, actor: User | None, status: str, reason: str, now: datetime
) -> None:
    old = consultation.status
    if old == Status.WAITING and status != Status.WAITING:
        sla.timers_resume(consultation=consultation, now=now)
    consultation.status = status
    consultation.waiting_since = now if status == Status.WAITING else None
    if status == Status.RESOLVED:
        consultation.resolved_at = now
    consultation.save(update_fields=["status", "waiting_since", "resolved_at", "updated_at"])
    if status == Status.WAITING:
        sla.timers_pause(consultation=consultation, now=now)
    if status in (Status.RESOLVED, Status.CLOSED):
        sla.timer_stop(consultation=consultation, now=now)
    _status_event(consultation, EventKind.STATUS, actor, old, reason=reason[:500])
    _announce(consultation, "status")


ALLOWED = {
    Status.WAITING: {Status.IN_PROGRESS, Status.ESCALATED},
    Status.IN_PROGRESS: {Status.WAITING, Status.ESCALATED},
    Status.RESOLVED: {Status.IN_PROGRESS, Status.WAITING, Status.ESCALATED},
    Status.CLOSED: {Status.RESOLVED},
}


def status_set(*, actor: User, consultation_id: int, status: str, reason: str = "") -> Consultation:
    now = timezone.now()
    with transaction.atomic():
        consultation = _lock_assigned(actor, consultation_id)
        if consultation.status not in ALLOWED.get(Status(status), set()):
            raise Conflict(
                f"「{consultation.get_status_display()}」から「{Status(status).label}」には変更できません。",
                code="invalid_transition",
            )
        _set_status(consultation, actor, status, reason, now)
    return consultation


def reopen(*, actor: User, consultation_id: int, reason: str) -> Consultation:
    """The worker or the last assignee reopens a resolved consultation."""
    now = timezone.now()
    with transaction.atomic():
        consultation = Consultation.objects.select_for_update().filter(pk=consultation_id).first()
        allowed = consultation is not None and (
            consultation.worker_id == actor.pk or consultation.assignee_id == actor.pk
        )
        if consultation is None or not allowed:
            raise NotFound("相談が見つかりません。")
        if consultation.status != Status.RESOLVED:
            raise Conflict("解決済みの相談だけを再開できます。", code="invalid_transition")
        consultation.resolved_at = None
        target = Status.IN_PROGRESS if consultation.assignee_id else Status.RECEIVED
        _set_status(consultation, actor, target, reason or "再開", now)
        sla.timer_start(consultation=consultation, kind=TimerKind.RESOLUTION, now=now)
    return consultation


def note_add(*, actor: User, consultation_id: int, body: str) -> PrivateNote:
    body = clean_text(body).strip()
    if not body or len(body) > 2000:
        raise WorkflowError("メモは1〜2000文字で入力してください。", code="invalid_note")
    with transaction.atomic():
        consultation = _lock_visible(actor, consultation_id)
        return PrivateNote.objects.create(consultation=consultation, author=actor, body=body)


def transfer_request(
    *,
    actor: User,
    consultation_id: int,
    reason: str,
    to_queue: Queue | None = None,
    to_user: User | None = None,
    escalation: bool = False,
) -> Transfer:
    """Hand over to a queue or a person, with a reason; the target accepts or declines."""
    reason = clean_line(reason)
    if not reason:
        raise WorkflowError("理由を入力してください。", code="reason_required")
    if (to_queue is None) == (to_user is None):
        raise WorkflowError("引き継ぎ先をひとつ選んでください。", code="target_required")
    with transaction.atomic():
        consultation = _lock_assigned(actor, consultation_id)
        if (
            to_user is not None
            and not routing.visible_to_responder(to_user).filter(pk=consultation.pk).exists()
        ):
            raise WorkflowError("その相手には引き継げません。", code="target_not_eligible")
        if escalation and to_queue is not None and to_queue.pk == consultation.queue_id:
            raise WorkflowError("すでに最上位のキューにあります。", code="already_top_tier")
        if Transfer.objects.filter(consultation=consultation, state=TransferState.PENDING).exists():
            raise Conflict("すでに引き継ぎを依頼中です。", code="transfer_pending")
        transfer = Transfer.objects.create(
            consultation=consultation,
            requested_by=actor,
            to_queue=to_queue,
            to_user=to_user,
            is_escalation=escalation,
            reason=reason[:500],
        )
        kind = EventKind.ESCALATED if escalation else EventKind.TRANSFER_REQUESTED
        old = consultation.status
        if escalation:
            consultation.status = Status.ESCALATED
            consultation.escalation_level += 1
            consultation.save(update_fields=["status", "escalation_level", "updated_at"])
        _status_event(consultation, kind, actor, old, queue=to_queue, target=to_user, reason=reason[:500])
        groups = [events.user_group(to_user.pk)] if to_user else [events.queue_group(to_queue.pk)]  # type: ignore[union-attr]
        events.broadcast_on_commit(
            groups, {"type": "transfer", "consultation": consultation.pk, "id": transfer.pk}
        )
        _announce(consultation, "transfer_requested")
    return transfer


def transfer_decide(*, actor: User, transfer_id: int, accept: bool, reason: str = "") -> Transfer:
    now = timezone.now()
    with transaction.atomic():
        transfer = (
            Transfer.objects.select_for_update().filter(pk=transfer_id, state=TransferState.PENDING).first()
        )
        if transfer is None:
            raise NotFound("引き継ぎ依頼が見つかりません。")
        consultation = Consultation.objects.select_for_update().get(pk=transfer.consultation_id)
        if transfer.to_user_id is not None:
            addressed = transfer.to_user_id == actor.pk
        else:
            addressed = routing.queues_for(actor).filter(pk=transfer.to_queue_id or 0).exists()
        if not addressed or routing.conflict_of_interest(actor, consultation):
            raise NotFound("引き継ぎ依頼が見つかりません。")
        transfer.state = TransferState.ACCEPTED if accept else TransferState.DECLINED
        transfer.decided_by = actor
        transfer.decided_at = now
        transfer.save(update_fields=["state", "decided_by", "decided_at"])
        old = consultation.status
        if accept:
            if transfer.to_queue_id:
                consultation.queue_id = transfer.to_queue_id
            _check_capacity(actor, consultation)
            consultation.assignee = actor
            consultation.claimed_at = now
            consultation.status = Status.IN_PROGRESS
            consultation.save(update_fields=["queue", "assignee", "claimed_at", "status", "updated_at"])
        kind = EventKind.TRANSFER_ACCEPTED if accept else EventKind.TRANSFER_DECLINED
        _status_event(consultation, kind, actor, old, reason=reason[:500])
        _announce(consultation, kind)
    return transfer


def conference_invite(
    *, actor: User, consultation_id: int, invitee: User, hours: int = 72
) -> ConferenceInvite:
    """The assignee invites an expert into the chat (ケース会議); access ends by itself."""
    if not 1 <= hours <= 24 * 14:
        raise WorkflowError("招待の期間は1時間〜14日です。", code="invalid_duration")
    with transaction.atomic():
        consultation = _lock_assigned(actor, consultation_id)
        if (
            invitee.role != Role.EXPERT
            or not invitee.is_active
            or routing.conflict_of_interest(invitee, consultation)
        ):
            raise WorkflowError("その相手は招待できません。", code="invitee_not_eligible")
        invite = ConferenceInvite.objects.create(
            consultation=consultation,
            invitee=invitee,
            invited_by=actor,
            expires_at=timezone.now() + timedelta(hours=hours),
        )
        ConsultationEvent.objects.create(
            consultation=consultation, kind=EventKind.CONFERENCE, actor=actor, target=invitee
        )
        events.broadcast_on_commit(
            [events.user_group(invitee.pk)],
            {"type": "conference", "consultation": consultation.pk, "id": invite.pk},
        )
    return invite


def pending_transfers_for(actor: User) -> list[Transfer]:
    """Handovers waiting for this responder's decision (to them, or to a queue they serve)."""
    pending = Transfer.objects.filter(state=TransferState.PENDING).select_related("consultation", "to_queue")
    mine = [t for t in pending.filter(to_user=actor)]
    queue_ids = set(routing.queues_for(actor).values_list("pk", flat=True))
    mine += [
        t
        for t in pending.filter(to_queue_id__in=queue_ids).select_related(
            "consultation__worker__organisation"
        )
        if not routing.conflict_of_interest(actor, t.consultation) and t.requested_by_id != actor.pk
    ]
    return mine


# --- Called by the SLA tick (inside its transaction) -------------------------------------------


def sla_warned(*, timer: SLATimer, now: datetime) -> None:
    consultation = timer.consultation
    ConsultationEvent.objects.create(consultation=consultation, kind=EventKind.SLA_WARNING, reason=timer.kind)
    groups = [events.user_group(consultation.assignee_id)] if consultation.assignee_id else []
    if consultation.queue_id:
        groups.append(events.queue_group(consultation.queue_id))
    events.broadcast_on_commit(groups, {"type": "sla", "level": "warning", "consultation": consultation.pk})


def sla_breached(*, timer: SLATimer, now: datetime) -> None:
    consultation = Consultation.objects.select_for_update().get(pk=timer.consultation_id)
    if timer.kind == TimerKind.RETURN:
        timer.stopped_at = now
        timer.save(update_fields=["stopped_at"])
        if consultation.assignee_id and consultation.first_response_at is None:
            _release(consultation, None, "応答がないため受付キューに戻しました", now)
        return
    ConsultationEvent.objects.create(consultation=consultation, kind=EventKind.SLA_BREACH, reason=timer.kind)
    if timer.kind in (TimerKind.FIRST_RESPONSE, TimerKind.NEXT_RESPONSE):
        _auto_escalate(consultation, now)
    groups = [events.role_group(Role.SUPERVISOR)]
    if consultation.assignee_id:
        groups.append(events.user_group(consultation.assignee_id))
    recipients = mail.on_duty_supervisors() + ([consultation.assignee] if consultation.assignee else [])
    mail.mail_on_commit(
        recipients, "応答目標を超えた相談があります", consultation.pk, "応答目標を超えました。"
    )
    events.broadcast_on_commit(groups, {"type": "sla", "level": "breach", "consultation": consultation.pk})


def _auto_escalate(consultation: Consultation, now: datetime) -> None:
    """peer → expert → supervisor; a consultation already with the supervisors stays there."""
    target = routing.next_tier(consultation.queue)
    if target is None or target.pk == consultation.queue_id:
        return
    old = consultation.status
    consultation.queue = target
    consultation.escalation_level += 1
    consultation.status = Status.ESCALATED
    consultation.save(update_fields=["queue", "escalation_level", "status", "updated_at"])
    _status_event(
        consultation,
        EventKind.ESCALATED,
        None,
        old,
        queue=target,
        reason="応答目標の超過による自動エスカレーション",
    )
    if consultation.assignee_id is None:
        sla.timer_start(consultation=consultation, kind=TimerKind.FIRST_RESPONSE, now=now)
    _announce(consultation, "escalated")


def leave_with_substitute(*, actor: User, substitute: User) -> tuple[list[int], list[int]]:
    """Going on leave: hand every active consultation and pending handover to a named substitute.

    Returns (moved, kept) consultation ids; a consultation the substitute may not take (their own
    organisation, or the same town for a pseudonymous worker) stays and is reported.
    """
    from peer.services import duty_set

    if (
        substitute.pk == actor.pk
        or not substitute.is_active
        or substitute.role
        not in (
            Role.PEER,
            Role.EXPERT,
            Role.SUPERVISOR,
        )
    ):
        raise WorkflowError("代理には対応者を指名してください。", code="invalid_substitute")
    now = timezone.now()
    moved: list[int] = []
    kept: list[int] = []
    with transaction.atomic():
        duty_set(actor=actor, on_duty=False)
        active = Consultation.objects.select_for_update().filter(
            assignee=actor, status__in=routing.ACTIVE_STATUSES
        )
        for consultation in active.select_related("worker__organisation"):
            if routing.conflict_of_interest(substitute, consultation):
                kept.append(consultation.pk)
                continue
            old = consultation.status
            consultation.assignee = substitute
            consultation.claimed_at = now
            consultation.save(update_fields=["assignee", "claimed_at", "updated_at"])
            _status_event(
                consultation,
                EventKind.TRANSFER_ACCEPTED,
                actor,
                old,
                target=substitute,
                reason="担当者の不在のため、代理の対応者に交代しました",
            )
            _announce(consultation, "handover")
            moved.append(consultation.pk)
        Transfer.objects.filter(to_user=actor, state=TransferState.PENDING).update(to_user=substitute)
        events.broadcast_on_commit(
            [events.user_group(substitute.pk)], {"type": "transfer", "change": "substitute", "id": actor.pk}
        )
    return moved, kept
