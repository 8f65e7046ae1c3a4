"""Responder pages: the queue, 次の相談へ, claiming and handing over work (thin adapters)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import User
from helpdesk import routing, selectors, workflow
from helpdesk.choices import Status
from helpdesk.models import Consultation, Queue
from helpdesk.triage_review import triage_correct
from peer.services import RESPONDER_ROLES, activity_seen, duty_set, profile_for


def _responder(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User) or user.role not in RESPONDER_ROLES:
        raise PermissionDenied
    return user


def queue_view(request: HttpRequest) -> HttpResponse:
    actor = _responder(request)
    activity_seen(actor)
    now = timezone.now()
    waiting = [
        (c, int((now - c.created_at).total_seconds() // 60))
        for c in routing.claimable_for(actor).select_related("queue")[:200]
    ]
    mine = (
        selectors.consultation_list_for(actor=actor)
        .filter(assignee=actor)
        .exclude(status__in=[Status.RESOLVED, Status.CLOSED])
    )
    context = {
        "waiting": waiting,
        "mine": mine,
        "profile": profile_for(user=actor),
        "load": routing.load_of(actor),
        "pending_transfers": workflow.pending_transfers_for(actor),
        "substitutes": User.objects.filter(is_active=True, role=actor.role)
        .exclude(pk=actor.pk)
        .order_by("display_name", "username")[:200],
    }
    return render(request, "helpdesk/queue.html", context)


@require_POST
def duty_view(request: HttpRequest) -> HttpResponse:
    actor = _responder(request)
    duty_set(actor=actor, on_duty=request.POST.get("on_duty") == "1")
    return redirect("helpdesk:queue")


def _run(request: HttpRequest, consultation_id: int | None, action: str) -> HttpResponse:
    actor = _responder(request)
    reason = request.POST.get("reason", "").strip()
    try:
        if action == "claim" and consultation_id is not None:
            workflow.claim(actor=actor, consultation_id=consultation_id)
            messages.success(request, _("You are now responsible for this consultation."))
        elif action == "next":
            picked = workflow.claim_next(actor=actor)
            if picked is None:
                messages.info(request, _("Nobody is waiting in your queues."))
                return redirect("helpdesk:queue")
            consultation_id = picked.pk
        elif action == "release" and consultation_id is not None:
            workflow.release(actor=actor, consultation_id=consultation_id, reason=reason)
        elif action == "status" and consultation_id is not None:
            workflow.status_set(
                actor=actor,
                consultation_id=consultation_id,
                status=request.POST.get("status", ""),
                reason=reason,
            )
        elif action == "triage" and consultation_id is not None:
            triage_correct(
                actor=actor,
                consultation_id=consultation_id,
                level=request.POST.get("level", ""),
                reason=reason,
            )
            messages.success(request, _("The priority has been corrected."))
        elif action == "note" and consultation_id is not None:
            workflow.note_add(actor=actor, consultation_id=consultation_id, body=request.POST.get("body", ""))
        elif action in ("transfer", "escalate") and consultation_id is not None:
            queue = Queue.objects.filter(slug=request.POST.get("queue", ""), is_active=True).first()
            workflow.transfer_request(
                actor=actor,
                consultation_id=consultation_id,
                reason=reason,
                to_queue=queue,
                escalation=action == "escalate",
            )
            messages.success(request, _("The handover has been requested."))
        else:
            raise PermissionDenied
    except workflow.NotFound:
        raise Http404 from None
    except Consultation.DoesNotExist:
        raise Http404 from None
    except (workflow.WorkflowError, ValueError) as refused:
        messages.error(request, getattr(refused, "detail", _("That is not possible now.")))
    if consultation_id is None:
        return redirect("helpdesk:queue")
    return redirect("helpdesk:consultation_detail", consultation_id=consultation_id)


@require_POST
def claim_view(request: HttpRequest, consultation_id: int) -> HttpResponse:
    return _run(request, consultation_id, "claim")


@require_POST
def next_view(request: HttpRequest) -> HttpResponse:
    return _run(request, None, "next")


@require_POST
def action_view(request: HttpRequest, consultation_id: int, action: str) -> HttpResponse:
    return _run(request, consultation_id, action)


@require_POST
def leave_view(request: HttpRequest) -> HttpResponse:
    actor = _responder(request)
    substitute = User.objects.filter(pk=request.POST.get("substitute") or 0, is_active=True).first()
    if substitute is None:
        messages.error(request, _("Choose a substitute."))
        return redirect("helpdesk:queue")
    try:
        moved, kept = workflow.leave_with_substitute(actor=actor, substitute=substitute)
    except workflow.WorkflowError as refused:
        messages.error(request, refused.detail)
        return redirect("helpdesk:queue")
    messages.success(
        request,
        _("%(moved)s consultation(s) handed over; %(kept)s could not be (conflict of interest).")
        % {"moved": len(moved), "kept": len(kept)},
    )
    return redirect("helpdesk:queue")


@require_POST
def transfer_decide_view(request: HttpRequest, transfer_id: int) -> HttpResponse:
    actor = _responder(request)
    accept = request.POST.get("decision") == "accept"
    try:
        transfer = workflow.transfer_decide(
            actor=actor, transfer_id=transfer_id, accept=accept, reason=request.POST.get("reason", "")
        )
    except workflow.NotFound:
        raise Http404 from None
    except workflow.WorkflowError as refused:
        messages.error(request, refused.detail)
        return redirect("helpdesk:queue")
    if accept:
        return redirect("helpdesk:consultation_detail", consultation_id=transfer.consultation_id)
    return redirect("helpdesk:queue")
