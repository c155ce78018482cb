"""How long a client's 90-day report takes with 1,000,000 mentions in the agency.

    python benchmarks/report.py [--mentions 1000000] [--clients 4] [--runs 5]

``COPY``s ``--mentions`` mentions spread over a year and ``--clients`` clients into one fresh
agency — sentiment scored, most acknowledged within business hours (with their
``Acknowledgement`` rows), some from customers, some matching a competitor query — then times
``client_report`` for one client's last 90 days: the first run (cold caches) and the median of
``--runs`` more.

Lower bound, in the same run: the single SQL aggregate the report needs at the least — one pass
over the period's mentions counting them, the ones needing and having an acknowledgement and the
sentiments, with the median and p90 time to acknowledge. The ratio says what the rest of the
report (previous period, volume by day and channel, share of voice, top terms and hashtags, top
authors, funnel, members, CRM value) costs on top of it.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import UTC, datetime, timedelta

from _scratch import copy_rows, use_scratch_database

TEXTS = (
    ("Just tried the {} at Northwind and it was amazing #coffee #latte", 0.6, "positive"),
    ("@northwindhelp my order is late again with the {}, not impressed #delivery", -0.5,
     "negative"),
    ("Anyone know if the {} comes in oat milk?", 0.0, "neutral"),
    ("Brewhaus does a better {} honestly #brewhaus", 0.3, "positive"),
)  # fmt: skip
PRODUCTS = ("latte", "flat white", "cold brew", "espresso", "croissant")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mentions", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    use_scratch_database("rapport_bench_report")

    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count, Q
    from django_tenants.utils import schema_context

    from apps.accounts.models import User
    from apps.acknowledgements.models import SlaPolicy
    from apps.channels.services import channel_create
    from apps.clients.models import Customer
    from apps.clients.services import client_create
    from apps.core.db import Percentile
    from apps.listening.models import Author, Mention
    from apps.listening.services import query_create
    from apps.reporting.selectors import client_report
    from apps.tenants.services import agency_provision

    call_command("migrate", verbosity=0)
    agency_provision(slug="bench", name="Bench", admin_email="o@bench.test", admin_password="pw")
    rng = random.Random(7)
    now = datetime.now(UTC)
    with schema_context("bench"):
        owner = User.objects.get(email="o@bench.test")
        clients, channels, rivals = [], [], []
        for n in range(args.clients):
            client = client_create(name=f"Bench Coffee {n}", timezone="Europe/London")
            SlaPolicy.objects.create(
                client=client, timezone="Europe/London", business_hours_only=False
            )
            rivals.append(query_create(client=client, name="Brewhaus", expression="brewhaus",
                                       is_competitor=True).pk)  # fmt: skip
            clients.append(client)
            channels.append(channel_create(client=client, platform="webhook", name="B",
                                           config={}).channel.pk)  # fmt: skip
        authors = [a.pk for a in Author.objects.bulk_create(
            Author(platform="webhook", handle=f"person{n}", influence=rng.random() * 100)
            for n in range(20_000))]  # fmt: skip
        customers = [
            c.pk
            for c in Customer.objects.bulk_create(
                Customer(client=clients[0], name=f"C{n}", lifetime_value=100 + n)
                for n in range(500)
            )
        ]

        def rows():
            span = timedelta(days=365).total_seconds()
            for n in range(args.mentions):
                which = n % args.clients
                posted = now - timedelta(seconds=span * (args.mentions - n) / args.mentions)
                text, score, label = TEXTS[n % len(TEXTS)]
                answered = n % 5 != 0
                minutes = rng.expovariate(1 / 45)
                yield {
                    "client_id": clients[which].pk, "channel_id": channels[which],
                    "platform": "webhook", "external_id": f"m{n}",
                    "author_id": authors[rng.randrange(len(authors))],
                    "text": text.format(PRODUCTS[n % len(PRODUCTS)]), "language": "en",
                    "posted_at": posted, "fetched_at": posted, "sentiment": label,
                    "sentiment_score": score,
                    "matched_queries": [rivals[which]] if "Brewhaus" in text else [],
                    "status": "acknowledged" if answered else "new",
                    "acknowledged_at": posted + timedelta(minutes=minutes) if answered else None,
                    "time_to_acknowledge_minutes": round(minutes, 1) if answered else None,
                    "sla_due_at": posted + timedelta(minutes=240),
                    "customer_id": customers[n % 500] if which == 0 and n % 7 == 0 else None,
                }  # fmt: skip

        started = time.perf_counter()
        with connection.cursor() as cursor:
            copy_rows(cursor, Mention, rows())
            cursor.execute(
                "INSERT INTO acknowledgements_acknowledgement (mention_id, client_id, user_id, "
                "kind, text, created_at, external_id, external_url, delivery_status, "
                "delivery_error, attempts, is_personal, wording_key, first_response_minutes) "
                "SELECT id, client_id, %s, 'resolved_internally', '', acknowledged_at, '', '', "
                "'not_sent', '', 0, false, '', time_to_acknowledge_minutes "
                "FROM listening_mention WHERE client_id = %s AND acknowledged_at IS NOT NULL",
                [owner.pk, clients[0].pk],
            )
            cursor.execute("VACUUM ANALYZE")
        print(f"set-up: {args.mentions:,} mentions, COPY + acknowledgements + VACUUM ANALYZE "
              f"{time.perf_counter() - started:.1f} s")  # fmt: skip

        client = clients[0]
        until = now.date()
        since = until - timedelta(days=89)
        timings = []
        for _ in range(args.runs + 1):
            started = time.perf_counter()
            report = client_report(client=client, since=since, until=until)
            timings.append(time.perf_counter() - started)
        start = datetime.combine(since, datetime.min.time(), tzinfo=UTC)
        bound = []
        for _ in range(args.runs + 1):
            started = time.perf_counter()
            Mention.objects.filter(client=client, posted_at__gte=start).aggregate(
                mentions=Count("pk"), needing=Count("pk", filter=Q(needs_acknowledgement=True)),
                acknowledged=Count("pk", filter=Q(acknowledged_at__isnull=False)),
                positive=Count("pk", filter=Q(sentiment="positive")),
                negative=Count("pk", filter=Q(sentiment="negative")),
                median=Percentile("time_to_acknowledge_minutes", 0.5),
                p90=Percentile("time_to_acknowledge_minutes", 0.9),
            )  # fmt: skip
            bound.append(time.perf_counter() - started)

    steady, floor = statistics.median(timings[1:]), statistics.median(bound[1:])
    print(f"client's 90-day report: {report['mention_count']:,} mentions in the period")
    print(f"client_report, first run:                 {timings[0] * 1000:7.1f} ms")
    print(f"client_report, median of {args.runs} more:          {steady * 1000:7.1f} ms")
    print(f"lower bound, the one headline aggregate:  {floor * 1000:7.1f} ms (median)")
    print(f"ratio report / lower bound: {steady / floor:.1f}x")


if __name__ == "__main__":
    main()
