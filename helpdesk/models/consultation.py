from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Profession
from helpdesk.choices import (
    AgeBand,
    Agency,
    Category,
    Gender,
    Household,
    Priority,
    ResponderType,
    Status,
    Subtype,
    WithdrawalDuration,
)

SUMMARY_MAX_LENGTH = 4000
QUESTION_MAX_LENGTH = 1000


def validate_agencies(values: object) -> None:
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ValidationError(_("Agencies must be a list of codes."))
    unknown = sorted(set(values) - set(Agency.values))
    if unknown:
        raise ValidationError(_("Unknown agency: %(codes)s"), params={"codes": ", ".join(unknown)})


class Consultation(models.Model):
    """A worker's request for help. Its texts are stored only after de-identification."""

    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="consultations",
        verbose_name=_("worker"),
    )
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    subtype = models.CharField(_("subtype"), max_length=32, choices=Subtype.choices, blank=True)
    worker_urgency = models.CharField(
        _("worker's sense of urgency"), max_length=10, choices=Priority.choices, default=Priority.NORMAL
    )
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.RECEIVED)
    requested_responder = models.CharField(
        _("requested responder"), max_length=10, choices=ResponderType.choices, default=ResponderType.EITHER
    )
    requested_profession = models.CharField(
        _("requested profession"), max_length=32, choices=Profession.choices, blank=True
    )
    pseudonymous = models.BooleanField(_("stay pseudonymous toward responders"), default=True)

    age_band = models.CharField(
        _("age band"), max_length=10, choices=AgeBand.choices, default=AgeBand.UNKNOWN
    )
    gender = models.CharField(_("gender"), max_length=10, choices=Gender.choices, default=Gender.UNKNOWN)
    withdrawal_duration = models.CharField(
        _("duration of withdrawal"),
        max_length=10,
        choices=WithdrawalDuration.choices,
        default=WithdrawalDuration.UNKNOWN,
    )
    household = models.CharField(
        _("household"), max_length=10, choices=Household.choices, default=Household.UNKNOWN
    )
    agencies = models.JSONField(
        _("agencies involved"), default=list, blank=True, validators=[validate_agencies]
    )

    # De-identified texts only (the raw text never reaches the database).
    summary = models.TextField(_("case summary (de-identified)"), max_length=SUMMARY_MAX_LENGTH, blank=True)
    question = models.TextField(_("what you want help with"), max_length=QUESTION_MAX_LENGTH)
    deid_replacements = models.PositiveIntegerField(_("replaced identifiers"), default=0)
    deid_kept = models.PositiveIntegerField(_("detections marked not personal"), default=0)
    risk_flags = models.JSONField(_("re-identification warnings acknowledged"), default=list, blank=True)
    triage_reasons = models.JSONField(_("triage reasons"), default=list, blank=True)

    queue = models.ForeignKey(
        "helpdesk.Queue", null=True, blank=True, on_delete=models.PROTECT, related_name="consultations"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_consultations",
        verbose_name=_("assignee"),
    )
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    waiting_since = models.DateTimeField(null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(default=0)

    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("consultation")
        verbose_name_plural = _("consultations")
        indexes = [
            models.Index(fields=["status", "priority", "created_at"]),
            models.Index(fields=["queue", "status"]),
            models.Index(fields=["assignee", "status"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(category=Category.HARD_CASE) | ~models.Q(subtype=""),
                name="hard_case_has_subtype",
            ),
        ]

    def __str__(self) -> str:
        return f"相談 #{self.pk}"

    @property
    def reference(self) -> str:
        return f"#{self.pk:06d}" if self.pk else "#"
