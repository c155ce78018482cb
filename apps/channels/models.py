"""Channels (where a client's customers speak) and the history of fetching from them."""

from __future__ import annotations

import secrets
from typing import Any

from django.db import models

from apps.clients.models import Client
from apps.core import crypto

from .connectors import PLATFORMS, PUSH_PLATFORMS


def new_webhook_token() -> str:
    return secrets.token_urlsafe(24)


class Channel(models.Model):
    """A source of mentions for one client: a feed, an account, a search, a push endpoint."""

    class Platform(models.TextChoices):
        RSS = "rss", "RSS / Atom"
        MASTODON = "mastodon", "Mastodon"
        REDDIT = "reddit", "Reddit"
        BLUESKY = "bluesky", "Bluesky"
        YOUTUBE = "youtube", "YouTube"
        FACEBOOK_PAGE = "facebook_page", "Facebook Page"
        INSTAGRAM = "instagram", "Instagram"
        WEBHOOK = "webhook", "Webhook (push)"
        CSV = "csv", "CSV import"

    class Health(models.TextChoices):
        OK = "ok", "OK"
        DEGRADED = "degraded", "Degraded"
        FAILING = "failing", "Failing"
        PAUSED = "paused", "Paused"

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="channels")
    platform = models.CharField(max_length=20, choices=Platform.choices)
    name = models.CharField(max_length=200)
    config = models.JSONField(default=dict, blank=True)
    credentials_encrypted = models.TextField(blank=True, default="")
    purpose = models.CharField(max_length=300, blank=True, default="")
    fetch_interval_minutes = models.PositiveIntegerField(default=15)
    listen_only = models.BooleanField(
        default=False, help_text="Listen first: Rapport never posts through this channel."
    )
    health = models.CharField(max_length=10, choices=Health.choices, default=Health.OK)
    last_error = models.TextField(blank=True, default="")
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_fetch_at = models.DateTimeField(null=True, blank=True)
    next_fetch_at = models.DateTimeField(null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    cursor = models.JSONField(null=True, blank=True)
    webhook_token = models.CharField(max_length=64, unique=True, default=new_webhook_token)
    webhook_secret_encrypted = models.TextField(blank=True, default="")
    disconnected_at = models.DateTimeField(
        null=True, blank=True,
        help_text="Removed with its mentions kept: never fetched again, credentials erased.",
    )  # fmt: skip
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["client__name", "name"]
        indexes = [models.Index(fields=["health", "next_fetch_at"], name="channel_due_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(platform__in=PLATFORMS), name="channel_platform_known"
            ),
            models.CheckConstraint(
                condition=models.Q(fetch_interval_minutes__gte=1), name="channel_interval_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_platform_display()})"

    @property
    def credentials(self) -> dict[str, Any]:
        """Decrypted credentials (never serialised back to users)."""
        return crypto.decrypt_json(self.credentials_encrypted)

    @credentials.setter
    def credentials(self, value: dict[str, Any]) -> None:
        self.credentials_encrypted = crypto.encrypt_json(value)

    @property
    def webhook_secret(self) -> str:
        encrypted = self.webhook_secret_encrypted
        return crypto.decrypt(encrypted) if encrypted else ""

    @property
    def is_pulled(self) -> bool:
        """Whether Rapport fetches this channel (push and import channels are fed from outside)."""
        return self.platform not in PUSH_PLATFORMS


class FetchRun(models.Model):
    """One fetch of one channel: what came in and what went wrong."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        PARTIAL = "partial", "Partially succeeded"
        FAILED = "failed", "Failed"

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", "Schedule"
        MANUAL = "manual", "Fetch now"
        PUSH = "push", "Webhook push"
        IMPORT = "import", "CSV import"

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="fetch_runs")
    trigger = models.CharField(max_length=10, choices=Trigger.choices, default=Trigger.SCHEDULE)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    started_at = models.DateTimeField(null=True, blank=True)
    # Stamped while running (apps.core.heartbeat); a stale one means the worker died.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    pages = models.PositiveIntegerField(default=0)
    fetched = models.PositiveIntegerField(default=0)
    new = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    errors = models.PositiveIntegerField(default=0)
    error_message = models.TextField(blank=True, default="")
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["channel", "-created_at"], name="fetchrun_channel_idx"),
            models.Index(
                fields=["heartbeat_at"], name="fetchrun_running_idx",
                condition=models.Q(status="running"),
            ),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.channel_id} {self.trigger} {self.status}"
