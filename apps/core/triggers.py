"""SQL for the statement-level triggers that keep figures beside a tenant table (counters, daily
roll-ups, per-person summaries), written by migrations: one plpgsql function serving INSERT,
UPDATE, DELETE and TRUNCATE with the statement's rows as transition tables (``new_rows``,
``old_rows``), and the four triggers calling it.

The function's statements use unqualified names, so their plans are cached for the session
(dynamic SQL cost ~1.5 ms a statement, measured): the trigger's own schema is put first on the
search path for the call when it is not already (django-tenants always has it first). Tenant
clones copy the function and triggers (``apps.tenants.cloning``). The triggers write delta rows
(no row is ever updated, so concurrent writers never wait on one): ``delta_compaction`` merges
them."""

from __future__ import annotations

OPERATIONS = ("insert", "update", "delete", "truncate")


def statement_trigger_function(
    name: str, *, inserted: str, updated: str, deleted: str, truncated: str
) -> str:
    """``CREATE FUNCTION name()`` running the statements given for each operation."""
    return f"""
CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $body$
DECLARE
    path text;
BEGIN
    IF TG_TABLE_SCHEMA IS DISTINCT FROM current_schema() THEN
        path := current_setting('search_path');
        PERFORM set_config('search_path', quote_ident(TG_TABLE_SCHEMA) || ', public', true);
    END IF;
    IF TG_OP = 'INSERT' THEN
        {inserted};
    ELSIF TG_OP = 'DELETE' THEN
        {deleted};
    ELSIF TG_OP = 'UPDATE' THEN
        {updated};
    ELSE  -- TRUNCATE
        {truncated};
    END IF;
    IF path IS NOT NULL THEN
        PERFORM set_config('search_path', path, true);
    END IF;
    RETURN NULL;
END
$body$
"""


def statement_triggers(name: str, table: str) -> list[str]:
    """The triggers ``name_insert`` … ``name_truncate`` on ``table`` calling ``name()``."""
    call = f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
    return [
        f"CREATE TRIGGER {name}_insert AFTER INSERT ON {table} "
        f"REFERENCING NEW TABLE AS new_rows {call}",
        f"CREATE TRIGGER {name}_update AFTER UPDATE ON {table} "
        f"REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows {call}",
        f"CREATE TRIGGER {name}_delete AFTER DELETE ON {table} "
        f"REFERENCING OLD TABLE AS old_rows {call}",
        f"CREATE TRIGGER {name}_truncate AFTER TRUNCATE ON {table} {call}",
    ]


def statement_triggers_drop(name: str, table: str) -> list[str]:
    """Undo ``statement_triggers`` and the function."""
    return [
        *(f"DROP TRIGGER {name}_{operation} ON {table}" for operation in OPERATIONS),
        f"DROP FUNCTION {name}()",
    ]


def delta_compaction(model, key: str) -> str:
    """Merge ``model``'s delta rows into one row per ``key``, dropping keys summing to nothing."""
    table = model._meta.db_table
    figures = [
        field.column
        for field in model._meta.concrete_fields
        if field.column not in ("id", *key.split(", "))
    ]
    return f"""
        WITH merged AS (DELETE FROM {table} RETURNING {key}, {", ".join(figures)})
        INSERT INTO {table} ({key}, {", ".join(figures)})
        SELECT {key}, {", ".join(f"sum({column})" for column in figures)} FROM merged
        GROUP BY {key}
        HAVING {" OR ".join(f"sum({column}) <> 0" for column in figures)}
    """  # noqa: S608 - names from model metadata
