"""Acknowledgements (who answered whom, how) and the audit log of every inbox action."""

from django.conf import settings
from django.db import models

from apps.listening.models import Mention


class Acknowledgement(models.Model):
    """A person's acknowledgement of a mention: a reply, a reaction, or one made elsewhere."""

    class Kind(models.TextChoices):
        REPLY = "reply", "Reply through the channel"
        REACTION = "reaction", "Reaction"
        REPLIED_ELSEWHERE = "replied_elsewhere", "Replied elsewhere"
        RESOLVED_INTERNALLY = "resolved_internally", "Resolved internally"

    class Delivery(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        NOT_SENT = "not_sent", "Nothing to send"

    mention = models.ForeignKey(Mention, on_delete=models.CASCADE, related_name="acknowledgements")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
        related_name="acknowledgements",
    )  # fmt: skip
    kind = models.CharField(max_length=20, choices=Kind.choices)
    text = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    external_id = models.CharField(max_length=500, blank=True, default="")
    external_url = models.URLField(max_length=2000, blank=True, default="")
    delivery_status = models.CharField(
        max_length=10, choices=Delivery.choices, default=Delivery.NOT_SENT
    )
    delivery_error = models.TextField(blank=True, default="")
    attempts = models.PositiveIntegerField(default=0)
    is_personal = models.BooleanField(
        default=False,
        help_text="Addresses the person by name or handle and is not a canned copy of others.",
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["mention", "created_at"], name="ack_mention_idx"),
            models.Index(fields=["user", "-created_at"], name="ack_user_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} of {self.mention_id} ({self.delivery_status})"


class AuditEntry(models.Model):
    """Who did what to which object, when, and how it looked before and after."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=40)
    object_type = models.CharField(max_length=40)
    object_id = models.BigIntegerField()
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "audit entries"
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object_idx")]

    def __str__(self) -> str:
        return f"{self.action} {self.object_type}:{self.object_id}"
