from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Profession
from accounts.text import clean_text
from helpdesk.choices import (
    AgeBand,
    Agency,
    Category,
    Gender,
    Household,
    Priority,
    ResponderType,
    Subtype,
    WithdrawalDuration,
)
from helpdesk.models import QUESTION_MAX_LENGTH, SUMMARY_MAX_LENGTH


class TypedTextField(forms.CharField):
    """A text as it will be stored (accounts.text): a text of only invisible characters counts as empty."""

    def to_python(self, value: Any) -> str | None:
        return super().to_python(clean_text(value) if isinstance(value, str) else value)


class ConsultationForm(forms.Form):
    """What the worker types. The two free texts are raw here and are never stored as typed."""

    category = forms.ChoiceField(label=_("Category"), choices=Category.choices, widget=forms.RadioSelect)
    subtype = forms.ChoiceField(
        label=_("Kind of hard case"), choices=[("", "—"), *Subtype.choices], required=False
    )
    worker_urgency = forms.ChoiceField(
        label=_("How urgent is it for you?"), choices=Priority.choices, initial=Priority.NORMAL
    )
    question = TypedTextField(
        label=_("What do you want help with?"),
        max_length=QUESTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    requested_responder = forms.ChoiceField(
        label=_("Whom would you like to talk to?"),
        choices=ResponderType.choices,
        initial=ResponderType.EITHER,
    )
    requested_profession = forms.ChoiceField(
        label=_("Profession (optional)"), choices=[("", "—"), *Profession.choices], required=False
    )
    pseudonymous = forms.BooleanField(
        label=_("Stay pseudonymous toward responders (they see neither your name nor your organisation)"),
        required=False,
        initial=True,
    )
    age_band = forms.ChoiceField(label=_("Age band"), choices=AgeBand.choices, initial=AgeBand.UNKNOWN)
    gender = forms.ChoiceField(label=_("Gender"), choices=Gender.choices, initial=Gender.UNKNOWN)
    withdrawal_duration = forms.ChoiceField(
        label=_("Duration of withdrawal"),
        choices=WithdrawalDuration.choices,
        initial=WithdrawalDuration.UNKNOWN,
    )
    household = forms.ChoiceField(label=_("Household"), choices=Household.choices, initial=Household.UNKNOWN)
    agencies = forms.MultipleChoiceField(
        label=_("Agencies already involved"),
        choices=Agency.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    summary = TypedTextField(
        label=_("Case summary"),
        max_length=SUMMARY_MAX_LENGTH,
        required=False,
        strip=True,
        help_text=_(
            "Names, places, organisations, contact details, numbers, dates and exact ages are replaced "
            "before anything is stored. You will check the result on the next screen."
        ),
        widget=forms.Textarea(attrs={"rows": 8}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("category") == Category.HARD_CASE and not data.get("subtype"):
            self.add_error("subtype", _("Choose the kind of hard case."))
        if data.get("category") != Category.HARD_CASE:
            data["subtype"] = ""
        return data
