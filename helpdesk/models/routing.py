"""Queues and routing rules (data, edited by admins), the event history, notes and transfers."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Profession, Specialty
from helpdesk.choices import Category, Priority, ResponderType, Status, Subtype
from peer.models import TrainingLevel


class QueueKind(models.TextChoices):
    PEER = "peer", _("Peer supporters")
    EXPERT = "expert", _("Experts")
    SUPERVISOR = "supervisor", _("Supervisors")


class Queue(models.Model):
    slug = models.SlugField(_("slug"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=QueueKind.choices)
    specialty = models.CharField(_("specialty"), max_length=32, choices=Specialty.choices, blank=True)
    min_training_level = models.CharField(
        _("minimum training level for peers"),
        max_length=16,
        choices=TrainingLevel.choices,
        default=TrainingLevel.NOVICE,
    )
    escalates_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("escalates to")
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("queue")
        verbose_name_plural = _("queues")

    def __str__(self) -> str:
        return self.name


class RoutingRule(models.Model):
    """The first active rule (by order) whose conditions all match decides queue and minimum priority."""

    order = models.PositiveIntegerField(_("order"), default=100)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices, blank=True)
    subtype = models.CharField(_("subtype"), max_length=32, choices=Subtype.choices, blank=True)
    requested_responder = models.CharField(
        _("requested responder"), max_length=10, choices=ResponderType.choices, blank=True
    )
    requested_profession = models.CharField(
        _("requested profession"), max_length=32, choices=Profession.choices, blank=True
    )
    urgent_only = models.BooleanField(_("only for urgent consultations"), default=False)
    queue = models.ForeignKey(Queue, on_delete=models.PROTECT, related_name="rules", verbose_name=_("queue"))
    min_priority = models.CharField(
        _("minimum priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")

    def __str__(self) -> str:
        return f"#{self.order} → {self.queue}"


class EventKind(models.TextChoices):
    CREATED = "created", _("Filed")
    ROUTED = "routed", _("Routed")
    CLAIMED = "claimed", _("Claimed")
    RELEASED = "released", _("Returned to the queue")
    STATUS = "status", _("Status changed")
    ESCALATED = "escalated", _("Escalated")
    TRANSFER_REQUESTED = "transfer_requested", _("Transfer requested")
    TRANSFER_ACCEPTED = "transfer_accepted", _("Transfer accepted")
    TRANSFER_DECLINED = "transfer_declined", _("Transfer declined")
    SLA_WARNING = "sla_warning", _("Response target nearly reached")
    SLA_BREACH = "sla_breach", _("Response target missed")
    CONFERENCE = "conference", _("Expert invited to a case conference")
    TRIAGE_CORRECTED = "triage_corrected", _("Priority corrected by a supervisor")


class ConsultationEvent(models.Model):
    """Every transition: who, when, from which state to which, and why."""

    consultation = models.ForeignKey(
        "helpdesk.Consultation",
        on_delete=models.CASCADE,
        related_name="events",
        verbose_name=_("consultation"),
    )
    kind = models.CharField(_("kind"), max_length=24, choices=EventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_status = models.CharField(max_length=16, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=16, choices=Status.choices, blank=True)
    queue = models.ForeignKey(Queue, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    target = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.consultation_id}: {self.kind}"


class PrivateNote(models.Model):
    """内部メモ: visible to responders and supervisors, never to the worker."""

    consultation = models.ForeignKey(
        "helpdesk.Consultation",
        on_delete=models.CASCADE,
        related_name="notes",
        verbose_name=_("consultation"),
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("note"), max_length=2000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"note {self.pk} on {self.consultation_id}"


class TransferState(models.TextChoices):
    PENDING = "pending", _("Pending")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")


class Transfer(models.Model):
    """A handover (transfer or escalation) that the target accepts or declines."""

    consultation = models.ForeignKey(
        "helpdesk.Consultation",
        on_delete=models.CASCADE,
        related_name="transfers",
        verbose_name=_("consultation"),
    )
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    to_queue = models.ForeignKey(Queue, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    is_escalation = models.BooleanField(default=False)
    reason = models.CharField(_("reason"), max_length=500)
    state = models.CharField(max_length=10, choices=TransferState.choices, default=TransferState.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["consultation"], condition=models.Q(state="pending"), name="one_pending_transfer"
            ),
            models.CheckConstraint(
                condition=models.Q(to_queue__isnull=False) | models.Q(to_user__isnull=False),
                name="transfer_has_target",
            ),
        ]

    def __str__(self) -> str:
        return f"transfer {self.pk} of {self.consultation_id}"


class ConferenceInvite(models.Model):
    """ケース会議: an expert invited into a consultation's chat until the invitation expires."""

    consultation = models.ForeignKey(
        "helpdesk.Consultation", on_delete=models.CASCADE, related_name="conference_invites"
    )
    invitee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"conference {self.consultation_id} → {self.invitee_id}"
