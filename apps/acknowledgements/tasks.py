"""Celery tasks of acknowledgement tracking."""

from agency.celery import app

from . import services


@app.task(soft_time_limit=60, time_limit=90)
def deliver_acknowledgement(acknowledgement_id: int) -> str:
    """Post a reply through the channel, in the agency the task was sent from."""
    ack = services.acknowledgement_deliver(acknowledgement_id=acknowledgement_id)
    return ack.delivery_status
