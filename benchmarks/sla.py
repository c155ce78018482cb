"""SLA breach detection over 100,000 open mentions.

    python benchmarks/sla.py [--mentions 100000]

Loads open mentions of one client (posted over the last seven days, so most are past their
business-time due date) and times ``sla_breaches_detect``: the first run gives every mention its
due date (business time, in Python) and records the breaches; the second, the steady state of the
minutely check, finds nothing new. The lower bound, in the same run, is the bare set-based
``INSERT … SELECT`` of the breaches on a copy of the data.
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime, timedelta

from _scratch import use_scratch_database


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mentions", type=int, default=100_000)
    args = parser.parse_args()
    use_scratch_database("rapport_bench_sla")

    from django.core import mail
    from django.core.management import call_command
    from django.db import connection
    from django_tenants.utils import schema_context

    from apps.acknowledgements.models import SlaBreach, SlaPolicy
    from apps.acknowledgements.services import sla_breaches_detect
    from apps.channels.services import channel_create
    from apps.clients.services import client_create
    from apps.listening.models import Author
    from apps.tenants.services import agency_provision

    mail.outbox = []
    call_command("migrate", verbosity=0)
    agency_provision(slug="bench", name="Bench", admin_email="o@bench.test", admin_password="pw")
    now = datetime.now(UTC)
    with schema_context("bench"):
        client = client_create(name="Bench Coffee", timezone="Europe/London")
        SlaPolicy.objects.create(client=client, timezone="Europe/London", holiday_country="GB",
                                 holiday_subdivision="ENG")  # fmt: skip
        channel = channel_create(client=client, platform="webhook", name="B", config={}).channel
        authors = Author.objects.bulk_create(
            Author(platform="webhook", handle=f"person{n}") for n in range(1000)
        )
        with (
            connection.cursor() as cursor,
            cursor.copy(
                "COPY listening_mention (client_id, channel_id, platform, external_id, "
                "author_id, text, posted_at, fetched_at, matched_queries, tags, "
                "needs_acknowledgement, status, priority, sentiment, language, kind, url, "
                "parent_external_id, engagement, is_duplicate, is_spam) FROM STDIN"
            ) as copy,
        ):
            for n in range(args.mentions):
                posted = now - timedelta(seconds=n * 7 * 86400 // args.mentions)
                copy.write_row((
                    client.pk, channel.pk, "webhook", f"m{n}", authors[n % 1000].pk,
                    "Where is my order?", posted, now, [], [], True, "new",
                    ("normal", "high", "urgent", "low")[n % 4], "neutral", "en", "post", "", "",
                    0, False, False,
                ))  # fmt: skip
        cursor = connection.cursor()
        cursor.execute("ANALYZE listening_mention")

        started = time.perf_counter()
        first = sla_breaches_detect(now=now)
        first_seconds = time.perf_counter() - started
        started = time.perf_counter()
        second = sla_breaches_detect(now=now)
        second_seconds = time.perf_counter() - started
        assert second == [] and SlaBreach.objects.count() == len(first)

        cursor.execute(
            "CREATE TEMP TABLE bound_breach (LIKE acknowledgements_slabreach INCLUDING ALL)"
        )
        started = time.perf_counter()
        cursor.execute(
            "INSERT INTO bound_breach (mention_id, due_at, detected_at, notified) "
            "SELECT id, sla_due_at, now(), false FROM listening_mention "
            "WHERE needs_acknowledgement AND status IN ('new', 'assigned', 'escalated') "
            "AND sla_due_at <= %s",
            [now],
        )
        bound_seconds = time.perf_counter() - started

    print(f"{args.mentions:,} open mentions over 7 days; {len(first):,} past their due date")
    print(f"first check (due dates in business time, breaches, e-mail): {first_seconds:6.2f} s")
    print(f"next check (steady state, nothing new):                       {second_seconds:6.2f} s")
    print(f"lower bound, bare INSERT … SELECT of the breaches:             {bound_seconds:6.2f} s")
    print(f"ratio first check / lower bound: {first_seconds / bound_seconds:.1f}x")


if __name__ == "__main__":
    main()
