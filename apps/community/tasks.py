"""Celery tasks of the community; each is a thin call into ``services``."""

from agency.celery import app

from . import services


@app.task(soft_time_limit=600, time_limit=660)
def link_people(client_id: int, mention_ids: list[int]) -> int:
    """Give the authors of newly stored mentions their person, in the agency the task was sent
    from (queued by ingest through the outbox). Returns how many authors were linked."""
    return services.people_link_new_mentions(client_id=client_id, mention_ids=mention_ids)


@app.task(soft_time_limit=3600, time_limit=3660)
def refresh_people() -> int:
    """Beat, daily: link every author still without a person, every agency (a fetch that died
    between storing pages and queueing their linking leaves some)."""
    from django_tenants.utils import schema_context

    from apps.tenants.selectors import agency_list

    linked = 0
    for agency in agency_list():
        with schema_context(agency.schema_name):
            linked += services.people_refresh()
    return linked
