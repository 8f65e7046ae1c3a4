"""Care for the carers: debrief requests, the worker's feedback, the responder's reflection, follow-ups."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

NOTE_MAX_LENGTH = 500
COMMENT_MAX_LENGTH = 1000


class DebriefState(models.TextChoices):
    OPEN = "open", _("Open")
    TAKEN = "taken", _("Taken")
    CLOSED = "closed", _("Closed")


class DebriefRequest(models.Model):
    """A responder asks a supervisor for a debrief after a heavy case. Supervisors only; no case text."""

    consultation = models.ForeignKey(
        "helpdesk.Consultation", on_delete=models.CASCADE, related_name="+", verbose_name=_("consultation")
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("requested by")
    )
    note = models.CharField(_("note"), max_length=NOTE_MAX_LENGTH, blank=True)
    state = models.CharField(
        _("state"), max_length=8, choices=DebriefState.choices, default=DebriefState.OPEN
    )
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("requested"), default=timezone.now)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("debrief request")
        verbose_name_plural = _("debrief requests")
        constraints = [
            models.UniqueConstraint(fields=["consultation", "requested_by"], name="one_debrief_per_case"),
        ]

    def __str__(self) -> str:
        return f"debrief {self.pk} ({self.state})"


class Feedback(models.Model):
    """How helpful the consultation was, from the worker. Reported as averages per queue only."""

    consultation = models.OneToOneField(
        "helpdesk.Consultation", on_delete=models.CASCADE, related_name="feedback"
    )
    helpfulness = models.PositiveSmallIntegerField(
        _("how helpful was it?"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    comment = models.TextField(_("comment"), max_length=COMMENT_MAX_LENGTH, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("feedback")
        verbose_name_plural = _("feedback")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(helpfulness__gte=1, helpfulness__lte=5), name="helpfulness_1_to_5"
            ),
        ]

    def __str__(self) -> str:
        return f"feedback on {self.consultation_id}"


class Reflection(models.Model):
    """The responder's short reflection after resolving; seen by its author and supervisors."""

    consultation = models.ForeignKey("helpdesk.Consultation", on_delete=models.CASCADE, related_name="+")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    body = models.TextField(_("reflection"), max_length=COMMENT_MAX_LENGTH)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("reflection")
        verbose_name_plural = _("reflections")
        constraints = [
            models.UniqueConstraint(fields=["consultation", "author"], name="one_reflection_per_case"),
        ]

    def __str__(self) -> str:
        return f"reflection on {self.consultation_id}"


class FollowUpOutcome(models.TextChoices):
    BETTER = "better", _("Better")
    SAME = "same", _("About the same")
    WORSE = "worse", _("Worse")


class FollowUp(models.Model):
    """その後どうなりましたか: the worker's answer two to four weeks after resolution."""

    consultation = models.OneToOneField(
        "helpdesk.Consultation", on_delete=models.CASCADE, related_name="follow_up"
    )
    outcome = models.CharField(_("how are things now?"), max_length=8, choices=FollowUpOutcome.choices)
    answer = models.TextField(_("what happened since"), max_length=COMMENT_MAX_LENGTH, blank=True)
    answered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")

    def __str__(self) -> str:
        return f"follow-up on {self.consultation_id}"
