"""Operational tasks that prove a worker runs in the right agency's schema."""

from django.contrib.auth import get_user_model
from django.db import connection

from agency.celery import app


@app.task(soft_time_limit=20, time_limit=30)
def describe_agency() -> dict:
    """Report the schema this task ran in and the users visible there."""
    return {
        "schema": connection.schema_name,
        "users": list(get_user_model().objects.order_by("email").values_list("email", flat=True)),
    }


@app.task(soft_time_limit=50, time_limit=60)
def publish_outbox() -> int:
    """Beat, every 30 seconds: publish the tasks the outbox still holds (broker outage, delay)."""
    from .outbox import outbox_publish_due

    return outbox_publish_due()
