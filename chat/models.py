from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

BODY_MAX_LENGTH = 4000


class Thread(models.Model):
    """The message counter of one consultation: `last_seq` makes sequence numbers gap-free."""

    consultation = models.OneToOneField(
        "helpdesk.Consultation", on_delete=models.CASCADE, primary_key=True, related_name="thread"
    )
    last_seq = models.PositiveIntegerField(default=0)
    last_whisper_seq = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"thread {self.pk} at {self.last_seq}"


class MessageKind(models.TextChoices):
    MESSAGE = "message", _("Message")
    WHISPER = "whisper", _("Whisper to the responder")


class Message(models.Model):
    consultation = models.ForeignKey(
        "helpdesk.Consultation",
        on_delete=models.CASCADE,
        related_name="messages",
        verbose_name=_("consultation"),
    )
    seq = models.PositiveIntegerField()
    client_id = models.UUIDField(default=uuid.uuid4)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=MessageKind.choices, default=MessageKind.MESSAGE)
    body = models.TextField(max_length=BODY_MAX_LENGTH)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["consultation", "kind", "seq"]
        constraints = [
            # Messages and whispers count separately, so the worker's sequence has no holes.
            models.UniqueConstraint(fields=["consultation", "kind", "seq"], name="message_seq_unique"),
            models.UniqueConstraint(fields=["consultation", "client_id"], name="message_client_id_unique"),
        ]

    def __str__(self) -> str:
        return f"message {self.consultation_id}#{self.seq}"


class ReadMark(models.Model):
    consultation = models.ForeignKey("helpdesk.Consultation", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    seq = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["consultation", "user"], name="one_read_mark")]

    def __str__(self) -> str:
        return f"read {self.consultation_id}#{self.seq} by {self.user_id}"


class CircleThread(models.Model):
    """The message counter of one peer circle (same guarantee as a consultation's Thread)."""

    circle = models.OneToOneField(
        "peer.Circle", on_delete=models.CASCADE, primary_key=True, related_name="thread"
    )
    last_seq = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"circle thread {self.pk} at {self.last_seq}"


class CircleMessage(models.Model):
    circle = models.ForeignKey("peer.Circle", on_delete=models.CASCADE, related_name="messages")
    seq = models.PositiveIntegerField()
    client_id = models.UUIDField(default=uuid.uuid4)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(max_length=BODY_MAX_LENGTH)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["circle", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["circle", "seq"], name="circle_message_seq_unique"),
            models.UniqueConstraint(fields=["circle", "client_id"], name="circle_message_client_id_unique"),
        ]

    def __str__(self) -> str:
        return f"circle message {self.circle_id}#{self.seq}"
