"""Streaming a client's CSV export of 1,000,000 mentions: throughput and memory, against
PostgreSQL writing the same rows as CSV itself.

    python benchmarks/export.py [--mentions 1000000] [--clients 1]

Loads the agency the way ``benchmarks/api.py`` does (its ``load``: ``COPY`` of ``--mentions``
mentions over ``--clients`` clients, one every 30 s up to now), then gives every mention a
sentiment and every other one an acknowledgement (time and minutes) and tags, so the export's
date, number and list columns are exercised. Then, for the first client, as its owner:

- the figure: ``apps.reporting.exports.mentions_csv_rows`` over the whole period, consumed chunk
  by chunk as the streaming response would (bytes counted, not kept) — the user-scoped selector,
  a server-side cursor read 2,000 rows at a time, row formatting (local ISO times, formula
  guard, joined lists) and the ``csv`` module; measured once plain (rows/s) and once under
  ``tracemalloc`` (peak Python memory), with the process's max RSS (its peak reset first where
  Linux allows, so it is the export's);
- the lower bound, in the same run: ``COPY (<the export's own SELECT>) TO STDOUT WITH CSV``, the
  same rows, joins and order written by PostgreSQL and read by psycopg, bytes counted.
"""

from __future__ import annotations

import argparse
import os
import resource
import time
import tracemalloc
from datetime import timedelta
from pathlib import Path

from _scratch import use_scratch_database
from api import SLUG, load

MB = 1024 * 1024
ENRICH = """
    UPDATE listening_mention SET
        sentiment = (ARRAY['positive', 'neutral', 'negative'])[1 + id % 3],
        sentiment_score = ((id % 21) - 10) / 10.0,
        status = CASE WHEN id % 2 = 0 THEN 'acknowledged' ELSE status END,
        acknowledged_at = CASE WHEN id % 2 = 0 THEN posted_at + interval '37 minutes' END,
        time_to_acknowledge_minutes = CASE WHEN id % 2 = 0 THEN 37.0 END,
        tags = CASE WHEN id % 2 = 0 THEN ARRAY['coffee', 'queue'] ELSE tags END
"""


def max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def current_rss_mb() -> float | None:
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return None
    return (
        next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:"))
        / 1024
    )


def reset_peak_rss() -> bool:
    """Start the process's peak RSS again from its current RSS (Linux ``clear_refs``)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def stream_export(owner, client, period) -> tuple[int, int, float]:
    """(rows, bytes, seconds) of the export, consumed as a streaming response consumes it."""
    from apps.reporting.exports import mentions_csv_rows

    started = time.perf_counter()
    lines = written = 0
    for chunk in mentions_csv_rows(
        user=owner, client_id=client.pk, since=period.since, until=period.until
    ):
        written += len(chunk)
        lines += chunk.count(b"\r\n")
    return lines - 1, written, time.perf_counter() - started


def copy_lower_bound(owner, client, period) -> tuple[int, float]:
    """(bytes, seconds) of ``COPY (the export's SELECT) TO STDOUT WITH CSV``."""
    from django.db import connection

    from apps.reporting.exports import mentions_for_export

    sql, params = mentions_for_export(
        user=owner, client=client, period=period
    ).query.sql_with_params()
    started = time.perf_counter()
    written = 0
    statement = f"COPY ({sql}) TO STDOUT WITH (FORMAT csv, HEADER)"
    # Django's cursor (which sets the tenant's search_path) wraps psycopg's; that one binds params.
    with connection.cursor() as cursor, cursor.cursor.copy(statement, params) as copy:
        for block in copy:
            written += len(block)
    return written, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mentions", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=1)
    args = parser.parse_args()
    os.environ.setdefault("DEBUG", "false")  # as served: no query log
    use_scratch_database("rapport_bench_export")

    from django.core.management import call_command
    from django.db import connection
    from django_tenants.utils import schema_context

    from apps.accounts.models import User
    from apps.clients.models import Client
    from apps.reporting.periods import period_of
    from apps.tenants.services import agency_provision

    call_command("migrate", verbosity=0)
    agency = agency_provision(
        slug=SLUG, name="Bench", admin_email="o@bench.test", admin_password="pw"
    )
    clients, _ = load(args, agency.schema_name)
    with schema_context(agency.schema_name):
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(ENRICH)
            cursor.execute("VACUUM ANALYZE listening_mention")
        seconds = time.perf_counter() - started
        print(f"set-up: answers, tags and sentiment on the mentions {seconds:.1f} s")

        owner = User.objects.get(email="o@bench.test")
        client = Client.objects.get(pk=clients[0])
        until = period_of(client=client, since=None, until=None).until
        period = period_of(
            client=client,
            since=until - timedelta(days=args.mentions * 30 // 86400 + 2),
            until=until,
        )
        copy_lower_bound(owner, client, period)  # warm the caches for both

        rss_before = current_rss_mb()
        reset = reset_peak_rss()
        rows, written, seconds = stream_export(owner, client, period)
        rss_export = max_rss_mb()
        copied, copy_seconds = copy_lower_bound(owner, client, period)
        tracemalloc.start()
        traced_rows, _, traced_seconds = stream_export(owner, client, period)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert traced_rows == rows

    print(
        f"{args.mentions:,} mentions over {args.clients} client(s) in one agency; export of "
        f"'{client.name}' {period.since}..{period.until} as its owner, oldest first"
    )
    print(
        f"export (mentions_csv_rows):  {rows:,} rows  {written / MB:,.1f} MB  {seconds:.1f} s  "
        f"{rows / seconds:,.0f} rows/s  {written / MB / seconds:.1f} MB/s"
    )
    print(
        f"  peak Python memory (tracemalloc, second run, {traced_seconds:.1f} s): "
        f"{peak / MB:.1f} MB"
    )
    print(
        f"  max RSS during the export (getrusage): {rss_export:,.0f} MB "
        + (f"(RSS when it began {rss_before:,.0f} MB; " if rss_before else "(")
        + ("peak reset before it)" if reset else "process-wide high-water mark)")
    )
    print(
        f"lower bound, COPY (same SELECT) TO STDOUT WITH CSV:  {copied / MB:,.1f} MB  "
        f"{copy_seconds:.1f} s  {rows / copy_seconds:,.0f} rows/s"
    )
    print(f"ratio export / COPY: {seconds / copy_seconds:.1f}x the time")


if __name__ == "__main__":
    main()
