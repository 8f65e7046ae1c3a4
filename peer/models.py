"""Responder profiles, weekly shifts, training records, queue gates and burnout self-checks."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class TrainingLevel(models.TextChoices):
    NOVICE = "novice", _("Novice")
    INTERMEDIATE = "intermediate", _("Intermediate")
    LEADER = "leader", _("Leader")


TRAINING_ORDER = {TrainingLevel.NOVICE: 0, TrainingLevel.INTERMEDIATE: 1, TrainingLevel.LEADER: 2}


def levels_up_to(level: str) -> list[str]:
    """Every training level at or below `level` (what a queue gate set to one of them admits)."""
    rank = TRAINING_ORDER[TrainingLevel(level)]
    return [lvl.value for lvl, r in TRAINING_ORDER.items() if r <= rank]


class Language(models.TextChoices):
    """Languages a responder can hold a consultation in (ISO 639 codes)."""

    JAPANESE = "ja", _("Japanese")
    JAPANESE_SIGN = "jsl", _("Japanese Sign Language")
    ENGLISH = "en", _("English")
    CHINESE = "zh", _("Chinese")
    KOREAN = "ko", _("Korean")
    PORTUGUESE = "pt", _("Portuguese")
    SPANISH = "es", _("Spanish")
    VIETNAMESE = "vi", _("Vietnamese")
    TAGALOG = "tl", _("Tagalog")
    NEPALI = "ne", _("Nepali")
    INDONESIAN = "id", _("Indonesian")


def validate_languages(values: Any) -> None:
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ValidationError(_("Languages must be a list of codes."))
    unknown = sorted(set(values) - set(Language.values))
    if unknown:
        raise ValidationError(_("Unknown language: %(codes)s"), params={"codes": ", ".join(unknown)})


class ResponderProfile(models.Model):
    """Availability and capacity of a peer supporter, expert or supervisor.

    Professions, specialties and organisation live on the account (accounts.User) because routing
    and conflict-of-interest rules read them there.
    """

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
    languages = models.JSONField(_("languages"), default=list, blank=True, validators=[validate_languages])
    heavy_weekly_cap = models.PositiveSmallIntegerField(
        _("heavy cases per week"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(50)],
        help_text=_("Empty: the service default."),
    )
    last_active_at = models.DateTimeField(_("last active"), null=True, blank=True)

    class Meta:
        verbose_name = _("responder profile")
        verbose_name_plural = _("responder profiles")

    def __str__(self) -> str:
        return f"{self.user} ({'on duty' if self.on_duty else 'away'})"


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class ShiftSlot(models.Model):
    """One weekly shift on the Asia/Tokyo clock. An end before the start runs past midnight."""

    profile = models.ForeignKey(
        ResponderProfile, on_delete=models.CASCADE, related_name="shifts", verbose_name=_("profile")
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    start = models.TimeField(_("start"))
    end = models.TimeField(_("end"))

    class Meta:
        ordering = ["weekday", "start"]
        verbose_name = _("shift")
        verbose_name_plural = _("shifts")
        constraints = [
            models.CheckConstraint(condition=~models.Q(start=models.F("end")), name="shift_not_empty"),
            models.CheckConstraint(condition=models.Q(weekday__lte=6), name="shift_weekday_valid"),
            models.UniqueConstraint(fields=["profile", "weekday", "start"], name="one_shift_per_start"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start:%H:%M}-{self.end:%H:%M}"


class TrainingRecord(models.Model):
    """A completed course: the level it confers, when, and who recorded it (admin or supervisor)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="training_records",
        verbose_name=_("responder"),
    )
    level = models.CharField(_("training level"), max_length=16, choices=TrainingLevel.choices)
    completed_on = models.DateField(_("completed on"))
    course = models.CharField(_("course"), max_length=200)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now)

    class Meta:
        ordering = ["-completed_on", "-id"]
        verbose_name = _("training record")
        verbose_name_plural = _("training records")

    def __str__(self) -> str:
        return f"{self.user}: {self.get_level_display()} ({self.completed_on:%Y-%m-%d})"


class QueueGate(models.Model):
    """Peers at or above a training level may also take work from a queue of another kind.

    Keyed by the queue's slug because peer never imports helpdesk. The gate on the 緊急 lane
    (slug "urgent") also decides which peers may see urgent consultations in peer queues.
    """

    queue_slug = models.SlugField(_("queue slug"), max_length=64, unique=True)
    min_training_level = models.CharField(
        _("minimum training level"), max_length=16, choices=TrainingLevel.choices
    )

    class Meta:
        ordering = ["queue_slug"]
        verbose_name = _("queue gate for peers")
        verbose_name_plural = _("queue gates for peers")

    def __str__(self) -> str:
        return f"{self.queue_slug} ≥ {self.min_training_level}"


class SelfCheck(models.Model):
    """One burnout self-check (CBI personal and work-related scales). Only its owner sees it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="self_checks", verbose_name=_("user")
    )
    # Snapshots for the suppressed aggregates: people move between organisations.
    organisation = models.ForeignKey(
        "accounts.Organisation", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    prefecture = models.CharField(max_length=2)
    taken_at = models.DateTimeField(_("taken"), default=timezone.now)
    answers = models.JSONField(default=dict)  # item code -> points before reversal (0/25/50/75/100)
    personal_score = models.FloatField(_("personal burnout"), null=True)
    work_score = models.FloatField(_("work-related burnout"), null=True)

    class Meta:
        ordering = ["taken_at", "id"]
        verbose_name = _("self-check")
        verbose_name_plural = _("self-checks")
        indexes = [
            models.Index(fields=["user", "taken_at"]),
            models.Index(fields=["prefecture", "taken_at"]),
            models.Index(fields=["organisation", "taken_at"]),
        ]

    def __str__(self) -> str:
        return f"self-check {self.pk}"


class Circle(models.Model):
    """ピア・サークル: a group room where supporters share with each other, moderated by a peer."""

    name = models.CharField(_("name"), max_length=100)
    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("moderator")
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("peer circle")
        verbose_name_plural = _("peer circles")

    def __str__(self) -> str:
        return self.name


class CircleMembership(models.Model):
    circle = models.ForeignKey(Circle, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="circle_memberships"
    )
    joined_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["circle", "user"], name="one_membership_per_circle")]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.circle_id}"
