"""Celery tasks of listening; each is a thin call into ``services``."""

from agency.celery import app

from . import services


@app.task(soft_time_limit=3600, time_limit=3660)
def rematch_query(rematch_id: int) -> dict:
    """Re-apply an edited query to past mentions, in the agency the task was sent from."""
    rematch = services.query_rematch_run(rematch_id=rematch_id)
    return {"rematch": rematch_id, "status": rematch.status if rematch else "deleted"}


@app.task(soft_time_limit=50, time_limit=60)
def recover_dead_rematches() -> int:
    """Beat, every minute: queue again the re-matches that lost their worker, every agency."""
    from django_tenants.utils import schema_context

    from apps.tenants.selectors import agency_list

    recovered = 0
    for agency in agency_list():
        with schema_context(agency.schema_name):
            recovered += len(services.rematches_recover_dead())
    return recovered


@app.task(soft_time_limit=3600, time_limit=3660)
def refresh_influence() -> int:
    """Beat, daily: recompute authors' influence in every agency."""
    from django_tenants.utils import schema_context

    from apps.tenants.selectors import agency_list

    from .services import authors_refresh_influence

    updated = 0
    for agency in agency_list():
        with schema_context(agency.schema_name):
            updated += authors_refresh_influence()
    return updated


@app.task(soft_time_limit=3600, time_limit=3660)
def purge_expired_mentions() -> int:
    """Beat, daily: delete mentions older than their agency's retention, agency by agency."""
    from django_tenants.utils import schema_context

    from apps.tenants.selectors import agency_list

    purged = 0
    for agency in agency_list().filter(retention_days__isnull=False):
        with schema_context(agency.schema_name):
            purged += services.mentions_purge_expired(days=agency.retention_days)
    return purged


@app.task(soft_time_limit=600, time_limit=660)
def compact_mention_counts() -> int:
    """Beat, every 5 minutes: merge the status counters' deltas, every agency."""
    from django_tenants.utils import schema_context

    from apps.tenants.selectors import agency_list

    rows = 0
    for agency in agency_list():
        with schema_context(agency.schema_name):
            rows += services.mention_counts_compact()
    return rows
