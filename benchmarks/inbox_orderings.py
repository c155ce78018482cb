"""How fast a client's open mentions page in each order of SPEC §11, with 1,000,000 mentions.

    python benchmarks/inbox_orderings.py [--mentions 1000000] [--clients 4] [--runs 7]

``COPY``s ``--mentions`` mentions over 90 days and ``--clients`` clients into one fresh agency
(a fifth still open, sentiment scored, authors with influence, some customers with a lifetime
value), scores them (``mentions_priority_refresh``: one UPDATE, timed), then times the first
page (50 rows, the representation's author joined) of one client's open mentions in every
ordering — newest, oldest, SLA due first, priority first — with the plan's index.

Lower bound, in the same run: reading the same 50 rows by primary key (``id = ANY(…)``), the
least any ordering can cost; the ratio is what finding them in order costs on top.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import UTC, datetime, timedelta

from _scratch import copy_rows, use_scratch_database

PAGE = 50


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mentions", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    use_scratch_database("rapport_bench_inbox_orderings")

    from django.core.management import call_command
    from django.db import connection
    from django_tenants.utils import schema_context

    from apps.channels.services import channel_create
    from apps.clients.models import Customer
    from apps.clients.services import client_create
    from apps.listening.models import Author, Mention
    from apps.listening.priority import mentions_priority_refresh
    from apps.listening.selectors import MENTION_ORDERINGS, mention_order
    from apps.tenants.services import agency_provision

    call_command("migrate", verbosity=0)
    agency_provision(slug="bench", name="Bench", admin_email="o@bench.test", admin_password="pw")
    rng = random.Random(7)
    now = datetime.now(UTC)
    with schema_context("bench"):
        clients, channels = [], []
        for n in range(args.clients):
            client = client_create(name=f"Bench Coffee {n}", timezone="Europe/London")
            clients.append(client.pk)
            channels.append(channel_create(client=client, platform="webhook", name="B",
                                           config={}).channel.pk)  # fmt: skip
        authors = [a.pk for a in Author.objects.bulk_create(
            Author(platform="webhook", handle=f"person{n}", influence=rng.random() * 100)
            for n in range(max(10, args.mentions // 20))
        )]  # fmt: skip
        customers = [c.pk for c in Customer.objects.bulk_create(
            Customer(client_id=clients[n % len(clients)], name=f"C{n}", email=f"c{n}@b.test",
                     lifetime_value=rng.randint(0, 20_000))
            for n in range(1000)
        )]  # fmt: skip
        span = timedelta(days=90).total_seconds()

        def rows():
            for m in range(args.mentions):
                c = m % len(clients)
                posted = now - timedelta(seconds=span * (args.mentions - m) / args.mentions)
                score = rng.uniform(-1, 1)
                is_open = rng.random() < 0.2
                yield {
                    "client_id": clients[c], "channel_id": channels[c], "platform": "webhook",
                    "external_id": f"b-{m}", "author_id": authors[m % len(authors)],
                    "text": "A mention", "posted_at": posted, "fetched_at": posted,
                    "sentiment_score": score, "sentiment": "negative" if score < -0.05 else
                    "positive" if score > 0.05 else "neutral",
                    "status": "new" if is_open else "acknowledged",
                    "sla_due_at": posted + timedelta(hours=rng.randint(1, 48)),
                    "customer_id": customers[m % len(customers)] if m % 10 == 0 else None,
                }  # fmt: skip

        started = time.perf_counter()
        with connection.cursor() as cursor:
            copy_rows(cursor, Mention, rows())
        copied = time.perf_counter() - started
        started = time.perf_counter()
        scored = mentions_priority_refresh()
        scoring = time.perf_counter() - started
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM ANALYZE {Mention._meta.db_table}")
        print(f"{args.mentions:,} mentions copied in {copied:.1f} s; {scored:,} scored in "
              f"{scoring:.1f} s (one UPDATE)")  # fmt: skip

        client = clients[0]
        open_mentions = Mention.objects.filter(
            client_id=client, status__in=["new", "assigned", "escalated"]
        ).select_related("author")

        def timed(queryset) -> tuple[float, list[int]]:
            runs, ids = [], []
            for _ in range(args.runs):
                started = time.perf_counter()
                ids = [m.pk for m in queryset[:PAGE]]
                runs.append(time.perf_counter() - started)
            return statistics.median(runs) * 1000, ids

        print(f"\nfirst page ({PAGE}) of one client's open mentions, median of {args.runs} (ms):")
        for ordering in MENTION_ORDERINGS:
            queryset = mention_order(open_mentions, ordering)
            ms, ids = timed(queryset)
            bound, _ = timed(Mention.objects.filter(pk__in=ids).select_related("author"))
            plan = queryset[:PAGE].explain()
            index = next((w for w in plan.split() if w.endswith("_idx")), "no index")
            print(f"  {ordering:>16}: {ms:7.2f}   lower bound {bound:6.2f}   "
                  f"ratio {ms / bound:5.1f}   {index}")  # fmt: skip


if __name__ == "__main__":
    main()
