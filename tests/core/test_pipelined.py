"""Statements sent together (``apps.core.db.pipelined``): one round trip, the same effects and
errors as one statement at a time."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from apps.core.db import pipelined


@pytest.fixture
def scratch(db):
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE pipelined_scratch (n integer PRIMARY KEY)")
    yield
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS pipelined_scratch")


def test_each_statement_sees_the_one_before_and_results_are_read_after(scratch):
    with connection.cursor() as first, connection.cursor() as second:
        with pipelined():
            first.execute("INSERT INTO pipelined_scratch VALUES (1), (2) RETURNING n")
            second.execute("SELECT count(*) FROM pipelined_scratch")
        assert sorted(n for (n,) in first.fetchall()) == [1, 2]
        assert second.fetchone() == (2,)


def test_an_error_in_any_statement_is_raised_on_leaving_as_from_one_at_a_time(scratch):
    with (
        pytest.raises(IntegrityError),  # Django's, as from one statement at a time
        transaction.atomic(),
        connection.cursor() as cursor,
        pipelined(),
    ):
        cursor.execute("INSERT INTO pipelined_scratch VALUES (1)")
        cursor.execute("INSERT INTO pipelined_scratch VALUES (1)")
        cursor.execute("INSERT INTO pipelined_scratch VALUES (3)")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pipelined_scratch")
        assert cursor.fetchone() == (0,)
