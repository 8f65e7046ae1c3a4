from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from peer import inventory
from peer.models import Language, TrainingLevel, Weekday


class ShiftForm(forms.Form):
    weekday = forms.TypedChoiceField(label=_("Day"), choices=Weekday.choices, coerce=int)
    start = forms.TimeField(label=_("From"), widget=forms.TimeInput(attrs={"type": "time"}))
    end = forms.TimeField(
        label=_("To"),
        widget=forms.TimeInput(attrs={"type": "time"}),
        help_text=_("Earlier than the start: the shift runs past midnight."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("start") is not None and data.get("start") == data.get("end"):
            raise forms.ValidationError(_("A shift cannot start and end at the same time."))
        return data


ShiftFormSet = forms.formset_factory(ShiftForm, extra=2, can_delete=True, max_num=28, validate_max=True)


class LanguagesForm(forms.Form):
    languages = forms.MultipleChoiceField(
        label=_("Languages"), choices=Language.choices, required=False, widget=forms.CheckboxSelectMultiple
    )


class TrainingRecordForm(forms.Form):
    level = forms.ChoiceField(label=_("Training level"), choices=TrainingLevel.choices)
    completed_on = forms.DateField(label=_("Completed on"), widget=forms.DateInput(attrs={"type": "date"}))
    course = forms.CharField(label=_("Course"), max_length=200)


class SelfCheckForm(forms.Form):
    """One optional radio group per CBI item; a scale needs half of its items answered."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for item in inventory.ITEMS.values():
            self.fields[item.code] = forms.TypedChoiceField(
                label=item.text,
                choices=item.options,
                coerce=int,
                empty_value=None,
                required=False,
                widget=forms.RadioSelect,
            )

    def scale_fields(self) -> list[tuple[str, list[forms.BoundField]]]:
        titles = {"personal": _("Personal burnout"), "work": _("Work-related burnout")}
        return [
            (str(titles[name]), [self[item.code] for item in items])
            for name, items in inventory.SCALES.items()
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        scores = inventory.score({k: v for k, v in data.items() if v is not None})
        if scores.personal is None and scores.work is None:
            raise forms.ValidationError(_("Answer at least half of the questions in one part."))
        return data
