"""Ingest throughput of the real page path against a raw ``COPY`` of the same rows.

    python benchmarks/ingest.py [--mentions 100000] [--page-size 100]

Stores synthetic mentions page by page exactly as ``channel_fetch`` does — one transaction per
page with ``ingest_page`` (author upsert, de-duplicated mention insert) and the cursor update —
then, in the same run, ``COPY``s the same rows into identical empty tables (same columns,
constraints, foreign keys and indexes) as the lower bound, and prints both rates and their ratio.
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import UTC, datetime, timedelta

from _scratch import use_scratch_database

SENTENCE = (
    "coffee latte order delivery late thanks great support app crash refund barista cold brew "
    "beans price love hate wait queue staff friendly store open closed oat milk"
)
WORDS = tuple(SENTENCE.split(" "))


def synthetic(count: int, authors: int):
    from apps.channels.connectors.base import AuthorData, MentionData

    rng = random.Random(42)
    start = datetime(2026, 8, 1, tzinfo=UTC)
    people = [
        AuthorData(handle=f"person{n}", display_name=f"Person {n}", followers=rng.randint(0, 9000))
        for n in range(authors)
    ]
    return [
        MentionData(
            external_id=f"m-{n}",
            text=" ".join(rng.choices(WORDS, k=rng.randint(6, 30))),
            posted_at=start + timedelta(seconds=n * 60),
            author=people[rng.randrange(authors)],
            kind="comment" if n % 3 else "post",
            url=f"https://social.example/@x/{n}",
            parent_external_id=f"m-{n - 1}" if n % 3 else "",
        )
        for n in range(count)
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mentions", type=int, default=100_000)
    parser.add_argument("--authors", type=int, default=20_000)
    parser.add_argument("--page-size", type=int, default=100)
    args = parser.parse_args()
    use_scratch_database("rapport_bench_ingest")

    from django.core.management import call_command
    from django.db import connection, transaction
    from django_tenants.utils import schema_context

    from apps.channels.ingest import ingest_page
    from apps.channels.models import Channel
    from apps.channels.services import channel_create
    from apps.clients.services import client_create
    from apps.listening.models import Author, Mention
    from apps.tenants.services import agency_provision

    call_command("migrate", verbosity=0)
    agency = agency_provision(
        slug="bench", name="Bench", admin_email="o@bench.test", admin_password="pw"
    )
    items = synthetic(args.mentions, args.authors)

    with schema_context(agency.schema_name):
        client = client_create(name="Bench Coffee", brand_handles=["benchcoffee"])
        channel = channel_create(client=client, platform="webhook", name="Bench", config={}).channel
        started = time.perf_counter()
        created = 0
        for offset in range(0, len(items), args.page_size):
            with transaction.atomic():
                page = items[offset : offset + args.page_size]
                created += ingest_page(channel=channel, items=page).created
                Channel.objects.filter(pk=channel.pk).update(cursor={"offset": offset})
        ingest_seconds = time.perf_counter() - started
        assert created == args.mentions == Mention.objects.count()

        with connection.cursor() as cursor:
            cursor.execute("SELECT handle, id FROM listening_author")
            author_ids = dict(cursor.fetchall())
            cursor.execute("CREATE TABLE copy_author (LIKE listening_author INCLUDING ALL)")
            cursor.execute("CREATE TABLE copy_mention (LIKE listening_mention INCLUDING ALL)")
            # Same integrity as the real table: its foreign keys too (LIKE copies none).
            cursor.execute(
                "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = 'listening_mention'::regclass AND contype = 'f'"
            )
            for (definition,) in cursor.fetchall():
                cursor.execute(f"ALTER TABLE copy_mention ADD {definition}")
            fetched_at = datetime.now(UTC)
            started = time.perf_counter()
            with cursor.copy(
                "COPY copy_author (id, platform, handle, display_name, followers, profile_url,"
                " influence, is_advocate, first_seen_at) FROM STDIN"
            ) as copy:
                seen = set()
                for item in items:
                    if item.author.handle not in seen:
                        seen.add(item.author.handle)
                        copy.write_row((
                            author_ids[item.author.handle], "webhook", item.author.handle,
                            item.author.display_name, item.author.followers, "", 0, False,
                            fetched_at,
                        ))  # fmt: skip
            with cursor.copy(
                "COPY copy_mention (client_id, channel_id, platform, external_id, url, "
                "author_id, text, language, kind, parent_external_id, rating, engagement, "
                "posted_at, fetched_at, sentiment, matched_queries, needs_acknowledgement, "
                "status, priority, tags) FROM STDIN"
            ) as copy:
                for item in items:
                    copy.write_row((
                        client.pk, channel.pk, "webhook", item.external_id, item.url,
                        author_ids[item.author.handle], item.text, "", item.kind,
                        item.parent_external_id, None, 0, item.posted_at, fetched_at, "", [],
                        True, "new", "normal", [],
                    ))  # fmt: skip
            copy_seconds = time.perf_counter() - started
        assert Author.objects.count() == len(seen)

    ingest_rate = args.mentions / ingest_seconds
    copy_rate = args.mentions / copy_seconds
    print(
        f"mentions: {args.mentions:,}  distinct authors: {len(seen):,}  page size: {args.page_size}"
    )
    print(
        f"page ingest (ingest_page + cursor, one transaction per page): "
        f"{ingest_seconds:6.2f} s  {ingest_rate:10,.0f} mentions/s"
    )
    print(
        f"lower bound, COPY of the same rows into identical tables:      "
        f"{copy_seconds:6.2f} s  {copy_rate:10,.0f} mentions/s"
    )
    print(f"ratio ingest / COPY: {ingest_rate / copy_rate:.2f}")


if __name__ == "__main__":
    main()
