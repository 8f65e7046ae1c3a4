"""Responder availability, training records and the burnout self-check (thin adapters)."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from accounts.models import Role, User
from peer import chart, inventory, selectors, services
from peer.forms import LanguagesForm, SelfCheckForm, ShiftFormSet, TrainingRecordForm

CONSULT_ABOUT_BURNOUT = "/consultations/new/?category=burnout"


def _actor(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # the two-factor middleware lets only verified accounts through
    return user


def _responder(request: HttpRequest) -> User:
    actor = _actor(request)
    if actor.role not in services.RESPONDER_ROLES:
        raise PermissionDenied
    return actor


@never_cache
def availability_view(request: HttpRequest) -> HttpResponse:
    actor = _responder(request)
    services.activity_seen(actor)
    profile = services.profile_for(user=actor)
    initial = [{"weekday": s.weekday, "start": s.start, "end": s.end} for s in profile.shifts.all()]
    shifts = ShiftFormSet(initial=initial, prefix="shift")
    languages = LanguagesForm(initial={"languages": profile.languages})
    part = request.POST.get("part")
    if request.method == "POST" and part == "duty":
        services.duty_set(actor=actor, on_duty=request.POST.get("on_duty") == "1")
        return redirect("peer:availability")
    if request.method == "POST" and part == "shifts":
        shifts = ShiftFormSet(request.POST, initial=initial, prefix="shift")
        if shifts.is_valid():
            kept = [
                f.cleaned_data for f in shifts.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")
            ]
            try:
                services.shifts_set(
                    actor=actor, shifts=[services.Shift(d["weekday"], d["start"], d["end"]) for d in kept]
                )
            except ValidationError:
                messages.error(request, _("Two shifts start at the same time on the same day."))
            else:
                messages.success(request, _("Your shifts have been saved."))
                return redirect("peer:availability")
    if request.method == "POST" and part == "languages":
        languages = LanguagesForm(request.POST)
        if languages.is_valid():
            services.languages_set(actor=actor, languages=languages.cleaned_data["languages"])
            messages.success(request, _("Your languages have been saved."))
            return redirect("peer:availability")
    context = {
        "profile": profile,
        "state": selectors.duty_state_for(actor, timezone.now()),
        "shifts": shifts,
        "languages": languages,
        "records": selectors.training_records_for(actor=actor, responder=actor),
    }
    return render(request, "peer/availability.html", context)


def training_list_view(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    if actor.role not in (Role.ADMIN, Role.SUPERVISOR):
        raise PermissionDenied
    responders = selectors.responders_for_training(actor=actor)[:500]
    return render(request, "peer/training_list.html", {"responders": responders})


@never_cache
def training_view(request: HttpRequest, user_id: int) -> HttpResponse:
    actor = _actor(request)
    responder = selectors.responders_for_training(actor=actor).filter(pk=user_id).first()
    if responder is None:
        raise Http404
    form = TrainingRecordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.training_record(actor=actor, responder=responder, **form.cleaned_data)
        except ValidationError as invalid:
            form.add_error(None, invalid)
        else:
            messages.success(request, _("The training record has been saved."))
            return redirect("peer:training", user_id=responder.pk)
    context = {
        "responder": responder,
        "form": form,
        "records": selectors.training_records_for(actor=actor, responder=responder),
    }
    return render(request, "peer/training.html", context, status=400 if form.errors else 200)


@never_cache
def selfcheck_view(request: HttpRequest) -> HttpResponse:
    """Take the self-check and see one's own trend. Results are never shown to anyone else."""
    actor = _actor(request)
    form = SelfCheckForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.selfcheck_submit(actor=actor, answers=form.cleaned_data)
        return redirect("peer:selfcheck")
    checks = selectors.selfcheck_list_for(actor=actor)
    latest = checks[-1] if checks else None
    high = latest is not None and inventory.Scores(latest.personal_score, latest.work_score).high
    context = {
        "form": form,
        "checks": checks,
        "latest": latest,
        "high": high,
        "chart": chart.trend_chart(checks) if checks else None,
        "consult_url": CONSULT_ABOUT_BURNOUT,
        "threshold": int(inventory.HIGH_SCORE),
    }
    return render(request, "peer/selfcheck.html", context, status=400 if form.errors else 200)


def selfcheck_overview_view(request: HttpRequest) -> HttpResponse:
    """Supervisors: monthly means per scale, cells under the minimum size suppressed."""
    actor = _actor(request)
    scopes = selectors.scopes_for(actor)
    if not scopes:
        raise PermissionDenied
    scope = request.GET.get("scope", scopes[0])
    if scope not in scopes:
        scope = scopes[0]
    since = (timezone.localtime() - timedelta(days=366)).replace(
        day=1, hour=0, minute=0, second=0, microsecond=0
    )
    context = {
        "scope": scope,
        "scopes": scopes,
        "cells": selectors.selfcheck_aggregates_for(actor=actor, scope=scope, since=since),
        "min_cell": selectors.min_cell_size(),
    }
    return render(request, "peer/selfcheck_overview.html", context)
