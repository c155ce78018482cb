"""Reads that may come from a read replica (``DATABASE_REPLICA_URL``): reports, exports and the
agency overview, which only read and tolerate seconds of lag.

Inside ``reading_replica()`` this thread's default connection *is* the replica's, set to the
same agency (``search_path``), so the ORM and raw SQL both read there; a hot standby refuses
any write, so none can land on it by mistake. A write a read path must make (a report's first
roll-up of a day) goes through ``on_primary()``. With no replica configured, inside a
transaction (its own writes are not on the replica yet), or with the replica unreachable, the
block reads from the primary: the last with one log line.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections

REPLICA = "replica"
logger = logging.getLogger(__name__)
_state = threading.local()  # .primary: the primary's wrapper while the replica stands in for it
T = TypeVar("T")


def replica_configured() -> bool:
    return REPLICA in connections.settings


def _reachable(replica) -> bool:
    try:
        replica.ensure_connection()
    except (OperationalError, InterfaceError) as error:
        replica.close()
        logger.warning("Read replica unreachable, reading from the primary: %s", error)
        return False
    return True


@contextmanager
def reading_replica() -> Iterator[bool]:
    """Read from the replica for the block; yields whether it does."""
    if not replica_configured() or getattr(_state, "primary", None) is not None:
        yield getattr(_state, "primary", None) is not None
        return
    primary = connections[DEFAULT_DB_ALIAS]
    if primary.in_atomic_block:
        yield False
        return
    replica = connections[REPLICA]
    if replica.in_atomic_block or not _reachable(replica):
        yield False
        return
    if (replica.tenant, replica.include_public_schema) != (
        primary.tenant,
        primary.include_public_schema,
    ):
        replica.set_tenant(primary.tenant, primary.include_public_schema)
    _state.primary = primary
    connections[DEFAULT_DB_ALIAS] = replica
    try:
        yield True
    finally:
        connections[DEFAULT_DB_ALIAS] = primary
        _state.primary = None


@contextmanager
def on_primary() -> Iterator[None]:
    """Inside ``reading_replica()``: the block reads and writes on the primary again."""
    primary = getattr(_state, "primary", None)
    if primary is None:
        yield
        return
    replica = connections[DEFAULT_DB_ALIAS]
    connections[DEFAULT_DB_ALIAS], _state.primary = primary, None
    try:
        yield
    finally:
        connections[DEFAULT_DB_ALIAS], _state.primary = replica, primary


def from_replica(read: Callable[..., T], /, *args, **kwargs) -> T:
    """``read(*args, **kwargs)`` on the replica; run again on the primary (one log line) if the
    replica fails under it (stopped, restarted, a query cancelled by recovery)."""
    with reading_replica() as replicated:
        try:
            return read(*args, **kwargs)
        except (OperationalError, InterfaceError) as error:
            if not replicated:
                raise
            connections[REPLICA].close()
            logger.warning("Read replica failed, reading from the primary: %s", error)
    return read(*args, **kwargs)


def replica_rows(rows: Iterator[T]) -> Iterator[T]:
    """A streamed response's rows, read from the replica as they are produced."""
    with reading_replica():
        yield from rows
