"""The database backend behind a transaction-mode pooler (PgBouncer ``pool_mode=transaction``,
``DATABASE_POOLER=1``): django-tenants' backend, sending the agency's ``SET search_path`` in the
same message as each statement.

The pooler hands each transaction to whichever server connection is free. In autocommit every
statement is a transaction of its own, so django-tenants' separate ``SET search_path`` could run
on one server connection and the query on another, whose ``search_path`` another agency set.
``SET search_path = …; <statement>`` sent as one simple-protocol message is one implicit
transaction: one server connection, the right schema. So a cursor opened in autocommit prefixes
each statement (``executemany`` and ``COPY`` get a transaction of their own around the ``SET``);
one opened in a transaction sets the path once, as django-tenants does. Server-side cursors
are used inside transactions only. What cannot run in a transaction (``CREATE DATABASE``,
``… CONCURRENTLY``) gets its ``SET`` just before: run such maintenance against the primary.
"""

from __future__ import annotations

import re
from contextlib import contextmanager, nullcontext

from django.core.exceptions import ImproperlyConfigured
from django.db.backends.postgresql.base import Cursor
from django_tenants.postgresql_backend import base as tenants
from django_tenants.utils import quote_schema_name
from psycopg import sql

# Statements PostgreSQL refuses inside a transaction block (a multi-statement message is one).
OUTSIDE_TRANSACTIONS = re.compile(
    r"\s*(CREATE\s+DATABASE|DROP\s+DATABASE|VACUUM|ALTER\s+SYSTEM|(CREATE|DROP)\s+TABLESPACE"
    r"|.*\bCONCURRENTLY\b)",
    re.IGNORECASE | re.DOTALL,
)


class PooledCursor(Cursor):
    """A client-side cursor that prefixes every statement with the connection's schema."""

    search_path = ""  # "SET search_path = …; ", set by the wrapper for each cursor it hands out

    def execute(self, query, params=None, **kwargs):
        if not self.search_path or kwargs:
            return super().execute(query, params, **kwargs)
        if isinstance(query, str) and OUTSIDE_TRANSACTIONS.match(query[:200]):
            super().execute(self.search_path)  # no transaction may hold these: set just before
            return super().execute(query, params)
        prefix = self.search_path if params is None else self.search_path.replace("%", "%%")
        if isinstance(query, str):
            query = prefix + query
        elif isinstance(query, bytes):
            query = prefix.encode() + query
        else:
            query = sql.Composed([sql.SQL(prefix), query])
        super().execute(query, params)
        self.nextset()  # past the SET's result, to the statement's
        return self

    @contextmanager
    def _set_alone(self):
        """The ``SET`` as a statement of its own, in a transaction if there is none."""
        held = self.connection.transaction() if self.connection.autocommit else nullcontext()
        with held:
            super().execute(self.search_path)
            yield

    def executemany(self, query, params_seq, **kwargs):
        if not self.search_path:
            return super().executemany(query, params_seq, **kwargs)
        with self._set_alone():
            return super().executemany(query, params_seq, **kwargs)

    @contextmanager
    def copy(self, statement, params=None, **kwargs):
        with (
            self._set_alone() if self.search_path else nullcontext(),
            super().copy(statement, params, **kwargs) as copy,
        ):
            yield copy


class DatabaseWrapper(tenants.DatabaseWrapper):
    def get_connection_params(self):
        params = super().get_connection_params()
        if params.get("cursor_factory") is Cursor:
            params["cursor_factory"] = PooledCursor
        return params

    def _cursor(self, name=None):
        self.ensure_connection()
        if name and self.connection.autocommit:
            # A named cursor outside a transaction is declared WITH HOLD and would stay on a
            # pooled server connection: read client-side instead (inside one, it is safe).
            name = None
        return super()._cursor(name)

    def _handle_search_path(self, cursor=None):
        raw = getattr(cursor, "cursor", None)
        if not isinstance(raw, PooledCursor) or not self.connection.autocommit:
            # In a transaction (the only place for a named cursor) one server connection runs
            # it all: set now, as django-tenants does, so a later SET LOCAL holds.
            return super()._handle_search_path(cursor)
        if not self.schema_name:
            raise ImproperlyConfigured("Database schema not set: set_schema() or set_tenant().")
        schemas = ",".join(quote_schema_name(s) for s in self._get_cursor_search_paths())
        raw.search_path = f"SET search_path = {schemas}; "
        self.search_path_set_schemas = None  # never trusted: each statement sets its own
