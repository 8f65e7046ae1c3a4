from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class TrainingLevel(models.TextChoices):
    NOVICE = "novice", _("Novice")
    INTERMEDIATE = "intermediate", _("Intermediate")
    LEADER = "leader", _("Leader")


TRAINING_ORDER = {TrainingLevel.NOVICE: 0, TrainingLevel.INTERMEDIATE: 1, TrainingLevel.LEADER: 2}


class ResponderProfile(models.Model):
    """Availability and capacity of a peer supporter, expert or supervisor."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="responder_profile",
        verbose_name=_("user"),
    )
    on_duty = models.BooleanField(_("on duty"), default=False)
    capacity = models.PositiveSmallIntegerField(
        _("capacity (concurrent consultations)"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(20)],
    )
    training_level = models.CharField(
        _("training level"), max_length=16, choices=TrainingLevel.choices, default=TrainingLevel.NOVICE
    )
    status_changed_at = models.DateTimeField(_("status changed"), default=timezone.now)

    class Meta:
        verbose_name = _("responder profile")
        verbose_name_plural = _("responder profiles")

    def __str__(self) -> str:
        return f"{self.user} ({'on duty' if self.on_duty else 'away'})"
