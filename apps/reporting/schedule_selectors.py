"""Reads of report schedules, for the client's schedule page (the caller checks the client)."""

from __future__ import annotations

from django.db.models import Prefetch

from apps.clients.models import Client

from .models import ReportDelivery, ReportSchedule

RECENT_DELIVERIES = 3


def report_schedule_list(*, client: Client) -> list[ReportSchedule]:
    """The client's schedules, each with its ``RECENT_DELIVERIES`` latest periods in
    ``recent_deliveries`` (newest first)."""
    recent = Prefetch(
        "deliveries",
        queryset=ReportDelivery.objects.order_by("-period_end", "-id")[:RECENT_DELIVERIES],
        to_attr="recent_deliveries",
    )
    return list(
        ReportSchedule.objects.filter(client=client)
        .select_related("client")
        .prefetch_related(recent)
        .order_by("frequency", "id")
    )


def report_schedule_get(*, client: Client, schedule_id: int) -> ReportSchedule:
    """One of the client's schedules; ``ReportSchedule.DoesNotExist`` otherwise."""
    return ReportSchedule.objects.select_related("client").get(client=client, pk=schedule_id)
