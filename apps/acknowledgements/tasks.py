"""Celery tasks of acknowledgement tracking."""

from agency.celery import app

from . import services


@app.task(soft_time_limit=60, time_limit=90)
def deliver_acknowledgement(acknowledgement_id: int) -> str:
    """Post a reply through the channel, in the agency the task was sent from."""
    ack = services.acknowledgement_deliver(acknowledgement_id=acknowledgement_id)
    return ack.delivery_status


@app.task(soft_time_limit=120, time_limit=150)
def check_slas() -> int:
    """Beat, every minute: record and notify new SLA breaches in every agency."""
    from django_tenants.utils import schema_context

    from apps.tenants.selectors import agency_list

    breaches = 0
    for agency in agency_list():
        with schema_context(agency.schema_name):
            breaches += len(services.sla_breaches_detect())
    return breaches
