"""The inbox's status counts and a client's 30- and 90-day dashboard on an agency built by
``generate_load`` (issue #16), with each one's ``EXPLAIN ANALYZE``.

    DATABASE_URL=… python manage.py generate_load --agencies 1 --mentions 1000000 --prefix big
    DATABASE_URL=… python benchmarks/counts_reports.py [--slug big-1] [--runs 5]

Run it from the checkout to measure: the code imported is the current directory's. Prints, for
each, the first run, the median of ``--runs`` more, and the SQL of the counts with its
``EXPLAIN (ANALYZE)`` time.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from zoneinfo import ZoneInfo


def timed(function, runs: int) -> tuple[float, float]:
    started = time.perf_counter()
    function()
    first = (time.perf_counter() - started) * 1000
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        times.append((time.perf_counter() - started) * 1000)
    return first, statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--slug", default="big-1")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    sys.path.insert(0, os.getcwd())  # the checkout measured
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agency.settings.dev")
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone
    from django_tenants.utils import schema_context

    from apps.accounts.models import User
    from apps.clients.models import Client
    from apps.inbox.selectors import inbox_status_counts
    from apps.listening.models import Mention
    from apps.reporting.selectors import client_report
    from apps.tenants.selectors import agency_get_by_slug

    agency = agency_get_by_slug(args.slug)
    with schema_context(agency.schema_name):
        user = User.objects.filter(role="owner").first() or User.objects.first()
        client = Client.objects.order_by("pk").first()
        print(f"{Mention.objects.count():,} mentions, {Client.objects.count()} clients")

        def counts(filters):
            return lambda: inbox_status_counts(user=user, filters=filters)

        for label, filters in (
            ("inbox counts, every client", {"status": "open"}),
            ("inbox counts, one client", {"status": "open", "client": client.pk}),
            ("inbox counts, negative", {"status": "open", "sentiment": "negative"}),
        ):
            first, median = timed(counts(filters), args.runs)
            with CaptureQueriesContext(connection) as queries:
                counts(filters)()
            sql = queries.captured_queries[-1]["sql"]
            with connection.cursor() as cursor:
                cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")
                plan = cursor.fetchone()[0]
                plan = plan[0] if isinstance(plan, list) else plan
            print(
                f"{label}: first {first:.1f} ms, median {median:.1f} ms, "
                f"EXPLAIN ANALYZE {plan['Execution Time']:.2f} ms"
            )
        today = timezone.now().astimezone(ZoneInfo(client.timezone)).date()
        for days in (30, 90):
            since = today - timedelta(days=days - 1)
            first, median = timed(
                lambda since=since: client_report(client=client, since=since, until=today),
                args.runs,
            )
            with CaptureQueriesContext(connection) as queries:
                client_report(client=client, since=since, until=today)
            sql_ms = sum(float(q["time"]) for q in queries.captured_queries) * 1000
            print(
                f"dashboard {days} days: first {first:.0f} ms, median {median:.0f} ms "
                f"({len(queries.captured_queries)} queries, {sql_ms:.0f} ms of SQL)"
            )


if __name__ == "__main__":
    main()
