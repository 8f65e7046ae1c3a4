from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.models import Role, User
from helpdesk import care, deid, intake, selectors, services
from helpdesk.choices import Category, Priority, Status
from helpdesk.forms import ConsultationForm
from helpdesk.models import Queue
from helpdesk.routing import OPEN_FOR_CLAIM

TEXT_FIELDS = ("summary", "question")


def _actor(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # the two-factor middleware has let only verified accounts through
    return user


def consultation_list_view(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    consultations = selectors.consultation_list_for(actor=actor)[:200]
    followups = care.followups_due_for(actor) if actor.role == Role.WORKER else []
    context = {"consultations": consultations, "followups": followups}
    return render(request, "helpdesk/consultation_list.html", context)


def consultation_detail_view(request: HttpRequest, consultation_id: int) -> HttpResponse:
    actor = _actor(request)
    consultation = selectors.consultation_get_for(actor=actor, consultation_id=consultation_id)
    is_responder = actor.role in selectors.RESPONDER_ROLES
    context = {
        "consultation": consultation,
        "worker_display": selectors.worker_display_for(consultation=consultation, viewer=actor),
        "is_responder": is_responder,
        "is_assignee": consultation.assignee_id == actor.pk,
        "can_claim": is_responder
        and consultation.assignee_id is None
        and consultation.status in OPEN_FOR_CLAIM,
        "is_urgent": consultation.priority == Priority.URGENT,
        "events": selectors.events_visible_to(actor=actor, consultation=consultation) if is_responder else [],
        "notes": selectors.notes_visible_to(actor=actor, consultation=consultation) or [],
        "queues": Queue.objects.filter(is_active=True) if is_responder else [],
        "chat_role": selectors.chat_role_for(actor=actor, consultation_id=consultation.pk),
        "ws_path": f"/ws/consultations/{consultation.pk}/",
        "observed": consultation.status == Status.ESCALATED,
        "priority_choices": Priority.choices,
        "care": care.prompts_for(actor=actor, consultation=consultation),
        "status_choices": [(s.value, s.label) for s in (Status.IN_PROGRESS, Status.WAITING, Status.RESOLVED)],
    }
    return render(request, "helpdesk/consultation_detail.html", context)


def _reviews(request: HttpRequest, form: ConsultationForm) -> dict[str, intake.Review]:
    reviews = {}
    for name in TEXT_FIELDS:
        shown = set(request.POST.getlist(f"{name}-shown"))
        replace = set(request.POST.getlist(f"{name}-replace"))
        marks = [m for m in map(intake.ManualMark.decode, request.POST.getlist(f"{name}-mark")) if m]
        new_phrase = request.POST.get(f"{name}-new-phrase", "").strip()
        new_label = request.POST.get(f"{name}-new-label", "PERSON")
        if new_phrase:
            added = intake.ManualMark.decode(f"{new_label}:{new_phrase}")
            if added is not None and added not in marks:
                marks.append(added)
        reviews[name] = intake.review(form.cleaned_data[name], unmarked=shown - replace, marks=marks)
    return reviews


@never_cache
def consultation_new_view(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    if actor.role != Role.WORKER:
        raise PermissionDenied
    form = ConsultationForm(request.POST or None)
    action = request.POST.get("action", "preview")
    if request.method != "POST" or action == "edit":
        if not form.is_bound:
            category = request.GET.get("category")
            form = ConsultationForm(initial={"category": category} if category in Category.values else None)
        return render(request, "helpdesk/consultation_form.html", {"form": form})
    if not form.is_valid():
        return render(request, "helpdesk/consultation_form.html", {"form": form}, status=400)
    reviews = _reviews(request, form)
    problems: list[str] = []
    if action == "submit":
        data = form.cleaned_data
        facts = services.CaseFacts(
            category=data["category"],
            subtype=data["subtype"],
            worker_urgency=data["worker_urgency"],
            question=reviews["question"].final_text,
            summary=reviews["summary"].final_text,
            requested_responder=data["requested_responder"],
            requested_profession=data["requested_profession"],
            pseudonymous=data["pseudonymous"],
            age_band=data["age_band"],
            gender=data["gender"],
            withdrawal_duration=data["withdrawal_duration"],
            household=data["household"],
            agencies=tuple(data["agencies"]),
        )
        try:
            consultation = services.consultation_create(
                actor=actor,
                facts=facts,
                not_personal=[kept for review in reviews.values() for kept in review.kept],
                risks_acknowledged=request.POST.get("acknowledge_risks") == "1",
                replaced=sum(review.replaced for review in reviews.values()),
            )
        except services.IdentifiersRemain as refused:
            problems.append(
                _("%(count)s identifier(s) would still be stored. Replace them or mark them as not personal.")
                % {"count": len(refused.found)}
            )
        except services.RisksNotAcknowledged:
            problems.append(
                _("Read the warnings below and confirm that the summary cannot identify the person.")
            )
        else:
            messages.success(request, _("Your consultation has been received."))
            return redirect("helpdesk:consultation_detail", consultation_id=consultation.pk)
    context = {
        "form": form,
        "reviews": [
            (name, form[name].label, reviews[name]) for name in TEXT_FIELDS if form.cleaned_data[name]
        ],
        "risks": [risk for review in reviews.values() for risk in review.risks],
        "problems": problems,
        "labels": [(code, intake.LABEL_NAMES[code]) for code in intake.MANUAL_LABELS],
    }
    return render(request, "helpdesk/consultation_preview.html", context, status=400 if problems else 200)


@require_POST
def message_check_view(request: HttpRequest, consultation_id: int) -> JsonResponse:
    """The composer's warning: does this chat message look like it holds an identifier?"""
    actor = _actor(request)
    if selectors.chat_role_for(actor=actor, consultation_id=consultation_id) is None:
        raise Http404
    text = request.POST.get("text", "")[:4000]
    found = [
        {"label": span.label, "label_name": intake.LABEL_NAMES.get(span.label, span.label)}
        for span in deid.detect(text)
    ]
    return JsonResponse({"found": found})
