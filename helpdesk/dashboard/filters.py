"""The history period and filters: one form for the page, the CSV export and `metrics_for`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import OrganisationType
from accounts.prefectures import PREFECTURES
from helpdesk.choices import Category, Priority
from helpdesk.dashboard.scope import Scope
from helpdesk.models import Queue

MAX_DAYS = 366
PERIODS = [
    ("today", _("Today")),
    ("7", _("7 days")),
    ("30", _("30 days")),
    ("90", _("90 days")),
    ("custom", _("Custom")),
]
FILTER_NAMES = ("period", "start", "end", "queue", "priority", "category", "org_type", "prefecture")


@dataclass(frozen=True)
class HistoryFilters:
    """A half-open window [start, end) of local days, and optional filters on the consultations."""

    period: str
    first_day: date
    last_day: date
    queue_id: int | None = None
    queue_slug: str = ""
    priority: str = ""
    category: str = ""
    org_type: str = ""
    prefecture: str = ""

    @property
    def start(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.first_day, time.min))

    @property
    def end(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.last_day + timedelta(days=1), time.min))

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    def consultations(self, prefix: str = "") -> Q:
        """The cohort: consultations filed in the window that match the filters."""
        q = Q(**{f"{prefix}created_at__gte": self.start, f"{prefix}created_at__lt": self.end})
        if self.queue_id is not None:
            q &= Q(**{f"{prefix}queue_id": self.queue_id})
        if self.priority:
            q &= Q(**{f"{prefix}priority": self.priority})
        if self.category:
            q &= Q(**{f"{prefix}category": self.category})
        if self.org_type:
            q &= Q(**{f"{prefix}worker__organisation__org_type": self.org_type})
        if self.prefecture:
            q &= Q(**{f"{prefix}worker__organisation__prefecture": self.prefecture})
        return q

    def as_params(self) -> dict[str, str]:
        params = {"period": self.period}
        if self.period == "custom":
            params |= {"start": self.first_day.isoformat(), "end": self.last_day.isoformat()}
        optional = {
            "queue": self.queue_slug,
            "priority": self.priority,
            "category": self.category,
            "org_type": self.org_type,
            "prefecture": self.prefecture,
        }
        return params | {k: v for k, v in optional.items() if v}

    def querystring(self) -> str:
        return urlencode(self.as_params())

    def as_dict(self) -> dict[str, Any]:
        return {
            "period": self.period,
            "start": self.first_day.isoformat(),
            "end": self.last_day.isoformat(),
            "queue": self.queue_slug or None,
            "priority": self.priority or None,
            "category": self.category or None,
            "org_type": self.org_type or None,
            "prefecture": self.prefecture or None,
        }


def _blank(choices: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    return [("", _("All")), *choices]


class HistoryFilterForm(forms.Form):
    period = forms.ChoiceField(label=_("Period"), choices=PERIODS, required=False)
    start = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    queue = forms.ChoiceField(label=_("Queue"), required=False)
    priority = forms.ChoiceField(label=_("Priority"), choices=_blank(Priority.choices), required=False)
    category = forms.ChoiceField(label=_("Category"), choices=_blank(Category.choices), required=False)
    org_type = forms.ChoiceField(
        label=_("Organisation type"), choices=_blank(OrganisationType.choices), required=False
    )
    prefecture = forms.ChoiceField(label=_("Prefecture"), required=False)

    def __init__(self, data: Any = None, *, scope: Scope, queues: list[Queue]) -> None:
        super().__init__(data)
        self.queues = {q.slug: q for q in queues}
        self.fields["queue"].choices = _blank([(q.slug, q.name) for q in queues])  # type: ignore[attr-defined]
        prefectures = PREFECTURES if scope.national else [p for p in PREFECTURES if p[0] == scope.prefecture]
        self.fields["prefecture"].choices = _blank(list(prefectures))  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("period") == "custom":
            start, end = data.get("start"), data.get("end")
            if not start or not end:
                raise forms.ValidationError(_("Choose both dates."), code="dates_required")
            if end < start:
                raise forms.ValidationError(_("The end is before the start."), code="dates_order")
            if (end - start).days + 1 > MAX_DAYS:
                raise forms.ValidationError(_("At most 366 days."), code="too_long")
        return data

    def filters(self, *, today: date | None = None) -> HistoryFilters:
        """The validated filters (call after is_valid())."""
        data = self.cleaned_data
        today = today or timezone.localdate()
        period = data.get("period") or "30"
        if period == "custom":
            first, last = data["start"], data["end"]
        elif period == "today":
            first, last = today, today
        else:
            first, last = today - timedelta(days=int(period) - 1), today
        queue = self.queues.get(data.get("queue") or "")
        return HistoryFilters(
            period=period,
            first_day=first,
            last_day=last,
            queue_id=queue.pk if queue else None,
            queue_slug=queue.slug if queue else "",
            priority=data.get("priority") or "",
            category=data.get("category") or "",
            org_type=data.get("org_type") or "",
            prefecture=data.get("prefecture") or "",
        )
