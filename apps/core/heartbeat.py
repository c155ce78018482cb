"""Heartbeats of long-running work (fetch runs, re-matches): proof that its worker is alive.

While a ``heartbeat`` block runs, a background thread stamps the row's ``heartbeat_at`` every
``RAPPORT_HEARTBEAT_SECONDS`` on a connection of its own. A worker killed (SIGKILL, out of memory,
a lost machine) stops stamping; a sweep then treats a ``running`` row whose heartbeat is older
than ``RAPPORT_HEARTBEAT_STALE_SECONDS`` as dead and recovers it — within minutes, instead of
waiting for the broker to hand the task to another worker.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, models
from django.utils import timezone

logger = logging.getLogger(__name__)

DEFAULT_EVERY_SECONDS = 15.0
DEFAULT_STALE_SECONDS = 90.0  # six missed beats


def interval() -> float:
    return float(getattr(settings, "RAPPORT_HEARTBEAT_SECONDS", DEFAULT_EVERY_SECONDS))


def stale_before(stale_after: timedelta | None = None) -> datetime:
    """The moment before which a heartbeat means its worker is gone."""
    if stale_after is None:
        seconds = getattr(settings, "RAPPORT_HEARTBEAT_STALE_SECONDS", DEFAULT_STALE_SECONDS)
        stale_after = timedelta(seconds=float(seconds))
    return timezone.now() - stale_after


@contextmanager
def heartbeat(model: type[models.Model], pk: int, *, every: float | None = None) -> Iterator[None]:
    """Stamp ``model`` row ``pk``'s ``heartbeat_at`` every ``every`` seconds while the block runs.

    The stamp skips a row locked by the work itself (its page being stored) rather than wait, so
    the heartbeat never blocks on, or deadlocks with, the work it reports on.
    """
    every = interval() if every is None else every
    schema, table, stop = connection.schema_name, model._meta.db_table, threading.Event()

    def beat() -> None:
        from django.db import connection as own  # this thread's connection
        from django_tenants.utils import schema_context

        try:
            with schema_context(schema):
                while not stop.wait(every):
                    with own.cursor() as cursor:
                        cursor.execute(
                            f"UPDATE {table} SET heartbeat_at = now() WHERE id = ("  # noqa: S608
                            f"SELECT id FROM {table} WHERE id = %s FOR UPDATE SKIP LOCKED)",
                            [pk],
                        )
        except Exception:  # the database is away: the missing beats will say so
            logger.warning("heartbeat of %s %s stopped", table, pk, exc_info=True)
        finally:
            own.close()

    thread = threading.Thread(target=beat, name=f"heartbeat-{table}-{pk}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=every + 5)
