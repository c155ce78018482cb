"""Reads from the replica (``apps.core.replica``), here a second connection to the test database
made read-only as a hot standby is: the ORM and raw SQL read there in the agency's schema, a
write cannot land there, and an unreachable or failing replica leaves the reads on the primary.
The real replica and pooler: ``tests/deploy/test_topology.py``."""

from __future__ import annotations

import copy
from contextlib import contextmanager

import pytest
from django.db import DatabaseError, connection, connections
from django_tenants.utils import schema_context

from apps.accounts.models import User
from apps.core.replica import REPLICA, from_replica, on_primary, reading_replica
from tests.support import closed_port


@contextmanager
def replica(**changes):
    """A ``replica`` database alias: the test database, read-only, with ``changes``."""
    settings = copy.deepcopy(connections["default"].settings_dict)
    settings["OPTIONS"]["options"] = "-c default_transaction_read_only=on"
    settings.update(changes)
    connections.settings[REPLICA] = settings
    try:
        yield
    finally:
        connections[REPLICA].close()
        del connections[REPLICA]
        del connections.settings[REPLICA]


def read_only() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW default_transaction_read_only")
        return cursor.fetchone()[0]


@pytest.fixture
def in_agency(agency_a, django_db_blocker):
    """Agency A's committed rows, outside any transaction (as a web request reads them)."""
    with django_db_blocker.unblock(), schema_context(agency_a.schema_name):
        yield agency_a


def test_reads_in_the_block_come_from_the_replica_in_the_agency_schema(in_agency):
    with replica(), reading_replica() as replicated:
        assert replicated and read_only() == "on"
        assert User.objects.filter(email="owner@alpha.test").exists()  # ORM, alpha's schema
        with connection.cursor() as cursor:  # raw SQL too
            cursor.execute("SELECT current_schema()")
            assert cursor.fetchone()[0] == in_agency.schema_name
        with on_primary():
            assert read_only() == "off"
        assert read_only() == "on"
    assert read_only() == "off"


def test_a_write_in_the_block_never_reaches_the_replica(in_agency):
    with replica(), reading_replica(), pytest.raises(DatabaseError, match="read-only"):
        User.objects.filter(email="owner@alpha.test").update(first_name="Replica")


def test_an_unreachable_replica_leaves_the_reads_on_the_primary(in_agency, caplog):
    with replica(PORT=closed_port()), reading_replica() as replicated:
        assert not replicated and read_only() == "off"
        assert User.objects.filter(email="owner@alpha.test").exists()
    assert "Read replica unreachable, reading from the primary" in caplog.text


def test_a_replica_failing_under_a_read_is_read_again_from_the_primary(in_agency, caplog):
    def count_owners() -> tuple[str, int]:
        if read_only() == "on":  # the replica goes away mid-report (stopped, failed over)
            with connections["default"].cursor() as cursor:
                cursor.execute("SELECT pg_terminate_backend(pg_backend_pid())")
        return read_only(), User.objects.filter(email="owner@alpha.test").count()

    with replica():
        assert from_replica(count_owners) == ("off", 1)
    assert "Read replica failed, reading from the primary" in caplog.text


def test_inside_a_transaction_the_block_reads_the_primary(in_agency):
    from django.db import transaction

    with replica(), transaction.atomic(), reading_replica() as replicated:
        assert not replicated and read_only() == "off"  # its own writes are not replicated yet
