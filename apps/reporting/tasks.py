"""Celery tasks of reporting."""

from agency.celery import app

from . import services


@app.task(soft_time_limit=1800, time_limit=1860)
def send_scheduled_reports() -> int:
    """Beat, every 15 minutes, in every agency: each client's report for the month just over in
    its time zone to its members, and each report schedule's period just over to its recipients,
    once however many beats run."""
    from django_tenants.utils import tenant_context

    from apps.tenants.selectors import agency_list

    sent = 0
    for agency in agency_list():
        with tenant_context(agency):  # the real tenant, so the e-mail can show the agency
            sent += services.monthly_reports_send() + services.scheduled_reports_send()
    return sent


@app.task(soft_time_limit=600, time_limit=660)
def compact_mention_days() -> int:
    """Beat, every 5 minutes: merge the daily report figures' deltas (and the per-member
    roll-ups'), every agency."""
    from django_tenants.utils import schema_context

    from apps.acknowledgements.rollups import member_rollups_compact
    from apps.tenants.selectors import agency_list

    from .rollups import mention_days_compact

    rows = 0
    for agency in agency_list():
        with schema_context(agency.schema_name):
            rows += mention_days_compact()
            member_rollups_compact()
    return rows
