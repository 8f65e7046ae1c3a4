"""Response targets (応答目標) per priority and the running timers of each consultation."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from helpdesk.choices import Priority


class SLAPolicy(models.Model):
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, unique=True)
    first_response_minutes = models.PositiveIntegerField(_("first response (minutes)"))
    next_response_minutes = models.PositiveIntegerField(_("next response (minutes)"))
    resolution_minutes = models.PositiveIntegerField(_("resolution (minutes)"))
    return_minutes = models.PositiveIntegerField(
        _("return a claimed consultation unanswered after (minutes)"), default=60
    )
    warn_ratio = models.FloatField(_("warn at this share of the target"), default=0.75)
    business_hours = models.BooleanField(_("count business hours only"), default=True)

    class Meta:
        verbose_name = _("response target")
        verbose_name_plural = _("response targets")

    def __str__(self) -> str:
        return f"{self.get_priority_display()}"


class TimerKind(models.TextChoices):
    FIRST_RESPONSE = "first_response", _("First response")
    NEXT_RESPONSE = "next_response", _("Next response")
    RESOLUTION = "resolution", _("Resolution")
    RETURN = "return", _("Return to queue")


class SLATimer(models.Model):
    """One running target. The SLA worker warns and breaches each timer exactly once."""

    consultation = models.ForeignKey(
        "helpdesk.Consultation",
        on_delete=models.CASCADE,
        related_name="timers",
        verbose_name=_("consultation"),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=TimerKind.choices)
    started_at = models.DateTimeField()
    warn_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(db_index=True)
    warned_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    remaining_seconds = models.FloatField(null=True, blank=True)  # business time left when paused
    warn_remaining_seconds = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["due_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["consultation", "kind"],
                condition=models.Q(stopped_at__isnull=True),
                name="one_running_timer_per_kind",
            ),
        ]
        indexes = [models.Index(fields=["stopped_at", "paused_at", "due_at"])]

    def __str__(self) -> str:
        return f"{self.kind} of {self.consultation_id} due {self.due_at:%Y-%m-%d %H:%M}"
