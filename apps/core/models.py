"""Platform-wide tables (public schema): the transactional outbox of background tasks."""

from django.db import models
from django.utils import timezone


class OutboxMessage(models.Model):
    """A Celery task to send, written in the same transaction as the rows it works on.

    The request (or task) that wants background work commits this row with its own; the task is
    published after the commit and the row deleted. If the broker is unreachable the row stays,
    and ``apps.core.outbox.outbox_publish_due`` (beat) publishes it once the broker is back. It
    lives in the public schema and names the agency's schema, so one sweep serves every agency.
    """

    schema_name = models.CharField(max_length=63)
    task = models.CharField(max_length=200)
    args = models.JSONField(default=list)
    available_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True, default="")

    class Meta:
        indexes = [models.Index(fields=["available_at"], name="outbox_available_idx")]

    def __str__(self) -> str:
        return f"{self.schema_name} {self.task}{tuple(self.args)}"
