"""Celery tasks of the fetch pipeline; each is a thin call into ``services``."""

from django_tenants.utils import schema_context

from agency.celery import app
from apps.tenants.selectors import agency_list

from . import services


@app.task(soft_time_limit=240, time_limit=300)
def fetch_channel(channel_id: int, run_id: int | None = None) -> dict:
    """Fetch one channel of the agency the task was sent from."""
    run = services.channel_fetch(channel_id=channel_id, run_id=run_id)
    return {"run": run.pk, "status": run.status, "new": run.new}


@app.task(soft_time_limit=240, time_limit=300)
def dispatch_due_fetches() -> int:
    """Beat, every minute: one ``fetch_channel`` per due channel, across every agency."""
    dispatched = 0
    for agency in agency_list():
        with schema_context(agency.schema_name):
            dispatched += services.channels_dispatch_due()
    return dispatched


@app.task(soft_time_limit=50, time_limit=60)
def recover_dead_fetches() -> int:
    """Beat, every minute: fetch again the channels whose fetch lost its worker, every agency."""
    recovered = 0
    for agency in agency_list():
        with schema_context(agency.schema_name):
            recovered += len(services.fetch_runs_recover_dead())
    return recovered
