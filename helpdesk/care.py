"""Care for the carers across both apps: debrief requests, feedback, reflections and follow-ups.

Services write (atomic, audited), selectors read scoped to the actor. Free texts pass through the
de-identifier before storage, as case summaries do: people write about third parties.
The thin adapters (forms, views, URLs) sit at the end: small enough not to need their own module yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Avg, Count, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from accounts.audit import audit_record
from accounts.models import Role, User
from accounts.text import clean_text
from helpdesk import deid, events, routing
from helpdesk.choices import Status
from helpdesk.models import Consultation, DebriefRequest, Feedback, FollowUp, Queue, Reflection
from helpdesk.models.care import COMMENT_MAX_LENGTH, NOTE_MAX_LENGTH, DebriefState, FollowUpOutcome
from peer.selectors import min_cell_size

DONE = (Status.RESOLVED, Status.CLOSED)
FOLLOW_UP_FROM = timedelta(days=14)
FOLLOW_UP_UNTIL = timedelta(days=28)


class CareError(Exception):
    """A refused action; `code` is stable, `detail` is for people."""

    def __init__(self, detail: str, code: str = "invalid") -> None:
        super().__init__(detail)
        self.detail = detail
        self.code = code


class NotFound(CareError):
    def __init__(self) -> None:
        super().__init__("見つかりません。", code="not_found")


def _clean_text(text: str, limit: int) -> str:
    text = clean_text(text).strip()
    if len(text) > limit:
        raise CareError(f"{limit}文字以内で入力してください。", code="too_long")
    return deid.redact(text).text if text else ""


def _done_case(consultation_id: int, **owner: object) -> Consultation:
    consultation = Consultation.objects.filter(pk=consultation_id, **owner).first()
    if consultation is None:
        raise NotFound
    if consultation.status not in DONE:
        raise CareError("解決済みの相談だけが対象です。", code="not_resolved")
    return consultation


# --- Debriefs ---------------------------------------------------------------------------------


def debrief_offered(*, actor: User, consultation: Consultation) -> bool:
    """After resolving a heavy case, its responder is offered a private debrief with a supervisor."""
    return (
        consultation.assignee_id == actor.pk
        and consultation.status in DONE
        and consultation.subtype in routing.HEAVY_SUBTYPES
        and not DebriefRequest.objects.filter(consultation=consultation, requested_by=actor).exists()
    )


def debrief_request(*, actor: User, consultation_id: int, note: str = "") -> DebriefRequest:
    consultation = _done_case(consultation_id, assignee_id=actor.pk)
    if consultation.subtype not in routing.HEAVY_SUBTYPES:
        raise CareError("デブリーフィングは重い相談の後に申し込めます。", code="not_heavy")
    clean = _clean_text(note, NOTE_MAX_LENGTH)
    try:
        with transaction.atomic():
            request = DebriefRequest.objects.create(consultation=consultation, requested_by=actor, note=clean)
            audit_record(action="debrief_requested", actor=actor, target=request)
            events.broadcast_on_commit(
                [events.role_group(Role.SUPERVISOR)], {"type": "debrief", "id": request.pk}
            )
    except IntegrityError:
        raise CareError("すでに申し込んでいます。", code="already_requested") from None
    return request


def debrief_list_for(*, actor: User) -> QuerySet[DebriefRequest]:
    """Open and taken requests, for supervisors only (never the case text: a reference and a note)."""
    if not actor.is_active or actor.role != Role.SUPERVISOR:
        return DebriefRequest.objects.none()
    return (
        DebriefRequest.objects.exclude(state=DebriefState.CLOSED)
        .exclude(requested_by=actor)
        .select_related("consultation", "requested_by", "taken_by")
    )


def debrief_advance(
    *, actor: User, request_id: int, state: str, now: datetime | None = None
) -> DebriefRequest:
    """A supervisor takes a request (so that nobody else calls) or closes it."""
    if state not in (DebriefState.TAKEN, DebriefState.CLOSED):
        raise CareError("不正な状態です。")
    with transaction.atomic():
        request = debrief_list_for(actor=actor).select_for_update(of=("self",)).filter(pk=request_id).first()
        if request is None:
            raise NotFound
        if request.taken_by_id not in (None, actor.pk):
            raise CareError("他のスーパーバイザーが対応しています。", code="taken")
        request.state = state
        request.taken_by = actor
        if state == DebriefState.CLOSED:
            request.closed_at = now or timezone.now()
        request.save(update_fields=["state", "taken_by", "closed_at"])
        audit_record(action=f"debrief_{state}", actor=actor, target=request)
    return request


# --- Feedback, reflection, follow-up --------------------------------------------------------------


def feedback_give(*, actor: User, consultation_id: int, helpfulness: int, comment: str = "") -> Feedback:
    consultation = _done_case(consultation_id, worker_id=actor.pk)
    if not 1 <= helpfulness <= 5:
        raise CareError("1〜5で選んでください。", code="invalid_rating")
    clean = _clean_text(comment, COMMENT_MAX_LENGTH)
    try:
        with transaction.atomic():
            feedback = Feedback.objects.create(
                consultation=consultation, helpfulness=helpfulness, comment=clean
            )
            audit_record(action="feedback_given", actor=actor, target=feedback)
    except IntegrityError:
        raise CareError("すでに評価しています。", code="already_given") from None
    return feedback


def reflection_write(*, actor: User, consultation_id: int, body: str) -> Reflection:
    consultation = _done_case(consultation_id, assignee_id=actor.pk)
    clean = _clean_text(body, COMMENT_MAX_LENGTH)
    if not clean:
        raise CareError("ふりかえりを入力してください。", code="empty")
    try:
        with transaction.atomic():
            reflection = Reflection.objects.create(consultation=consultation, author=actor, body=clean)
            audit_record(action="reflection_written", actor=actor, target=reflection)
    except IntegrityError:
        raise CareError("すでに書いています。", code="already_written") from None
    return reflection


def followups_due_for(worker: User, now: datetime | None = None) -> QuerySet[Consultation]:
    """その後どうなりましたか: the worker's consultations resolved two to four weeks ago, unanswered."""
    now = now or timezone.now()
    return Consultation.objects.filter(
        worker_id=worker.pk,
        status__in=DONE,
        resolved_at__lte=now - FOLLOW_UP_FROM,
        resolved_at__gt=now - FOLLOW_UP_UNTIL,
        follow_up__isnull=True,
    ).order_by("resolved_at", "id")


def followup_answer(
    *, actor: User, consultation_id: int, outcome: str, answer: str = "", now: datetime | None = None
) -> FollowUp:
    now = now or timezone.now()
    consultation = _done_case(consultation_id, worker_id=actor.pk)
    if consultation.resolved_at is None or consultation.resolved_at > now - FOLLOW_UP_FROM:
        raise CareError("まだ回答の時期ではありません。", code="not_due")
    if outcome not in FollowUpOutcome.values:
        raise CareError("選択肢から選んでください。", code="invalid_outcome")
    clean = _clean_text(answer, COMMENT_MAX_LENGTH)
    try:
        with transaction.atomic():
            follow_up = FollowUp.objects.create(
                consultation=consultation, outcome=outcome, answer=clean, answered_at=now
            )
            audit_record(action="follow_up_answered", actor=actor, target=follow_up)
    except IntegrityError:
        raise CareError("すでに回答しています。", code="already_answered") from None
    return follow_up


@dataclass(frozen=True)
class Prompts:
    """What the consultation page offers this viewer once the consultation is resolved."""

    feedback: bool
    follow_up: bool
    reflection: bool
    debrief: bool


def prompts_for(*, actor: User, consultation: Consultation, now: datetime | None = None) -> Prompts:
    now = now or timezone.now()
    done = consultation.status in DONE
    is_worker = consultation.worker_id == actor.pk
    is_assignee = consultation.assignee_id == actor.pk
    return Prompts(
        feedback=done and is_worker and not Feedback.objects.filter(consultation=consultation).exists(),
        follow_up=is_worker and followups_due_for(actor, now).filter(pk=consultation.pk).exists(),
        reflection=done
        and is_assignee
        and not Reflection.objects.filter(consultation=consultation, author=actor).exists(),
        debrief=debrief_offered(actor=actor, consultation=consultation),
    )


# --- Dashboard: per queue, never per worker ------------------------------------------------------


@dataclass(frozen=True)
class QueueFeedback:
    queue: str
    helpfulness: float | None  # None: fewer answers than the minimum cell size
    answers: int | None
    reflections: int


def feedback_by_queue(*, actor: User, since: datetime) -> list[QueueFeedback]:
    if not actor.is_active or actor.role not in (Role.SUPERVISOR, Role.ADMIN):
        raise PermissionError("supervisors and admins only")
    smallest = min_cell_size()
    rows = Queue.objects.annotate(
        answers=Count("consultations__feedback", filter=Q(consultations__feedback__created_at__gte=since)),
        mean=Avg(
            "consultations__feedback__helpfulness",
            filter=Q(consultations__feedback__created_at__gte=since),
        ),
    ).order_by("kind", "name")
    reflected = dict(
        Reflection.objects.filter(created_at__gte=since)
        .values_list("consultation__queue_id")
        .annotate(n=Count("id"))
        .values_list("consultation__queue_id", "n")
    )
    return [
        QueueFeedback(
            queue=row.name,
            helpfulness=round(float(getattr(row, "mean", 0)), 2)
            if getattr(row, "answers", 0) >= smallest
            else None,
            answers=getattr(row, "answers", 0) if getattr(row, "answers", 0) >= smallest else None,
            reflections=reflected.get(row.pk, 0),
        )
        for row in rows
    ]


# --- Thin adapters: forms, views and URLs (include with namespace "care") ---------------------------


class FeedbackForm(forms.Form):
    helpfulness = forms.TypedChoiceField(
        label=_("How helpful was it?"),
        coerce=int,
        choices=[(n, str(n)) for n in range(5, 0, -1)],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment (optional)"),
        required=False,
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class FollowUpForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("How are things now?"), choices=FollowUpOutcome.choices, widget=forms.RadioSelect
    )
    answer = forms.CharField(
        label=_("What happened since? (optional)"),
        required=False,
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ReflectionForm(forms.Form):
    body = forms.CharField(
        label=_("Your reflection"), max_length=COMMENT_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 4})
    )


class DebriefForm(forms.Form):
    note = forms.CharField(
        label=_("Anything the supervisor should know? (optional)"),
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


def _write(kind: str, actor: User, consultation_id: int, data: dict[str, Any]) -> None:
    if kind == "feedback":
        feedback_give(actor=actor, consultation_id=consultation_id, **data)
    elif kind == "follow-up":
        followup_answer(actor=actor, consultation_id=consultation_id, **data)
    elif kind == "reflection":
        reflection_write(actor=actor, consultation_id=consultation_id, **data)
    else:
        debrief_request(actor=actor, consultation_id=consultation_id, **data)


PAGES: dict[str, tuple[type[forms.Form], Any]] = {
    "feedback": (FeedbackForm, _("Feedback")),
    "follow-up": (FollowUpForm, _("How did things go?")),
    "reflection": (ReflectionForm, _("Reflection")),
    "debrief": (DebriefForm, _("Ask for a debrief")),
}


def _actor(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # the two-factor middleware lets only verified accounts in
    return request.user


@never_cache
def care_form_view(request: HttpRequest, consultation_id: int, kind: str) -> HttpResponse:
    if kind not in PAGES:
        raise Http404
    actor = _actor(request)
    consultation = Consultation.objects.filter(pk=consultation_id).first()
    offered = consultation is not None and getattr(
        prompts_for(actor=actor, consultation=consultation), kind.replace("-", "_")
    )
    if consultation is None or not offered:
        raise Http404  # not offered to this viewer: the same answer as a missing consultation
    form_class, title = PAGES[kind]
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            _write(kind, actor, consultation_id, form.cleaned_data)
        except CareError as refused:
            form.add_error(None, refused.detail)
        else:
            messages.success(request, _("Thank you."))
            return redirect("helpdesk:consultation_detail", consultation_id=consultation_id)
    context = {"form": form, "title": title, "consultation": consultation, "kind": kind}
    return render(request, "helpdesk/feedback_form.html", context, status=400 if form.errors else 200)


def debrief_list_view(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    if actor.role != Role.SUPERVISOR:
        raise PermissionDenied
    if request.method == "POST":
        try:
            debrief_advance(
                actor=actor,
                request_id=int(request.POST.get("id", "0") or 0),
                state=request.POST.get("state", ""),
            )
        except NotFound:
            raise Http404 from None
        except (CareError, ValueError) as refused:
            messages.error(request, getattr(refused, "detail", _("That is not possible now.")))
        return redirect("care:debriefs")
    return render(request, "helpdesk/feedback_debriefs.html", {"requests": debrief_list_for(actor=actor)})


def feedback_dashboard_view(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    try:
        rows = feedback_by_queue(actor=actor, since=timezone.now() - timedelta(days=365))
    except PermissionError:
        raise PermissionDenied from None
    return render(request, "helpdesk/feedback_dashboard.html", {"rows": rows, "min_cell": min_cell_size()})


app_name = "care"
urlpatterns = [
    path("debriefs/", debrief_list_view, name="debriefs"),
    path("feedback/", feedback_dashboard_view, name="dashboard"),
    path("<int:consultation_id>/<slug:kind>/", care_form_view, name="form"),
]
