"""Outbound webhooks: integrators' subscriptions and the log of every delivery and attempt."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone

from apps.core import crypto


class Event(models.TextChoices):
    """What an integrator can subscribe to (SPEC §7)."""

    MENTION_CREATED = "mention.created", "A mention was stored"
    MENTION_ACKNOWLEDGED = "mention.acknowledged", "A mention was acknowledged"
    SLA_BREACHED = "sla.breached", "A mention missed its SLA"
    ALERT_SPIKE = "alert.spike", "A client's mentions or negative share spiked"


class WebhookSubscription(models.Model):
    """An integrator's endpoint, the events it receives and the secret its deliveries are
    signed with (stored encrypted; shown once when created)."""

    url = models.URLField(max_length=2000)
    events = ArrayField(models.CharField(max_length=40, choices=Event.choices))
    secret_encrypted = models.TextField()
    is_active = models.BooleanField(default=True)
    consecutive_failures = models.PositiveIntegerField(
        default=0, help_text="Deliveries that failed for good since the last successful one."
    )
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.TextField(blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="webhook_subscriptions",
    )  # fmt: skip
    created_at = models.DateTimeField(default=timezone.now)

    # A handful of rows per agency: "active and subscribed to X" needs no index of its own.
    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(events__contained_by=Event.values) & ~models.Q(events=[]),
                name="webhook_events_known",
            ),
        ]

    def __str__(self) -> str:
        return self.url

    @property
    def secret(self) -> str:
        """The decrypted signing secret."""
        return crypto.decrypt(self.secret_encrypted)

    @secret.setter
    def secret(self, value: str) -> None:
        self.secret_encrypted = crypto.encrypt(value)


class WebhookDelivery(models.Model):
    """One event for one subscription; sent (and retried) until delivered or given up on."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries", db_index=False
    )  # indexed by the delivery log index below
    event = models.CharField(max_length=40, choices=Event.choices)
    event_id = models.UUIDField(default=uuid.uuid4)
    payload = models.JSONField(encoder=DjangoJSONEncoder)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            # The delivery log: a subscription's deliveries, newest first.
            models.Index(fields=["subscription", "-created_at"], name="webhook_delivery_log_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "event_id"], name="webhook_delivery_once_per_event"
            ),
            models.CheckConstraint(
                condition=~models.Q(status="delivered") | models.Q(delivered_at__isnull=False),
                name="webhook_delivered_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} {self.event_id} → {self.subscription_id} ({self.status})"

    def body(self) -> dict:
        """What is POSTed: ``{"id", "event", "created_at", "data"}``."""
        return {
            "id": str(self.event_id),
            "event": self.event,
            "created_at": self.created_at.isoformat(),
            "data": self.payload,
        }


class WebhookAttempt(models.Model):
    """One HTTP request of a delivery: the status code it got or the error it met."""

    delivery = models.ForeignKey(
        WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log", db_index=False
    )  # indexed by the unique (delivery, number) constraint
    number = models.PositiveSmallIntegerField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True, default="")
    duration_ms = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["delivery", "number"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "number"], name="webhook_attempt_number"),
        ]

    def __str__(self) -> str:
        outcome = self.status_code or self.error[:40]
        return f"attempt {self.number} of delivery {self.delivery_id}: {outcome}"

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300
