"""``migrate_schemas --executor=parallel``: every agency's schema migrated in parallel
processes, a progress line per agency, and the agencies that failed listed at the end (exit 1)
instead of the first failure stopping the rest."""

from __future__ import annotations

import functools
import sys
import time

from django.core.management.base import CommandError
from django.db import connections
from django_tenants.migration_executors.base import MigrationExecutor, run_migrations
from django_tenants.migration_executors.multiproc import get_pool


def _migrate_one(args, options, count: int, idx_schema: tuple[int, str]) -> tuple[str, str]:
    idx, schema = idx_schema
    try:
        run_migrations(args, options, "parallel", schema, allow_atomic=False, idx=idx, count=count)
    except Exception as error:  # reported with the others at the end
        return schema, f"{type(error).__name__}: {error}".splitlines()[0][:300]
    return schema, ""


class ParallelExecutor(MigrationExecutor):
    codename = "parallel"

    def run_migrations(self, tenants=None):
        tenants = list(tenants or [])
        if self.PUBLIC_SCHEMA_NAME in tenants:
            run_migrations(self.args, self.options, self.codename, self.PUBLIC_SCHEMA_NAME)
            tenants.remove(self.PUBLIC_SCHEMA_NAME)
        if not tenants:
            return
        connections[self.TENANT_DB_ALIAS].close()  # forked workers open their own
        started = time.monotonic()
        with get_pool() as pool:
            results = pool.map(
                functools.partial(_migrate_one, self.args, self.options, len(tenants)),
                enumerate(tenants),
                chunksize=8,
            )
        failed = [(schema, error) for schema, error in results if error]
        seconds = time.monotonic() - started
        sys.stdout.write(
            f"Migrated {len(tenants) - len(failed)} of {len(tenants)} schemas in {seconds:.1f} s.\n"
        )
        if failed:
            listing = "\n".join(f"  {schema}: {error}" for schema, error in failed)
            raise CommandError(f"{len(failed)} schema(s) failed to migrate:\n{listing}")
