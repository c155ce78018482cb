"""Celery tasks of spike alerts."""

from agency.celery import app

from . import services


@app.task(soft_time_limit=600, time_limit=660)
def detect_spikes() -> int:
    """Beat, every 15 minutes: compare each client's last hour with its usual level, in every
    agency; returns how many alerts were opened."""
    from django_tenants.utils import schema_context

    from apps.tenants.selectors import agency_list

    opened = 0
    for agency in agency_list():
        with schema_context(agency.schema_name):
            opened += len(services.spikes_detect())
    return opened
