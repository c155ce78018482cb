"""Database helpers Django does not ship: a set-based bulk update, pipelined statements and
``COPY`` of rows."""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import psycopg
from django.db import connection
from django.db.models import Model


@contextmanager
def pipelined() -> Iterator[None]:
    """Send the statements executed inside together, in one round trip (psycopg's pipeline
    mode): each still runs after the one before, and an error in any is raised on leaving.
    Only for statements whose results are read after the block (``fetchall``), each on a
    cursor of its own; reading one inside waits for everything sent so far."""
    connection.ensure_connection()
    if not psycopg.Pipeline.is_supported():  # libpq before 14: one statement at a time
        yield
        return
    # Errors surface on leaving, outside Django's cursor: wrapped as its cursor would (Django's
    # exception classes, the connection marked for a health check).
    with connection.wrap_database_errors, connection.connection.pipeline():
        yield


def bulk_update_columns(objects: Sequence[Model], fields: Sequence[str]) -> int:
    """Write ``fields`` of ``objects`` in one ``UPDATE … FROM unnest(…)``.

    Django's ``bulk_update`` builds a ``CASE WHEN`` per field and row, which grows slow past a
    few hundred rows; this sends one array per column instead.
    """
    if not objects:
        return 0
    meta = objects[0]._meta
    columns = [meta.get_field(name) for name in fields]
    arrays = [[obj.pk for obj in objects]]
    arrays += [[column.get_db_prep_save(getattr(obj, column.attname), connection)
                for obj in objects] for column in columns]  # fmt: skip
    types = [meta.pk.db_type(connection)] + [column.db_type(connection) for column in columns]
    names = ", ".join(column.column for column in columns)
    sets = ", ".join(f"{column.column} = new.{column.column}" for column in columns)
    unnest = ", ".join(f"%s::{db_type}[]" for db_type in types)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {meta.db_table} AS old SET {sets} "  # noqa: S608 - names from model metadata
            f"FROM unnest({unnest}) AS new(pk, {names}) WHERE old.{meta.pk.column} = new.pk",
            arrays,
        )
        return cursor.rowcount


def copy_rows(cursor, model: type[Model], rows) -> int:
    """``COPY`` rows (dicts by attname) into a model's table; a column a row leaves out gets the
    field's default. For bulk loads (the load generator, benchmarks): no signals, no ``save``."""
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    fields = [
        field
        for field in model._meta.concrete_fields
        if not field.primary_key and not getattr(field, "generated", False)
    ]
    defaults = {}
    for field in fields:
        if field.has_default():
            defaults[field.attname] = field.get_default()
        elif getattr(field, "auto_now_add", False) or getattr(field, "auto_now", False):
            defaults[field.attname] = now
        else:
            defaults[field.attname] = None
    columns = ", ".join(f'"{field.column}"' for field in fields)
    count = 0
    with cursor.copy(f'COPY "{model._meta.db_table}" ({columns}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row([row.get(field.attname, defaults[field.attname]) for field in fields])
            count += 1
    return count
