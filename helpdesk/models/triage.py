"""Supervisors' corrections of triage decisions: labelled examples for improving the lexicons."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from helpdesk.choices import Priority


class TriageCorrection(models.Model):
    consultation = models.ForeignKey(
        "helpdesk.Consultation", on_delete=models.CASCADE, related_name="triage_corrections"
    )
    corrected_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    original_level = models.CharField(_("level decided"), max_length=10, choices=Priority.choices)
    corrected_level = models.CharField(_("correct level"), max_length=10, choices=Priority.choices)
    reason = models.CharField(_("reason"), max_length=500)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("triage correction")
        verbose_name_plural = _("triage corrections")

    def __str__(self) -> str:
        return f"{self.consultation_id}: {self.original_level} → {self.corrected_level}"
