"""The backend behind a transaction-mode pooler (``DATABASE_POOLER=1``): a statement runs in its
agency's schema whatever ``search_path`` the server connection was left with — by another
agency, as a pooler hands one server connection to many clients. Here the server connection's
path is changed under Django's feet; PgBouncer itself: ``tests/deploy/test_topology.py``."""

from __future__ import annotations

import copy
from contextlib import contextmanager

import pytest
from django.db import connections

from apps.core.pooled_postgresql.base import PooledCursor


@contextmanager
def database(engine: str, agency):
    """A connection to the test database with ``engine``, in ``agency``'s schema, in
    autocommit (as requests run)."""
    alias = engine.replace(".", "_")
    settings = copy.deepcopy(connections["default"].settings_dict)
    connections.settings[alias] = {**settings, "ENGINE": engine}
    db = connections[alias]
    db.set_tenant(agency)
    try:
        yield db
    finally:
        db.close()
        del connections[alias]
        del connections.settings[alias]


@pytest.fixture
def pooled(agency_a, django_db_blocker):
    with django_db_blocker.unblock(), database("apps.core.pooled_postgresql", agency_a) as db:
        yield db


def another_agency_sets(db, path: str = "public") -> None:
    """What another client of the pooler leaves on the shared server connection."""
    db.ensure_connection()
    db.connection.execute(f"SET search_path = {path}")


def test_each_statement_runs_in_its_agency_schema_whatever_the_connection_was_left_with(pooled):
    with pooled.cursor() as cursor:
        another_agency_sets(pooled)
        cursor.execute("SELECT current_schema(), count(*) FROM accounts_user WHERE email = %s",
                       ["owner@alpha.test"])  # fmt: skip
        assert cursor.fetchone() == ("alpha", 1)
        assert isinstance(cursor.cursor, PooledCursor)


def test_django_tenants_alone_would_run_it_in_the_schema_left_behind(agency_a, django_db_blocker):
    with (
        django_db_blocker.unblock(),
        database("django_tenants.postgresql_backend", agency_a) as plain,
        plain.cursor() as cursor,  # sets alpha's path here, a transaction of its own
    ):
        another_agency_sets(plain)
        cursor.execute("SELECT current_schema()")
        assert cursor.fetchone() == ("public",)


def test_rows_counts_and_returned_values_are_the_statement_s(pooled):
    with pooled.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE pooled_probe (n int)")
        cursor.execute("INSERT INTO pooled_probe VALUES (1), (2), (3) RETURNING n * 10")
        assert (cursor.rowcount, cursor.fetchall()) == (3, [(10,), (20,), (30,)])
        cursor.execute("UPDATE pooled_probe SET n = n + 1 WHERE n > %s", [1])
        assert cursor.rowcount == 2
        cursor.execute("SELECT 100 * %s || '%%'", [2])  # a literal % beside parameters
        assert cursor.fetchone() == ("200%",)


def test_executemany_and_copy_in_autocommit_run_in_the_agency_schema(pooled):
    with pooled.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE pooled_copy (n int, schema text DEFAULT (current_schemas(false))[1])"
        )  # the schema each row was written in
        another_agency_sets(pooled, "pg_temp, public")
        cursor.executemany("INSERT INTO pooled_copy (n) VALUES (%s)", [(1,), (2,)])
        another_agency_sets(pooled, "pg_temp, public")
        with cursor.copy("COPY pooled_copy (n) FROM STDIN") as copy:
            copy.write_row([3])
        cursor.execute("SELECT n, schema FROM pooled_copy ORDER BY n")
        assert cursor.fetchall() == [(1, "alpha"), (2, "alpha"), (3, "alpha")]


def test_in_a_transaction_the_path_is_set_once_and_a_set_local_holds(pooled):
    with pooled.cursor() as cursor:
        pooled.set_autocommit(False)
        try:
            cursor.close()
            with pooled.cursor() as inner:
                inner.execute("SET LOCAL search_path TO public")
                inner.execute("SELECT current_schema()")
                assert inner.fetchone() == ("public",)
        finally:
            pooled.rollback()
            pooled.set_autocommit(True)
