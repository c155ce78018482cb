"""Fair sharing of the workers between agencies: at most ``RAPPORT_AGENCY_TASK_SLOTS`` fetch and
re-match tasks of one agency run at once, whatever it queues.

A slot is a PostgreSQL session advisory lock keyed by the agency's schema and the slot number,
so the cap holds across every worker on every machine, and a slot is freed the moment its task
ends — or its worker dies (PostgreSQL drops a dead session's locks). A task that finds no free
slot does not wait on the worker: it goes back to the outbox for a few seconds, leaving the
worker to another agency's task.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import connection

LOCK_CLASS = 7302  # advisory-lock namespace of agency slots (7301: one fetch per channel)
DEFAULT_SLOTS = 4
DEFAULT_RETRY_SECONDS = 15.0


def slots() -> int:
    return int(getattr(settings, "RAPPORT_AGENCY_TASK_SLOTS", DEFAULT_SLOTS))


def retry_seconds() -> float:
    """How long a task that found every slot taken waits in the outbox before trying again."""
    return float(getattr(settings, "RAPPORT_AGENCY_RETRY_SECONDS", DEFAULT_RETRY_SECONDS))


def slot_key(schema_name: str, slot: int) -> int:
    """The advisory lock's key of ``slot`` of an agency (a signed 32-bit integer)."""
    return zlib.crc32(f"{schema_name}:slot:{slot}".encode()) - 2**31


@contextmanager
def agency_slot() -> Iterator[bool]:
    """Take a free slot of the current agency for the block; yields False if all are taken."""
    schema = connection.schema_name
    taken: int | None = None
    with connection.cursor() as cursor:
        for slot in range(slots()):
            key = slot_key(schema, slot)
            cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [LOCK_CLASS, key])
            if cursor.fetchone()[0]:
                taken = slot
                break
    try:
        yield taken is not None
    finally:
        if taken is not None:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_advisory_unlock(%s, %s)", [LOCK_CLASS, slot_key(schema, taken)]
                )
