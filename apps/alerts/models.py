"""Spike alerts: a client's mention volume or negative share far above its usual level for the
same hour of the week (method in ``apps.alerts.detection`` and docs/alerts.md)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from apps.clients.models import Client


class SpikePolicy(models.Model):
    """A client's thresholds; a client without one uses the defaults of the fields."""

    client = models.OneToOneField(Client, on_delete=models.CASCADE, related_name="spike_policy")
    is_enabled = models.BooleanField(default=True)
    min_volume = models.PositiveIntegerField(
        default=12, help_text="Mentions in the hour below which volume never alerts."
    )
    volume_factor = models.FloatField(
        default=3.0, help_text="Alert when the hour's volume is this many times the usual."
    )
    min_negative = models.PositiveIntegerField(
        default=6, help_text="Negative mentions in the hour below which negativity never alerts."
    )
    negative_share_rise = models.FloatField(
        default=0.25,
        help_text="Alert when the hour's negative share exceeds the usual share by this much "
        "(0.25 = 25 percentage points).",
    )

    def __str__(self) -> str:
        return f"Spike thresholds of {self.client}"


class SpikeAlert(models.Model):
    """One episode of unusual activity for a client — its volume, its negative share or both:
    opened by the first check that sees it, extended by the next ones while it lasts, closed by
    the first check an hour after the last one that saw it. At most one open episode per client,
    however many checks run at once."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="spike_alerts")
    is_volume = models.BooleanField(default=False, help_text="Volume rose far above usual.")
    is_negative = models.BooleanField(default=False, help_text="The negative share rose.")
    started_at = models.DateTimeField(help_text="Start of the first hour seen as a spike.")
    last_seen_at = models.DateTimeField(help_text="End of the latest hour seen as a spike.")
    mentions = models.PositiveIntegerField(help_text="Mentions in the first hour.")
    negative = models.PositiveIntegerField(help_text="Negative mentions in the first hour.")
    usual_volume = models.FloatField(help_text="Mentions usual at that hour of the week.")
    usual_negative_share = models.FloatField(help_text="The negative share of the 28 days before.")
    peak_volume = models.PositiveIntegerField(help_text="The most mentions in an hour of it.")
    is_open = models.BooleanField(default=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["client"], condition=Q(is_open=True), name="one_open_spike_per_client"
            )
        ]

    def __str__(self) -> str:
        return f"Spike for {self.client} since {self.started_at}"

    @property
    def kind_label(self) -> str:
        """What rose, in words."""
        if self.is_volume and self.is_negative:
            return "Volume and negativity"
        return "Volume" if self.is_volume else "Negativity"
